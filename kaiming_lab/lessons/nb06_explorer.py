"""Scaffolding for ``notebooks/06_explorer.ipynb``: its exercise checks.

Each check returns a :class:`~kaiming_lab.exercises.CheckResult`, the same type
the checks of notebooks 01-05 return: truthy for a right answer, and shown in a
notebook as a short message. A wrong answer gets a hint that points the way
without the expected value, and the student's own value is not echoed back.
``None`` means "not answered yet".
"""

from __future__ import annotations

import math
import numbers

from .._validation import check_float
from ..theory import predicted_variances
from .checks import CheckResult

__all__ = ["check_leaky_multiplier", "check_tanh_edge"]

_DEPTH = 100
_TANH_EDGE = 0.5  # sigma_w^2 = 1: the slope of tanh at 0 is 1
_TANH_TOL = 0.05  # relative tolerance for the tanh edge
_LEAKY_TOL = 0.01  # tolerance on the per-layer factor of the leaky ReLU net

_UNANSWERED = CheckResult(
    False, False, "Not answered yet: replace None with your answer and run the cell again."
)


def _positive_number(answer: object, what: str) -> float | CheckResult:
    """``answer`` as a float, or the :class:`CheckResult` that says why it is not one."""
    if answer is None:
        return _UNANSWERED
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return CheckResult(False, True, f"Not a number: the {what} should be a float such as 1.0.")
    value = float(answer)
    if not math.isfinite(value) or value <= 0:
        return CheckResult(False, True, f"The {what} is a positive, finite number.")
    return value


def _tanh_last_over_first(multiplier: float) -> float:
    q = predicted_variances(_DEPTH, sigma_w2=2.0 * multiplier, activation="tanh")
    return float(q[-1] / q[0])


def check_tanh_edge(multiplier: object) -> CheckResult:
    """Exercise 1: the multiplier of ``2 / fan_in`` at the edge of a tanh net's two regimes.

    Below the edge ``Var(z)`` decays geometrically with depth; above it, it
    settles at a non-zero level; at the edge it decays slowly, like ``1/h``.
    Accepted within 5 % (relative). Uses the wide-network theory
    (:func:`~kaiming_lab.theory.predicted_variances`) at depth 100.
    """
    m = _positive_number(multiplier, "multiplier")
    if isinstance(m, CheckResult):
        return m
    if abs(m / _TANH_EDGE - 1.0) <= _TANH_TOL:
        return CheckResult(
            True,
            True,
            f"Right (accepted within {_TANH_TOL:.0%}): this is the edge. Below it the variance "
            "decays geometrically, above it it settles at a non-zero level.",
        )
    ratio = _tanh_last_over_first(m)
    if m < _TANH_EDGE:
        return CheckResult(
            False,
            True,
            f"Not yet: here Var(z) at layer 99 is {ratio:.1e} times layer 0's and shrinks by "
            "a fixed factor per layer: still the geometric regime. Move the multiplier up.",
        )
    return CheckResult(
        False,
        True,
        f"Not yet: here the variance settles at a non-zero level ({ratio:.1e} times layer 0's "
        "by layer 99). Move the multiplier down to where that stops. Hint: for small z, "
        "tanh(z) is close to z.",
    )


def check_leaky_multiplier(slope: float, multiplier: object) -> CheckResult:
    """Exercise 2: the multiplier of ``2 / fan_in`` that keeps a leaky ReLU net flat.

    Right when the per-layer factor on ``Var(z)``, ``2 m (1 + a^2) / 2``, is
    within 1 % of 1.
    """
    a = check_float("slope", slope, minimum=0.0, maximum=1.0)
    m = _positive_number(multiplier, "multiplier")
    if isinstance(m, CheckResult):
        return m
    per_layer = m * (1.0 + a * a)  # sigma_w^2 E[phi(z)^2] / Var(z) = 2m (1 + a^2) / 2
    if abs(per_layer - 1.0) <= _LEAKY_TOL:
        return CheckResult(True, True, f"Right: each layer keeps Var(z); flat for slope {a:g}.")
    direction = "grows" if per_layer > 1 else "shrinks"
    return CheckResult(
        False,
        True,
        f"Not yet: with slope {a:g} Var(z) {direction} from layer to layer, by a factor "
        f"{per_layer**99:.1e} over 100 layers. Which part of the leaky ReLU's output did the "
        "factor 2 in Kaiming's rule leave out?",
    )
