"""``kaiming_lab.finite_width`` against closed forms and real networks.

Monte Carlo comparisons use 4.5 standard errors (SE from the spread of
independent networks): a correct formula fails one of them with probability
about 7e-6, and the seeds are fixed, so the suite is deterministic.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy import stats

from kaiming_lab import finite_width as fw
from kaiming_lab.lessons.nb05_proposition import log_step_variance
from kaiming_lab.montecarlo import estimate_mean, estimate_variance

Z = 4.5


def _agree(estimate, exact: float) -> bool:
    return abs(estimate.value - exact) <= Z * estimate.se


def _real_plain(width: int, depth: int, n_nets: int, seed: int) -> np.ndarray:
    """``R_l`` per network and layer, from real weight matrices."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_nets, width))
    out = np.empty((n_nets, depth))
    for layer in range(depth):
        w = rng.standard_normal((n_nets, width, width)) * math.sqrt(2 / width)
        new = np.maximum(np.einsum("kij,kj->ki", w, x), 0.0)
        out[:, layer] = np.sum(new**2, axis=1) / np.sum(x**2, axis=1)
        x = new
    return out


def _real_residual(width: int, depth: int, alpha: float, n_nets: int, seed: int) -> np.ndarray:
    """``log ||x_L||^2 / ||x_0||^2`` of real residual nets ``x + alpha W2 ReLU(W1 x)``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_nets, width))
    start = np.sum(x**2, axis=1)
    for _ in range(depth):
        w1 = rng.standard_normal((n_nets, width, width)) * math.sqrt(2 / width)
        w2 = rng.standard_normal((n_nets, width, width)) * math.sqrt(1 / width)
        h = np.maximum(np.einsum("kij,kj->ki", w1, x), 0.0)
        x = x + alpha * np.einsum("kij,kj->ki", w2, h)
    return np.log(np.sum(x**2, axis=1) / start)


# ------------------------------------------------------------------------- finite width


def test_second_moment_closed_form_and_issue_values():
    for depth in (1, 3, 5):
        assert fw.finite_width_second_moment([32] * depth) == pytest.approx((37 / 32) ** depth)
    # a quoted 1.157 would be a rounding slip: (1 + 5/32) = 1.15625 exactly
    assert [round(fw.finite_width_second_moment([32] * d), 3) for d in (3, 5)] == [1.546, 2.067]
    assert fw.finite_width_second_moment(10) == pytest.approx(1.5)
    assert fw.finite_width_second_moment((10, 20)) == pytest.approx(1.5 * 1.25)
    widths = [64, 128, 256]
    approx = math.exp(5 * sum(1 / n for n in widths))
    assert fw.finite_width_second_moment(widths) < approx


def test_second_moment_against_real_networks():
    # width 24: every unit of a layer is off with probability 2^-24, never seen here
    ratios = _real_plain(24, 3, 30_000, seed=1)
    for depth in (1, 3):
        est = estimate_mean(np.prod(ratios[:, :depth], axis=1) ** 2)
        assert _agree(est, fw.finite_width_second_moment([24] * depth))
    assert _agree(estimate_mean(np.prod(ratios, axis=1)), 1.0)


@pytest.mark.parametrize(
    ("widths", "error", "name"),
    [
        ([], ValueError, "widths"),
        ([16, 0], ValueError, "widths[1]"),
        ([16, 2.0], TypeError, "widths[1]"),
        ("32", TypeError, "widths"),
        (True, TypeError, "widths"),
        (3.5, TypeError, "widths"),
    ],
)
def test_second_moment_rejects_bad_widths(widths, error, name):
    with pytest.raises(error, match=re_escape(name)):
        fw.finite_width_second_moment(widths)


def re_escape(text: str) -> str:
    return re.escape(text)


def test_log_ratio_moments_exact_and_limits():
    for n in (4, 16, 128):
        assert fw.relu_log_ratio_moments(n)[1] == pytest.approx(log_step_variance(n), rel=1e-12)
    mean, var = fw.relu_log_ratio_moments(4096)
    assert n_times(var, 4096) == pytest.approx(5.0, rel=0.01)
    assert n_times(-2 * mean, 4096) == pytest.approx(5.0, rel=0.01)
    logs = np.log(_real_plain(24, 1, 40_000, seed=2)[:, 0])
    m, v = fw.relu_log_ratio_moments(24)
    assert _agree(estimate_mean(logs), m) and _agree(estimate_variance(logs), v)
    with pytest.raises(ValueError, match="width"):
        fw.relu_log_ratio_moments(0)


def n_times(value: float, n: int) -> float:
    return value * n


def test_plain_sampler_matches_real_networks():
    real = np.log(np.prod(_real_plain(24, 4, 20_000, seed=3), axis=1))
    drawn = fw.sample_log_norm_ratio(24, 4, 40_000, np.random.default_rng(4))
    m, v = fw.relu_log_ratio_moments(24)
    for sample in (real, drawn):
        assert _agree(estimate_mean(sample), 4 * m)
        assert _agree(estimate_variance(sample), 4 * v)
    assert np.array_equal(
        fw.sample_log_norm_ratio(16, 4, 10, 5), fw.sample_log_norm_ratio(16, 4, 10, 5)
    )


def test_residual_sampler_matches_real_networks():
    alpha = 0.5
    real = _real_residual(12, 3, alpha, 20_000, seed=6)
    drawn = fw.sample_log_norm_ratio(12, 3, 40_000, 7, branch_scale=alpha)
    a, b = estimate_mean(real), estimate_mean(drawn)
    assert abs(a.value - b.value) <= Z * math.hypot(a.se, b.se)
    va, vb = estimate_variance(real), estimate_variance(drawn)
    assert abs(va.value - vb.value) <= Z * math.hypot(va.se, vb.se)
    # E||x_L||^2 = (1 + alpha^2)^L ||x_0||^2
    assert _agree(estimate_mean(np.exp(drawn)), (1 + alpha**2) ** 3)
    # scaled by 1/sqrt(L), the log's variance is about 4/n whatever the depth
    for depth in (10, 50):
        s = fw.sample_log_norm_ratio(64, depth, 20_000, 8, branch_scale=1 / math.sqrt(depth))
        assert 64 * s.var() == pytest.approx(4.0, rel=0.12)


def test_sampler_rejects_bad_input():
    with pytest.raises(ValueError, match="width"):
        fw.sample_log_norm_ratio(1, 3, 10, 0)
    with pytest.raises(TypeError, match="depth"):
        fw.sample_log_norm_ratio(8, 2.0, 10, 0)
    with pytest.raises(ValueError, match="branch_scale"):
        fw.sample_log_norm_ratio(8, 2, 10, 0, branch_scale=-1.0)


def test_within_factor_probability():
    values = np.log(np.array([0.4, 0.6, 1.0, 1.9, 2.5]))
    assert fw.within_factor_probability(values, 0.0, 2.0) == pytest.approx(0.6)
    assert fw.within_factor_probability(values + 1.0, 1.0, 2.0) == pytest.approx(0.6)
    with pytest.raises(ValueError, match="factor"):
        fw.within_factor_probability(values, 0.0, 1.0)
    with pytest.raises(ValueError, match="log_ratio"):
        fw.within_factor_probability(np.array([]), 0.0, 2.0)


def _normal_probability(width: int, depth: int, factor: float) -> float:
    """P(|log R_total| < log factor) for a normal log R_total with the exact per-layer moments."""
    mean, var = fw.relu_log_ratio_moments(width)
    law = stats.norm(depth * mean, math.sqrt(depth * var))
    return float(law.cdf(math.log(factor)) - law.cdf(-math.log(factor)))


def test_width_for_factor_brackets_and_simulation():
    n = fw.plain_width_for_factor(50)
    assert n == 2063
    p_at = _normal_probability(n, 50, 2.0)
    assert p_at >= 0.95 > _normal_probability(n - 1, 50, 2.0)
    draws = fw.sample_log_norm_ratio(n, 50, 40_000, np.random.default_rng(9))
    hits = (np.abs(draws) < math.log(2)).astype(float)
    assert _agree(estimate_mean(hits), p_at)
    assert fw.plain_width_for_factor(10) < fw.plain_width_for_factor(20) < n
    assert fw.plain_width_for_factor(50, factor=4.0) < n


def test_width_for_factor_rejects_bad_input():
    with pytest.raises(ValueError, match="probability"):
        fw.plain_width_for_factor(10, probability=1.0)
    with pytest.raises(ValueError, match="factor"):
        fw.plain_width_for_factor(10, factor=0.5)
    with pytest.raises(ValueError, match="max_width"):
        fw.plain_width_for_factor(50, max_width=100)
