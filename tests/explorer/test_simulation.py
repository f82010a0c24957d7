"""The explorer's network, its histograms and its view (``kaiming_lab.explorer.simulation``).

Exact comparisons (the explorer's network against ``simulate_forward`` and
``propagate``) use a relative tolerance of 1e-10: the arithmetic is the same up
to the order of a few roundings. Monte Carlo comparisons use the package's
``DEFAULT_K_SE`` (4 standard errors).
"""

from __future__ import annotations

import numpy as np
import pytest

from kaiming_lab import estimate_mean, predicted_variances, propagate
from kaiming_lab.explorer.figure import ExplorerFigure
from kaiming_lab.explorer.simulation import (
    HIST_BINS,
    HIST_EDGES,
    ExplorerModel,
    activation_histogram,
    simulate_state,
)
from kaiming_lab.explorer.state import BACKWARD_SAMPLES, RANGES, ExplorerState
from kaiming_lab.montecarlo import DEFAULT_K_SE
from kaiming_lab.streams import NetworkStreams

MAX_DEPTH = RANGES["depth"][1]
RTOL = 1e-10
SMALL = {"width": 32, "batch": BACKWARD_SAMPLES}


@pytest.fixture(scope="module")
def model() -> ExplorerModel:
    return ExplorerModel()


def _simulate(state: ExplorerState, **extra):
    return simulate_state(state, depth=MAX_DEPTH, **extra)


def _network(state: ExplorerState):
    """``(x, weights, biases)`` drawn here from the seed's streams, independently of the model:
    ``W^(h) = sqrt(2 m / width) G^(h)``, ``b^(h) = sqrt(Var b) g^(h)``."""
    streams, w = NetworkStreams(state.seed), state.width
    x = streams.inputs().standard_normal((state.batch, w))
    std, std_b = np.sqrt(state.sigma_w2 / w), np.sqrt(state.bias_variance)
    weights = [std * streams.weights(h).standard_normal((w, w)) for h in range(state.depth)]
    biases = [std_b * streams.biases(h).standard_normal(w) for h in range(state.depth)]
    return x, weights, biases if state.bias_variance > 0 else None


def _gradient_rng(state: ExplorerState) -> np.random.Generator:
    """The output gradient's stream: its first rows, as ``simulate_forward`` draws them."""
    return NetworkStreams(state.seed).output_gradient()


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


def test_the_seeds_streams_give_simulate_forwards_network():
    state = ExplorerState(depth=MAX_DEPTH, multiplier=2.0, seed=3, bias_variance=0.1, **SMALL)
    x, weights, biases = _network(state)
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
    x, weights, _ = _network(state)
    fresh = propagate(x, weights, activation=state.get_activation())
    np.testing.assert_allclose(view.rms_z**2, fresh.mean_sq_z, rtol=1e-12)
    backward = propagate(
        x[:BACKWARD_SAMPLES],
        weights,
        activation=state.get_activation(),
        backward=True,
        rng=_gradient_rng(state),
    )
    np.testing.assert_allclose(view.mean_sq_grad, backward.mean_sq_grad, rtol=RTOL)


def test_rescaling_exponent_is_h_plus_one_over_two(model):
    base = model.compute(ExplorerState(depth=40, seed=2, **SMALL))
    for m in (0.25, 4.0):
        view = model.compute(ExplorerState(depth=40, multiplier=m, seed=2, **SMALL))
        ratio = view.rms_z / base.rms_z
        np.testing.assert_allclose(ratio, m ** ((np.arange(40) + 1) / 2), rtol=1e-12)
        np.testing.assert_allclose(
            view.mean_sq_grad / base.mean_sq_grad, m ** (40 - np.arange(41.0)), rtol=1e-12
        )


def test_tanh_gradients_match_propagate(model):
    state = ExplorerState(depth=25, multiplier=1.7, activation="tanh", seed=4, **SMALL)
    view = model.compute(state)
    x, weights, _ = _network(state)
    ref = propagate(
        x[:BACKWARD_SAMPLES],
        weights,
        activation="tanh",
        backward=True,
        rng=_gradient_rng(state),
    )
    np.testing.assert_allclose(view.mean_sq_grad, ref.mean_sq_grad, rtol=RTOL)


def test_depth_is_a_slice_of_the_deepest_network(model):
    deep = model.compute(ExplorerState(depth=MAX_DEPTH, seed=5, **SMALL))
    for depth in (1, 17, 50):
        view = model.compute(ExplorerState(depth=depth, seed=5, **SMALL))
        np.testing.assert_array_equal(view.rms_z, deep.rms_z[:depth])
        assert view.hist_layers == (0, depth // 2, depth - 1)


def test_theory_agrees_with_the_mean_over_networks():
    """Mean over 12 seeds of Var(z^(h)) / theory is 1 within 4 SE (layers 0, 10, 29)."""
    fresh = ExplorerModel()
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
    fresh = ExplorerModel()
    ratios = [
        (v := fresh.compute(ExplorerState(depth=20, seed=seed, width=64))).mean_sq_grad[0]
        / v.grad_theory[0]
        for seed in range(12)
    ]
    assert estimate_mean(np.array(ratios)).agrees_with(1.0, DEFAULT_K_SE)


def test_the_same_state_gives_the_same_view_whatever_came_before():
    """A model that has moved through other networks (and dropped them) shows the same numbers."""
    state = ExplorerState(depth=30, width=64, seed=77, multiplier=1.2)
    first = ExplorerModel().compute(state)
    busy = ExplorerModel()
    for seed in range(4):
        for width in (16, 128):
            busy.compute(ExplorerState(depth=40, width=width, seed=seed))
    again = busy.compute(state)
    np.testing.assert_array_equal(first.rms_z, again.rms_z)
    np.testing.assert_array_equal(first.mean_sq_grad, again.mean_sq_grad)
    np.testing.assert_array_equal(first.hist_density, again.hist_density)
    assert busy.compute(state) is not again  # a fresh view, equal numbers
    np.testing.assert_array_equal(busy.compute(state).rms_z, first.rms_z)


def test_weights_drawn_again_are_the_same_numbers():
    """At width 512 only the first layers' weights are kept; the rest come again from their
    streams, so the view still equals a fresh ``simulate_forward`` and its backward pass."""
    state = ExplorerState(depth=40, width=512, seed=9, multiplier=1.3, activation="tanh")
    model = ExplorerModel()
    view = model.compute(state)
    ref = simulate_state(state)
    np.testing.assert_allclose(view.rms_z**2, ref.mean_sq_z, rtol=RTOL)
    x, weights, _ = _network(state)
    back = propagate(
        x[:BACKWARD_SAMPLES], weights, activation="tanh", backward=True, rng=_gradient_rng(state)
    )
    np.testing.assert_allclose(view.mean_sq_grad, back.mean_sq_grad, rtol=RTOL)


# ---------------------------------------------------------------------------
# histograms


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


def test_histogram_density_integrates_to_the_non_zero_share(model):
    view = model.compute(ExplorerState(depth=20, seed=1, **SMALL))
    step = HIST_EDGES[1] - HIST_EDGES[0]
    area = view.hist_density.sum(axis=1) * step
    np.testing.assert_allclose(area, 1.0 - view.hist_zero_fraction, rtol=1e-12)


# ---------------------------------------------------------------------------
# extremes: a verdict, no exception, no warning (pytest runs with -W error)


@pytest.mark.parametrize(
    "changes",
    [
        {"depth": 100, "multiplier": 10.0},
        {"depth": 100, "multiplier": 0.1},
        {"depth": 100, "multiplier": 10.0, "activation": "linear"},
        {"depth": 100, "multiplier": 10.0, "activation": "tanh"},
        {"depth": 100, "multiplier": 0.1, "activation": "tanh"},
        {"depth": 100, "width": 2},
        {"depth": 100, "width": 2, "multiplier": 10.0},
        {"depth": 100, "bias_variance": 1.0, "multiplier": 0.1},
        {"depth": 1, "multiplier": 0.1},
        {"depth": 100, "activation": "leaky_relu", "slope": 1.0, "multiplier": 10.0},
    ],
)
def test_extremes_give_a_verdict_and_a_figure(model, changes):
    state = ExplorerState(**{"batch": BACKWARD_SAMPLES, "width": 32, **changes})
    view = model.compute(state)
    assert view.verdict.startswith(view.status)
    figure = ExplorerFigure()
    figure.update(view)
    for panel in (figure.forward, figure.backward):
        y = np.asarray(panel.network.y)
        assert np.all(np.isfinite(y)) and np.all(y > 0)
        assert panel.y_scale.min <= np.min(y) and panel.y_scale.max >= np.max(y)


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
    assert view.verdict.endswith(f"This network: every activation is exactly 0 from layer {k}")
    assert view.status == "stable"  # Kaiming: the theory predicts no change
    assert np.all(view.rms_z[k + 1 :] == 0.0)
    figure = ExplorerFigure()
    figure.update(view)
    assert len(figure.forward.network.x) == k + 1  # zeros are left off the log axis


@pytest.mark.parametrize("bias", [0.0, 0.1])
def test_overflow_is_stated_not_plotted(model, bias):
    # beyond the slider's range on purpose (set past the check): Var(W) = 2e4 / width, linear
    state = ExplorerState(depth=MAX_DEPTH, activation="linear", bias_variance=bias, **SMALL)
    object.__setattr__(state, "multiplier", 1e4)
    view = model.compute(state)
    k = view.overflow_layer
    assert 20 < k < MAX_DEPTH
    assert view.status == "exploding" and f"from layer {k}" in view.verdict
    assert np.all(np.isnan(view.rms_z[k:])) and np.all(np.isfinite(view.rms_z[:k]))
    figure = ExplorerFigure()
    figure.update(view)
    assert np.all(np.isfinite(figure.forward.network.y))
