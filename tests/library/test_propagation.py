"""The network simulator against the theory, and its behaviour at the extremes.

The proposition is a statement about expectations over the random weights
and inputs, so the tests average over many independent networks (one seed
each) and use the standard error across networks. One network's layer
statistic drifts away from the expectation like a random walk in log space
(its relative spread grows like sqrt(5 depth / width)); that is physics,
not a bug, and is why a single run is never compared with the theory.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import kaiming_lab as kl
from kaiming_lab.montecarlo import DEFAULT_K_SE as K_SE
from kaiming_lab.montecarlo import estimate_mean

FLOAT_MAX = np.finfo(float).max


def ratios_to_theory(n_networks: int, depth: int, width: int, **kwargs) -> np.ndarray:
    """``mean_sq_z[h] / predicted[h]`` for each network (rows) and layer (columns).

    The prediction uses each network's own input second moment, so the ratio
    has expectation exactly 1 under the theory's assumptions.
    """
    rows = []
    for seed in range(n_networks):
        r = kl.simulate_forward(depth, width, batch=32, seed=seed, **kwargs)
        q = kl.predicted_variances(
            depth,
            sigma_w2=r.sigma_w2,
            sigma_b2=r.bias_variance,
            activation=kwargs.get("activation", "relu"),
            slope=kwargs.get("slope", 0.01),
            input_second_moment=r.input_second_moment,
        )
        rows.append(r.mean_sq_z / q)
    return np.array(rows)


def assert_mean_one(ratios: np.ndarray, k: float) -> None:
    for h in range(ratios.shape[1]):
        est = estimate_mean(ratios[:, h])
        assert est.agrees_with(1.0, k), f"layer {h}: {est} differs from 1 by more than {k} SE"


def test_kaiming_relu_keeps_the_variance_flat_over_32_layers():
    ratios = ratios_to_theory(300, 32, 128)
    # 32 comparisons: k = 4.5 keeps the joint false-alarm rate near 2e-4 (Bonferroni)
    assert_mean_one(ratios, 4.5)
    # and the theory itself is flat: every layer predicts Var(z^(0)) = 2 ||x||^2 / d_0
    q = kl.predicted_variances(32, sigma_w2=2.0, input_second_moment=1.0)
    np.testing.assert_allclose(q, 2.0)


@pytest.mark.parametrize("multiplier", [0.5, 1.5])
def test_variance_grows_or_shrinks_as_multiplier_to_the_h(multiplier):
    ratios = ratios_to_theory(150, 32, 128, variance_factor=multiplier)
    assert_mean_one(ratios, 4.5)
    q = kl.predicted_variances(32, sigma_w2=2.0 * multiplier)
    np.testing.assert_allclose(q[1:] / q[:-1], multiplier)


def test_one_layer_step_is_exact_in_expectation():
    """E[Var(z^(h)) | x^(h)] = sigma_w^2 E[x^2]: the lecture's first display, layer by layer."""
    steps = []
    for seed in range(100):
        r = kl.simulate_forward(32, 128, batch=32, seed=seed, activation="tanh", init="xavier")
        steps.append(r.mean_sq_z[1:] / (r.sigma_w2[1:] * r.second_moment_x[:-1]))
    # each ratio is an average over 128 x 32 terms, so pool them: 3100 values
    est = estimate_mean(np.ravel(steps))
    assert est.agrees_with(1.0, K_SE), est
    assert est.se < 0.01  # the test can tell a 4% error in the formula


@pytest.mark.parametrize(
    ("init", "activation"), [("kaiming", "leaky_relu"), ("kaiming_uniform", "relu")]
)
def test_other_flat_settings(init, activation):
    ratios = ratios_to_theory(150, 32, 128, init=init, activation=activation, slope=0.3)
    assert_mean_one(ratios, 4.5)


def test_xavier_halves_a_relu_net_per_layer_and_bias_adds_variance():
    xavier = ratios_to_theory(150, 20, 128, init="xavier")
    assert_mean_one(xavier, 4.5)
    biased = ratios_to_theory(150, 20, 128, bias_variance=0.3)
    assert_mean_one(biased, 4.5)


def test_statistics_are_consistent_with_their_definitions():
    x = np.random.default_rng(1).standard_normal((16, 8))
    weights = kl.draw_weights([8, 6, 4], rng=2)
    r = kl.propagate(x, weights)
    z0 = x @ weights[0].T
    x1 = np.maximum(z0, 0)
    z1 = x1 @ weights[1].T
    assert r.mean_sq_z[0] == pytest.approx(np.mean(z0**2))
    assert r.mean_sq_z[1] == pytest.approx(np.mean(z1**2))
    assert r.rms_z[1] == pytest.approx(np.sqrt(np.mean(z1**2)))
    assert r.mean_x[0] == pytest.approx(x1.mean())
    assert r.second_moment_x[0] == pytest.approx(np.mean(x1**2))
    assert r.zero_fraction[1] == pytest.approx(np.mean(z1 <= 0))
    assert r.max_abs_z[1] == pytest.approx(np.abs(z1).max())
    assert r.widths == (8, 6, 4) and r.depth == 2 and r.status == "finite"
    assert "layer" in r.table() and r.describe().startswith("finite")


def test_seed_reproduces_and_differs():
    a = kl.simulate_forward(5, 16, seed=3)
    b = kl.simulate_forward(5, 16, seed=3)
    c = kl.simulate_forward(5, 16, seed=4)
    assert np.array_equal(a.mean_sq_z, b.mean_sq_z)
    assert not np.array_equal(a.mean_sq_z, c.mean_sq_z)


def test_relu_zero_fraction_is_one_half():
    r = kl.simulate_forward(10, 512, batch=256, seed=0)
    zeros = r.zero_fraction.mean()
    # 10 x 512 x 256 indicators; units of one layer are correlated, so use 10 layers x 256
    # inputs as the effective sample: SE <= 0.5 / sqrt(2560) = 0.0099
    assert abs(zeros - 0.5) <= K_SE * 0.5 / math.sqrt(2560)


def no_warnings(**kwargs) -> kl.PropagationResult:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return kl.simulate_forward(**kwargs)


def test_overflow_is_reported_at_the_layer_theory_predicts():
    r = no_warnings(depth=120, width=64, variance_factor=1e6, seed=0, backward=True)
    assert r.status == "overflow" and "overflow" in r.describe()
    h = r.overflow_layer
    # theory in log space (the variance itself overflows first): for ReLU,
    # Var(z^(h)) = 2 m E[x^2] m^h, so log10 std = (log10(2 m E[x^2]) + h log10 m) / 2
    log_std = (math.log10(2e6 * r.input_second_moment) + np.arange(120) * 6.0) / 2
    # float64 overflows once |z| passes 1.8e308; the largest of 2,048 normals is a few std,
    # and each layer multiplies the std by 1000, so the layer is fixed to within one
    assert log_std[h] > math.log10(FLOAT_MAX / 100) and log_std[h - 1] < math.log10(FLOAT_MAX)
    assert np.all(np.isnan(r.mean_sq_z[h:])) and np.all(np.isnan(r.rms_z[h:]))
    # the std stays finite up to the overflow; the variance (its square) gives out earlier
    assert np.all(np.isfinite(r.rms_z[:h])) and np.isinf(r.mean_sq_z[h - 1])
    np.testing.assert_allclose(r.rms_z[:40], np.sqrt(r.mean_sq_z[:40]), rtol=1e-12)
    assert np.all(np.isnan(r.mean_sq_grad))


def test_underflow_is_reported_and_later_layers_are_zero():
    r = no_warnings(depth=120, width=64, variance_factor=1e-6, seed=0)
    assert r.status == "underflow" and "exactly 0" in r.describe()
    h = r.underflow_layer
    std = np.sqrt(kl.predicted_variances(120, sigma_w2=r.sigma_w2))
    assert std[h] < 1e-300  # the smallest positive float64 is 4.9e-324
    assert np.all(r.mean_sq_z[h + 1 :] == 0) and np.all(r.zero_fraction[h:] == 1)


def test_zero_weights_underflow_at_once():
    r = no_warnings(depth=5, width=4, variance_factor=0.0, seed=0)
    assert r.underflow_layer == 0


@pytest.mark.parametrize("activation", kl.ACTIVATIONS)
def test_every_activation_survives_extremes(activation):
    for multiplier in (1e-8, 1e8):
        r = no_warnings(
            depth=100, width=8, batch=4, activation=activation, variance_factor=multiplier
        )
        assert r.describe()


def test_backward_kaiming_fan_out_keeps_gradients_flat():
    widths = [64, 128, 64, 256, 128, 64, 128]
    rows = []
    for seed in range(200):
        r = kl.simulate_forward(6, widths=widths, init="kaiming_fan_out", seed=seed, backward=True)
        rows.append(r.mean_sq_grad / r.mean_sq_grad[-1])
    est = [estimate_mean(np.array(rows)[:, h]) for h in range(7)]
    for h, e in enumerate(est):
        assert e.agrees_with(1.0, 4.5), (h, e)


def test_backward_kaiming_fan_in_telescopes_to_the_width_ratio():
    widths = [256, 64, 128, 32, 64]
    rows = []
    for seed in range(200):
        r = kl.simulate_forward(4, widths=widths, seed=seed, backward=True)
        predicted = kl.predicted_gradient_variances(widths, sigma_w2=r.sigma_w2)
        rows.append(r.mean_sq_grad / r.mean_sq_grad[-1] / predicted)
    for h in range(5):
        assert estimate_mean(np.array(rows)[:, h]).agrees_with(1.0, 4.5)
    assert kl.predicted_gradient_variances(widths)[0] == pytest.approx(64 / 256)
