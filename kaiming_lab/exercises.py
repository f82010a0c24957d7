"""Self-checks for the notebooks' exercises.

Each ``check_<name>(answer)`` returns a :class:`CheckResult`: truthy when the
answer is right, and displayed in a notebook as a short message. A wrong
answer gets a hint aimed at the most likely slip (variance for standard
deviation, ``Var(x)`` for ``E[x^2]``, a transposed shape, ...) but never the
answer itself: no message contains the digits of the expected value, and the
student's own value is not echoed back. ``None`` means "not answered yet".
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CheckResult",
    "check_first_layer_variance",
    "check_float32_overflow_layer",
    "check_kaiming_std",
    "check_layer_multiplier",
    "check_leaky_second_moment",
    "check_product_variance",
    "check_relu_mean",
    "check_relu_variance",
    "check_sum_variance",
    "check_weight_shape",
    "check_xavier_shrink",
]

_REL_TOL = 1e-3
_MISTAKE_TOL = 1e-2
_FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class CheckResult:
    """Outcome of a self-check: ``correct``, whether anything was ``answered``, and a message."""

    correct: bool
    answered: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message


_UNANSWERED = CheckResult(
    False, False, "Not answered yet: replace None with your answer and run the cell again."
)


def _as_number(answer: object) -> float | None:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return None
    value = float(answer)
    return value if math.isfinite(value) else None


def _close(a: float, b: float, rel: float) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-15)


def _check_number(
    answer: object,
    exact: float,
    *,
    mistakes: Sequence[tuple[float, str]] = (),
    hint: str,
    rel: float = _REL_TOL,
) -> CheckResult:
    """Compare a numeric answer with ``exact`` (relative tolerance ``rel``)."""
    if answer is None:
        return _UNANSWERED
    value = _as_number(answer)
    if value is None:
        return CheckResult(
            False, True, "Not a finite number: the answer should be a single float such as 1.0."
        )
    if _close(value, exact, rel):
        return CheckResult(True, True, "Correct.")
    for wrong, why in mistakes:
        if _close(value, wrong, _MISTAKE_TOL):
            return CheckResult(False, True, f"Not yet. {why}")
    direction = "too large" if value > exact else "too small"
    return CheckResult(False, True, f"Not yet: your value is {direction}. Hint: {hint}")


def check_weight_shape(answer: object) -> CheckResult:
    """Exercise (notebook 01): the shape of ``W^(h)`` for ``d_h = 784`` and ``d_{h+1} = 300``."""
    if answer is None:
        return _UNANSWERED
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
    return _check_number(
        answer,
        math.sqrt(2.0 / d),
        mistakes=[
            (2.0 / d, "That is the variance 2/d_h. numpy's `scale` is a standard deviation."),
            (math.sqrt(1.0 / d), "That is the linear (Xavier-style) scale: ReLU needs the 2."),
            (1.0 / d, "Two slips: the factor 2 is missing, and `scale` wants a std."),
        ],
        hint="N(0, v) in the lecture names the variance v; rng.normal wants its square root.",
    )


def check_layer_multiplier(answer: object) -> CheckResult:
    """Exercise (notebook 02): factor on ``Var(z)`` per ReLU layer, width 1000, weight std 0.05."""
    d, std = 1000, 0.05
    return _check_number(
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
        return _UNANSWERED
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


def check_sum_variance(answer: object) -> CheckResult:
    """Exercise (notebook 03): ``Var(z_i)``, d = 400, Var(W) = 0.005, E[x] = 0.5, E[x^2] = 0.75."""
    d, var_w, mean_x, m2_x = 400, 0.005, 0.5, 0.75
    return _check_number(
        answer,
        d * var_w * m2_x,
        mistakes=[
            (
                d * var_w * (m2_x - mean_x**2),
                "You used Var(x). With E[W] = 0 the formula needs E[x²], which is "
                "larger because ReLU outputs have a positive mean.",
            ),
            (var_w * m2_x, "That is one term; z_i sums d of them."),
        ],
        hint="Var(z_i) = d · Var(W) · E[x_j²] when the weights have mean 0.",
    )


def check_product_variance(answer: object) -> CheckResult:
    """Exercise (notebook 03): ``Var(W X)``, E[W]=0.2, Var(W)=0.09, E[X]=0.6, Var(X)=0.64."""
    mw, vw, mx, vx = 0.2, 0.09, 0.6, 0.64
    exact = vw * vx + mw**2 * vx + vw * mx**2
    return _check_number(
        answer,
        exact,
        mistakes=[
            (vw * vx, "Only Var(W)Var(X): both means are non-zero here, so two more terms count."),
            (vw * vx + vw * mx**2, "Here E[W] is not 0, so the E[W]² Var(X) term stays."),
            (vw * vx + mw**2 * vx, "Here E[X] is not 0, so the Var(W) E[X]² term stays."),
        ],
        hint="Write Var(WX) = E[W²]E[X²] - (E[W]E[X])² and expand each second moment.",
    )


def check_relu_mean(answer: object) -> CheckResult:
    """Exercise (notebook 04): ``E[ReLU(z)]`` for ``z ~ N(0, 9)``."""
    std = 3.0
    return _check_number(
        answer,
        std / math.sqrt(2.0 * math.pi),
        mistakes=[
            (0.0, "ReLU outputs are never negative and often positive, so the mean is above 0."),
            (9.0 / math.sqrt(2.0 * math.pi), "N(0, 9) names the variance; use its square root."),
            (std / 2.0, "Half of the std is a guess, not the integral of z p(z) over z > 0."),
        ],
        hint="Integrate z p(z) from 0 to infinity; kaiming_lab.theory.relu_mean does it for you.",
    )


def check_relu_variance(answer: object) -> CheckResult:
    """Exercise (notebook 04): ``Var(ReLU(z))`` for ``z ~ N(0, 4)``."""
    var = 4.0
    return _check_number(
        answer,
        var / 2.0 - var / (2.0 * math.pi),
        mistakes=[
            (var / 2.0, "That is E[x²], not Var(x): subtract the squared mean of the ReLU output."),
            (var, "That is Var(z). ReLU sets the negative half to 0."),
        ],
        hint="Var(x) = E[x²] - E[x]², with E[x²] = Var(z)/2 and E[x] = std/sqrt(2π).",
    )


def check_leaky_second_moment(answer: object) -> CheckResult:
    """Exercise (notebook 04): ``E[phi(z)^2]``, leaky ReLU slope 0.3, symmetric z with Var 5."""
    slope, var = 0.3, 5.0
    return _check_number(
        answer,
        (1.0 + slope**2) / 2.0 * var,
        mistakes=[
            (
                var / 2.0,
                "That is plain ReLU. The negative half now adds slope² times its share.",
            ),
            ((1.0 + slope) / 2.0 * var, "The negative side is squared too: use slope², not slope."),
        ],
        hint="Split the integral at 0 as in the half-variance proof; each half holds Var(z)/2.",
    )


def check_first_layer_variance(answer: object) -> CheckResult:
    """Exercise (notebook 05): ``Var(z^(0)_i)`` for x = (1, 2, 2, 4) and Kaiming weights."""
    x = np.array([1.0, 2.0, 2.0, 4.0])
    norm2 = float(x @ x)
    d0 = x.size
    return _check_number(
        answer,
        2.0 / d0 * norm2,
        mistakes=[
            (
                norm2 / d0,
                "That is the input's mean square. The weights' variance is 2/d_0, not 1/d_0.",
            ),
            (norm2 / 2.0 / d0, "There is no ReLU in front of layer 0, so no factor 1/2 here."),
            (2.0 * norm2, "Var(W) is 2/d_0: divide by the number of inputs."),
        ],
        hint="z^(0)_i = sum_j W_ij x_j with x fixed: Var = Var(W) · ||x||².",
    )


def check_xavier_shrink(answer: object) -> CheckResult:
    """Exercise (notebook 05): std of z under Xavier / std under Kaiming after 24 ReLU layers."""
    layers = 24
    return _check_number(
        answer,
        2.0 ** (-layers / 2),
        mistakes=[
            (2.0 ** (-layers), "That is the ratio of variances; the question asks about the std."),
            (2.0 ** (layers / 2), "Upside down: Xavier's smaller weights give the smaller signal."),
        ],
        hint="Each layer Xavier keeps half of Kaiming's variance factor; take a square root.",
    )
