"""One network at finite width: how far its signal strays from the wide-network average.

Notation as in :mod:`kaiming_lab.gains`. In a plain ReLU net with Gaussian He
weights (``Var(W) = 2 / fan_in``, no bias) and ``n_l`` units in layer ``l``,
the ratio ``R_l = ||x^(l+1)||^2 / ||x^(l)||^2`` is ``(2 / n_l) chi^2_K`` with
``K ~ Binomial(n_l, 1/2)`` active units, independent of the input and of the
other layers (notebook 05, section 4; the weights are rotation invariant). So

    E[R_l] = 1,   Var[R_l] = 5 / n_l,   E[(prod_l R_l)^2] = prod_l (1 + 5 / n_l),

about ``exp(5 beta)`` with ``beta = sum_l 1 / n_l``, and ``log R_l`` has the
exact moments ``E = log(2/n) + E[psi(K/2)] + log 2``,
``Var = E[psi'(K/2)] + Var[psi(K/2)]`` (given ``K >= 1``). The sampler draws
these laws directly, for plain nets and for residual branches
``x + alpha W_2 ReLU(W_1 x)``; the width for a target spread takes
``log prod R_l`` as normal with the exact moments (central limit theorem).
scipy is imported where used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ._validation import as_generator, check_float, check_int

__all__ = [
    "finite_width_second_moment",
    "plain_width_for_factor",
    "relu_log_ratio_moments",
    "sample_log_norm_ratio",
    "within_factor_probability",
]


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
    return _log_ratio_moments(check_int("width", width, minimum=1))


def _log_ratio_moments(n: int) -> tuple[float, float]:
    """:func:`relu_log_ratio_moments` for a checked width (unchecked)."""
    from scipy import special, stats  # imported where used: importing the package needs no scipy

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
    """``P(|log R_total| < log factor)`` with ``log R_total`` normal, exact moments (unchecked)."""
    from scipy import stats

    mean, var = _log_ratio_moments(width)
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
