"""Scaffolding for ``notebooks/04_half_variance_relu_integral.ipynb``.

``E[ReLU(z)^2]`` three ways, for many distributions of ``z`` at once.

For each frozen ``scipy.stats`` distribution: the integral
``int_0^inf z^2 p(z) dz`` by quadrature
(:func:`kaiming_lab.half_variance.relu_second_moment`), the half variance
``Var(z)/2`` and a Monte Carlo estimate with its standard error. The
identity ``E[ReLU(z)^2] = Var(z)/2`` holds when ``z`` is symmetric about 0
(with finite variance); the rows make it easy to see where it holds and by
how much it misses when it does not.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..half_variance import relu_second_moment
from ..montecarlo import Estimate, estimate_mean
from .checks import CheckResult, call_student, check_number, judge_number

__all__ = [
    "ReluMomentRow",
    "check_leaky_second_moment",
    "check_relu_mean",
    "check_relu_variance",
    "check_second_moment_mc",
    "format_rows",
    "leaky_relu",
    "relu_moment_rows",
]


@dataclass(frozen=True)
class ReluMomentRow:
    """One distribution: quadrature, half variance and Monte Carlo for ``E[ReLU(z)^2]``."""

    name: str
    integral: float
    half_variance: float
    monte_carlo: Estimate

    @property
    def ratio(self) -> float:
        """``E[ReLU(z)^2] / (Var(z)/2)``: 1 exactly when the identity holds."""
        return self.integral / self.half_variance

    @property
    def z_score(self) -> float:
        """How many SEs the Monte Carlo estimate is from the quadrature value."""
        return self.monte_carlo.z_score(self.integral)


def relu_moment_rows(
    dists: Mapping[str, object],
    *,
    n_samples: int = 100_000,
    rng: np.random.Generator | int | None = None,
) -> list[ReluMomentRow]:
    """One :class:`ReluMomentRow` per named distribution, samples drawn from ``rng``.

    The Monte Carlo SE is only trustworthy when ``z`` has a finite fourth
    moment (Student-t needs ``df > 4``).
    """
    gen = np.random.default_rng(rng)
    rows = []
    for name, dist in dists.items():
        integral, _ = relu_second_moment(dist)
        z = dist.rvs(size=n_samples, random_state=gen)
        mc = estimate_mean(np.maximum(z, 0.0) ** 2)
        rows.append(ReluMomentRow(name, integral, float(dist.var()) / 2.0, mc))
    return rows


def format_rows(rows: list[ReluMomentRow], digits: int = 4) -> str:
    """A plain-text table: quadrature, ``Var/2``, their ratio, Monte Carlo ± SE, SEs off.

    The last column, "SEs off", is ``(Monte Carlo - quadrature) / SE`` (a
    z-score; it is not named "z" because z is the pre-activation here).
    """
    head = (
        f"{'distribution':<14}{'quad E[ReLU^2]':>15}{'Var(z)/2':>10}{'ratio':>8}"
        f"{'Monte Carlo ± SE':>20}{'SEs off':>9}"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"{r.name:<14}{r.integral:>15.{digits}f}{r.half_variance:>10.{digits}f}"
            f"{r.ratio:>8.3f}{r.monte_carlo.format(digits):>20}{r.z_score:>9.1f}"
        )
    return "\n".join(lines)


def check_relu_mean(answer: object) -> CheckResult:
    """Exercise (notebook 04): ``E[ReLU(z)]`` for ``z ~ N(0, 9)``."""
    std = 3.0
    return check_number(
        answer,
        std / math.sqrt(2.0 * math.pi),
        mistakes=[
            (0.0, "ReLU outputs are never negative and often positive, so the mean is above 0."),
            (9.0 / math.sqrt(2.0 * math.pi), "N(0, 9) names the variance; use its square root."),
            (std / 2.0, "Half of the std is a guess, not the integral of z p(z) over z > 0."),
        ],
        hint="Integrate z p(z) from 0 to infinity; kaiming_lab.variance.relu_mean does it for you.",
    )


def check_relu_variance(answer: object) -> CheckResult:
    """Exercise (notebook 04): ``Var(ReLU(z))`` for ``z ~ N(0, 4)``."""
    var = 4.0
    return check_number(
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
    return check_number(
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


def leaky_relu(z: np.ndarray, a: float) -> np.ndarray:
    """``phi(z) = z`` for ``z > 0`` and ``a z`` otherwise (``a = 0`` is the ReLU)."""
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, a * z)


#: Fresh samples the check feeds the student's function: (description, distribution, slope a).
#: The third is lopsided (mean 0, not symmetric), where ``(1 + a^2) Var(z) / 2`` is wrong.
_MC_CASES = (
    ("a normal sample with a = 0", stats.norm(0, 1.5), 0.0),
    ("a Laplace sample with a = 0.2", stats.laplace(0, 1.2), 0.2),
    ("a skewed sample with mean 0 and a = 0.1", stats.gamma(2, loc=-2), 0.1),
)


def _slips(z: np.ndarray, a: float) -> list[tuple[float, str]]:
    """What the common wrong versions of the estimator return on ``z``, with what went wrong."""
    phi = leaky_relu(z, a)
    not_centred = (
        "That is the variance of φ(z). ReLU outputs are not centred, so E[x²] exceeds "
        "Var(x) by the squared mean: average the squares themselves."
    )
    scale = (
        "a is the slope of the negative side, not a factor on the output: φ(z) = z for z > 0 "
        "and a·z for z ≤ 0."
    )
    missing_half = "A factor 1/2 is missing: each side of 0 keeps only its own part of E[z²]."
    symmetric_only = (
        "That is the closed form (1 + a²)·Var(z)/2, not a Monte Carlo estimate; it holds "
        "only for z symmetric about 0 (one test sample is skewed). Average φ(z)² over the sample."
    )
    return [
        (float(np.var(phi)), not_centred),
        (float(np.var(phi, ddof=1)), not_centred),
        (
            float(np.mean(phi)) ** 2,
            "That is the squared mean (E[x])², the lecture note's E[(x)]² read literally; "
            "the proof needs the mean of the squares, E[x²].",
        ),
        (
            float(np.mean(z * z)),
            "That is E[z²]: the activation is missing, and with it the factor 1/2 "
            "(ReLU sets the negative half to 0).",
        ),
        ((1 + a * a) * float(np.mean(z * z)), missing_half),
        ((1 + a * a) * float(np.var(z)), missing_half),
        ((1 + a * a) * float(np.var(z, ddof=1)), missing_half),
        (
            float(np.mean(np.where(z > 0, z * z, a * z * z))),
            "The negative side is a·z; squared, that is a²·z², not a·z².",
        ),
        (float(np.mean((a * np.maximum(z, 0.0)) ** 2)), scale),
        (float(np.mean((a * z) ** 2)), scale),
        (
            float(np.mean(np.where(z > 0, a * z, z) ** 2)),
            "The slope a belongs to the negative side: φ(z) = a·z only for z ≤ 0.",
        ),
        (
            float(np.mean(np.maximum(z, 0.0) ** 2)),
            "That is the plain ReLU: with a > 0 the negative side adds a²·z² too.",
        ),
        ((1 + a * a) / 2 * float(np.var(z)), symmetric_only),
        ((1 + a * a) / 2 * float(np.var(z, ddof=1)), symmetric_only),
        ((1 + a * a) / 2 * float(np.mean(z * z)), symmetric_only),
    ]


def check_second_moment_mc(
    student: Callable[[np.ndarray, float], object], *, n: int = 2_000, seed: int = 404
) -> CheckResult:
    """Exercise (notebook 04): ``second_moment_mc(z, a)``, the Monte Carlo ``E[phi(z)^2]``.

    ``phi`` is the leaky ReLU with negative slope ``a``; the estimate is
    ``mean(phi(z)^2)`` over the sample ``z``. The check calls the function on
    fresh samples (normal with ``a = 0``, Laplace, and a lopsided one where
    the closed form ``(1 + a^2) Var(z) / 2`` fails) and names the slip it
    recognises: ``Var(phi(z))`` for ``E[phi(z)^2]``, the squared mean, the
    missing ReLU or factor 1/2, the slope unsquared, used as a scale or on the
    wrong side, the closed form on a skewed sample.
    """
    rng = np.random.default_rng(seed)
    for description, dist, a in _MC_CASES:
        z = np.asarray(dist.rvs(size=n, random_state=rng), dtype=float)
        value, problem = call_student(student, z.copy(), a)
        if problem is not None:
            return problem
        verdict = judge_number(
            value,
            float(np.mean(leaky_relu(z, a) ** 2)),
            _slips(z, a),
            where=f"on {description}",
            hint="φ(z) = z for z > 0 and a·z otherwise; the estimate is the average of φ(z)² "
            "over the sample.",
        )
        if verdict is not None:
            return verdict
    return CheckResult(True, True, "Correct: it agrees on three fresh samples.")
