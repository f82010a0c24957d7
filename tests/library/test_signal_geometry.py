"""kaiming_lab.signal_geometry against closed forms, the library's gains and simulation.

Monte Carlo comparisons use 4.5 standard errors (SE from the spread of
independent networks): a correct formula fails one of them with probability
about 7e-6, and the seeds are fixed, so the suite is deterministic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from kaiming_lab import gains
from kaiming_lab import signal_geometry as sg
from kaiming_lab.lessons.nb05_proposition import log_step_variance
from kaiming_lab.montecarlo import estimate_mean, estimate_variance
from kaiming_lab.theory import relu_correlation_map

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
        assert sg.finite_width_second_moment([32] * depth) == pytest.approx((37 / 32) ** depth)
    # the issue's 1.157 is a rounding slip: (1 + 5/32) = 1.15625 exactly
    assert [round(sg.finite_width_second_moment([32] * d), 3) for d in (3, 5)] == [1.546, 2.067]
    assert sg.finite_width_second_moment(10) == pytest.approx(1.5)
    assert sg.finite_width_second_moment((10, 20)) == pytest.approx(1.5 * 1.25)
    widths = [64, 128, 256]
    approx = math.exp(5 * sum(1 / n for n in widths))
    assert sg.finite_width_second_moment(widths) < approx


def test_second_moment_against_real_networks():
    # width 24: every unit of a layer is off with probability 2^-24, never seen here
    ratios = _real_plain(24, 3, 30_000, seed=1)
    for depth in (1, 3):
        est = estimate_mean(np.prod(ratios[:, :depth], axis=1) ** 2)
        assert _agree(est, sg.finite_width_second_moment([24] * depth))
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
        sg.finite_width_second_moment(widths)


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


def test_log_ratio_moments_exact_and_limits():
    for n in (4, 16, 128):
        assert sg.relu_log_ratio_moments(n)[1] == pytest.approx(log_step_variance(n), rel=1e-12)
    mean, var = sg.relu_log_ratio_moments(4096)
    assert n_times(var, 4096) == pytest.approx(5.0, rel=0.01)
    assert n_times(-2 * mean, 4096) == pytest.approx(5.0, rel=0.01)
    logs = np.log(_real_plain(24, 1, 40_000, seed=2)[:, 0])
    m, v = sg.relu_log_ratio_moments(24)
    assert _agree(estimate_mean(logs), m) and _agree(estimate_variance(logs), v)
    with pytest.raises(ValueError, match="width"):
        sg.relu_log_ratio_moments(0)


def n_times(value: float, n: int) -> float:
    return value * n


def test_plain_sampler_matches_real_networks():
    real = np.log(np.prod(_real_plain(24, 4, 20_000, seed=3), axis=1))
    drawn = sg.sample_log_norm_ratio(24, 4, 40_000, np.random.default_rng(4))
    m, v = sg.relu_log_ratio_moments(24)
    for sample in (real, drawn):
        assert _agree(estimate_mean(sample), 4 * m)
        assert _agree(estimate_variance(sample), 4 * v)
    assert np.array_equal(
        sg.sample_log_norm_ratio(16, 4, 10, 5), sg.sample_log_norm_ratio(16, 4, 10, 5)
    )


def test_residual_sampler_matches_real_networks():
    alpha = 0.5
    real = _real_residual(12, 3, alpha, 20_000, seed=6)
    drawn = sg.sample_log_norm_ratio(12, 3, 40_000, 7, branch_scale=alpha)
    a, b = estimate_mean(real), estimate_mean(drawn)
    assert abs(a.value - b.value) <= Z * math.hypot(a.se, b.se)
    va, vb = estimate_variance(real), estimate_variance(drawn)
    assert abs(va.value - vb.value) <= Z * math.hypot(va.se, vb.se)
    # E||x_L||^2 = (1 + alpha^2)^L ||x_0||^2
    assert _agree(estimate_mean(np.exp(drawn)), (1 + alpha**2) ** 3)
    # scaled by 1/sqrt(L), the log's variance is about 4/n whatever the depth
    for depth in (10, 50):
        s = sg.sample_log_norm_ratio(64, depth, 20_000, 8, branch_scale=1 / math.sqrt(depth))
        assert 64 * s.var() == pytest.approx(4.0, rel=0.12)


def test_sampler_rejects_bad_input():
    with pytest.raises(ValueError, match="width"):
        sg.sample_log_norm_ratio(1, 3, 10, 0)
    with pytest.raises(TypeError, match="depth"):
        sg.sample_log_norm_ratio(8, 2.0, 10, 0)
    with pytest.raises(ValueError, match="branch_scale"):
        sg.sample_log_norm_ratio(8, 2, 10, 0, branch_scale=-1.0)


def test_within_factor_probability():
    values = np.log(np.array([0.4, 0.6, 1.0, 1.9, 2.5]))
    assert sg.within_factor_probability(values, 0.0, 2.0) == pytest.approx(0.6)
    assert sg.within_factor_probability(values + 1.0, 1.0, 2.0) == pytest.approx(0.6)
    with pytest.raises(ValueError, match="factor"):
        sg.within_factor_probability(values, 0.0, 1.0)
    with pytest.raises(ValueError, match="log_ratio"):
        sg.within_factor_probability(np.array([]), 0.0, 2.0)


def test_width_for_factor_brackets_and_simulation():
    n = sg.plain_width_for_factor(50)
    assert n == 2063
    p_at = sg._plain_probability(n, 50, 2.0)
    assert p_at >= 0.95 > sg._plain_probability(n - 1, 50, 2.0)
    draws = sg.sample_log_norm_ratio(n, 50, 40_000, np.random.default_rng(9))
    hits = (np.abs(draws) < math.log(2)).astype(float)
    assert _agree(estimate_mean(hits), p_at)
    assert sg.plain_width_for_factor(10) < sg.plain_width_for_factor(20) < n
    assert sg.plain_width_for_factor(50, factor=4.0) < n


def test_width_for_factor_rejects_bad_input():
    with pytest.raises(ValueError, match="probability"):
        sg.plain_width_for_factor(10, probability=1.0)
    with pytest.raises(ValueError, match="factor"):
        sg.plain_width_for_factor(10, factor=0.5)
    with pytest.raises(ValueError, match="max_width"):
        sg.plain_width_for_factor(50, max_width=100)


# ------------------------------------------------------------------------- correlation map


def test_relu_iterates_and_asymptote():
    c = sg.relu_correlation_iterates(0.0, 1000)
    assert c[1] == pytest.approx(1 / math.pi)
    ratios = [(1 - c[k]) / sg.relu_correlation_asymptote(k) for k in (10, 100, 1000)]
    assert [round(r, 2) for r in ratios] == [0.29, 0.81, 0.97]
    assert np.all(np.diff(c) > 0)
    assert sg.relu_correlation_asymptote(np.array([1, 3])) == pytest.approx(
        [9 * math.pi**2 / 2, math.pi**2 / 2]
    )
    with pytest.raises(ValueError, match="layers"):
        sg.relu_correlation_asymptote(0)
    with pytest.raises(ValueError, match="c0"):
        sg.relu_correlation_iterates(1.5, 3)


def test_quadrature_map_against_relu_closed_form():
    cs = np.linspace(-0.95, 0.95, 9)
    exact = relu_correlation_map(cs)
    errors = {
        nodes: np.abs(sg.correlation_map("relu", cs, 2.0, q=1.7, nodes=nodes) - exact).max()
        for nodes in (40, 120, 240)
    }
    assert errors[120] < 2.5e-3 and errors[240] < errors[120] < errors[40]
    assert sg.correlation_map("relu", 1.0, 2.0, q=1.0) == pytest.approx(1.0, abs=1e-12)
    # for a positively homogeneous phi the map does not depend on q or sigma_w^2
    assert sg.correlation_map("relu", cs, 1.3, q=0.2, nodes=240) == pytest.approx(
        sg.correlation_map("relu", cs, 2.0, q=5.0, nodes=240), abs=1e-12
    )


def _simulated_tanh_map(c: float, sigma_w2: float, sigma_b2: float, q: float, seed: int):
    """One wide tanh layer: the cosine of the next pre-activations, per block of units."""
    rng = np.random.default_rng(seed)
    units = 200_000
    t1, t2 = rng.standard_normal((2, units))
    u1 = math.sqrt(q) * t1
    u2 = math.sqrt(q) * (c * t1 + math.sqrt(1 - c * c) * t2)
    a, b = np.tanh(u1), np.tanh(u2)
    blocks = []
    for ai, bi in zip(np.split(a, 20), np.split(b, 20), strict=True):
        n = ai.size
        cross = sigma_w2 * (ai @ bi) / n + sigma_b2
        norm1 = sigma_w2 * (ai @ ai) / n + sigma_b2
        norm2 = sigma_w2 * (bi @ bi) / n + sigma_b2
        blocks.append(cross / math.sqrt(norm1 * norm2))
    return estimate_mean(np.array(blocks))


@pytest.mark.parametrize("c", [-0.6, 0.0, 0.5, 0.9])
def test_tanh_map_against_simulation(c):
    q = gains.fixed_point("tanh", math.sqrt(2.0), bias_variance=0.1)
    est = _simulated_tanh_map(c, 2.0, 0.1, q, seed=int(10 * (c + 1)))
    assert _agree(est, sg.correlation_map("tanh", c, 2.0, sigma_b2=0.1))


def test_tanh_map_exact_points_and_convergence():
    w2, b2 = 25 / 9, 0.05
    q = gains.fixed_point("tanh", math.sqrt(w2), bias_variance=b2)
    assert sg.correlation_map("tanh", 1.0, w2, sigma_b2=b2) == pytest.approx(1.0, abs=1e-12)
    # tanh is odd: at c = 0 only the bias is shared
    assert sg.correlation_map("tanh", 0.0, w2, sigma_b2=b2) == pytest.approx(b2 / q, rel=1e-6)
    cs = np.array([-0.5, 0.3, 0.8])
    fine = sg.correlation_map("tanh", cs, w2, sigma_b2=b2, nodes=200)
    assert sg.correlation_map("tanh", cs, w2, sigma_b2=b2) == pytest.approx(fine, abs=1e-8)
    qs, _ = sg.iterate_correlation_map("tanh", 0.5, q, w2, 20, sigma_b2=b2)
    assert qs == pytest.approx(np.full(21, q), rel=1e-6)


def test_correlation_map_rejects_bad_input():
    with pytest.raises(ValueError, match="c must be"):
        sg.correlation_map("tanh", 1.2, 2.0)
    with pytest.raises(ValueError, match="sigma_w2"):
        sg.correlation_map("tanh", 0.5, 0.0)
    with pytest.raises(ValueError, match="sigma_b2"):
        sg.correlation_map("tanh", 0.5, 2.0, sigma_b2=-0.1)
    with pytest.raises(ValueError, match="pass q"):  # ReLU at sigma_w^2 = 2 with bias: q grows
        sg.correlation_map("relu", 0.5, 2.0, sigma_b2=0.1)
    with pytest.raises(ValueError, match="q0"):
        sg.iterate_correlation_map("tanh", 0.5, 0.0, 2.0, 3)


# ------------------------------------------------------------------------- phase diagram


def test_grid_against_gains():
    w2 = np.array([0.8, 1.5, 25 / 9, 3.5])
    b2 = np.array([0.0, 0.05, 0.3])
    q, chi = sg.chi1_grid("tanh", w2[None, :], b2[:, None])
    for i, b in enumerate(b2):
        for j, w in enumerate(w2):
            q_ref = gains.fixed_point("tanh", math.sqrt(w), bias_variance=b)
            assert q[i, j] == pytest.approx(q_ref, rel=1e-6, abs=1e-12)
            assert chi[i, j] == pytest.approx(gains.chi1("tanh", math.sqrt(w), q_ref), rel=1e-6)
    q53, chi53 = sg.chi1_grid("tanh", 25 / 9, 0.0)
    assert round(float(q53), 2) == 1.18 and round(float(chi53), 2) == 1.21


def test_grid_relu_closed_forms():
    q, chi = sg.chi1_grid("relu", np.array([1.8, 2.5]), 0.1)
    assert q[0] == pytest.approx(1.0, rel=1e-9) and chi[0] == pytest.approx(0.9, rel=1e-6)
    assert q[1] == np.inf and chi[1] == np.inf
    assert sg.fixed_point_grid("tanh", 0.9, 0.0) == 0.0


def test_edge_curve_against_gains():
    b2 = np.array([0.0, 0.05, 0.1, 0.3])
    curve = sg.edge_of_chaos_curve("tanh", b2)
    assert curve[0] == pytest.approx(1.0, abs=1e-6)
    for b, w in zip(b2[1:], curve[1:], strict=True):
        assert w == pytest.approx(gains.edge_of_chaos_gain("tanh", bias_variance=b) ** 2, rel=1e-6)
    assert np.all(np.diff(curve) > 0)
    assert isinstance(sg.edge_of_chaos_curve("tanh", 0.2), float)


def test_phase_functions_reject_bad_input():
    with pytest.raises(ValueError, match="sigma_b2"):
        sg.fixed_point_grid("tanh", 1.0, -0.1)
    with pytest.raises(ValueError, match="sigma_w2"):
        sg.chi1_grid("tanh", np.array([1.0, -1.0]), 0.0)
    with pytest.raises(ValueError, match="broadcast"):
        sg.fixed_point_grid("tanh", np.ones(3), np.zeros(2))
    with pytest.raises(ValueError, match="does not cross 1"):
        sg.edge_of_chaos_curve("tanh", 0.3, sigma_w2_range=(0.5, 1.5))
    with pytest.raises(TypeError, match="sigma_w2_range"):
        sg.edge_of_chaos_curve("tanh", 0.3, sigma_w2_range=2.0)
