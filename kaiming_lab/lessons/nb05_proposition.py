"""Scaffolding for ``notebooks/05_proposition.ipynb``: exercise checks and the log-drift variance.

Each ``check_*`` returns a :class:`~kaiming_lab.lessons.checks.CheckResult`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..finite_width import relu_log_ratio_moments
from .checks import CheckResult, call_student, check_number, judge_number

__all__ = ["check_first_layer_variance", "check_xavier_shrink", "log_step_variance"]


def log_step_variance(width: int) -> float:
    """Exact ``Var(log R)`` for one ReLU layer's ratio ``R = ||x^(h+1)||^2 / ||x^(h)||^2``.

    Gaussian Kaiming weights, no bias, ``width`` units; the ratio
    ``||z^(h+1)||^2 / ||z^(h)||^2`` has the same distribution. For large ``n``
    this is ``5 / n + O(1 / n^2)``, since ``Var(R) = 5 / n`` exactly. The
    derivation (``R = (2 / n) chi^2_K`` with ``K ~ Binomial(n, 1/2)`` active
    units) is :func:`kaiming_lab.finite_width.relu_log_ratio_moments`.
    """
    return relu_log_ratio_moments(width)[1]


#: Inputs the first-layer check feeds the student's function. Each has negative entries, so a
#: ReLU wrongly applied to the input changes the answer, and the spread of x's entries, its
#: mean square and its squared norm all differ.
_FIRST_LAYER_INPUTS = (
    np.array([1.0, -2.0, 3.0, 4.0]),
    np.array([0.5, -3.0, 1.0, 2.5, -1.5, 0.2, 2.0, -1.0, 4.0]),
    np.linspace(-2.0, 5.0, 50),
)

#: A value within this relative distance of the exact one is accepted (an estimate by
#: simulation, or a value rounded to three significant figures, is not wrong).
_ACCEPT_REL = 0.01


def _first_layer_slips(x: np.ndarray) -> list[tuple[float, str]]:
    """Values of the common wrong formulas for ``Var(z^(0)_i)`` at ``x``, with what went wrong."""
    d0 = x.size
    norm2 = float(x @ x)
    return [
        (
            norm2 / d0,
            "That is ||x||²/d_0, the input's mean square: half the right value. Either the "
            "weights got variance 1/d_0 (Kaiming's is 2/d_0) or a ReLU factor 1/2 crept in; "
            "there is no ReLU in front of layer 0.",
        ),
        (
            2.0 * norm2 / d0**2,
            "You divided by d_0 twice. z_i sums d_0 terms W_ij x_j, each of variance "
            "(2/d_0)·x_j²: the sum needs the squared norm Σ x_j², not the mean square.",
        ),
        (2.0 * norm2, "Var(W) is 2/d_0: divide by the number of inputs d_0."),
        (2.0 / d0 * math.sqrt(norm2), "Use the squared norm ||x||², not the norm ||x||."),
        (
            math.sqrt(2.0 / d0 * norm2),
            "That is the standard deviation of z; the question asks for its variance.",
        ),
        (
            2.0 / d0 * float(np.sum(x)) ** 2,
            "(Σ x_j)² has cross terms x_j x_k; they average out because different weights are "
            "independent with mean 0. Use Σ x_j².",
        ),
        (
            2.0 * float(np.var(x)),
            "x is fixed here, not random: the variance over the weights uses Σ x_j², not the "
            "spread of x's entries around their mean.",
        ),
        (2.0 * float(np.var(x, ddof=1)), "x is fixed here, not random: use Σ x_j²."),
        (
            2.0 / d0 * float(np.sum(np.maximum(x, 0.0) ** 2)),
            "That drops the negative entries of x, as if a ReLU came before layer 0. "
            "z^(0) = W^(0) x sees the raw input, negative entries included.",
        ),
    ]


def check_first_layer_variance(student: Callable[[np.ndarray], object]) -> CheckResult:
    """Exercise (notebook 05): ``first_layer_variance(x)`` = ``Var(z^(0)_i) = (2 / d_0) ||x||^2``.

    For a fixed 1-D input ``x`` and Kaiming weights ``W_ij ~ N(0, 2/d_0)``,
    ``b = 0``. The check calls the function on inputs of three lengths, each
    with negative entries, and recognises ``1/d_0`` (or a spurious ReLU 1/2),
    the mean square for the squared norm, a missing ``1/d_0``, the norm
    unsquared, the std, ``(sum x)^2``, the spread of ``x``'s entries and a ReLU
    applied to the input. Values within 1 % of the exact one are accepted.
    """
    for x in _FIRST_LAYER_INPUTS:
        value, problem = call_student(student, x.copy())
        if problem is not None:
            return problem
        verdict = judge_number(
            value,
            2.0 / x.size * float(x @ x),
            _first_layer_slips(x),
            where=f"for an input of length {x.size}",
            hint="z_i = Σ_j W_ij x_j with x fixed, so Var(z_i) = Σ_j x_j² Var(W_ij).",
            rel=_ACCEPT_REL,
            slip_rel=1e-9,
        )
        if verdict is not None:
            return verdict
    return CheckResult(True, True, "Correct: it agrees (within 1 %) for inputs of three lengths.")


def check_xavier_shrink(answer: object) -> CheckResult:
    """Exercise (notebook 05): std of z under Xavier / std under Kaiming after 24 ReLU layers.

    ``check_number``'s rule: accepted within 0.1 % (2.44e-4, three significant figures, is
    accepted); within 1 % it asks for more digits instead of calling the answer wrong.
    """
    layers = 24
    exact = 2.0 ** (-layers / 2)
    return check_number(
        answer,
        exact,
        mistakes=[
            (2.0 ** (-layers), "That is the ratio of variances; the question asks about the std."),
            (2.0 ** (layers / 2), "Upside down: Xavier's smaller weights give the smaller signal."),
        ],
        hint="Each layer Xavier keeps half of Kaiming's variance factor; take a square root.",
    )
