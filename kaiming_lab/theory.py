"""What the variance calculation predicts, layer by layer.

Notation (the lecture's): ``z^(h) = W^(h) x^(h) + b^(h)``, ``x^(h+1) = phi(z^(h))``,
``Var(W^(h)_ij) = sigma_w^2 / d_h`` (``sigma_w^2`` may differ per layer) and
``Var(b) = sigma_b^2``. If the weights are independent, zero-mean and
independent of ``x``, the terms of ``z_i = sum_j W_ij x_j`` are uncorrelated
and

    Var(z^(h)) = d_h Var(W) E[x^2] + sigma_b^2 = sigma_w^2 E[phi(z^(h-1))^2] + sigma_b^2.

For ``z`` symmetric about 0 and a leaky ReLU of slope ``a``,
``E[phi(z)^2] = (1 + a^2)/2 Var(z)``; for ReLU that is the half-variance
identity ``E[ReLU(z)^2] = Var(z)/2``. Other activations need the
distribution of ``z``: in the wide-network limit it is ``N(0, q)``, and
``E[phi(z)^2]`` is computed by Gaussian quadrature (the "length map" of
Poole et al. 2016).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import integrate, stats

from ._validation import check_float, check_int
from .activations import Activation, get_activation

__all__ = [
    "HalfVarianceResult",
    "fixed_point_gain",
    "gaussian_expectation",
    "half_variance_integral",
    "predicted_gradient_variances",
    "predicted_variances",
    "relu_correlation_map",
    "relu_mean",
    "relu_second_moment",
    "second_moment",
]

_PANEL_EDGES = (0.0, 0.25, 1.0, 2.5, 5.0, 9.0, 14.0)
_NODES_PER_PANEL = 48


@lru_cache(maxsize=1)
def _gauss_nodes() -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes on panels of [-14, 14], weighted by the N(0, 1) density."""
    base, base_w = np.polynomial.legendre.leggauss(_NODES_PER_PANEL)
    nodes, weights = [], []
    for lo, hi in itertools.pairwise(_PANEL_EDGES):
        half = (hi - lo) / 2.0
        for sign in (1.0, -1.0):
            nodes.append(sign * (lo + half * (base + 1.0)))
            weights.append(half * base_w)
    z = np.concatenate(nodes)
    w = np.concatenate(weights) * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return z, w


def gaussian_expectation(func, q: float) -> float:
    """``E[func(z)]`` for ``z ~ N(0, q)`` by composite Gauss-Legendre quadrature.

    The standard normal is integrated over [-14, 14] (the mass outside is
    below 1e-44) on panels that meet at 0, so functions with a kink at 0
    (ReLU, SELU) are integrated as accurately as smooth ones: about 1e-12
    relative for the activations here. ``q = 0`` gives ``func(0)``.
    """
    q = check_float("q", q, minimum=0.0)
    if q == 0.0:
        return float(np.asarray(func(np.zeros(1)), dtype=float)[0])
    nodes, weights = _gauss_nodes()
    with np.errstate(all="ignore"):
        return float(np.dot(weights, func(math.sqrt(q) * nodes)))


def second_moment(activation: str | Activation, q: float, *, slope: float = 0.01) -> float:
    """``E[phi(z)^2]`` for ``z ~ N(0, q)``.

    Closed form ``(1 + a^2)/2 * q`` for (leaky) ReLU and ``q`` for linear;
    :func:`gaussian_expectation` otherwise.
    """
    act = get_activation(activation, slope=slope)
    q = check_float("q", q, minimum=0.0)
    if act.homogeneous:
        return act.second_moment_ratio * q
    return gaussian_expectation(lambda z: act.forward(z) ** 2, q)


def _derivative_second_moment(act: Activation, q: float) -> float:
    """``E[phi'(z)^2]`` for ``z ~ N(0, q)``: ``(1 + a^2)/2`` for a leaky ReLU."""
    if act.homogeneous:
        slope = 1.0 if act.name == "linear" else (act.slope or 0.0)
        return (1.0 + slope**2) / 2.0
    return gaussian_expectation(lambda z: act.derivative(z) ** 2, q)


def _per_layer(name: str, value, depth: int) -> np.ndarray:
    arr = np.broadcast_to(np.asarray(value, dtype=float), (depth,)).copy()
    if np.any(~np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{name} must be finite and >= 0 for every layer, got {value!r}")
    return arr


def predicted_variances(
    depth: int,
    *,
    sigma_w2: float | np.ndarray = 2.0,
    sigma_b2: float = 0.0,
    activation: str | Activation = "relu",
    slope: float = 0.01,
    input_second_moment: float = 1.0,
) -> np.ndarray:
    """Predicted ``Var(z^(h))`` for ``h = 0 .. depth-1``.

    Layer 0 has no activation in front: ``Var(z^(0)) = sigma_w^2 * ||x||^2 / d_0
    + sigma_b^2``, with ``input_second_moment = ||x||^2 / d_0`` (1 for
    ``x ~ N(0, I)``). Later layers follow
    ``q_{h} = sigma_w^2 E[phi(z)^2 | z ~ N(0, q_{h-1})] + sigma_b^2``.
    For ReLU at ``sigma_w^2 = 2``, ``sigma_b^2 = 0`` every entry equals layer 0's.
    Values beyond the float range come back as ``inf``.
    """
    depth = check_int("depth", depth, minimum=1)
    scale = _per_layer("sigma_w2", sigma_w2, depth)
    sigma_b2 = check_float("sigma_b2", sigma_b2, minimum=0.0)
    m2 = check_float("input_second_moment", input_second_moment, minimum=0.0)
    act = get_activation(activation, slope=slope)
    q = np.empty(depth)
    with np.errstate(all="ignore"):
        q[0] = scale[0] * m2 + sigma_b2
        for h in range(1, depth):
            prev = q[h - 1]
            if not math.isfinite(prev):
                q[h:] = math.inf
                break
            q[h] = scale[h] * second_moment(act, prev) + sigma_b2
    return q


def predicted_gradient_variances(
    widths: list[int] | tuple[int, ...],
    *,
    sigma_w2: float | np.ndarray = 2.0,
    activation: str | Activation = "relu",
    slope: float = 0.01,
    forward_variances: np.ndarray | None = None,
    output_gradient_variance: float = 1.0,
) -> np.ndarray:
    """Predicted second moment of ``dL/dx^(h)`` for ``h = 0 .. H`` (backward pass).

    ``dL/dx^(h)_j = sum_i W_ij phi'(z_i) dL/dx^(h+1)_i`` has
    ``d_{h+1}`` uncorrelated terms, so
    ``Var(dx^(h)) = d_{h+1} Var(W^(h)) E[phi'(z)^2] Var(dx^(h+1))``, with
    ``Var(W^(h)) = sigma_w^2 / d_h``. For ReLU ``E[phi'^2] = 1/2``: the
    fan-out rule ``Var(W) = 2 / d_{h+1}`` keeps this constant. Non-homogeneous
    activations need ``forward_variances`` (the ``Var(z^(h))``).
    """
    dims = [check_int(f"widths[{i}]", w, minimum=1) for i, w in enumerate(widths)]
    depth = len(dims) - 1
    if depth < 1:
        raise ValueError(f"widths must hold at least 2 entries, got {len(dims)}")
    scale = _per_layer("sigma_w2", sigma_w2, depth)
    act = get_activation(activation, slope=slope)
    if not act.homogeneous and forward_variances is None:
        raise ValueError(
            f"forward_variances is needed for the non-homogeneous activation {act.name!r}"
        )
    out = np.empty(depth + 1)
    out[depth] = check_float("output_gradient_variance", output_gradient_variance, minimum=0.0)
    with np.errstate(all="ignore"):
        for h in range(depth - 1, -1, -1):
            q = 1.0 if forward_variances is None else float(forward_variances[h])
            d2 = _derivative_second_moment(act, q) if math.isfinite(q) else math.nan
            out[h] = dims[h + 1] * scale[h] / dims[h] * d2 * out[h + 1]
    return out


def fixed_point_gain(activation: str | Activation, q: float = 1.0, *, slope: float = 0.01) -> float:
    """The gain ``g`` with ``g^2 E[phi(z)^2] = q`` for ``z ~ N(0, q)``.

    With ``Var(W) = g^2 / fan_in`` a layer then maps variance ``q`` to ``q``.
    ReLU: ``sqrt(2)``; leaky ReLU: ``sqrt(2 / (1 + a^2))``; linear: 1. For
    tanh and sigmoid the answer depends on ``q`` (they are not homogeneous).
    """
    q = check_float("q", q, minimum=0.0, strict_minimum=True)
    m2 = second_moment(activation, q, slope=slope)
    if m2 <= 0.0:
        raise ValueError(f"E[phi(z)^2] is 0 for activation {activation!r} at q={q}")
    return math.sqrt(q / m2)


def relu_mean(std: float) -> float:
    """``E[ReLU(z)] = std / sqrt(2 pi)`` for ``z ~ N(0, std^2)``: ReLU outputs are not centred."""
    std = check_float("std", std, minimum=0.0)
    return std / math.sqrt(2.0 * math.pi)


def relu_correlation_map(c: float | np.ndarray) -> np.ndarray | float:
    """Correlation of two inputs after one He-scaled ReLU layer (arc-cosine kernel).

    ``c' = (sqrt(1 - c^2) + (pi - arccos c) c) / pi`` (Cho and Saul 2009).
    ``c = 0`` maps to ``1/pi``; ``c = 1`` is a fixed point.
    """
    arr = np.asarray(c, dtype=float)
    if np.any(~np.isfinite(arr)) or np.any(np.abs(arr) > 1.0):
        raise ValueError(f"c must be a correlation in [-1, 1], got {c!r}")
    out = (np.sqrt(1.0 - arr**2) + (math.pi - np.arccos(arr)) * arr) / math.pi
    return float(out) if np.ndim(out) == 0 else out


@dataclass(frozen=True)
class HalfVarianceResult:
    """``E[ReLU(z)^2]`` by quadrature next to ``Var(z)/2``."""

    integral: float
    abserr: float
    half_variance: float

    @property
    def difference(self) -> float:
        """``integral - half_variance``."""
        return self.integral - self.half_variance

    def __str__(self) -> str:
        return (
            f"E[ReLU(z)^2] = {self.integral:.6f} (quad error {self.abserr:.1e}),  "
            f"Var(z)/2 = {self.half_variance:.6f}"
        )


def _describe(dist) -> str:
    name = getattr(getattr(dist, "dist", None), "name", type(dist).__name__)
    return f"{name}(args={getattr(dist, 'args', ())}, kwds={getattr(dist, 'kwds', {})})"


def _check_distribution(dist) -> None:
    if not isinstance(getattr(dist, "dist", None), stats.rv_continuous):
        raise TypeError(
            f"dist must be a frozen continuous scipy.stats distribution such as "
            f"scipy.stats.norm(0, 1), got {dist!r}"
        )


def relu_second_moment(dist) -> tuple[float, float]:
    """``E[ReLU(z)^2] = int_0^inf z^2 p(z) dz`` by ``scipy.integrate.quad``.

    Works for any frozen continuous ``scipy.stats`` distribution (symmetric or
    not). Returns ``(value, abserr)``; the integral runs over the part of the
    support above 0 so that bounded supports have no kink inside.
    """
    _check_distribution(dist)
    lo, hi = (float(s) for s in dist.support())
    lo = max(lo, 0.0)
    if hi <= lo:
        return 0.0, 0.0
    value, err = integrate.quad(lambda z: z * z * dist.pdf(z), lo, hi, limit=200)
    return float(value), float(err)


def half_variance_integral(dist, *, tol: float = 1e-9) -> HalfVarianceResult:
    """``E[ReLU(z)^2]`` by quadrature beside ``Var(z)/2``, for symmetric ``z``.

    The identity needs only that ``z`` is symmetric about 0 (``p(z) = p(-z)``)
    with finite variance: then ``int_0^inf z^2 p = (1/2) int z^2 p = Var(z)/2``.
    Symmetry is checked as ``|F(-t) + F(t) - 1| <= tol`` at several quantiles;
    a shifted or skewed distribution raises ``ValueError`` (use
    :func:`relu_second_moment` to see how far off it is).
    """
    _check_distribution(dist)
    tol = check_float("tol", tol, minimum=0.0, strict_minimum=True)
    var = float(dist.var())
    if not math.isfinite(var):
        raise ValueError(
            f"dist must have a finite variance (e.g. Student-t needs df > 2), "
            f"got Var = {var} for {_describe(dist)}"
        )
    probes = dist.ppf([0.05, 0.2, 0.35, 0.45, 0.6, 0.8, 0.95])
    asym = np.abs(dist.cdf(-probes) + dist.cdf(probes) - 1.0)
    if np.max(asym) > tol:
        raise ValueError(
            f"dist must be symmetric about 0 (F(-t) + F(t) = 1); {_describe(dist)} misses "
            f"by up to {np.max(asym):.3g}. Use relu_second_moment() for a non-symmetric z."
        )
    value, err = relu_second_moment(dist)
    return HalfVarianceResult(integral=value, abserr=err, half_variance=var / 2.0)
