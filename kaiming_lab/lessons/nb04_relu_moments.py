"""Scaffolding for ``notebooks/04_half_variance_relu_integral.ipynb``.

``E[ReLU(z)^2]`` three ways, for many distributions of ``z`` at once.

For each frozen ``scipy.stats`` distribution: the integral
``int_0^inf z^2 p(z) dz`` by quadrature
(:func:`kaiming_lab.theory.relu_second_moment`), the half variance
``Var(z)/2`` and a Monte Carlo estimate with its standard error. The
identity ``E[ReLU(z)^2] = Var(z)/2`` holds when ``z`` is symmetric about 0
(with finite variance); the rows make it easy to see where it holds and by
how much it misses when it does not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .._validation import as_generator, check_int
from ..montecarlo import Estimate, estimate_mean
from ..theory import relu_second_moment
from .checks import CheckResult, check_number

__all__ = [
    "ReluMomentRow",
    "check_leaky_second_moment",
    "check_relu_mean",
    "check_relu_variance",
    "format_rows",
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
    n_samples = check_int("n_samples", n_samples, minimum=2)
    gen = as_generator(rng)
    rows = []
    for name, dist in dists.items():
        integral, _ = relu_second_moment(dist)
        z = dist.rvs(size=n_samples, random_state=gen)
        mc = estimate_mean(np.maximum(z, 0.0) ** 2)
        rows.append(ReluMomentRow(name, integral, float(dist.var()) / 2.0, mc))
    return rows


def format_rows(rows: list[ReluMomentRow], digits: int = 4) -> str:
    """A plain-text table: quadrature, ``Var/2``, their ratio, Monte Carlo ± SE, z-score."""
    head = (
        f"{'distribution':<14}{'quad E[ReLU^2]':>15}{'Var(z)/2':>10}{'ratio':>8}"
        f"{'Monte Carlo ± SE':>20}{'z':>6}"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"{r.name:<14}{r.integral:>15.{digits}f}{r.half_variance:>10.{digits}f}"
            f"{r.ratio:>8.3f}{r.monte_carlo.format(digits):>20}{r.z_score:>6.1f}"
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
        hint="Integrate z p(z) from 0 to infinity; kaiming_lab.theory.relu_mean does it for you.",
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
