"""Scaffolding for ``notebooks/07_training_deep_nets.ipynb``: its exercise checks.

Each ``check_*`` returns a :class:`~kaiming_lab.exercises.CheckResult`, the
same type the checks of notebooks 01-05 return: truthy for a right answer, and
shown in a notebook as a short message, which for a wrong answer says what is
off with a hint but never the expected value. ``None`` means "not answered yet".
"""

from __future__ import annotations

import itertools
import math
import numbers

import numpy as np

from ..training import TrainingHistory
from .checks import CheckResult

__all__ = [
    "check_fan_out_ratio",
    "check_lr_factor",
    "check_output_std_ratio",
    "expected_output_std_ratio",
]


def expected_output_std_ratio(widths: list[int], numerator: str, denominator: str) -> float:
    """Ratio of the output std of two initialisations of the same plain ReLU net, same seed.

    With zero biases and ``ReLU(c z) = c ReLU(z)`` for ``c > 0``, scaling
    layer ``h``'s weights by ``c_h`` scales the output by ``prod_h c_h`` exactly.
    Same seed means the same ``N(0, 1)`` draws, so ``c_h`` is the ratio of the
    two rules' standard deviations for layer ``h``:
    ``kaiming`` ``sqrt(2 / fan_in)``, ``kaiming_fan_out`` ``sqrt(2 / fan_out)``,
    ``xavier`` ``sqrt(2 / (fan_in + fan_out))``.
    """
    stds = {
        "kaiming": lambda fi, fo: math.sqrt(2.0 / fi),
        "kaiming_fan_out": lambda fi, fo: math.sqrt(2.0 / fo),
        "xavier": lambda fi, fo: math.sqrt(2.0 / (fi + fo)),
    }
    return math.prod(
        stds[numerator](fi, fo) / stds[denominator](fi, fo) for fi, fo in itertools.pairwise(widths)
    )


_UNANSWERED = CheckResult(
    False, False, "Not answered yet: replace None with your answer and run the cell again."
)
_CORRECT = CheckResult(True, True, "Correct.")


def _as_number(answer: object) -> float | CheckResult:
    """Return the answer as a float, or the :class:`CheckResult` saying why it cannot be checked."""
    if answer is None:
        return _UNANSWERED
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return CheckResult(
            False, True, "Not a number: the answer should be a single float such as 1.0."
        )
    if not math.isfinite(answer) or answer <= 0:
        return CheckResult(False, True, "The answer is a positive, finite ratio.")
    return float(answer)


def _not_yet(message: str) -> CheckResult:
    return CheckResult(False, True, message)


def _near(value: float, target: float, rel: float) -> bool:
    return abs(value - target) <= rel * target


def _direction(value: float, target: float) -> str:
    size = "by more than a factor of 2" if max(value / target, target / value) > 2 else "a little"
    return f"too {'large' if value > target else 'small'} ({size})"


def check_output_std_ratio(answer: object) -> CheckResult:
    """Exercise 1: output std of the 22-layer Kaiming net over the Xavier one (same seed).

    The net is ``plain_widths(22, 64, 64, 10)``; accepted within 2 %.
    """
    value = _as_number(answer)
    if isinstance(value, CheckResult):
        return value
    widths = [64, *[64] * 21, 10]
    target = expected_output_std_ratio(widths, "kaiming", "xavier")
    if _near(value, target, 0.02):
        return _CORRECT
    hints = [
        (target**2, "That looks like a ratio of variances; the question asks for stds."),
        (1.0 / target, "Upside down: the Kaiming output is the larger one."),
        (
            2.0**11,
            "Close: each square ReLU layer is right. Now compare the two stds of the "
            "last layer (64 -> 10): Xavier's uses fan_in + fan_out = 74.",
        ),
        (
            2.0**10.5,
            "Close: the square layers are right, but the last layer (64 -> 10) "
            "also contributes a factor.",
        ),
        (
            expected_output_std_ratio([64, *[64] * 29, 10], "kaiming", "xavier"),
            "That is the 30-layer ratio; this exercise is about 22 layers.",
        ),
        (2.0**15, "That is roughly the 30-layer ratio; this exercise is about 22 layers."),
    ]
    for near_value, hint in hints:
        if _near(value, near_value, 0.03):
            return _not_yet(f"Not yet: {_direction(value, target)}. {hint}")
    return _not_yet(
        f"Not yet: {_direction(value, target)}. Hint: with the same seed each layer's weights "
        "are the same N(0, 1) numbers times a different std, and ReLU(c z) = c ReLU(z) for "
        "c > 0, so the per-layer std ratios multiply. Count the layers of each shape."
    )


def check_fan_out_ratio(answer: object) -> CheckResult:
    """Exercise 2: output std of the 30-layer net, ``kaiming_fan_out`` over ``kaiming`` (fan_in).

    The net is ``plain_widths(30, 64, 64, 10)``; accepted within 2 %.
    """
    value = _as_number(answer)
    if isinstance(value, CheckResult):
        return value
    target = expected_output_std_ratio([64, *[64] * 29, 10], "kaiming_fan_out", "kaiming")
    if _near(value, target, 0.02):
        return _CORRECT
    if _near(value, target**2, 0.03):
        return _not_yet(
            f"Not yet: {_direction(value, target)}. That is a ratio of variances, not stds."
        )
    if _near(value, 1.0 / target, 0.03):
        return _not_yet(
            f"Not yet: {_direction(value, target)}. Upside down: for the last layer fan_out "
            "is smaller than fan_in, so which std is larger?"
        )
    if _near(value, 1.0, 0.03):
        return _not_yet(
            "Not yet: too small. Square layers give the same std in both modes, "
            "but is every layer square?"
        )
    return _not_yet(
        f"Not yet: {_direction(value, target)}. Hint: write each layer's std under both "
        "modes, sqrt(2 / fan_out) and sqrt(2 / fan_in); in which layers do they differ?"
    )


def check_lr_factor(
    answer: object, history: TrainingHistory, reference: float = 1e-3
) -> CheckResult:
    """Exercise 3: factor by which ``lr`` must grow to lift the first-epoch ratio to ``reference``.

    The update-to-data ratio is proportional to ``lr`` while the weights barely
    move, so the factor is ``reference`` over the median (across layers) of
    the first epoch's ratios in ``history``. Read off a log plot, answers within
    a factor of 3 count.
    """
    value = _as_number(answer)
    if isinstance(value, CheckResult):
        return value
    if not isinstance(history, TrainingHistory) or history.update_ratio.shape[0] < 1:
        return _not_yet(
            "Pass the training history of the run you read the ratio from, as `history`."
        )
    target = reference / float(np.median(history.update_ratio[0]))
    if max(value / target, target / value) <= 3.0:
        return _CORRECT
    if value < 1.0 <= target:
        return _not_yet(
            f"Not yet: {_direction(value, target)}. The {history.label} updates sit below "
            "the reference line, so lr has to grow."
        )
    return _not_yet(
        f"Not yet: {_direction(value, target)}. Hint: with the weights almost unchanged, "
        "doubling lr doubles every update. Read the epoch-1 ratio off the plot and divide "
        "the reference by it."
    )
