"""The variance-of-a-sum Monte Carlo against its exact moments (k = 4 SE, see conftest)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from kaiming_lab import estimate_variance
from kaiming_lab.lessons.nb03_sums import (
    draw_sums,
    exact_sum_variance,
    first_layer_moments,
    pair_estimate,
    product_variance,
)
from kaiming_lab.montecarlo import DEFAULT_K_SE


def test_product_variance_matches_simulation(rng: np.random.Generator) -> None:
    w = rng.normal(0.3, 0.5, size=400_000)
    x = rng.exponential(2.0, size=400_000)
    est = estimate_variance(w * x)
    assert est.agrees_with(product_variance(0.3, 0.25, 2.0, 4.0), k=DEFAULT_K_SE)


def test_first_layer_mean_matches_quadrature() -> None:
    # E[sqrt(v)] with v = (2/d0) chi2_d0, integrated numerically
    d0 = 3
    chi2 = stats.chi2(d0)
    mean_sqrt, _ = integrate.quad(lambda t: math.sqrt(2 * t / d0) * chi2.pdf(t), 0, np.inf)
    assert first_layer_moments(d0).mean == pytest.approx(mean_sqrt / math.sqrt(2 * math.pi))


@pytest.mark.parametrize("mu", [0.0, 0.08])
def test_sum_variance_and_covariances(rng: np.random.Generator, mu: float) -> None:
    d0, d1 = 3, 16
    draws = draw_sums(40_000, d0, d1, weight_mean=mu, rng=rng)
    exact = first_layer_moments(d0)
    assert estimate_variance(draws.z).agrees_with(exact_sum_variance(d0, d1, mu))
    assert draws.unit_average(draws.x**2).agrees_with(exact.second_moment)
    assert draws.unit_average(draws.x).agrees_with(exact.mean)
    pairs = pair_estimate(draws.x**2)
    assert pairs.agrees_with(exact.second_moment**2 + exact.cov_squares)
    terms = pair_estimate(draws.terms)
    assert terms.agrees_with(mu**2 * (exact.cov + exact.mean**2))


def test_exact_variance_is_two_for_zero_mean() -> None:
    assert exact_sum_variance(5, 40) == pytest.approx(2.0)
    assert exact_sum_variance(5, 40, 0.1) > 2.0


def test_pair_estimate_needs_two_units() -> None:
    with pytest.raises(ValueError, match="at least 2 units"):
        pair_estimate(np.ones((5, 1)))


def test_draw_sums_in_blocks_keeps_shapes_and_moments(monkeypatch: pytest.MonkeyPatch) -> None:
    from kaiming_lab.lessons import nb03_sums as sums

    monkeypatch.setattr(sums, "_MAX_BLOCK_WEIGHTS", 4 * 8 * 1000)  # blocks of 1000 draws
    d0, d1 = 4, 8
    draws = draw_sums(20_500, d0, d1, rng=np.random.default_rng(5))
    assert draws.x.shape == draws.w.shape == (20_500, d1)
    assert not np.array_equal(draws.w[:1000], draws.w[1000:2000])  # blocks are fresh draws
    assert estimate_variance(draws.z).agrees_with(exact_sum_variance(d0, d1))
    assert pair_estimate(draws.x**2).agrees_with(1.0 + first_layer_moments(d0).cov_squares)


def test_fixed_input_layer_one_is_independent_layer_two_is_not() -> None:
    from kaiming_lab.lessons.nb03_sums import fixed_input_layers, layer2_cov_squares

    x0 = np.array([1.0, -2.0, 0.5, 1.5])
    v0 = 2 / 4 * np.sum(x0**2)
    x1, x2 = fixed_input_layers(x0, 16, 16, 40_000, rng=np.random.default_rng(3))
    assert x1.shape == (40_000, 16) and x2.shape == (40_000, 16)
    # E[x^2] = v0 / 2 at both layers; the squares' covariance is 0 at layer 1
    assert estimate_mean_of(x1**2).agrees_with(v0 / 2, k=DEFAULT_K_SE)
    assert estimate_mean_of(x2**2).agrees_with(v0 / 2, k=DEFAULT_K_SE)
    p1, p2 = pair_estimate(x1**2), pair_estimate(x2**2)
    assert abs(p1.value - (v0 / 2) ** 2) <= DEFAULT_K_SE * p1.se
    exact = layer2_cov_squares(x0, 16)
    assert math.isclose(exact, 5 * v0**2 / 64)
    assert abs(p2.value - (v0 / 2) ** 2 - exact) <= DEFAULT_K_SE * p2.se
    assert exact > 2 * DEFAULT_K_SE * p2.se  # the test could tell it from 0


def test_fixed_input_layers_rejects_bad_input() -> None:
    from kaiming_lab.lessons.nb03_sums import fixed_input_layers

    with pytest.raises(ValueError, match="x0"):
        fixed_input_layers(np.ones((2, 2)), 4, 4, 10)


def estimate_mean_of(values: np.ndarray):
    """Mean over draws of the per-draw average over units (one value per draw)."""
    from kaiming_lab import estimate_mean

    return estimate_mean(values.mean(axis=1))
