"""Tests for the self-checks of notebook 06: right answers pass, wrong ones get a hint
that does not give the expected value away, and the result type is the one of 01-05."""

from __future__ import annotations

import pytest

from kaiming_lab.lessons.checks import CheckResult
from kaiming_lab.lessons.nb01_network import check_kaiming_std
from kaiming_lab.lessons.nb06_explorer import check_leaky_multiplier, check_tanh_edge
from kaiming_lab.variance import predicted_variances

TANH_EDGE = 0.5
LEAKY_ANSWER = 0.8  # 1 / (1 + 0.5^2)


def _leaks(message: str, answer: float) -> bool:
    return any(s in message for s in (f"{answer:g}", f"{answer:.2f}", str(answer)[1:]))


@pytest.mark.parametrize("multiplier", [TANH_EDGE, 0.49, 0.51])
def test_tanh_edge_accepts_the_edge_within_five_percent(multiplier):
    result = check_tanh_edge(multiplier)
    assert isinstance(result, CheckResult) and result and result.answered
    assert result.message.startswith("Right")
    assert "below it the variance decays geometrically" in result.message.lower()


@pytest.mark.parametrize(("multiplier", "hint"), [(0.3, "up"), (0.44, "up"), (0.8, "down")])
def test_tanh_edge_rejects_both_sides_with_a_hint(multiplier, hint):
    result = check_tanh_edge(multiplier)
    assert not result and result.answered
    assert result.message.startswith("Not yet") and f"Move the multiplier {hint}" in result.message
    assert not _leaks(result.message, TANH_EDGE)
    assert f"{multiplier:g}" not in result.message, "the student's value is not echoed"


def test_tanh_regimes_match_the_messages():
    """Below the edge the per-layer factor stays below 1 (geometric); above, Var settles."""

    def last_ratios(m):
        q = predicted_variances(100, sigma_w2=2.0 * m, activation="tanh")
        return q[-1] / q[-2], q[-1] / q[0]

    per_layer_below, _ = last_ratios(0.45)
    per_layer_edge, total_edge = last_ratios(TANH_EDGE)
    per_layer_above, total_above = last_ratios(0.55)
    assert per_layer_below < 0.95  # a fixed factor per layer: geometric decay
    assert 0.98 < per_layer_edge < 1.0 and total_edge < 0.01  # slow (1/h) decline
    assert per_layer_above == pytest.approx(1.0, abs=1e-4) and total_above > 0.01  # settles


def test_leaky_multiplier_right_and_wrong():
    assert check_leaky_multiplier(0.5, LEAKY_ANSWER)
    for wrong, direction in [(1.0, "grows"), (0.64, "shrinks"), (0.5, "shrinks")]:
        result = check_leaky_multiplier(0.5, wrong)
        assert not result and direction in result.message
        assert not _leaks(result.message, LEAKY_ANSWER)
    assert check_leaky_multiplier(0.0, 1.0), "slope 0 is Kaiming's ReLU rule"


@pytest.mark.parametrize("check", [check_tanh_edge, lambda m: check_leaky_multiplier(0.5, m)])
def test_non_answers(check):
    unanswered = check(None)
    assert not unanswered and not unanswered.answered
    assert unanswered.message == check_kaiming_std(None).message
    for bad in ("0.5", True, float("nan"), -1.0, 0.0):
        result = check(bad)
        assert not result and result.answered and result.message


def test_checks_do_not_print(capsys):
    check_tanh_edge(1.0)
    check_leaky_multiplier(0.5, 1.0)
    assert capsys.readouterr().out == ""
