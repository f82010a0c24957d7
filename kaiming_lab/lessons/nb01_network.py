"""Scaffolding for ``notebooks/01_the_network.ipynb``: its exercise checks.

Each ``check_*(answer)`` returns a :class:`~kaiming_lab.lessons.checks.CheckResult`.
"""

from __future__ import annotations

import math

from .checks import UNANSWERED, CheckResult, check_number

__all__ = ["check_kaiming_std", "check_weight_shape"]


def check_weight_shape(answer: object) -> CheckResult:
    """Exercise (notebook 01): the shape of ``W^(h)`` for ``d_h = 784`` and ``d_{h+1} = 300``."""
    if answer is None:
        return UNANSWERED
    try:
        shape = tuple(int(s) for s in answer)
    except (TypeError, ValueError):
        return CheckResult(False, True, "Give the shape as a tuple of two ints: (rows, columns).")
    if shape == (300, 784):
        return CheckResult(True, True, "Correct.")
    if shape == (784, 300):
        return CheckResult(
            False,
            True,
            "Not yet: that is the transpose. z = W x must have one row per output unit, "
            "so the rows count fan_out and the columns count fan_in.",
        )
    return CheckResult(
        False,
        True,
        "Not yet. Hint: W^(h) maps a vector with d_h entries to one with d_{h+1} entries.",
    )


def check_kaiming_std(answer: object) -> CheckResult:
    """Exercise (notebook 01): ``scale`` for ``rng.normal`` giving Kaiming weights, d_h = 288."""
    d = 288
    return check_number(
        answer,
        math.sqrt(2.0 / d),
        mistakes=[
            (2.0 / d, "That is the variance 2/d_h. numpy's `scale` is a standard deviation."),
            (math.sqrt(1.0 / d), "That is the linear (Xavier-style) scale: ReLU needs the 2."),
            (1.0 / d, "Two slips: the factor 2 is missing, and `scale` wants a std."),
        ],
        hint="N(0, v) in the lecture names the variance v; rng.normal wants its square root.",
    )
