"""Scaffolding for ``notebooks/02_why_scale_matters.ipynb``: its exercise checks.

Each ``check_*(answer)`` returns a :class:`~kaiming_lab.lessons.checks.CheckResult`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .checks import UNANSWERED, CheckResult, check_number

__all__ = ["check_float32_overflow_layer", "check_layer_multiplier"]

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_layer_multiplier(answer: object) -> CheckResult:
    """Exercise (notebook 02): factor on ``Var(z)`` per ReLU layer, width 1000, weight std 0.05."""
    d, std = 1000, 0.05
    return check_number(
        answer,
        d * std**2 / 2.0,
        mistakes=[
            (d * std**2, "You left out the ReLU: it keeps only half of E[z²] for a symmetric z."),
            (
                math.sqrt(d * std**2 / 2.0),
                "That is the factor on the standard deviation; the question asks about Var(z).",
            ),
            (std**2 / 2.0, "Each unit sums d_h terms, so the width multiplies the variance."),
        ],
        hint="Var(z^(h)) = d_h Var(W) E[x^2] and E[x^2] = Var(z^(h-1))/2.",
    )


def check_float32_overflow_layer(answer: object) -> CheckResult:
    """Exercise (notebook 02): first layer whose std passes float32's maximum (std x10 a layer)."""
    if answer is None:
        return UNANSWERED
    if isinstance(answer, bool) or not isinstance(answer, numbers.Integral):
        return CheckResult(False, True, "Give a layer index as a whole number (an int).")
    exact = math.ceil(math.log10(_FLOAT32_MAX))
    if int(answer) == exact:
        return CheckResult(True, True, "Correct.")
    if int(answer) == exact - 1:
        return CheckResult(
            False, True, "Not yet: one layer short. At that layer the std is still representable."
        )
    direction = "too late" if int(answer) > exact else "too early"
    return CheckResult(
        False,
        True,
        f"Not yet: {direction}. Hint: after h layers the std is 10^h; compare with "
        "numpy.finfo(numpy.float32).max.",
    )
