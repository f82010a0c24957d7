"""The explorer's update logic and figure, without widgets or a browser.

Exact comparisons (the explorer's network against ``simulate_forward`` and
``propagate``) use a relative tolerance of 1e-10: the arithmetic is the same up
to the order of a few roundings. Monte Carlo comparisons use the package's
``DEFAULT_K_SE`` (4 standard errors).
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image

from kaiming_lab import estimate_mean, predicted_variances, propagate
from kaiming_lab.explorer.model import (
    BACKWARD_SAMPLES,
    HIST_BINS,
    MAX_DEPTH,
    ExplorerFigure,
    ExplorerModel,
    ExplorerState,
    activation_histogram,
    gradient_rng,
    histogram_layers,
    noise_band,
    preset_multiplier,
    simulate_state,
    verdict,
)
from kaiming_lab.montecarlo import DEFAULT_K_SE

RTOL = 1e-10
SMALL = {"width": 32, "batch": BACKWARD_SAMPLES}


@pytest.fixture(scope="module")
def model() -> ExplorerModel:
    return ExplorerModel(network_cache=4, run_cache=16)


def _simulate(state: ExplorerState, **extra):
    return simulate_state(state, depth=MAX_DEPTH, **extra)


# ---------------------------------------------------------------------------
# the network is simulate_forward's


@pytest.mark.parametrize(
    ("activation", "slope", "multiplier", "bias"),
    [
        ("relu", 0.01, 1.0, 0.0),
        ("relu", 0.01, 0.55, 0.0),
        ("leaky_relu", 0.2, 1.3, 0.0),
        ("linear", 0.01, 0.5, 0.0),
        ("tanh", 0.01, 1.4, 0.0),
        ("relu", 0.01, 1.0, 0.3),
        ("tanh", 0.01, 0.8, 0.2),
    ],
)
def test_full_depth_equals_simulate_forward(model, activation, slope, multiplier, bias):
    state = ExplorerState(
        depth=MAX_DEPTH,
        multiplier=multiplier,
        activation=activation,
        slope=slope,
        bias_variance=bias,
        seed=7,
        **SMALL,
    )
    view = model.compute(state)
    ref = _simulate(state)
    np.testing.assert_allclose(view.rms_z**2, ref.mean_sq_z, rtol=RTOL)
    np.testing.assert_allclose(
        view.theory_std**2,
        predicted_variances(
            MAX_DEPTH,
            sigma_w2=2 * multiplier,
            sigma_b2=bias,
            activation=state.get_activation(),
            input_second_moment=ref.input_second_moment,
        ),
        rtol=1e-14,
    )
    np.testing.assert_allclose(view.hist_zero_fraction[-1], ref.zero_fraction[-1], rtol=RTOL)


def test_network_arrays_are_simulate_forwards_draws(model):
    state = ExplorerState(depth=MAX_DEPTH, multiplier=2.0, seed=3, bias_variance=0.1, **SMALL)
    x, weights, biases = model.network(state)
    ref = _simulate(state)
    direct = propagate(x, weights, biases=biases)
    np.testing.assert_allclose(direct.mean_sq_z, ref.mean_sq_z, rtol=RTOL)
    assert len(weights) == len(biases) == MAX_DEPTH
    assert weights[0].shape == (state.width, state.width)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "linear"])
@pytest.mark.parametrize("multiplier", [0.1, 0.37, 1.0, 3.0, 10.0])
def test_rescaling_matches_a_fresh_simulation(model, activation, multiplier):
    """For homogeneous activations a variance change is a rescaling: std(z^(h)) ~ m^((h+1)/2)."""
    state = ExplorerState(
        depth=60, multiplier=multiplier, activation=activation, slope=0.3, seed=11, **SMALL
    )
    view = model.compute(state)
    assert view.rescaled == (multiplier != 1.0)
    x, weights, _ = model.network(state)
    fresh = propagate(x, weights, activation=state.get_activation())
    np.testing.assert_allclose(view.rms_z**2, fresh.mean_sq_z, rtol=1e-12)
    backward = propagate(
        x[:BACKWARD_SAMPLES],
        weights,
        activation=state.get_activation(),
        backward=True,
        rng=gradient_rng(state.seed, state.depth),
    )
    np.testing.assert_allclose(view.grad_var, backward.grad_var, rtol=RTOL)


def test_rescaling_exponent_is_h_plus_one_over_two(model):
    base = model.compute(ExplorerState(depth=40, seed=2, **SMALL))
    for m in (0.25, 4.0):
        view = model.compute(ExplorerState(depth=40, multiplier=m, seed=2, **SMALL))
        ratio = view.rms_z / base.rms_z
        np.testing.assert_allclose(ratio, m ** ((np.arange(40) + 1) / 2), rtol=1e-12)
        np.testing.assert_allclose(
            view.grad_var / base.grad_var, m ** (40 - np.arange(41.0)), rtol=1e-12
        )


def test_tanh_gradients_match_propagate(model):
    state = ExplorerState(depth=25, multiplier=1.7, activation="tanh", seed=4, **SMALL)
    view = model.compute(state)
    x, weights, _ = model.network(state)
    ref = propagate(
        x[:BACKWARD_SAMPLES],
        weights,
        activation="tanh",
        backward=True,
        rng=gradient_rng(state.seed, state.depth),
    )
    np.testing.assert_allclose(view.grad_var, ref.grad_var, rtol=RTOL)


def test_depth_is_a_slice_of_the_deepest_network(model):
    deep = model.compute(ExplorerState(depth=MAX_DEPTH, seed=5, **SMALL))
    for depth in (1, 17, 50):
        view = model.compute(ExplorerState(depth=depth, seed=5, **SMALL))
        np.testing.assert_array_equal(view.rms_z, deep.rms_z[:depth])
        assert view.hist_layers == histogram_layers(depth)


def test_theory_agrees_with_the_mean_over_networks():
    """Mean over 12 seeds of Var(z^(h)) / theory is 1 within 4 SE (layers 0, 10, 29)."""
    fresh = ExplorerModel(network_cache=1, run_cache=1)
    for activation, m in (("relu", 1.0), ("tanh", 1.3)):
        ratios = []
        for seed in range(12):
            view = fresh.compute(
                ExplorerState(depth=30, multiplier=m, activation=activation, seed=seed, width=64)
            )
            ratios.append(view.rms_z**2 / view.theory_std**2)
        ratios = np.array(ratios)
        for h in (0, 10, 29):
            est = estimate_mean(ratios[:, h])
            assert est.agrees_with(1.0, DEFAULT_K_SE), (activation, h, est)


def test_gradient_theory_agrees_with_the_mean_over_networks():
    fresh = ExplorerModel(network_cache=1, run_cache=1)
    ratios = [
        (v := fresh.compute(ExplorerState(depth=20, seed=seed, width=64))).grad_var[0]
        / v.grad_theory[0]
        for seed in range(12)
    ]
    assert estimate_mean(np.array(ratios)).agrees_with(1.0, DEFAULT_K_SE)


# ---------------------------------------------------------------------------
# presets


def test_presets_for_square_layers():
    assert preset_multiplier("kaiming", "relu") == 1.0
    assert preset_multiplier("xavier", "relu", fan_in=64) == 0.5
    assert preset_multiplier("pytorch_default", "relu") == pytest.approx(1 / 6, rel=1e-15)
    assert preset_multiplier("kaiming", "leaky_relu", slope=0.3) == pytest.approx(1 / 1.09)
    assert preset_multiplier("kaiming", "tanh") == 1.0
    assert preset_multiplier("kaiming", "linear") == 1.0
    assert preset_multiplier("xavier", "tanh", fan_in=7) == 0.5


def test_presets_for_unequal_fans():
    assert preset_multiplier("xavier", "relu", fan_in=100, fan_out=300) == pytest.approx(0.25)
    assert preset_multiplier("pytorch_default", "relu", fan_in=100, fan_out=300) == pytest.approx(
        1 / 6
    )


def test_custom_and_unknown_presets_raise():
    with pytest.raises(ValueError, match="custom"):
        preset_multiplier("custom")
    with pytest.raises(ValueError, match="preset"):
        preset_multiplier("lecun")


def test_state_validates():
    with pytest.raises(ValueError, match="depth"):
        ExplorerState(depth=MAX_DEPTH + 1)
    with pytest.raises(ValueError, match="multiplier"):
        ExplorerState(multiplier=0.0)
    with pytest.raises(ValueError, match="activation"):
        ExplorerState(activation="softplus")
    assert ExplorerState(activation="ReLU").activation == "relu"


# ---------------------------------------------------------------------------
# pure helpers


def test_verdict_stable_within_percent():
    std = 1.0 + 0.047 * np.sin(np.arange(50))  # largest deviation 4.7%
    assert verdict(std, width=256) == ("stable", "stable: within 5% over 50 layers")


def test_verdict_exploding_and_vanishing():
    up = 10.0 ** (np.arange(50) * 12 / 49)
    status, text = verdict(up, width=256, theory_std=up)
    assert status == "exploding"
    assert text == "exploding: std(z) ×1.0e12 by layer 49 (theory ×1.0e12)"
    status, text = verdict(1 / up, width=256)
    assert (status, text) == ("vanishing", "vanishing: std(z) ×1.0e-12 by layer 49")


def test_verdict_uses_the_finite_width_band():
    # x3 over 50 layers: chance at width 64 (band x10), exploding at width 100000 (band x1.05)
    std = np.linspace(1.0, 3.0, 50)
    assert verdict(std, width=64)[0] == "stable"
    assert "finite-width wobble" in verdict(std, width=64)[1]
    assert verdict(std, width=100_000)[0] == "exploding"
    assert noise_band(50, 2) == pytest.approx(math.log(10))
    assert noise_band(2, 10**9) == pytest.approx(math.log(1.05))


def test_verdict_underflow_overflow_and_one_layer():
    std = np.ones(80)
    assert verdict(std, width=8, underflow_layer=63) == (
        "vanishing",
        "vanishing: all activations are exactly 0 from layer 63",
    )
    status, text = verdict(std, width=8, overflow_layer=41)
    assert status == "overflow" and "from layer 41" in text and "1.8e308" in text
    assert verdict(np.array([1.4142]), width=8) == (
        "stable",
        "stable: a single layer, std(z) = 1.41",
    )
    with pytest.raises(ValueError, match="at least one"):
        verdict(np.array([]), width=8)


def test_histogram_is_scale_free_and_drops_zeros():
    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal((64, 32)), 0.0)
    counts, rms, zero_fraction = activation_histogram(x)
    assert counts.shape == (HIST_BINS,)
    assert counts.sum() == np.count_nonzero(x)
    assert zero_fraction == pytest.approx(np.mean(x == 0))
    assert rms == pytest.approx(np.sqrt(np.mean(x**2)), rel=1e-15)
    # powers of two scale exactly, so the counts are identical
    for c in (2.0**-40, 2.0**30):
        scaled, scaled_rms, _ = activation_histogram(c * x)
        np.testing.assert_array_equal(scaled, counts)
        assert scaled_rms == pytest.approx(c * rms, rel=1e-15)


def test_histogram_clips_into_end_bins_and_handles_zeros():
    x = np.concatenate([[-1000.0, 1000.0, 0.0], np.full(97, 0.5)])  # rms ~ 140
    counts, _, zero_fraction = activation_histogram(x)
    assert counts[0] == 1 and counts[-1] == 1 and counts.sum() == 99
    assert zero_fraction == 0.01
    counts, rms, zero_fraction = activation_histogram(np.zeros(10))
    assert counts.sum() == 0 and rms == 0.0 and zero_fraction == 1.0


# ---------------------------------------------------------------------------
# extremes: a verdict, no exception, no warning (pytest runs with -W error)


@pytest.mark.parametrize(
    ("changes", "statuses"),
    [
        ({"depth": 100, "multiplier": 10.0}, {"exploding"}),
        ({"depth": 100, "multiplier": 0.1}, {"vanishing"}),
        ({"depth": 100, "multiplier": 10.0, "activation": "linear"}, {"exploding"}),
        ({"depth": 100, "multiplier": 10.0, "activation": "tanh"}, {"stable", "exploding"}),
        ({"depth": 100, "multiplier": 0.1, "activation": "tanh"}, {"vanishing"}),
        ({"depth": 100, "width": 2}, {"vanishing", "stable", "exploding"}),
        ({"depth": 100, "width": 2, "multiplier": 10.0}, {"exploding", "vanishing"}),
        ({"depth": 100, "bias_variance": 1.0, "multiplier": 0.1}, {"stable", "vanishing"}),
        ({"depth": 1, "multiplier": 0.1}, {"stable"}),
        ({"depth": 100, "activation": "leaky_relu", "slope": 1.0}, {"exploding"}),
    ],
)
def test_extremes_give_a_verdict(model, changes, statuses):
    state = ExplorerState(**{"batch": BACKWARD_SAMPLES, "width": 32, **changes})
    view = model.compute(state)
    assert view.status in statuses, view.verdict
    assert view.verdict.startswith(view.status if view.status != "overflow" else "overflow")
    figure = ExplorerFigure()
    figure.update(view)
    assert figure.to_png().startswith(b"\x89PNG")


def _dead_relu_state(model) -> ExplorerState:
    for seed in range(50):
        state = ExplorerState(depth=MAX_DEPTH, width=2, seed=seed, batch=BACKWARD_SAMPLES)
        if model.compute(state).underflow_layer is not None:
            return state
    raise AssertionError("no width-2 ReLU network died in 50 seeds")


def test_dead_network_is_stated_in_words(model):
    state = _dead_relu_state(model)
    view = model.compute(state)
    k = view.underflow_layer
    assert view.verdict == f"vanishing: all activations are exactly 0 from layer {k}"
    assert np.all(view.rms_z[k + 1 :] == 0.0)
    figure = ExplorerFigure()
    figure.update(view)
    y = figure.mc_line.get_ydata()
    assert np.all(np.isnan(y[k + 1 :])) and not np.any(np.isinf(y))
    assert f"from layer {k}" in figure.forward_note.get_text()


@pytest.mark.parametrize("bias", [0.0, 0.1])
def test_overflow_is_stated_not_plotted(model, bias):
    # far outside the slider's range on purpose: Var(W) = 2e4 / width on a linear net
    state = ExplorerState(
        depth=MAX_DEPTH, multiplier=1e4, activation="linear", bias_variance=bias, **SMALL
    )
    view = model.compute(state)
    assert view.status == "overflow"
    k = view.overflow_layer
    assert 20 < k < MAX_DEPTH
    assert np.all(np.isnan(view.rms_z[k:])) and np.all(np.isfinite(view.rms_z[:k]))
    figure = ExplorerFigure()
    figure.update(view)
    y = np.asarray(figure.mc_line.get_ydata())
    assert not np.any(np.isinf(y))
    assert "beyond float64" in figure.forward_note.get_text()
    assert figure.to_png().startswith(b"\x89PNG")


# ---------------------------------------------------------------------------
# the figure shows the view's numbers


def test_figure_artists_hold_the_view(model):
    view = model.compute(ExplorerState(depth=37, multiplier=1.5, seed=1, **SMALL))
    figure = ExplorerFigure()
    figure.update(view)
    np.testing.assert_array_equal(figure.mc_line.get_xdata(), np.arange(37))
    np.testing.assert_array_equal(figure.mc_line.get_ydata(), view.rms_z)
    np.testing.assert_array_equal(figure.theory_line.get_ydata(), view.theory_std)
    np.testing.assert_array_equal(figure.grad_line.get_ydata(), view.grad_var)
    np.testing.assert_array_equal(figure.grad_theory_line.get_ydata(), view.grad_theory)
    for i, steps in enumerate(figure.hist_steps):
        np.testing.assert_array_equal(steps.get_data().values, view.hist_density[i])
        assert figure.ax_hists[i].get_title().startswith(f"layer {view.hist_layers[i]}:")
    assert figure.title.get_text() == view.verdict
    lo, hi = figure.ax_forward.get_ylim()
    assert lo <= np.nanmin(view.rms_z) and hi >= np.nanmax(view.rms_z)


def test_histogram_density_integrates_to_the_non_zero_share(model):
    view = model.compute(ExplorerState(depth=20, seed=1, **SMALL))
    step = view.hist_edges[1] - view.hist_edges[0]
    area = view.hist_density.sum(axis=1) * step
    np.testing.assert_allclose(area, 1.0 - view.hist_zero_fraction, rtol=1e-12)


def test_fast_png_matches_a_full_savefig(model):
    figure = ExplorerFigure()
    for m in (1.0, 6.0, 0.2):
        figure.update(model.compute(ExplorerState(depth=30, multiplier=m, **SMALL)))
        fast = figure.to_png()
    full = figure.savefig_png()
    a = np.asarray(Image.open(io.BytesIO(fast)).convert("RGB")).astype(int)
    b = np.asarray(Image.open(io.BytesIO(full)).convert("RGB")).astype(int)
    assert a.shape == b.shape
    # blitting draws the same artists; only anti-aliased edges may differ slightly
    assert np.mean(np.any(np.abs(a - b) > 40, axis=-1)) < 0.01


def test_png_changes_when_the_view_changes(model):
    figure = ExplorerFigure()
    figure.update(model.compute(ExplorerState(depth=30, **SMALL)))
    first = figure.to_png()
    figure.update(model.compute(ExplorerState(depth=30, multiplier=5.0, **SMALL)))
    assert figure.to_png() != first
