"""Self-checks: right answers pass, known slips get their hint, no message leaks the answer.

The expected answers are recomputed here from the formulas in the exercise
texts (not copied from the module), so a wrong constant in
a lesson module (``kaiming_lab.lessons.nb01_network`` ... ``nb05_proposition``)
makes these tests fail.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from kaiming_lab.diagnostics import predicted_break_layer
from kaiming_lab.lessons import (
    checks,
    nb01_network,
    nb02_scale,
    nb03_sums,
    nb04_relu_moments,
    nb05_proposition,
)
from kaiming_lab.lessons.nb03_sums import product_variance

#: Checks that take the student's function, not a value; each has its own test file.
FUNCTION_CHECKS = {
    "check_he_normal",  # tests/lessons/test_nb01.py
    "check_he_uniform",  # tests/lessons/test_nb01.py
    "check_rms_per_layer",  # tests/lessons/test_nb02.py
    "check_var_of_sum",  # tests/lessons/test_nb03.py
    "check_second_moment_mc",  # tests/lessons/test_nb04.py
    "check_first_layer_variance",  # tests/lessons/test_nb05.py
}

#: Every exercise check of notebooks 01-05 that takes a value, by name.
CHECKS = {
    name: getattr(module, name)
    for module in (nb01_network, nb02_scale, nb03_sums, nb04_relu_moments, nb05_proposition)
    for name in module.__all__
    if name.startswith("check_") and name not in FUNCTION_CHECKS
}

NUMERIC = {
    "check_kaiming_std": math.sqrt(2 / 288),
    "check_layer_multiplier": 1000 * 0.05**2 / 2,
    "check_sum_variance": 400 * 0.005 * 0.75,
    "check_product_variance": product_variance(0.4, 0.09, 0.6, 0.64),
    "check_relu_mean": 3 / math.sqrt(2 * math.pi),
    "check_relu_variance": 2 - 2 / math.pi,
    "check_leaky_second_moment": (1 + 0.3**2) / 2 * 5,
    "check_xavier_shrink": 2.0**-12,
}
ANSWERS = {
    **NUMERIC,
    "check_weight_shape": (300, 784),
    "check_float32_overflow_layer": predicted_break_layer(
        100.0, 1.0, float(np.finfo(np.float32).max)
    ),
}
WRONG_GUESSES = [0.0, 1.0, -3.0, 0.5, 2.0, 17.0, 1e6, 1e-6]


def _digits(value: object) -> list[str]:
    """Digit strings that would give the answer away (3 significant digits, no leading zeros)."""
    if isinstance(value, tuple):
        return [str(v) for v in value]
    if isinstance(value, int):
        return [str(value)]
    mantissa = f"{abs(value):.2e}".split("e")[0].replace(".", "")
    return [mantissa, f"{value:.3g}"]


def _messages(name: str) -> list[str]:
    check = CHECKS[name]
    answer = ANSWERS[name]
    guesses: list[object] = [None, "abc", math.nan, True]
    if name in NUMERIC:
        guesses += [answer * f for f in (2.0, 0.5, 1.1, 0.9, 10.0)] + WRONG_GUESSES
        guesses += [2 / 288, math.sqrt(1 / 288), 1000 * 0.05**2, 400 * 0.005 * 0.5, 2.0**-24]
    elif name == "check_weight_shape":
        guesses += [(784, 300), (300, 300), (1, 2, 3), [300, 784]]
    else:
        guesses += [answer - 1, answer + 1, 0, 1000, 2.5]
    return [check(g).message for g in guesses]


def test_every_check_is_tested() -> None:
    assert set(CHECKS) == set(ANSWERS)


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_right_answer_passes(name: str) -> None:
    result = CHECKS[name](ANSWERS[name])
    assert result.correct and result.answered and bool(result)
    assert result.message == "Correct."


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_none_means_not_answered(name: str) -> None:
    result = CHECKS[name](None)
    assert not result and not result.answered
    assert "Not answered yet" in repr(result)


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_feedback_never_contains_the_answer(name: str) -> None:
    for message in _messages(name):
        for digits in _digits(ANSWERS[name]):
            assert digits not in re.sub(r"\s", "", message), (name, message)


@pytest.mark.parametrize("name", sorted(NUMERIC))
def test_wrong_numbers_fail_with_a_hint(name: str) -> None:
    check = CHECKS[name]
    for factor in (1.5, 0.7):
        result = check(NUMERIC[name] * factor)
        assert not result and result.answered
        assert result.message.startswith("Not yet")


@pytest.mark.parametrize("name", sorted(NUMERIC))
def test_tolerance_is_relative_one_in_a_thousand(name: str) -> None:
    check = CHECKS[name]
    assert check(NUMERIC[name] * (1 + 5e-4))
    assert not check(NUMERIC[name] * (1 + 5e-3))


@pytest.mark.parametrize(
    ("name", "slip", "words"),
    [
        ("check_kaiming_std", 2 / 288, "variance"),
        ("check_layer_multiplier", 1000 * 0.05**2, "ReLU"),
        ("check_sum_variance", 400 * 0.005 * 0.5, "Var(x)"),
        ("check_relu_variance", 2.0, "E[x²]"),
        ("check_xavier_shrink", 2.0**-24, "variances"),
    ],
)
def test_known_slips_get_their_hint(name: str, slip: float, words: str) -> None:
    result = CHECKS[name](slip)
    assert not result
    assert words in result.message


def test_transposed_shape_is_named() -> None:
    result = nb01_network.check_weight_shape((784, 300))
    assert not result and "transpose" in result.message
    assert nb01_network.check_weight_shape([300, 784])


def test_layer_index_must_be_an_integer() -> None:
    exact = ANSWERS["check_float32_overflow_layer"]
    assert not nb02_scale.check_float32_overflow_layer(float(exact))
    assert "one layer short" in nb02_scale.check_float32_overflow_layer(exact - 1).message
    # the std 10^h first exceeds float32's maximum (about 3.4e38) at this layer
    assert 10.0 ** (exact - 1) < float(np.finfo(np.float32).max) < 10.0**exact


def _round_sig(value: float, digits: int) -> float:
    return float(f"{value:.{digits - 1}e}")


@pytest.mark.parametrize("name", sorted(NUMERIC))
def test_a_right_answer_rounded_to_three_figures_is_never_called_wrong(name: str) -> None:
    # 3 significant figures are within 0.5 % of the answer: accepted, or asked for more digits
    result = CHECKS[name](_round_sig(NUMERIC[name], 3))
    assert result.correct or "more digits" in result.message, result.message


@pytest.mark.parametrize("name", sorted(NUMERIC))
@pytest.mark.parametrize("offset", [-9e-3, -2e-3, 2e-3, 9e-3])
def test_within_one_percent_asks_for_digits(name: str, offset: float) -> None:
    result = CHECKS[name](NUMERIC[name] * (1 + offset))
    assert not result and result.answered
    assert "more digits" in result.message and "Hint" not in result.message


def test_slip_windows_are_narrower_than_the_gaps_between_slips() -> None:
    windows = checks.slip_tolerances(1.0, [0.5, 0.503, 2.0])
    assert windows[2] == checks.MISTAKE_TOL  # far from everything: the widest window
    gap = (0.503 - 0.5) / 0.503
    assert windows[0] <= gap / 3 and windows[1] <= gap / 3


def test_product_variance_answer_and_slips_lie_more_than_five_percent_apart() -> None:
    # so a rounded answer is never within 1 % of two candidates
    mw, vw, mx, vx = 0.4, 0.09, 0.6, 0.64
    a, b, c = vw * vx, mw**2 * vx, vw * mx**2
    candidates = [a + b + c, a, a + c, a + b, b + c]
    gaps = [abs(p - q) / max(p, q) for i, p in enumerate(candidates) for q in candidates[i + 1 :]]
    assert min(gaps) > 0.05
    assert "dropped Var(W)Var(X)" in nb03_sums.check_product_variance(round(b + c, 3)).message
    assert "Only Var(W)Var(X)" in nb03_sums.check_product_variance(round(a, 3)).message
    assert nb03_sums.check_product_variance(round(a + b + c, 4)).correct
    assert "too small" in nb03_sums.check_product_variance((a + a + c) / 2).message


def test_judge_number_names_a_slip_before_saying_close_and_close_before_direction():
    from kaiming_lab.lessons.checks import judge_number

    slips = [(1.005, "You used the slip.")]
    kwargs = {"where": "here", "hint": "think", "rel": 1e-3, "near": (0.01, "more digits.")}
    assert judge_number(1.0004, 1.0, slips, **kwargs) is None
    assert judge_number(1.005, 1.0, slips, **kwargs).message == "Not yet (here). You used the slip."
    assert judge_number(0.995, 1.0, slips, **kwargs).message == "Close (here): more digits."
    assert "too small" in judge_number(0.9, 1.0, slips, **kwargs).message
    assert "too small" in judge_number(0.995, 1.0, slips, where="here", hint="h").message
