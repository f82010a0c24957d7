"""The correlation map: how the angle between two inputs changes from layer to layer.

Notation as in :mod:`kaiming_lab.gains`: weights of variance ``sigma_w^2 / fan_in``,
biases of variance ``sigma_b^2``. Two inputs whose pre-activations have
variance ``q`` and correlation ``c`` (the cosine of the angle between the two
vectors ``z``, not centred) leave a wide layer with correlation (Poole et al. 2016)

    c' = (sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2) / (sigma_w^2 E[phi(u1)^2] + sigma_b^2),

``(u1, u2)`` Gaussian with variances ``q`` and correlation ``c``.

For ReLU the cross moment is the degree-1 arc-cosine kernel (Cho and Saul 2009),
``E[ReLU(u1) ReLU(u2)] = (q/2) k(c)`` with

    k(c) = (sqrt(1 - c^2) + (pi - arccos c) c) / pi,

which is the whole map at ``sigma_b^2 = 0`` (:func:`relu_correlation_map`).
A leaky ReLU of slope ``a`` is ``ReLU(u) - a ReLU(-u)``, so its cross moment is
``(q/2) ((1 + a^2) k(c) - 2 a k(-c))`` (``a = 1``: ``q c``, the linear case).
:func:`correlation_map` uses these closed forms for ReLU, leaky ReLU and
linear, and a two-dimensional Gauss-Hermite rule for the other activations.
Near ``c = 1`` the ReLU map is ``1 - c' = e - (2 sqrt 2 / (3 pi)) e^(3/2) + O(e^2)``
with ``e = 1 - c``, so ``1 - c_l`` approaches ``9 pi^2 / (2 l^2)``.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ._validation import check_array, check_float, check_int
from .activations import Activation, activation_argument
from .gains import _fixed_points, _length_map

__all__ = [
    "DEFAULT_NODES",
    "correlation_map",
    "iterate_correlation_map",
    "relu_correlation_asymptote",
    "relu_correlation_iterates",
    "relu_correlation_map",
]

#: Gauss-Hermite nodes per dimension for activations without a closed form.
DEFAULT_NODES = 120


def _arccos_kernel(c):
    """``k(c) = (sqrt(1 - c^2) + (pi - arccos c) c) / pi`` for ``c`` in [-1, 1] (unchecked)."""
    c = np.asarray(c, dtype=float)
    return (np.sqrt(1.0 - c**2) + (math.pi - np.arccos(c)) * c) / math.pi


def _correlations(name: str, value: object) -> np.ndarray:
    """``value`` as an array of correlations in [-1, 1]."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a correlation in [-1, 1], got {value!r}")
    arr = check_array(name, value, finite=False, shape_hint=" (correlations in [-1, 1])")
    if np.any(~np.isfinite(arr)) or np.any(np.abs(arr) > 1.0):
        raise ValueError(f"{name} must be a correlation in [-1, 1], got {value!r}")
    return arr


def relu_correlation_map(c: float | np.ndarray) -> np.ndarray | float:
    """Correlation of two inputs after one He-scaled ReLU layer (arc-cosine kernel).

    ``c' = (sqrt(1 - c^2) + (pi - arccos c) c) / pi`` (Cho and Saul 2009), the
    map at any ``sigma_w^2`` without bias. ``c = 0`` maps to ``1/pi``; ``c = 1``
    is a fixed point.
    """
    out = _arccos_kernel(_correlations("c", c))
    return float(out) if np.ndim(out) == 0 else out


def relu_correlation_iterates(c0: float, steps: int) -> np.ndarray:
    """``[c_0, c_1, ..., c_steps]``: :func:`relu_correlation_map` iterated.

    The correlation of two inputs' pre-activations layer by layer in a wide
    He-initialised ReLU net without bias.
    """
    c0 = check_float("c0", c0, minimum=-1.0, maximum=1.0)
    steps = check_int("steps", steps, minimum=0)
    out = np.empty(steps + 1)
    out[0] = c0
    for step in range(steps):
        out[step + 1] = min(1.0, float(_arccos_kernel(out[step])))
    return out


def relu_correlation_asymptote(layers: int | np.ndarray) -> np.ndarray | float:
    """``9 pi^2 / (2 l^2)``: what ``1 - c_l`` approaches for large ``l``.

    Near ``c = 1`` the ReLU map is ``1 - c' = e - (2 sqrt 2 / (3 pi)) e^(3/2) + O(e^2)``
    with ``e = 1 - c``, so ``e^(-1/2)`` grows by ``sqrt 2 / (3 pi)`` per layer.
    """
    arr = np.asarray(layers)
    if arr.dtype.kind not in "iuf" or np.any(~np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"layers must be positive numbers, got {layers!r}")
    out = 9.0 * math.pi**2 / (2.0 * arr.astype(float) ** 2)
    return float(out) if np.ndim(out) == 0 else out


@lru_cache(maxsize=8)
def _hermite(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilists' Gauss-Hermite nodes and weights normalised to sum to 1."""
    t, w = np.polynomial.hermite_e.hermegauss(nodes)
    return t, w / w.sum()


def _correlation_map(
    act: Activation, c: np.ndarray, w2: float, b2: float, q: float, nodes: int
) -> np.ndarray:
    """The map for checked arguments: closed form if ``phi`` is homogeneous, else quadrature."""
    if act.homogeneous:
        a = 1.0 if act.name == "linear" else float(act.slope)
        cross = 0.5 * q * ((1.0 + a * a) * _arccos_kernel(c) - 2.0 * a * _arccos_kernel(-c))
        return (w2 * cross + b2) / (w2 * act.second_moment_ratio * q + b2)
    t, w = _hermite(nodes)
    root = math.sqrt(q)
    t1, t2 = t[:, None], t[None, :]
    weights = w[:, None] * w[None, :]
    phi1 = act.forward(root * t)
    second = w2 * float(np.sum(w * phi1**2)) + b2  # the same rule: c = 1 maps to 1 exactly
    flat = c.ravel()
    out = np.empty_like(flat)
    for i, ci in enumerate(flat):
        u2 = root * (ci * t1 + math.sqrt(max(0.0, 1.0 - ci * ci)) * t2)
        out[i] = (w2 * float(np.sum(weights * phi1[:, None] * act.forward(u2))) + b2) / second
    return out.reshape(c.shape)


def correlation_map(
    activation: str | Activation,
    c: float | np.ndarray,
    sigma_w2: float,
    *,
    sigma_b2: float = 0.0,
    q: float | None = None,
    nodes: int = DEFAULT_NODES,
    slope: float = 0.01,
) -> np.ndarray | float:
    """``c' = (sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2) / (sigma_w^2 E[phi(u1)^2] + sigma_b^2)``.

    ``(u1, u2)`` Gaussian with variances ``q`` and correlation ``c``. ``q``
    defaults to the length map's fixed point :func:`kaiming_lab.gains.fixed_point`
    (from ``q0 = 1``), where the variance no longer changes; it must be finite
    and positive.

    ReLU, leaky ReLU and linear: the closed form of the module docstring
    (exact; without bias it does not depend on ``q`` or ``sigma_w^2``). Other
    activations: ``u1 = sqrt(q) t1``, ``u2 = sqrt(q) (c t1 + sqrt(1 - c^2) t2)``
    with independent standard normal ``t1, t2``, both expectations by the same
    two-dimensional Gauss-Hermite rule (``nodes^2`` points), so ``c = 1`` maps
    to 1 exactly. Fast convergence for smooth ``phi`` (tanh at ``q <= 3``:
    1e-5 or better with 120 nodes); a kink would converge only like
    ``1 / nodes``.
    """
    act = activation_argument(activation, slope=slope)
    sigma_w2 = check_float("sigma_w2", sigma_w2, minimum=0.0, strict_minimum=True)
    sigma_b2 = check_float("sigma_b2", sigma_b2, minimum=0.0)
    nodes = check_int("nodes", nodes, minimum=2)
    arr = _correlations("c", c)
    if q is None:
        q = float(_fixed_points(act, sigma_w2, sigma_b2, 1.0))
        if not (math.isfinite(q) and q > 0.0):
            raise ValueError(
                f"the length map has no finite positive fixed point at sigma_w2={sigma_w2}, "
                f"sigma_b2={sigma_b2} (q* = {q}); pass q explicitly"
            )
    q = check_float("q", q, minimum=0.0, strict_minimum=True)
    out = _correlation_map(act, arr, sigma_w2, sigma_b2, q, nodes)
    return float(out) if out.ndim == 0 else out


def iterate_correlation_map(
    activation: str | Activation,
    c0: float,
    q0: float,
    sigma_w2: float,
    steps: int,
    *,
    sigma_b2: float = 0.0,
    nodes: int = DEFAULT_NODES,
    slope: float = 0.01,
) -> tuple[np.ndarray, np.ndarray]:
    """``(q_l, c_l)`` for ``l = 0 .. steps``: the length and correlation maps run together.

    Two inputs start with pre-activation variance ``q0`` each and correlation
    ``c0``; each step applies the length map (:func:`kaiming_lab.gains.length_map`)
    to ``q`` and :func:`correlation_map` at the current ``q`` (so the variance
    need not have reached its fixed point yet).
    """
    act = activation_argument(activation, slope=slope)
    q = check_float("q0", q0, minimum=0.0, strict_minimum=True)
    c = check_float("c0", c0, minimum=-1.0, maximum=1.0)
    steps = check_int("steps", steps, minimum=0)
    sigma_w2 = check_float("sigma_w2", sigma_w2, minimum=0.0, strict_minimum=True)
    sigma_b2 = check_float("sigma_b2", sigma_b2, minimum=0.0)
    nodes = check_int("nodes", nodes, minimum=2)
    qs, cs = np.empty(steps + 1), np.empty(steps + 1)
    qs[0], cs[0] = q, c
    for step in range(steps):
        cs[step + 1] = _correlation_map(
            act, np.asarray(cs[step]), sigma_w2, sigma_b2, qs[step], nodes
        )
        qs[step + 1] = _length_map(act, qs[step], sigma_w2, sigma_b2)
        if not qs[step + 1] > 0.0:
            raise ValueError(f"the variance fell to 0 at step {step + 1}; the map is undefined")
    return qs, cs
