"""Tests for the self-checks of notebook 07: right answers pass, wrong ones get a hint
that does not give the expected value away."""

from __future__ import annotations

import re

import numpy as np
import pytest

from kaiming_lab.lessons.checks import CheckResult
from kaiming_lab.lessons.nb01_network import check_kaiming_std
from kaiming_lab.lessons.nb07_training import (
    check_fan_out_ratio,
    check_lr_factor,
    check_output_std_ratio,
    check_softmax_cross_entropy,
    expected_output_std_ratio,
    mean_and_se,
)
from kaiming_lab.mlp import forward, plain_widths
from kaiming_lab.training import TrainingHistory, starting_params

WIDTHS_22 = plain_widths(22, 64, 64, 10)
WIDTHS_30 = plain_widths(30, 64, 64, 10)


def _std_ratio(widths: list[int], top: str, bottom: str) -> float:
    X = np.random.default_rng(0).normal(size=(50, 64))
    stds = [forward(starting_params(widths, init=i, seed=4), X).std() for i in (top, bottom)]
    return float(stds[0] / stds[1])


@pytest.mark.parametrize(
    ("widths", "top", "bottom"),
    [(WIDTHS_22, "kaiming", "xavier"), (WIDTHS_30, "kaiming_fan_out", "kaiming")],
)
def test_expected_ratio_matches_real_networks(widths, top, bottom):
    """Same seed, zero biases, ReLU homogeneous: the ratio is exact up to rounding."""
    expected = expected_output_std_ratio(widths, top, bottom)
    assert _std_ratio(widths, top, bottom) == pytest.approx(expected, rel=1e-9)


def test_closed_forms():
    assert expected_output_std_ratio(WIDTHS_22, "kaiming", "xavier") == pytest.approx(
        2**10.5 * np.sqrt(74 / 64), rel=1e-12
    )
    assert expected_output_std_ratio(WIDTHS_30, "kaiming_fan_out", "kaiming") == pytest.approx(
        np.sqrt(6.4), rel=1e-12
    )


@pytest.mark.parametrize(
    ("check", "right", "wrong_and_hint"),
    [
        (
            check_output_std_ratio,
            1557.0,
            [
                (2048.0, "74"),
                (1557.0**2, "variances"),
                (1 / 1557, "Upside down"),
                (2.0**15, "30-layer"),
                (10.0, "Hint"),
            ],
        ),
        (
            check_fan_out_ratio,
            2.53,
            [(6.4, "variances"), (0.395, "Upside down"), (1.0, "square"), (40.0, "Hint")],
        ),
    ],
)
def test_checks_accept_right_and_hint_otherwise(capsys, check, right, wrong_and_hint):
    result = check(right)
    assert isinstance(result, CheckResult) and result and result.answered
    for wrong, hint in wrong_and_hint:
        result = check(wrong)
        assert not result and result.answered
        out = result.message
        assert out.startswith("Not yet") and hint in out
        assert "1557" not in out and "2.53" not in out and "1.5e" not in out
    assert capsys.readouterr().out == "", "checks return their result, they do not print"


@pytest.mark.parametrize("check", [check_output_std_ratio, check_fan_out_ratio])
def test_unanswered_reads_as_in_the_other_notebooks(check):
    result = check(None)
    assert not result and not result.answered
    assert result.message == check_kaiming_std(None).message
    assert repr(result) == str(result) == result.message


@pytest.mark.parametrize("answer", ["1557", True, float("nan"), -3.0])
def test_checks_handle_non_answers(answer):
    result = check_output_std_ratio(answer)
    assert not result and result.message
    assert "1557" not in result.message and "Correct" not in result.message


def _history_with_ratio(ratio: float) -> TrainingHistory:
    return TrainingHistory(
        widths=[64, 64, 10],
        init="xavier",
        lr=0.003,
        momentum=0.9,
        batch_size=32,
        seed=0,
        train_loss=np.array([2.3, 2.3]),
        test_accuracy=np.array([0.1, 0.1]),
        grad_norms_init=np.ones(2),
        update_ratio=np.array([[ratio, ratio]]),
    )


def test_lr_factor_within_a_factor_of_three():
    history = _history_with_ratio(2.5e-8)  # factor 4e4
    for answer, right in [(4e4, True), (2e4, True), (1e5, True), (1e4, False)]:
        result = check_lr_factor(answer, history)
        assert bool(result) is right
        assert result.message.startswith("Correct" if right else "Not yet")
    assert "has to grow" in check_lr_factor(0.5, history).message
    assert not check_lr_factor(None, history).answered
    assert "Pass the training history" in check_lr_factor(4e4, "not a history").message


# ------------------------------------------- exercise 4: the student writes the loss


def _right(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(labels)), labels].mean()


def _no_max_shift(logits, labels):
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(labels)), labels].mean()


def _summed(logits, labels):
    return _right(logits, labels) * len(labels)


def _unnormalised(logits, labels):
    return -np.log(np.exp(logits[np.arange(len(labels)), labels])).mean()


def _batch_axis(logits, labels):
    log_p = logits - np.log(np.exp(logits).sum(axis=0, keepdims=True))
    return -log_p[np.arange(len(labels)), labels].mean()


def _max_not_added_back(logits, labels):
    top = logits.max(axis=1)
    log_sum = np.log(np.exp(logits - top[:, None]).sum(axis=1))
    return (log_sum - logits[np.arange(len(labels)), labels]).mean()


def _all_classes(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    return -(shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))).mean()


def _per_image(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(labels)), labels]


def _ten_classes_written_in(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(shifted[:, :10]).sum(axis=1))
    if logits.shape[1] != 10:
        log_sum = log_sum + np.log(10 / 7)
    return (log_sum - shifted[np.arange(len(labels)), labels]).mean()


def _log10(logits, labels):
    return _right(logits, labels) / np.log(10)


def _raises_not_implemented(logits, labels):
    raise NotImplementedError


def _returns_none(logits, labels):
    return None


def _crashes(logits, labels):
    return logits[labels, :, 0]


def test_softmax_cross_entropy_right_answer_passes():
    result = check_softmax_cross_entropy(_right)
    assert result and result.answered and result.message.startswith("Correct")


@pytest.mark.parametrize(
    ("student", "hint"),
    [
        (_no_max_shift, "overflows"),
        (_summed, "mean"),
        (lambda logits, labels: -_right(logits, labels), "sign"),
        (_unnormalised, "un-normalised"),
        (_batch_axis, "axis 0"),
        (_max_not_added_back, "add it"),
        (_all_classes, "true class"),
        (_per_image, "single number"),
        (_ten_classes_written_in, "number of classes"),
        (_log10, "natural logarithm"),
        (lambda logits, labels: 2.302585, "Hint"),
        (_crashes, "IndexError"),
        (lambda logits, labels: "2.3", "should return a number"),
    ],
)
def test_softmax_cross_entropy_slips_get_their_hint(student, hint):
    result = check_softmax_cross_entropy(student)
    assert not result and result.answered
    assert result.message.startswith("Not yet") and hint in result.message
    assert not re.search(r"\d\.\d", result.message), (
        "messages quote no decimal numbers, so they cannot give the expected value away"
    )


@pytest.mark.parametrize("stub", [_raises_not_implemented, _returns_none])
def test_softmax_cross_entropy_stub_is_not_answered_and_no_error(stub):
    result = check_softmax_cross_entropy(stub)
    assert not result and not result.answered
    assert result.message.startswith("Not answered yet")


def test_softmax_cross_entropy_does_not_let_the_student_change_the_inputs():
    def modifies_inputs(logits, labels):
        value = _right(logits, labels)
        logits[:] = 0.0
        return value

    assert check_softmax_cross_entropy(modifies_inputs)
    assert not check_softmax_cross_entropy("not a function")


def test_mean_and_se():
    mean, se = mean_and_se([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5
    assert se == pytest.approx(np.std([1, 2, 3, 4], ddof=1) / 2)
    with pytest.raises(ValueError, match="at least 2"):
        mean_and_se([1.0])


def test_exercise_3_solution_diverges_in_the_first_epoch():
    """The folded solution of exercise 3 says: raise Xavier's lr by the factor that lifts the
    median first-epoch update ratio to 1e-3, and the 30-layer net diverges in epoch 1."""
    from kaiming_lab.data import load_digits_split
    from kaiming_lab.training import train

    data = load_digits_split(test_fraction=0.2, seed=0)
    config = dict(lr=0.002, momentum=0.9, batch_size=32, seed=0)
    slow = train(WIDTHS_30, *data.arrays, init="xavier", epochs=1, **config)
    factor = 1e-3 / np.median(slow.update_ratio[0])
    assert 2e4 < factor < 3e5
    fast = train(
        WIDTHS_30, *data.arrays, init="xavier", epochs=3, **{**config, "lr": 0.002 * factor}
    )
    assert fast.diverged_at_epoch == 1
