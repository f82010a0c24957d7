"""Monte Carlo estimates that carry their standard error.

Every estimate a notebook prints comes with its standard error (SE) and is
compared with the exact value in units of SE: ``|estimate - exact| <= k SE``
with ``k = 4`` by default. For a correct formula and an approximately normal
estimate that fails with probability about 6e-5, so a failure points at the
formula, not at bad luck.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validation import check_float

__all__ = ["DEFAULT_K_SE", "Estimate", "estimate_mean", "estimate_variance"]

#: Number of standard errors a Monte Carlo estimate may be away from the exact value.
DEFAULT_K_SE = 4.0


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo estimate ``value`` with standard error ``se`` from ``n`` samples."""

    value: float
    se: float
    n: int

    def z_score(self, exact: float) -> float:
        """``(value - exact) / se``; infinite when ``se`` is 0 and the two differ."""
        diff = self.value - exact
        if self.se == 0.0:
            return 0.0 if diff == 0.0 else math.copysign(math.inf, diff)
        return diff / self.se

    def agrees_with(self, exact: float, k: float = DEFAULT_K_SE) -> bool:
        """True when ``|value - exact| <= k * se``."""
        k = check_float("k", k, minimum=0.0, strict_minimum=True)
        return abs(self.z_score(exact)) <= k

    def format(self, digits: int = 3) -> str:
        """``"value ± se"`` with ``digits`` significant digits on the value.

        Trailing zeros are kept (``1.000``, not ``1``), so the printed precision
        is the one asked for.
        """
        return f"{self.value:#.{digits}g} ± {self.se:.2g}"

    def __str__(self) -> str:
        return self.format()


def estimate_mean(samples: np.ndarray) -> Estimate:
    """Sample mean with SE ``s / sqrt(n)`` (``s`` the sample std with ``ddof=1``).

    Assumes the samples are independent draws; use one value per independent
    network or per independent input when the raw values are correlated.
    """
    x = np.asarray(samples, dtype=float).ravel()
    if x.size < 2:
        raise ValueError(f"samples must hold at least 2 values, got {x.size}")
    if not np.all(np.isfinite(x)):
        raise ValueError("samples must be finite; got NaN or infinite values")
    return Estimate(float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size)), int(x.size))


def estimate_variance(samples: np.ndarray, *, mean: float | None = None) -> Estimate:
    """Variance estimate with its SE, via the mean of squared deviations.

    With a known ``mean`` (e.g. 0 by symmetry) the estimate is the mean of
    ``(x - mean)^2`` and its SE is that of a sample mean. Without it, the
    unbiased sample variance is returned, with the same delta-method SE
    ``std((x - xbar)^2) / sqrt(n)``.
    """
    x = np.asarray(samples, dtype=float).ravel()
    if mean is None:
        dev2 = (x - x.mean()) ** 2
        est = estimate_mean(dev2)
        return Estimate(est.value * x.size / (x.size - 1), est.se, est.n)
    mean = check_float("mean", mean)
    return estimate_mean((x - mean) ** 2)
