"""The variance recursion: what the variance calculation predicts, layer by layer.

Notation (the lecture's): ``z^(h) = W^(h) x^(h) + b^(h)``, ``x^(h+1) = phi(z^(h))``,
``Var(W^(h)_ij) = sigma_w^2 / d_h`` (``sigma_w^2`` may differ per layer) and
``Var(b) = sigma_b^2``. If the weights are independent, zero-mean and
independent of ``x``, the terms of ``z_i = sum_j W_ij x_j`` are uncorrelated
and

    Var(z^(h)) = d_h Var(W) E[x^2] + sigma_b^2 = sigma_w^2 E[phi(z^(h-1))^2] + sigma_b^2.

Backwards, ``dL/dx^(h)_j = sum_i W_ij phi'(z_i) dL/dx^(h+1)_i`` gives

    Var(dx^(h)) = d_{h+1} Var(W^(h)) E[phi'(z)^2] Var(dx^(h+1)).

For ``z`` symmetric about 0 and a leaky ReLU of slope ``a``,
``E[phi(z)^2] = (1 + a^2)/2 Var(z)`` and ``E[phi'(z)^2] = (1 + a^2)/2``; for
ReLU that is the half-variance identity ``E[ReLU(z)^2] = Var(z)/2``. Other
activations need the distribution of ``z``: in the wide-network limit it is
``N(0, q)``, and the two expectations are computed by Gaussian quadrature
(:func:`gaussian_expectation`; the "length map" of Poole et al. 2016).

*Fixed points.* With the same ``sigma_w^2`` and ``sigma_b^2`` in every layer
the recursion ``q -> sigma_w^2 E[phi(sqrt(q) u)^2] + sigma_b^2`` settles on a
fixed point ``q*`` (used by :mod:`kaiming_lab.gains` and
:mod:`kaiming_lab.correlation`). The map is increasing in ``q`` for every
activation in :data:`kaiming_lab.activations.ACTIVATIONS`, so its iterates
move monotonically towards the nearest fixed point in the direction of the
first step. One vectorised search follows them: it halves (or doubles) ``q``
until ``map(q) - q`` changes sign, then closes in by false position in
``log q`` (the Illinois variant, falling back to bisection); it reports
``q* = 0`` below :data:`Q_FLOOR` when ``map(0) <= 0`` and ``q* = inf`` above
:data:`Q_CEILING`. For a leaky ReLU the map is ``s q + sigma_b^2`` with
``s = sigma_w^2 (1 + a^2)/2``: ``q* = sigma_b^2 / (1 - s)`` for ``s < 1``,
every ``q`` is fixed for ``s = 1`` without bias, and ``q* = inf`` otherwise.
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np

from ._validation import MAX_DEPTH, check_array, check_float, check_int, check_widths
from .activations import Activation, activation_argument

__all__ = [
    "Q_CEILING",
    "Q_FLOOR",
    "derivative_second_moment",
    "gaussian_expectation",
    "predicted_gradient_variances",
    "predicted_variances",
    "relu_mean",
    "second_moment",
]

_PANEL_EDGES = (0.0, 0.25, 1.0, 2.5, 5.0, 9.0, 14.0)
_NODES_PER_PANEL = 48
#: The fixed-point search reports ``q* = 0`` once its iterates fall below this with nothing
#: to stop them (``phi(0) = 0`` and no bias: the signal fades).
Q_FLOOR = 1e-9
#: ... and ``q* = inf`` once they pass this (the signal grows without bound).
Q_CEILING = 1e12
#: ``sigma_w^2 (1 + a^2) / 2`` this close to 1 counts as exactly 1 (``sqrt(2)**2`` is not 2).
_UNIT_TOL = 1e-9
#: Most steps of the root search inside a bracket ``[q, 2q]`` (bisection alone needs about 60).
_MAX_STEPS = 200

#: Values of ``q`` integrated per block, so a large grid never needs more than ~20 MB at once.
_BLOCK = 4096


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


def _expect(func, q: np.ndarray | float) -> np.ndarray:
    """``E[func(sqrt(q) u)]``, ``u ~ N(0, 1)``, for every entry of ``q >= 0`` (unchecked)."""
    q = np.asarray(q, dtype=float)
    nodes, weights = _gauss_nodes()
    flat = q.ravel()
    out = np.empty(flat.shape)
    with np.errstate(all="ignore"):
        at_zero = float(np.asarray(func(np.zeros(1)), dtype=float)[0]) if np.any(flat == 0) else 0.0
        for start in range(0, flat.size, _BLOCK):
            block = flat[start : start + _BLOCK]
            values = func(np.sqrt(block)[:, None] * nodes)
            out[start : start + _BLOCK] = values @ weights
    out[flat == 0.0] = at_zero
    return out.reshape(q.shape)


def gaussian_expectation(func, q: float) -> float:
    """``E[func(z)]`` for ``z ~ N(0, q)`` by composite Gauss-Legendre quadrature.

    The standard normal is integrated over [-14, 14] (the mass outside is
    below 1e-44) on panels that meet at 0, so functions with a kink at 0
    (ReLU, SELU) are integrated as accurately as smooth ones: about 1e-12
    relative for the activations here. ``q = 0`` gives ``func(0)``.
    """
    if not callable(func):
        raise TypeError(f"func must be a callable acting on numpy arrays, got {func!r}")
    q = check_float("q", q, minimum=0.0)
    return float(_expect(func, q))


def _second_moment(act: Activation, q):
    """``E[phi(sqrt(q) u)^2]`` for a scalar or an array ``q >= 0`` (unchecked)."""
    if act.homogeneous:
        return act.second_moment_ratio * q
    return _expect(lambda z: act.forward(z) ** 2, q)


def _derivative_second_moment(act: Activation, q):
    """``E[phi'(sqrt(q) u)^2]`` for a scalar or an array ``q >= 0`` (unchecked).

    At ``q = 0`` it is the limit ``q -> 0``: the mean of the squared one-sided
    derivatives at 0 (SELU's derivative jumps there).
    """
    if act.homogeneous:
        return act.second_moment_ratio + 0.0 * np.asarray(q, dtype=float)
    out = _expect(lambda z: act.derivative(z) ** 2, q)
    if np.any(np.asarray(q) == 0.0):
        sides = np.asarray(act.derivative(np.array([1e-300, -1e-300])), dtype=float)
        out = np.where(np.asarray(q) == 0.0, np.mean(sides**2), out)
    return out


def second_moment(activation: str | Activation, q: float, *, slope: float = 0.01) -> float:
    """``E[phi(z)^2]`` for ``z ~ N(0, q)``.

    Closed form ``(1 + a^2)/2 * q`` for (leaky) ReLU and ``q`` for linear;
    :func:`gaussian_expectation` otherwise.
    """
    act = activation_argument(activation, slope=slope)
    return float(_second_moment(act, check_float("q", q, minimum=0.0)))


def derivative_second_moment(
    activation: str | Activation, q: float, *, slope: float = 0.01
) -> float:
    """``E[phi'(z)^2]`` for ``z ~ N(0, q)``: the backward pass's factor per layer.

    ``(1 + a^2)/2`` for a leaky ReLU of slope ``a`` (1 for linear), at every
    ``q``. At ``q = 0`` the value is the limit ``q -> 0``: the mean of the
    squared one-sided derivatives at 0 (this matters for SELU, whose
    derivative jumps there).
    """
    act = activation_argument(activation, slope=slope)
    return float(_derivative_second_moment(act, check_float("q", q, minimum=0.0)))


def _per_layer(name: str, value: object, depth: int) -> np.ndarray:
    """One finite value ``>= 0`` per layer: one real number for all layers, or ``depth`` of them."""
    if isinstance(value, (str, bytes, bool, np.bool_)) or value is None:
        raise TypeError(
            f"{name} must be a real number or a sequence of {depth} real numbers (one per layer), "
            f"got {value!r} of type {type(value).__name__}"
        )
    arr = check_array(name, value, ndim=(0, 1), finite=False)
    if arr.ndim == 1 and arr.shape != (depth,):
        raise ValueError(
            f"{name} must hold one value per layer ({depth}), got {arr.shape[0]} values"
        )
    if np.any(~np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{name} must be finite and >= 0 for every layer, got {value!r}")
    return np.broadcast_to(arr, (depth,)).copy()


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
    Values beyond the float range come back as ``inf``. ``depth`` is at most
    ``MAX_DEPTH`` (100,000).
    """
    depth = check_int("depth", depth, minimum=1, maximum=MAX_DEPTH)
    scale = _per_layer("sigma_w2", sigma_w2, depth)
    sigma_b2 = check_float("sigma_b2", sigma_b2, minimum=0.0)
    m2 = check_float("input_second_moment", input_second_moment, minimum=0.0)
    act = activation_argument(activation, slope=slope)
    q = np.empty(depth)
    with np.errstate(all="ignore"):
        q[0] = scale[0] * m2 + sigma_b2
        for h in range(1, depth):
            prev = q[h - 1]
            if not math.isfinite(prev):
                q[h:] = math.inf
                break
            q[h] = _length_map(act, prev, scale[h], sigma_b2)
    return q


def _forward_variances(value: object, depth: int) -> np.ndarray:
    """``forward_variances``: ``depth`` values ``>= 0`` (``inf`` allowed after an overflow)."""
    forward = check_array(
        "forward_variances",
        value,
        ndim=1,
        finite=False,
        shape_hint=f" of {depth} values Var(z^(h))",
    )
    if forward.shape != (depth,):
        raise ValueError(
            f"forward_variances must hold one Var(z^(h)) per layer ({depth}), "
            f"got {forward.shape[0]} values"
        )
    if np.any(forward < 0) or np.any(np.isnan(forward)):
        raise ValueError(
            f"forward_variances must be >= 0 (inf allowed after an overflow), got {value!r}"
        )
    return forward


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
    dims = check_widths("widths", widths)
    depth = len(dims) - 1
    if depth > MAX_DEPTH:
        raise ValueError(f"widths must have at most {MAX_DEPTH + 1} entries, got {len(dims)}")
    scale = _per_layer("sigma_w2", sigma_w2, depth)
    act = activation_argument(activation, slope=slope)
    if not act.homogeneous and forward_variances is None:
        raise ValueError(
            f"forward_variances is needed for the non-homogeneous activation {act.name!r}"
        )
    forward = np.ones(depth)
    if forward_variances is not None:
        forward = _forward_variances(forward_variances, depth)
    out = np.empty(depth + 1)
    out[depth] = check_float("output_gradient_variance", output_gradient_variance, minimum=0.0)
    finite = np.isfinite(forward)
    d2 = np.full(depth, math.nan)
    d2[finite] = _derivative_second_moment(act, forward[finite])
    with np.errstate(all="ignore"):
        for h in range(depth - 1, -1, -1):
            out[h] = dims[h + 1] * scale[h] / dims[h] * d2[h] * out[h + 1]
    return out


def relu_mean(std: float) -> float:
    """``E[ReLU(z)] = std / sqrt(2 pi)`` for ``z ~ N(0, std^2)``: ReLU outputs are not centred."""
    std = check_float("std", std, minimum=0.0)
    return std / math.sqrt(2.0 * math.pi)


def _length_map(act: Activation, q, w2, b2):
    """``w2 E[phi(sqrt(q) u)^2] + b2`` for scalars or arrays (unchecked)."""
    return w2 * _second_moment(act, q) + b2


def _fixed_points(act: Activation, w2, b2, q0) -> np.ndarray:
    """The fixed point reached from ``q0`` for each ``(w2, b2, q0)`` (broadcast; unchecked)."""
    w2, b2, q0 = (a.astype(float) for a in np.broadcast_arrays(w2, b2, q0))
    if act.homogeneous:  # the map is s q + b2 with s = w2 (1 + a^2)/2
        s = w2 * act.second_moment_ratio
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(s < 1.0, b2 / (1.0 - s), np.inf)
        return np.where(np.abs(s - 1.0) <= _UNIT_TOL, np.where(b2 == 0.0, q0, np.inf), out)

    def excess(q: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return _length_map(act, q, w2.flat[idx], b2.flat[idx]) - q

    q0 = q0.ravel()
    result = np.full(q0.shape, np.nan)
    lo, hi = q0.copy(), q0.copy()
    everywhere = np.arange(q0.size)
    start = excess(q0, everywhere)
    result[start == 0.0] = q0[start == 0.0]
    down, up = everywhere[start < 0.0], everywhere[start > 0.0]
    lo[down] = q0[down] / 2.0
    while down.size:  # map(hi) < q: halve lo until map(lo) >= lo
        down = down[excess(lo[down], down) < 0.0]
        hi[down], lo[down] = lo[down], lo[down] / 2.0
        small = lo[down] < Q_FLOOR
        if np.any(small):
            tiny = down[small]
            fades = excess(np.zeros(tiny.size), tiny) <= 0.0
            result[tiny[fades]] = 0.0
            lo[tiny[~fades]] = 0.0
            down = down[~small]
    hi[up] = 2.0 * q0[up]
    while up.size:  # map(lo) > lo: double hi until map(hi) <= hi
        up = up[excess(hi[up], up) > 0.0]
        lo[up], hi[up] = hi[up], 2.0 * hi[up]
        big = hi[up] > Q_CEILING
        result[up[big]] = np.inf
        up = up[~big]
    idx = everywhere[np.isnan(result)]
    f_lo, f_hi = excess(lo[idx], idx), excess(hi[idx], idx)  # f_lo >= 0 >= f_hi
    last = np.zeros(idx.size)  # which end moved last: -1 lo, +1 hi
    for _ in range(_MAX_STEPS):  # false position in log q (Illinois), bisection as a fallback
        if not idx.size:
            break
        a, b = lo[idx], hi[idx]
        with np.errstate(all="ignore"):
            t = np.clip(np.nan_to_num(f_lo / (f_lo - f_hi), nan=0.5), 0.0, 1.0)
            mid = np.where(a > 0.0, a * (b / a) ** t, t * b)
        mid = np.where((mid > a) & (mid < b), mid, np.where(a > 0.0, np.sqrt(a * b), 0.5 * b))
        f_mid = excess(mid, idx)
        up = f_mid > 0.0
        f_hi = np.where(up & (last < 0), 0.5 * f_hi, f_hi)  # the same end twice: halve the other
        f_lo = np.where(~up & (last > 0), 0.5 * f_lo, f_lo)
        lo[idx], hi[idx] = np.where(up, mid, a), np.where(up, b, mid)
        f_lo, f_hi, last = np.where(up, f_mid, f_lo), np.where(up, f_hi, f_mid), np.where(up, -1, 1)
        result[idx[f_mid == 0.0]] = mid[f_mid == 0.0]
        going = (f_mid != 0.0) & (mid != a) & (mid != b) & (hi[idx] - lo[idx] > 4e-16 * hi[idx])
        idx, f_lo, f_hi, last = idx[going], f_lo[going], f_hi[going], last[going]
    done = np.isnan(result)
    result[done] = 0.5 * (lo[done] + hi[done])
    return result.reshape(w2.shape)
