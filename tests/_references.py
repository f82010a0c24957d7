"""Independent references the library's tests compare with (scipy, not the library's own code)."""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate, stats

#: Activations whose Gaussian moments need quadrature (no closed form in the library).
NON_HOMOGENEOUS = ("tanh", "sigmoid", "gelu", "selu")


def quad_expectation(func, q: float) -> float:
    """``E[func(sqrt(q) u)]``, ``u ~ N(0, 1)``, by scipy.integrate.quad split at the kink 0."""
    s = math.sqrt(q)
    total = 0.0
    for lo, hi in ((-np.inf, 0.0), (0.0, np.inf)):
        value, _ = integrate.quad(lambda u: func(s * u) * stats.norm.pdf(u), lo, hi, limit=200)
        total += value
    return total
