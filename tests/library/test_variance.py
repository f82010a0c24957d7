"""``kaiming_lab.variance``: the recursion against closed forms, scipy's quad and sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _references import NON_HOMOGENEOUS, quad_expectation
from scipy import integrate, stats

import kaiming_lab as kl
from kaiming_lab import variance
from kaiming_lab.activations import SELU_ALPHA, SELU_SCALE, get_activation
from kaiming_lab.montecarlo import DEFAULT_K_SE as K_SE
from kaiming_lab.montecarlo import estimate_mean

# ---------------------------------------------------------------- Gaussian expectations


def test_gaussian_quadrature_is_exact_for_polynomials():
    # E[z^4] = 3 q^2 for z ~ N(0, q): a closed form, not the rule itself
    assert variance.gaussian_expectation(lambda z: z**4, 2.5) == pytest.approx(
        3 * 2.5**2, rel=1e-13
    )
    assert variance.gaussian_expectation(lambda z: z**2 + 1.0, 0.0) == 1.0


@pytest.mark.parametrize("name", NON_HOMOGENEOUS)
@pytest.mark.parametrize("q", [0.05, 1.0, 7.0])
def test_second_moment_against_adaptive_quadrature(name, q):
    act = get_activation(name)
    s = math.sqrt(q)

    def integrand(z):
        return act(np.array([s * z]))[0] ** 2 * stats.norm.pdf(z)

    exact, _ = integrate.quad(integrand, -12, 12, limit=200)
    assert kl.second_moment(name, q) == pytest.approx(exact, rel=1e-9)


@pytest.mark.parametrize("slope", [0.0, 0.01, 0.2, 0.5, 1.0])
@pytest.mark.parametrize("q", [0.1, 1.0, 7.5])
def test_leaky_relu_moments_are_closed_forms(slope, q):
    name = "relu" if slope == 0.0 else "leaky_relu"
    factor = (1 + slope**2) / 2
    assert kl.second_moment(name, q, slope=slope) == pytest.approx(factor * q)
    assert variance.derivative_second_moment(name, q, slope=slope) == pytest.approx(factor)


@pytest.mark.parametrize("name", NON_HOMOGENEOUS)
@pytest.mark.parametrize("q", [0.3, 1.0, 4.0])
def test_derivative_second_moment_matches_quad(name, q):
    act = get_activation(name)
    exact = quad_expectation(lambda z: act.derivative(z) ** 2, q)
    assert variance.derivative_second_moment(name, q) == pytest.approx(exact, rel=1e-9)


def test_derivative_second_moment_at_zero_is_the_limit():
    # at q = 0 the limit of the one-sided derivatives, not phi'(0)^2
    limit = SELU_SCALE**2 * (1 + SELU_ALPHA**2) / 2
    assert variance.derivative_second_moment("selu", 0.0) == pytest.approx(limit)
    # continuity: the value at a tiny q is the same limit
    assert variance.derivative_second_moment("selu", 1e-12) == pytest.approx(limit, rel=1e-5)
    assert variance.derivative_second_moment("tanh", 0.0) == pytest.approx(1.0)


# ---------------------------------------------------------------- the forward recursion


@pytest.mark.parametrize(
    ("activation", "sigma_w2"), [("relu", 2.0), ("leaky_relu", 2.0 / 1.0001), ("linear", 1.0)]
)
def test_variance_is_preserved_at_the_kaiming_scale(activation, sigma_w2):
    q = kl.predicted_variances(40, sigma_w2=sigma_w2, activation=activation)
    np.testing.assert_allclose(q, sigma_w2, rtol=1e-12)


@pytest.mark.parametrize("multiplier", [0.5, 1.3])
def test_relu_variance_scales_as_multiplier_to_the_h(multiplier):
    q = kl.predicted_variances(30, sigma_w2=2.0 * multiplier, input_second_moment=0.7)
    expected = 2.0 * multiplier * 0.7 * multiplier ** np.arange(30)
    np.testing.assert_allclose(q, expected, rtol=1e-12)


def test_bias_adds_a_constant_and_xavier_halves_per_layer():
    q = kl.predicted_variances(3, sigma_w2=2.0, sigma_b2=0.5)
    np.testing.assert_allclose(q, [2.5, 3.0, 3.5])
    xavier = kl.predicted_variances(31, sigma_w2=1.0)
    kaiming = kl.predicted_variances(31, sigma_w2=2.0)
    # std ratio after 30 more ReLU layers: 2^(-30/2) = 2^-15, times the first layer's 1/sqrt(2)
    assert math.sqrt(xavier[-1] / kaiming[-1]) == pytest.approx(2**-15 / math.sqrt(2))


def test_tanh_recursion_against_quad():
    q = kl.predicted_variances(4, sigma_w2=1.7, sigma_b2=0.1, activation="tanh")
    for h in range(1, 4):
        step = 1.7 * quad_expectation(lambda z: np.tanh(z) ** 2, q[h - 1]) + 0.1
        assert q[h] == pytest.approx(step, rel=1e-9)


def test_overflowing_prediction_says_inf_without_warnings():
    q = kl.predicted_variances(400, sigma_w2=200.0)
    assert np.isinf(q[-1]) and np.all(q[:100] > 0)


# ---------------------------------------------------------------- the backward recursion


def test_gradient_variance_fan_in_vs_fan_out():
    widths = [64, 128, 32, 256, 64]
    fan_in = np.array([widths[h + 1] / widths[h] for h in range(4)])  # fan_out / fan_in
    # fan-out Kaiming: Var(W) = 2 / d_{h+1}, so sigma_w^2 = fan_in * Var(W) = 2 d_h / d_{h+1}
    g = kl.predicted_gradient_variances(widths, sigma_w2=2.0 / fan_in)
    np.testing.assert_allclose(g, 1.0)
    g_in = kl.predicted_gradient_variances(widths, sigma_w2=2.0)
    # fan-in Kaiming: each layer multiplies the gradient variance by d_{h+1} / d_h; the product
    # telescopes to d_H / d_0 at the input
    assert g_in[0] == pytest.approx(widths[-1] / widths[0])


def test_gradient_variance_for_tanh_uses_the_forward_variances():
    q = kl.predicted_variances(5, sigma_w2=1.0, activation="tanh")
    g = kl.predicted_gradient_variances(
        [10] * 6, sigma_w2=1.0, activation="tanh", forward_variances=q
    )
    slope2 = [quad_expectation(lambda z: (1 - np.tanh(z) ** 2) ** 2, v) for v in q]
    np.testing.assert_allclose(g[:-1], np.cumprod(slope2[::-1])[::-1], rtol=1e-9)
    with pytest.raises(ValueError, match="forward_variances is needed"):
        kl.predicted_gradient_variances([10] * 6, activation="tanh")


def test_relu_mean_by_monte_carlo(rng):
    z = rng.normal(0.0, 2.0, size=200_000)
    assert estimate_mean(np.maximum(z, 0)).agrees_with(kl.relu_mean(2.0), K_SE)
    assert kl.relu_mean(1.0) == pytest.approx(1 / math.sqrt(2 * math.pi))


# ---------------------------------------------------------------- checks at the door


def test_prediction_arguments_are_checked():
    with pytest.raises(TypeError, match="sigma_w2 must be a real number or a sequence"):
        kl.predicted_variances(3, sigma_w2="0.5")
    with pytest.raises(TypeError, match="sigma_w2 must be a real number"):
        kl.predicted_variances(3, sigma_w2=True)
    with pytest.raises(ValueError, match=r"sigma_w2 must hold one value per layer \(3\)"):
        kl.predicted_variances(3, sigma_w2=[2.0, 2.0])
    with pytest.raises(ValueError, match="widths must have at least 2 entries"):
        kl.predicted_gradient_variances([5])
    with pytest.raises(ValueError, match=r"widths must be a flat sequence"):
        kl.predicted_gradient_variances(np.ones((2, 3), dtype=int))
    with pytest.raises(ValueError, match=r"forward_variances must hold one Var\(z\^\(h\)\) per"):
        kl.predicted_gradient_variances([4, 4, 4], activation="tanh", forward_variances=[1.0])
    with pytest.raises(ValueError, match="q must be >= 0"):
        variance.derivative_second_moment("tanh", -1.0)
    with pytest.raises(TypeError, match="func must be a callable"):
        variance.gaussian_expectation(3.0, 1.0)


def test_a_deep_prediction_checks_its_arguments_once(monkeypatch):
    """The recursion's inner steps call unchecked helpers: checks do not grow with depth."""
    calls = []
    real = variance.check_float

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(variance, "check_float", counting)
    q = kl.predicted_variances(500, sigma_w2=1.5, sigma_b2=0.05, activation="tanh")
    kl.predicted_gradient_variances([8] * 501, sigma_w2=1.5, activation="tanh", forward_variances=q)
    assert len(calls) <= 5, calls
