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

from ._validation import check_array, check_float, check_int

__all__ = ["DEFAULT_K_SE", "Estimate", "estimate_mean", "estimate_variance"]

#: Number of standard errors a Monte Carlo estimate may be away from the exact value.
DEFAULT_K_SE = 4.0

#: Above this magnitude samples are divided by their largest ``|x|`` before summing,
#: so that sums and squares of finite samples near 1e308 do not overflow.
_RESCALE_ABOVE = 1e150


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo estimate ``value`` with standard error ``se`` from ``n`` samples.

    ``value`` must be a finite real number, ``se`` a finite number ``>= 0`` and
    ``n`` a positive integer.
    """

    value: float
    se: float
    n: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", check_float("value", self.value))
        object.__setattr__(self, "se", check_float("se", self.se, minimum=0.0))
        object.__setattr__(self, "n", check_int("n", self.n, minimum=1))

    def z_score(self, exact: float) -> float:
        """``(value - exact) / se``; infinite when ``se`` is 0 and the two differ."""
        exact = check_float("exact", exact)
        diff = self.value - exact
        if self.se == 0.0:
            return 0.0 if diff == 0.0 else math.copysign(math.inf, diff)
        if not math.isfinite(diff):  # value and exact near +-1.8e308 with opposite signs
            return math.copysign(math.inf, self.value)
        return diff / self.se

    def agrees_with(self, exact: float, k: float = DEFAULT_K_SE) -> bool:
        """True when ``|value - exact| <= k * se`` (``exact`` finite, ``k > 0``)."""
        k = check_float("k", k, minimum=0.0, strict_minimum=True)
        return abs(self.z_score(exact)) <= k

    def format(self, digits: int = 3) -> str:
        """``"value ± se"`` with ``digits`` (1 to 17) significant digits on the value.

        Trailing zeros are kept (``1.000``, not ``1``), so the printed precision
        is the one asked for.
        """
        return self._format(check_int("digits", digits, minimum=1, maximum=17))

    def _format(self, digits: int) -> str:
        """:meth:`format` without the argument check."""
        return f"{self.value:#.{digits}g} ± {self.se:.2g}"

    def __str__(self) -> str:
        return self._format(3)


def _samples(samples: object) -> np.ndarray:
    """``samples`` as a flat finite float64 array of at least 2 values, checked by name."""
    x = check_array("samples", samples, finite=True).ravel()
    if x.size < 2:
        raise ValueError(f"samples must hold at least 2 values, got {x.size}")
    return x


def _mean_and_sd(x: np.ndarray) -> tuple[float, float]:
    """Sample mean and ``ddof=1`` standard deviation, rescaled when values are huge.

    Ordinary samples take numpy's plain path (so results are bit-for-bit those
    of ``x.mean()`` and ``x.std(ddof=1)``); samples beyond 1e150 in size are
    divided by ``max |x|`` first, which keeps every intermediate finite.
    """
    largest = float(np.max(np.abs(x)))
    if largest <= _RESCALE_ABOVE:
        return float(x.mean()), float(x.std(ddof=1))
    y = x / largest
    mean = float(y.mean()) * largest
    return mean, float(y.std(ddof=1)) * largest


def estimate_mean(samples: np.ndarray) -> Estimate:
    """Sample mean with SE ``s / sqrt(n)`` (``s`` the sample std with ``ddof=1``).

    Assumes the samples are independent draws; use one value per independent
    network or per independent input when the raw values are correlated.
    ``samples`` must be real, finite and hold at least 2 values; finite values
    up to 1.8e308 are handled without overflow.
    """
    return _estimate_mean(_samples(samples))


def _estimate_mean(x: np.ndarray) -> Estimate:
    """:func:`estimate_mean` of a flat finite float64 array of at least 2 values, unchecked."""
    mean, sd = _mean_and_sd(x)
    se = sd / math.sqrt(x.size)
    if not math.isfinite(se):  # pragma: no cover - the std of finite values is finite
        raise ValueError("samples: the standard error exceeds the float64 range")
    return Estimate(mean, se, int(x.size))


def estimate_variance(samples: np.ndarray, *, mean: float | None = None) -> Estimate:
    """Variance estimate with its SE, via the mean of squared deviations.

    With a known ``mean`` (e.g. 0 by symmetry) the estimate is the mean of
    ``(x - mean)^2`` and its SE is that of a sample mean. Without it, the
    unbiased sample variance is returned, with the same delta-method SE
    ``std((x - xbar)^2) / sqrt(n)``. A variance beyond the float64 range
    (samples spread over more than about 1e154) raises ``ValueError``.
    """
    x = _samples(samples)
    if mean is not None:
        mean = check_float("mean", mean)
    with np.errstate(over="ignore", invalid="ignore"):
        if mean is None:
            dev2 = (x - _mean_and_sd(x)[0]) ** 2
        else:
            dev2 = (x - mean) ** 2
    if not np.all(np.isfinite(dev2)):
        raise ValueError(
            f"samples: squared deviations exceed the float64 range (largest |x| is "
            f"{np.max(np.abs(x)):.3g}; the variance would be beyond 1.8e308); rescale the samples"
        )
    est = _estimate_mean(dev2)
    if mean is None:
        return Estimate(est.value * x.size / (x.size - 1), est.se, est.n)
    return est
