"""``kaiming_lab.correlation``: the correlation map against sampling, closed forms and quadrature.

Monte Carlo comparisons of the tanh map use 4.5 standard errors (SE from 20
independent blocks of units); the others the project's 4 SE. Seeds are fixed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import kaiming_lab as kl
from kaiming_lab import correlation, gains
from kaiming_lab.activations import Activation
from kaiming_lab.montecarlo import DEFAULT_K_SE as K_SE
from kaiming_lab.montecarlo import estimate_mean

Z = 4.5


def _agree(estimate, exact: float) -> bool:
    return abs(estimate.value - exact) <= Z * estimate.se


@pytest.mark.parametrize("c", [-0.6, 0.0, 0.5, 0.9])
def test_relu_correlation_map_by_monte_carlo(c, rng):
    u1 = rng.standard_normal(400_000)
    u2 = c * u1 + math.sqrt(1 - c**2) * rng.standard_normal(400_000)
    est = estimate_mean(2.0 * np.maximum(u1, 0) * np.maximum(u2, 0))
    assert est.agrees_with(kl.relu_correlation_map(c), K_SE)


def test_relu_correlation_map_special_values():
    assert kl.relu_correlation_map(0.0) == pytest.approx(1 / math.pi)
    assert kl.relu_correlation_map(1.0) == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"c must be a correlation in \[-1, 1\]"):
        kl.relu_correlation_map(1.5)


def test_relu_iterates_and_asymptote():
    c = correlation.relu_correlation_iterates(0.0, 1000)
    assert c[1] == pytest.approx(1 / math.pi)
    ratios = [(1 - c[k]) / correlation.relu_correlation_asymptote(k) for k in (10, 100, 1000)]
    assert [round(r, 2) for r in ratios] == [0.29, 0.81, 0.97]
    assert np.all(np.diff(c) > 0)
    assert correlation.relu_correlation_asymptote(np.array([1, 3])) == pytest.approx(
        [9 * math.pi**2 / 2, math.pi**2 / 2]
    )
    with pytest.raises(ValueError, match="layers"):
        correlation.relu_correlation_asymptote(0)
    with pytest.raises(ValueError, match="c0"):
        correlation.relu_correlation_iterates(1.5, 3)


def _relu_without_closed_form() -> Activation:
    """ReLU as a plain Activation (no ``second_moment_ratio``): the map must use quadrature."""
    return Activation("relu_by_quadrature", lambda z: np.maximum(z, 0.0), lambda z: 1.0 * (z > 0))


def test_quadrature_converges_to_the_relu_closed_form():
    cs = np.linspace(-0.95, 0.95, 9)
    exact = kl.relu_correlation_map(cs)
    relu = _relu_without_closed_form()
    errors = {
        nodes: np.abs(kl.correlation_map(relu, cs, 2.0, q=1.7, nodes=nodes) - exact).max()
        for nodes in (40, 120, 240)
    }
    # at ReLU's kink the Gauss-Hermite error falls only like 1 / nodes
    assert errors[120] < 2.5e-3 and errors[240] < errors[120] < errors[40]
    assert kl.correlation_map(relu, 1.0, 2.0, q=1.0) == pytest.approx(1.0, abs=1e-12)
    # the named ReLU uses the closed form, exact to rounding
    assert kl.correlation_map("relu", cs, 2.0, q=1.7) == pytest.approx(exact, abs=1e-14)
    # for a positively homogeneous phi the map does not depend on q or sigma_w^2
    assert kl.correlation_map("relu", cs, 1.3, q=0.2) == pytest.approx(
        kl.correlation_map("relu", cs, 2.0, q=5.0), abs=1e-14
    )


@pytest.mark.parametrize(
    ("name", "slope"), [("leaky_relu", 0.2), ("leaky_relu", 0.6), ("linear", 0)]
)
@pytest.mark.parametrize("c", [-0.7, 0.1, 0.8])
def test_leaky_and_linear_maps_by_monte_carlo(name, slope, c, rng):
    """The cross moment E[phi(u1) phi(u2)] by sampling; the map divides it by (1 + a^2)/2 q."""
    a = 1.0 if name == "linear" else slope
    q, w2, b2 = 1.3, 1.7, 0.2
    u1 = math.sqrt(q) * rng.standard_normal(400_000)
    u2 = c * u1 + math.sqrt(q * (1 - c**2)) * rng.standard_normal(400_000)
    phi1, phi2 = np.where(u1 > 0, u1, a * u1), np.where(u2 > 0, u2, a * u2)
    second = w2 * (1 + a * a) / 2 * q + b2
    est = estimate_mean((w2 * phi1 * phi2 + b2) / second)
    mapped = kl.correlation_map(name, c, w2, sigma_b2=b2, q=q, slope=max(slope, 0.01))
    assert est.agrees_with(mapped, K_SE)
    if name == "linear":  # exact: (w2 q c + b2) / (w2 q + b2)
        assert mapped == pytest.approx((w2 * q * c + b2) / (w2 * q + b2), rel=1e-12)


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
    assert _agree(est, kl.correlation_map("tanh", c, 2.0, sigma_b2=0.1))


def test_tanh_map_exact_points_and_convergence():
    w2, b2 = 25 / 9, 0.05
    q = gains.fixed_point("tanh", math.sqrt(w2), bias_variance=b2)
    assert kl.correlation_map("tanh", 1.0, w2, sigma_b2=b2) == pytest.approx(1.0, abs=1e-12)
    # tanh is odd: at c = 0 only the bias is shared
    assert kl.correlation_map("tanh", 0.0, w2, sigma_b2=b2) == pytest.approx(b2 / q, rel=1e-6)
    cs = np.array([-0.5, 0.3, 0.8])
    fine = kl.correlation_map("tanh", cs, w2, sigma_b2=b2, nodes=200)
    assert kl.correlation_map("tanh", cs, w2, sigma_b2=b2) == pytest.approx(fine, abs=1e-8)
    qs, _ = correlation.iterate_correlation_map("tanh", 0.5, q, w2, 20, sigma_b2=b2)
    assert qs == pytest.approx(np.full(21, q), rel=1e-6)


def test_correlation_map_rejects_bad_input():
    with pytest.raises(ValueError, match="c must be"):
        kl.correlation_map("tanh", 1.2, 2.0)
    with pytest.raises(ValueError, match="sigma_w2"):
        kl.correlation_map("tanh", 0.5, 0.0)
    with pytest.raises(ValueError, match="sigma_b2"):
        kl.correlation_map("tanh", 0.5, 2.0, sigma_b2=-0.1)
    with pytest.raises(ValueError, match="pass q"):  # ReLU at sigma_w^2 = 2 with bias: q grows
        kl.correlation_map("relu", 0.5, 2.0, sigma_b2=0.1)
    with pytest.raises(ValueError, match="q0"):
        correlation.iterate_correlation_map("tanh", 0.5, 0.0, 2.0, 3)
