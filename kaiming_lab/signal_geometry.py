"""What Kaiming's rule leaves open: finite width, the correlation map, order and chaos.

Notation as in :mod:`kaiming_lab.gains`: weights of variance ``sigma_w^2 / fan_in``
(``sigma_w^2 = g^2``), biases of variance ``sigma_b^2``, ``q`` the variance of a
pre-activation, ``u ~ N(0, 1)``.

*Finite width.* In a plain ReLU net with Gaussian He weights (``sigma_w^2 = 2``,
no bias) and ``n_l`` units in layer ``l``, the ratio
``R_l = ||x^(l+1)||^2 / ||x^(l)||^2`` is ``(2 / n_l) chi^2_K`` with
``K ~ Binomial(n_l, 1/2)`` active units, independent of the input and of the
other layers (notebook 05, section 4). So ``E[R_l] = 1``,
``Var[R_l] = 5 / n_l`` and ``E[(prod_l R_l)^2] = prod_l (1 + 5 / n_l)``, about
``exp(5 beta)`` with ``beta = sum_l 1 / n_l``.

*Correlation map* (Poole et al. 2016): two inputs whose pre-activations have
variance ``q`` and correlation ``c`` (the cosine of the angle between the two
vectors ``z``, not centred) leave a layer with correlation

    c' = (sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2) / (sigma_w^2 E[phi(u1)^2] + sigma_b^2),

``(u1, u2)`` Gaussian with variances ``q`` and correlation ``c``. For ReLU at
``sigma_w^2 = 2`` without bias this is the degree-1 arc-cosine kernel,
:func:`kaiming_lab.theory.relu_correlation_map`.

*Order and chaos.* ``chi_1 = sigma_w^2 E[phi'(sqrt(q*) u)^2]`` at the fixed
point ``q*`` of the length map: ``< 1`` ordered, ``> 1`` chaotic. The grid
functions here compute ``q*`` and ``chi_1`` for whole arrays of
``(sigma_w^2, sigma_b^2)`` at once, for the phase diagram.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ._validation import as_generator, check_array, check_float, check_int
from .activations import Activation, activation_argument
from .gains import fixed_point
from .theory import relu_correlation_map

__all__ = [
    "Q_CEILING",
    "Q_FLOOR",
    "chi1_grid",
    "correlation_map",
    "edge_of_chaos_curve",
    "finite_width_second_moment",
    "fixed_point_grid",
    "iterate_correlation_map",
    "plain_width_for_factor",
    "relu_correlation_asymptote",
    "relu_correlation_iterates",
    "relu_log_ratio_moments",
    "sample_log_norm_ratio",
    "within_factor_probability",
]

#: The grid fixed-point search reports ``q* = 0`` below this (signal fades to 0).
Q_FLOOR = 1e-9
#: ... and ``q* = inf`` above this (signal grows without bound).
Q_CEILING = 1e6
#: Gauss-Hermite nodes per dimension.
DEFAULT_NODES = 120


# --------------------------------------------------------------------------- finite width


def _widths(widths: int | Sequence[int]) -> np.ndarray:
    if isinstance(widths, (bool, str, bytes)):
        raise TypeError(f"widths must be an integer or a sequence of integers, got {widths!r}")
    if isinstance(widths, (int, np.integer)):
        return np.array([check_int("widths", widths, minimum=1)], dtype=float)
    try:
        items = list(widths)
    except TypeError:
        raise TypeError(
            f"widths must be an integer or a sequence of integers, got {widths!r}"
        ) from None
    if not items:
        raise ValueError("widths must hold at least one layer width, got an empty sequence")
    return np.array(
        [check_int(f"widths[{i}]", w, minimum=1) for i, w in enumerate(items)], dtype=float
    )


def finite_width_second_moment(widths: int | Sequence[int]) -> float:
    """``E[R_total^2] = prod_l (1 + 5 / n_l)`` for a plain He-initialised ReLU net.

    ``R_total = ||x^(L)||^2 / ||x^(0)||^2`` after the layers of widths
    ``widths`` (a single int means one layer). Assumes Gaussian weights of
    variance ``2 / fan_in``, no bias, ReLU after every layer: the per-layer
    ratios are then independent with mean 1 and variance ``5 / n_l`` (exact at
    every width), so ``E[R_total] = 1`` and ``Var[R_total] = prod(1 + 5/n_l) - 1``.
    """
    n = _widths(widths)
    return float(np.prod(1.0 + 5.0 / n))


def relu_log_ratio_moments(width: int) -> tuple[float, float]:
    """Exact ``(E[log R], Var[log R])`` for one He ReLU layer of ``width`` units.

    ``R = (2 / n) chi^2_K`` with ``K ~ Binomial(n, 1/2)`` given ``K >= 1``
    (with probability ``2^-n`` every unit is off and the log is undefined);
    ``log chi^2_K`` has mean ``psi(K/2) + log 2`` and variance ``psi'(K/2)``.
    For large ``n``: mean ``-5 / (2n)``, variance ``5 / n``, to leading order.
    """
    from scipy import special, stats  # imported where used: importing the package needs no scipy

    n = check_int("width", width, minimum=1)
    k = np.arange(1, n + 1)
    p = stats.binom.pmf(k, n, 0.5)
    p = p / p.sum()
    digamma = special.digamma(k / 2)
    mean_dg = float(np.sum(p * digamma))
    variance = float(np.sum(p * special.polygamma(1, k / 2)) + np.sum(p * (digamma - mean_dg) ** 2))
    mean = math.log(2.0 / n) + mean_dg + math.log(2.0)
    return mean, variance


def _active_units(rng: np.random.Generator, n: int, size: tuple[int, ...]) -> np.ndarray:
    """``Binomial(n, 1/2)`` draws conditioned on ``K >= 1`` (zeros redrawn)."""
    k = rng.binomial(n, 0.5, size=size)
    while np.any(k == 0):
        zero = k == 0
        k[zero] = rng.binomial(n, 0.5, size=int(zero.sum()))
    return k


def sample_log_norm_ratio(
    width: int,
    depth: int,
    n_networks: int,
    rng: np.random.Generator | int | None = None,
    *,
    branch_scale: float | None = None,
) -> np.ndarray:
    """``log(||x^(L)||^2 / ||x^(0)||^2)`` for ``n_networks`` random networks, by the exact law.

    Plain net (``branch_scale=None``): ``x^(l+1) = ReLU(W x^(l))``, ``W`` of
    shape ``(width, width)`` with entries ``N(0, 2 / width)``. Each layer's
    ratio is drawn as ``(2 / n) chi^2_K``, ``K ~ Binomial(n, 1/2)`` given
    ``K >= 1`` (the layer's law, independent of the input and of the other
    layers), so no weight matrix is formed.

    Residual net (``branch_scale = alpha``): ``x^(l+1) = x^(l) + alpha W_2 ReLU(W_1 x^(l))``
    with ``W_1`` entries ``N(0, 2 / n)`` and ``W_2`` entries ``N(0, 1 / n)`` (no
    ReLU after it), so ``E||x^(l+1)||^2 = (1 + alpha^2) ||x^(l)||^2``. The
    weights are rotation invariant, so each layer's ratio is again independent
    of the input and of the other layers; with ``x^(l) = e_1``,
    ``h = ReLU(W_1 e_1)`` has ``||h||^2 = (2/n) chi^2_K``, ``b = W_2 h`` is
    ``N(0, ||h||^2 / n)`` per entry, and ``R = (1 + alpha b_1)^2 + alpha^2 sum_{i>1} b_i^2``.
    """
    n = check_int("width", width, minimum=2)
    depth = check_int("depth", depth, minimum=1)
    n_networks = check_int("n_networks", n_networks, minimum=1)
    rng = as_generator(rng)
    size = (n_networks, depth)
    k = _active_units(rng, n, size)
    h2 = 2.0 / n * rng.chisquare(k)  # ||h||^2 for a unit input
    if branch_scale is None:
        return np.log(h2).sum(axis=1)
    alpha = check_float("branch_scale", branch_scale, minimum=0.0)
    s = np.sqrt(h2 / n)
    b1 = s * rng.standard_normal(size)
    rest = h2 / n * rng.chisquare(n - 1, size=size)
    return np.log((1.0 + alpha * b1) ** 2 + alpha**2 * rest).sum(axis=1)


def within_factor_probability(log_ratio: np.ndarray, log_mean: float, factor: float) -> float:
    """Share of networks whose ``||x^(L)||^2`` is within ``factor`` of the average.

    ``log_ratio`` holds ``log(||x^(L)||^2 / ||x^(0)||^2)`` per network and
    ``log_mean`` the log of its expectation (0 for a plain He net); counts
    ``|log_ratio - log_mean| < log(factor)``.
    """
    factor = check_float("factor", factor, minimum=1.0, strict_minimum=True)
    log_mean = check_float("log_mean", log_mean)
    values = np.asarray(log_ratio, dtype=float)
    if values.size == 0:
        raise ValueError("log_ratio must hold at least one value")
    return float(np.mean(np.abs(values - log_mean) < math.log(factor)))


def _plain_probability(width: int, depth: int, factor: float) -> float:
    from scipy import stats

    mean, var = relu_log_ratio_moments(width)
    m, s = depth * mean, math.sqrt(depth * var)
    lf = math.log(factor)
    return float(stats.norm.cdf((lf - m) / s) - stats.norm.cdf((-lf - m) / s))


def plain_width_for_factor(
    depth: int, factor: float = 2.0, probability: float = 0.95, *, max_width: int = 1_000_000
) -> int:
    """Smallest width ``n >= 2`` keeping a plain He ReLU net of ``depth`` layers within ``factor``.

    "Within": ``||x^(L)||^2`` between ``1/factor`` and ``factor`` times its
    average ``||x^(0)||^2``, with probability at least ``probability``.
    ``log R_total`` is a sum of ``depth`` independent per-layer logs with the
    exact moments of :func:`relu_log_ratio_moments`; its law is taken to be
    normal with those moments (the central limit theorem; check it by
    simulation with :func:`sample_log_norm_ratio`).
    """
    depth = check_int("depth", depth, minimum=1)
    factor = check_float("factor", factor, minimum=1.0, strict_minimum=True)
    probability = check_float("probability", probability, minimum=0.0, strict_minimum=True)
    if probability >= 1.0:
        raise ValueError(f"probability must be < 1, got {probability}")
    max_width = check_int("max_width", max_width, minimum=2)
    lo, hi = 1, 2  # invariant once found: P(lo) < probability <= P(hi)
    while _plain_probability(hi, depth, factor) < probability:
        if hi >= max_width:
            raise ValueError(
                f"no width up to max_width={max_width} reaches probability {probability} "
                f"for depth={depth} and factor={factor}"
            )
        lo, hi = hi, min(2 * hi, max_width)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _plain_probability(mid, depth, factor) >= probability:
            hi = mid
        else:
            lo = mid
    return hi


# --------------------------------------------------------------------------- correlation map


def relu_correlation_iterates(c0: float, steps: int) -> np.ndarray:
    """``[c_0, c_1, ..., c_steps]``: :func:`~kaiming_lab.theory.relu_correlation_map` iterated.

    The correlation of two inputs' pre-activations layer by layer in a wide
    He-initialised ReLU net without bias.
    """
    c0 = check_float("c0", c0, minimum=-1.0, maximum=1.0)
    steps = check_int("steps", steps, minimum=0)
    out = np.empty(steps + 1)
    out[0] = c0
    for step in range(steps):
        out[step + 1] = relu_correlation_map(out[step])
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


def _act(activation: str | Activation, slope: float) -> Activation:
    return activation_argument(activation, slope=slope)


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

    ``(u1, u2)`` Gaussian with variances ``q`` and correlation ``c``, written
    ``u1 = sqrt(q) t1``, ``u2 = sqrt(q) (c t1 + sqrt(1 - c^2) t2)`` with
    independent standard normal ``t1, t2``; both expectations by the same
    two-dimensional Gauss-Hermite rule (``nodes^2`` points), so ``c = 1``
    maps to 1 exactly. ``q`` defaults to the length map's fixed point
    :func:`kaiming_lab.gains.fixed_point` (from ``q0 = 1``), where the
    variance no longer changes; it must be finite and positive.

    Accuracy: fast convergence for smooth ``phi`` (tanh at ``q <= 3``: 1e-5
    or better with 120 nodes); for a kink (ReLU) the error falls only like
    ``1 / nodes`` (about 2e-3 at 120 nodes), so use
    :func:`kaiming_lab.theory.relu_correlation_map` there.
    """
    act = _act(activation, slope)
    sigma_w2 = check_float("sigma_w2", sigma_w2, minimum=0.0, strict_minimum=True)
    sigma_b2 = check_float("sigma_b2", sigma_b2, minimum=0.0)
    nodes = check_int("nodes", nodes, minimum=2)
    arr = check_array("c", c)
    if np.any(np.abs(arr) > 1.0):
        raise ValueError(f"c must be a correlation in [-1, 1], got {c!r}")
    if q is None:
        q = fixed_point(act, math.sqrt(sigma_w2), bias_variance=sigma_b2)
        if not (math.isfinite(q) and q > 0.0):
            raise ValueError(
                f"the length map has no finite positive fixed point at sigma_w2={sigma_w2}, "
                f"sigma_b2={sigma_b2} (q* = {q}); pass q explicitly"
            )
    q = check_float("q", q, minimum=0.0, strict_minimum=True)
    t, w = _hermite(nodes)
    root = math.sqrt(q)
    t1, t2 = t[:, None], t[None, :]
    weights = w[:, None] * w[None, :]
    phi1 = act.forward(root * t)[:, None]
    second = sigma_w2 * float(np.sum(w * act.forward(root * t) ** 2)) + sigma_b2
    flat = arr.ravel()
    out = np.empty_like(flat)
    for i, ci in enumerate(flat):
        u2 = root * (ci * t1 + math.sqrt(max(0.0, 1.0 - ci * ci)) * t2)
        cross = float(np.sum(weights * phi1 * act.forward(u2)))
        out[i] = (sigma_w2 * cross + sigma_b2) / second
    out = out.reshape(arr.shape)
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
    ``c0``; each step applies the length map to ``q`` and
    :func:`correlation_map` at the current ``q`` (so the variance need not have
    reached its fixed point yet). Quadrature as in :func:`correlation_map`.
    """
    act = _act(activation, slope)
    q = check_float("q0", q0, minimum=0.0, strict_minimum=True)
    c = check_float("c0", c0, minimum=-1.0, maximum=1.0)
    steps = check_int("steps", steps, minimum=0)
    sigma_w2 = check_float("sigma_w2", sigma_w2, minimum=0.0, strict_minimum=True)
    t, w = _hermite(check_int("nodes", nodes, minimum=2))
    qs, cs = np.empty(steps + 1), np.empty(steps + 1)
    qs[0], cs[0] = q, c
    for step in range(steps):
        cs[step + 1] = correlation_map(
            act, cs[step], sigma_w2, sigma_b2=sigma_b2, q=qs[step], nodes=nodes
        )
        qs[step + 1] = sigma_w2 * float(np.sum(w * act.forward(math.sqrt(qs[step]) * t) ** 2))
        qs[step + 1] += sigma_b2
        if not qs[step + 1] > 0.0:
            raise ValueError(f"the variance fell to 0 at step {step + 1}; the map is undefined")
    return qs, cs


# --------------------------------------------------------------------------- phase diagram


def _grid_inputs(sigma_w2, sigma_b2) -> tuple[np.ndarray, np.ndarray]:
    w2, b2 = check_array("sigma_w2", sigma_w2), check_array("sigma_b2", sigma_b2)
    if np.any(w2 <= 0):
        raise ValueError(f"sigma_w2 must be > 0, got {sigma_w2!r}")
    if np.any(b2 < 0):
        raise ValueError(f"sigma_b2 must be >= 0, got {sigma_b2!r}")
    try:
        w2, b2 = np.broadcast_arrays(w2, b2)
    except ValueError as err:
        raise ValueError(f"sigma_w2 and sigma_b2 must broadcast together: {err}") from None
    return w2, b2


def fixed_point_grid(
    activation: str | Activation,
    sigma_w2: float | np.ndarray,
    sigma_b2: float | np.ndarray = 0.0,
    *,
    nodes: int = DEFAULT_NODES,
    slope: float = 0.01,
) -> np.ndarray:
    """The length map's fixed point ``q*`` for each ``(sigma_w^2, sigma_b^2)`` (arrays broadcast).

    Solves ``sigma_w^2 E[phi(sqrt(q) u)^2] + sigma_b^2 = q`` by bisection in
    ``log q`` on ``[Q_FLOOR, Q_CEILING]`` (1-D Gauss-Hermite, ``nodes``
    points). Assumes ``q -> sigma_w^2 E[phi(sqrt(q) u)^2] + sigma_b^2 - q``
    changes sign at most once, from + to - (true for tanh, whose map is
    increasing and concave). Accuracy for tanh with 120 nodes: about 1e-10
    relative at ``q* = 1``, 1e-6 at ``q* = 3`` (the steeper ``tanh(sqrt(q) u)``
    is harder for Gauss-Hermite). Returns ``0`` where it is already negative at
    ``Q_FLOOR`` (the signal fades: tanh without bias at ``sigma_w^2 <= 1``) and
    ``inf`` where it is still positive at ``Q_CEILING``.
    """
    act = _act(activation, slope)
    w2, b2 = _grid_inputs(sigma_w2, sigma_b2)
    t, w = _hermite(check_int("nodes", nodes, minimum=2))

    def excess(q: np.ndarray) -> np.ndarray:
        m2 = np.sum(w * act.forward(np.sqrt(q)[..., None] * t) ** 2, axis=-1)
        return w2 * m2 + b2 - q

    lo = np.full(w2.shape, math.log(Q_FLOOR))
    hi = np.full(w2.shape, math.log(Q_CEILING))
    fades = excess(np.exp(lo)) <= 0.0
    grows = excess(np.exp(hi)) > 0.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        up = excess(np.exp(mid)) > 0.0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    q = np.exp(0.5 * (lo + hi))
    return np.where(fades, 0.0, np.where(grows, np.inf, q))


def chi1_grid(
    activation: str | Activation,
    sigma_w2: float | np.ndarray,
    sigma_b2: float | np.ndarray = 0.0,
    *,
    nodes: int = DEFAULT_NODES,
    slope: float = 0.01,
) -> tuple[np.ndarray, np.ndarray]:
    """``(q*, chi_1)`` on a grid: ``chi_1 = sigma_w^2 E[phi'(sqrt(q*) u)^2]`` at ``q*``.

    ``q*`` is :func:`fixed_point_grid`.

    ``chi_1`` is ``inf`` where ``q*`` is.
    """
    act = _act(activation, slope)
    w2, b2 = _grid_inputs(sigma_w2, sigma_b2)
    q = fixed_point_grid(act, w2, b2, nodes=nodes)
    t, w = _hermite(nodes)
    finite = np.isfinite(q)
    safe = np.where(finite, q, 1.0)
    d2 = np.sum(w * act.derivative(np.sqrt(safe)[..., None] * t) ** 2, axis=-1)
    return q, np.where(finite, w2 * d2, np.inf)


def edge_of_chaos_curve(
    activation: str | Activation,
    sigma_b2: float | np.ndarray,
    *,
    sigma_w2_range: tuple[float, float] = (0.5, 8.0),
    nodes: int = DEFAULT_NODES,
    slope: float = 0.01,
) -> np.ndarray:
    """The ``sigma_w^2`` with ``chi_1 = 1`` at the fixed point, for each ``sigma_b^2``.

    Bisection on ``sigma_w^2`` in ``sigma_w2_range``, assuming ``chi_1(q*)``
    rises through 1 once there (tanh: ordered below the curve's ``sigma_w^2``,
    chaotic above). For tanh without bias the answer is ``sigma_w^2 = 1``
    (where ``q* = 0``). Raises ``ValueError`` for a bias variance whose
    ``chi_1`` does not cross 1 inside the range.
    """
    act = _act(activation, slope)
    b2 = check_array("sigma_b2", sigma_b2)
    if np.any(b2 < 0):
        raise ValueError(f"sigma_b2 must be finite and >= 0, got {sigma_b2!r}")
    if not isinstance(sigma_w2_range, Sequence) or len(sigma_w2_range) != 2:
        raise TypeError(f"sigma_w2_range must be a pair (low, high), got {sigma_w2_range!r}")
    w_lo = check_float("sigma_w2_range[0]", sigma_w2_range[0], minimum=0.0, strict_minimum=True)
    w_hi = check_float("sigma_w2_range[1]", sigma_w2_range[1], minimum=w_lo, strict_minimum=True)
    lo = np.full(b2.shape, w_lo)
    hi = np.full(b2.shape, w_hi)
    below = chi1_grid(act, lo, b2, nodes=nodes)[1] < 1.0
    above = chi1_grid(act, hi, b2, nodes=nodes)[1] >= 1.0
    if not (np.all(below) and np.all(above)):
        bad = b2[~(below & above)]
        raise ValueError(
            f"chi_1 does not cross 1 for sigma_w2 in {sigma_w2_range} at sigma_b2={bad.tolist()}"
        )
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        chaotic = chi1_grid(act, mid, b2, nodes=nodes)[1] >= 1.0
        lo = np.where(chaotic, lo, mid)
        hi = np.where(chaotic, mid, hi)
    out = 0.5 * (lo + hi)
    return float(out) if out.ndim == 0 else out
