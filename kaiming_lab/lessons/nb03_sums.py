"""Scaffolding for ``notebooks/03_variance_of_a_sum.ipynb``.

The variance of one pre-activation ``z_i = sum_j W_ij x_j``, by Monte Carlo.

Set-up (the lecture's layer ``h = 1``): an input ``x^(0) ~ N(0, I_{d_0})``,
first-layer weights ``W^(0)_jk ~ N(0, 2/d_0)``, ``x^(1) = ReLU(W^(0) x^(0))``
(``d_1`` units), and one row ``W^(1)_i. ~ N(mu, 2/d_1)`` of the next layer.
Every draw is a fresh input *and* fresh weights, so averages over draws are
the expectations of the proof.

Exact values (derived by conditioning on ``v = (2/d_0) ||x^(0)||^2``: given
``x^(0)`` the ``z^(0)_j`` are i.i.d. ``N(0, v)``):

- ``E[x_j^2] = E[v]/2 = 1``; ``E[x_j] = E[sqrt(v)] / sqrt(2 pi)``;
- ``Cov(x_j^2, x_k^2) = Var(v)/4 = 2/d_0`` and
  ``Cov(x_j, x_k) = Var(sqrt(v)) / (2 pi)`` for ``j != k``: the units of one
  layer are *dependent*, because they share the input;
- the terms ``W_ij x_j`` are nevertheless *uncorrelated* when ``mu = 0``.

With the input *held fixed* (the proposition's setting) the layer-1 units are
i.i.d.; the dependence appears from layer 2 on, through the shared ``W^(0)``
(:func:`fixed_input_layers`, :func:`layer2_cov_squares`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

from ..montecarlo import Estimate, estimate_mean
from .checks import CheckResult, call_student, check_number, close

__all__ = [
    "FirstLayerMoments",
    "SumDraws",
    "check_product_variance",
    "check_sum_variance",
    "check_var_of_sum",
    "draw_sums",
    "exact_sum_variance",
    "first_layer_moments",
    "fixed_input_layers",
    "layer2_cov_squares",
    "pair_estimate",
    "product_variance",
]

#: Largest number of first-layer weights ``W^(0)`` held in memory at once by :func:`draw_sums`.
_MAX_BLOCK_WEIGHTS = 2**23


def product_variance(mean_w: float, var_w: float, mean_x: float, var_x: float) -> float:
    """``Var(W X)`` for *independent* ``W`` and ``X``.

    ``Var(W X) = Var(W) Var(X) + E[W]^2 Var(X) + Var(W) E[X]^2``. With
    ``E[W] = 0`` the middle term vanishes and the other two add up to
    ``Var(W) E[X^2]``.
    """
    return var_w * var_x + mean_w**2 * var_x + var_w * mean_x**2


@dataclass(frozen=True)
class FirstLayerMoments:
    """Exact moments of the units ``x^(1)_j`` of the set-up in the module docstring."""

    mean: float
    second_moment: float
    cov: float
    cov_squares: float
    var_squares: float

    @property
    def variance(self) -> float:
        """``Var(x_j) = E[x_j^2] - E[x_j]^2`` (not ``E[x_j^2]``: ReLU outputs are not centred)."""
        return self.second_moment - self.mean**2

    @property
    def corr_squares(self) -> float:
        """Correlation of ``x_j^2`` and ``x_k^2`` for ``j != k``: ``2 / (5 d_0 + 12)``."""
        return self.cov_squares / self.var_squares


def first_layer_moments(d0: int) -> FirstLayerMoments:
    """Exact moments of ``x^(1) = ReLU(W^(0) x^(0))`` for ``x^(0) ~ N(0, I_{d_0})``.

    With ``v = (2/d_0) chi^2_{d_0}``: ``E[sqrt(v)] = 2 Gamma((d_0+1)/2) /
    (sqrt(d_0) Gamma(d_0/2))``, ``E[x] = E[sqrt(v)]/sqrt(2 pi)``, ``E[x^2] = 1``,
    ``Cov(x_j, x_k) = (2 - E[sqrt(v)]^2) / (2 pi)``, ``Cov(x_j^2, x_k^2) = 2/d_0``,
    ``Var(x_j^2) = 5 + 12/d_0``.
    """
    mean_sqrt_v = 2.0 * math.exp(special.gammaln((d0 + 1) / 2) - special.gammaln(d0 / 2))
    mean_sqrt_v /= math.sqrt(d0)
    return FirstLayerMoments(
        mean=mean_sqrt_v / math.sqrt(2.0 * math.pi),
        second_moment=1.0,
        cov=(2.0 - mean_sqrt_v**2) / (2.0 * math.pi),
        cov_squares=2.0 / d0,
        var_squares=5.0 + 12.0 / d0,
    )


def exact_sum_variance(d0: int, d1: int, weight_mean: float = 0.0) -> float:
    """Exact ``Var(z_i^(1))`` when ``W^(1)_ij ~ N(mu, 2/d_1)``, ``mu = weight_mean``.

    ``d_1 [Var(W) E[x^2] + mu^2 Var(x)] + d_1 (d_1 - 1) mu^2 Cov(x_j, x_k)``:
    the first part is the lecture's sum of term variances, the second the
    covariances that a non-zero mean switches on. For ``mu = 0`` it is 2.
    """
    mu = float(weight_mean)
    mom = first_layer_moments(d0)
    var_w = 2.0 / d1
    terms = d1 * product_variance(mu, var_w, mom.mean, mom.variance)
    return terms + d1 * (d1 - 1) * mu**2 * mom.cov


@dataclass(frozen=True)
class SumDraws:
    """``n`` independent draws of ``x^(1)`` (``x``) and of one weight row ``W^(1)_i.`` (``w``).

    Both arrays have shape ``(n, d_1)``: row ``r`` is draw ``r``.
    """

    x: np.ndarray
    w: np.ndarray
    weight_mean: float

    @property
    def n(self) -> int:
        """Number of independent draws."""
        return self.x.shape[0]

    @property
    def d1(self) -> int:
        """Number of terms in the sum."""
        return self.x.shape[1]

    @property
    def terms(self) -> np.ndarray:
        """The terms ``W_ij x_j``, shape ``(n, d_1)``."""
        return self.w * self.x

    @property
    def z(self) -> np.ndarray:
        """``z_i = sum_j W_ij x_j``, one value per draw."""
        return self.terms.sum(axis=1)

    def unit_average(self, values: np.ndarray) -> Estimate:
        """``E[v_j]`` estimated by the per-draw average over ``j``; SE across draws.

        The units of one draw are dependent, so the SE treats each draw's
        average as one independent sample.
        """
        return estimate_mean(np.asarray(values).mean(axis=1))


def fixed_input_layers(
    x0: np.ndarray,
    d1: int,
    d2: int,
    n_draws: int,
    *,
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Layers 1 and 2 of ``n_draws`` Kaiming networks that all see the same input ``x0``.

    Per draw, fresh ``W^(0) ~ N(0, 2/d_0)`` (``d1 x d_0``) and
    ``W^(1) ~ N(0, 2/d_1)`` (``d2 x d1``), no biases;
    ``x^(1) = ReLU(W^(0) x0)`` and ``x^(2) = ReLU(W^(1) x^(1))``. Returns
    ``(x1, x2)`` with shapes ``(n_draws, d1)`` and ``(n_draws, d2)``. Draws are
    made in blocks so memory stays bounded.
    """
    x0 = np.asarray(x0, dtype=float)
    if x0.ndim != 1 or x0.size < 1 or not np.all(np.isfinite(x0)):
        raise ValueError(f"x0 must be a finite 1-D array, got shape {x0.shape}")
    gen = np.random.default_rng(rng)
    d0 = x0.size
    block = max(1, _MAX_BLOCK_WEIGHTS // (d1 * d0 + d2 * d1))
    x1s, x2s = [], []
    for start in range(0, n_draws, block):
        m = min(block, n_draws - start)
        w0 = gen.normal(0.0, math.sqrt(2.0 / d0), size=(m, d1, d0))
        x1 = np.maximum(w0 @ x0, 0.0)
        w1 = gen.normal(0.0, math.sqrt(2.0 / d1), size=(m, d2, d1))
        x1s.append(x1)
        x2s.append(np.maximum(np.einsum("njk,nk->nj", w1, x1), 0.0))
    return np.concatenate(x1s), np.concatenate(x2s)


def layer2_cov_squares(x0: np.ndarray, d1: int) -> float:
    """Exact ``Cov((x_j^(2))^2, (x_k^(2))^2)``, ``j != k``, for a fixed input ``x0``.

    Given ``x^(1)``, the ``z^(1)_j`` are i.i.d. ``N(0, v_1)`` with
    ``v_1 = (2/d_1) ||x^(1)||^2``, so the covariance is ``Var(v_1)/4``.
    ``||x^(1)||^2`` sums ``d_1`` i.i.d. ``ReLU(N(0, v_0))^2`` (variance
    ``5 v_0^2 / 4`` each), ``v_0 = (2/d_0) ||x0||^2``; hence
    ``Var(v_1) = 5 v_0^2 / d_1`` and the covariance is ``5 v_0^2 / (4 d_1)``.
    At layer 1 the same covariance is 0 (the units are i.i.d. given ``x0``).
    """
    x0 = np.asarray(x0, dtype=float)
    v0 = 2.0 / x0.size * float(np.sum(x0**2))
    return 5.0 * v0**2 / (4.0 * d1)


def pair_estimate(values: np.ndarray) -> Estimate:
    """``E[v_j v_k]`` for ``j != k``, averaged over all pairs within each draw.

    Per draw: ``((sum v)^2 - sum v^2) / (d (d - 1))``; the SE is across draws.
    Subtract ``E[v_j] E[v_k]`` to get a covariance.
    """
    v = np.asarray(values, dtype=float)
    d = v.shape[1]
    if d < 2:
        raise ValueError(f"need at least 2 units per draw to form pairs, got {d}")
    per_draw = (v.sum(axis=1) ** 2 - (v * v).sum(axis=1)) / (d * (d - 1))
    return estimate_mean(per_draw)


def draw_sums(
    n_draws: int,
    d0: int,
    d1: int,
    *,
    weight_mean: float = 0.0,
    rng: np.random.Generator | int | None = None,
) -> SumDraws:
    """Draw ``x^(0)``, ``W^(0)`` and one row of ``W^(1)`` afresh ``n_draws`` times.

    ``W^(0) ~ N(0, 2/d_0)`` (Kaiming) and ``W^(1)_ij ~ N(weight_mean, 2/d_1)``.
    The draws are made in blocks of at most about ``2**23`` first-layer weights,
    so memory stays bounded for large ``n_draws * d_1 * d_0``.
    """
    mu = float(weight_mean)
    gen = np.random.default_rng(rng)
    block = max(1, _MAX_BLOCK_WEIGHTS // (d1 * d0))
    xs, ws = [], []
    for start in range(0, n_draws, block):
        m = min(block, n_draws - start)
        x0 = gen.standard_normal((m, d0))
        w0 = gen.normal(0.0, math.sqrt(2.0 / d0), size=(m, d1, d0))
        xs.append(np.maximum(np.einsum("njk,nk->nj", w0, x0), 0.0))
        ws.append(gen.normal(mu, math.sqrt(2.0 / d1), size=(m, d1)))
    return SumDraws(x=np.concatenate(xs), w=np.concatenate(ws), weight_mean=mu)


def check_sum_variance(answer: object) -> CheckResult:
    """Exercise (notebook 03): ``Var(z_i)``, d = 400, Var(W) = 0.005, E[x] = 0.5, E[x^2] = 0.75."""
    d, var_w, mean_x, m2_x = 400, 0.005, 0.5, 0.75
    return check_number(
        answer,
        d * var_w * m2_x,
        mistakes=[
            (
                d * var_w * (m2_x - mean_x**2),
                "You used Var(x). With E[W] = 0 the formula needs E[x²], which is "
                "larger because ReLU outputs have a positive mean.",
            ),
            (var_w * m2_x, "That is one term; z_i sums d of them."),
        ],
        hint="Var(z_i) = d · Var(W) · E[x_j²] when the weights have mean 0.",
    )


def check_product_variance(answer: object) -> CheckResult:
    """Exercise (notebook 03): ``Var(W X)``, E[W]=0.4, Var(W)=0.09, E[X]=0.6, Var(X)=0.64.

    The numbers are chosen so that the answer and every recognised slip lie
    more than 5 % apart: a rounded answer is never within 1 % of two of them.
    """
    mw, vw, mx, vx = 0.4, 0.09, 0.6, 0.64
    exact = vw * vx + mw**2 * vx + vw * mx**2
    return check_number(
        answer,
        exact,
        mistakes=[
            (vw * vx, "Only Var(W)Var(X): both means are non-zero here, so two more terms count."),
            (vw * vx + vw * mx**2, "Here E[W] is not 0, so the E[W]² Var(X) term stays."),
            (vw * vx + mw**2 * vx, "Here E[X] is not 0, so the Var(W) E[X]² term stays."),
            (
                mw**2 * vx + vw * mx**2,
                "You kept the two terms with a mean and dropped Var(W)Var(X), which is "
                "there whatever the means are.",
            ),
        ],
        hint="Write Var(WX) = E[W²]E[X²] - (E[W]E[X])² and expand each second moment.",
    )


def check_var_of_sum(var_of_sum: Callable[..., object], *, seed: int = 543) -> CheckResult:
    """Exercise (notebook 03): the student's ``var_of_sum(x, var_w)``.

    ``x`` holds ``n`` draws of a layer's inputs as rows (shape ``(n, d)``);
    the weights are zero-mean with variance ``var_w``. The function should
    return ``d * var_w * E[x_j^2]``, with ``E[x_j^2]`` the mean of ``x**2``
    over draws and units. The check calls it on fresh ReLU outputs with a
    clearly positive mean (so ``Var(x)`` and ``E[x^2]`` differ) and recognises
    ``Var(x)`` for ``E[x^2]``, a missing factor ``d``, the number of draws for
    ``d``, a standard deviation returned, and ``var_w`` treated as a std.
    ``seed`` makes the fresh inputs.
    """
    rng = np.random.default_rng(seed)
    n, d, var_w = 300, 24, 0.05
    x = np.maximum(rng.normal(0.5, 1.0, size=(n, d)), 0.0)
    result, problem = call_student(var_of_sum, x.copy(), var_w)
    if problem is not None:
        return problem
    if np.ndim(result) != 0:
        return CheckResult(
            False,
            True,
            "Return a single number: average x**2 over the draws and the units together "
            "(np.mean(x**2)), not one value per unit or per draw.",
        )
    try:
        value = float(result)
    except (TypeError, ValueError):
        return CheckResult(False, True, "Return a single float.")
    m2 = float(np.mean(x**2))
    exact = d * var_w * m2
    if close(value, exact, 1e-9):
        return CheckResult(True, True, "Correct.")
    mistakes = [
        (
            [d * var_w * np.var(x), d * var_w * np.var(x, ddof=1)],
            "Not yet: you used Var(x). With zero-mean weights the formula needs E[x²] = "
            "Var(x) + E[x]², and ReLU outputs have a positive mean.",
        ),
        (
            [var_w * m2],
            "Not yet: that is the variance of one term W_j x_j; z sums d of them "
            "(d = the number of columns of x).",
        ),
        (
            [n * var_w * m2],
            "Not yet: d is the number of terms in the sum, x.shape[1], not the number "
            "of draws x.shape[0].",
        ),
        (
            [math.sqrt(exact)],
            "Not yet: that is a standard deviation; the task asks for the variance of z.",
        ),
        (
            [d * math.sqrt(var_w) * m2, d * var_w**2 * m2],
            "Not yet: var_w already is the variance of W; use it as it is "
            "(do not square it or take its square root).",
        ),
        (
            [d * var_w * float(np.mean(x)) ** 2],
            "Not yet: you used E[x]², the squared mean. The formula needs the mean of the "
            "squares, E[x²].",
        ),
    ]
    for candidates, message in mistakes:
        if any(close(value, float(c), 1e-6) for c in candidates):
            return CheckResult(False, True, message)
    direction = "too large" if value > exact else "too small"
    return CheckResult(
        False,
        True,
        f"Not yet: your value is {direction}. Hint: Var(z) = d · Var(W) · E[x_j²]; "
        "estimate E[x_j²] as the mean of x**2.",
    )
