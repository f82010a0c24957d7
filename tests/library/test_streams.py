"""The random streams of a seeded network: what an integer seed and a Generator each promise."""

from __future__ import annotations

import numpy as np
import pytest

import kaiming_lab as kl
from kaiming_lab.explorer import ExplorerState
from kaiming_lab.explorer import simulation as sim
from kaiming_lab.streams import NetworkStreams


def test_integer_seed_streams_are_numpys_spawned_children():
    weight_seq, bias_seq, input_seq, top_seq = np.random.SeedSequence(7).spawn(4)
    layer_seqs = weight_seq.spawn(5)
    streams = NetworkStreams(7)
    for h in (0, 4):
        expected = np.random.default_rng(layer_seqs[h]).standard_normal(6)
        assert np.array_equal(streams.weights(h).standard_normal(6), expected)
    expected_bias = np.random.default_rng(bias_seq.spawn(3)[2]).standard_normal(4)
    assert np.array_equal(streams.biases(2).standard_normal(4), expected_bias)
    assert np.array_equal(
        streams.inputs().standard_normal(3), np.random.default_rng(input_seq).standard_normal(3)
    )
    assert np.array_equal(
        streams.output_gradient().standard_normal(3),
        np.random.default_rng(top_seq).standard_normal(3),
    )


def test_each_call_restarts_its_stream_and_parts_differ():
    streams = NetworkStreams(3)
    first = streams.weights(1).standard_normal(8)
    assert np.array_equal(first, streams.weights(1).standard_normal(8))
    others = [
        streams.weights(0).standard_normal(8),
        streams.weights(2).standard_normal(8),
        streams.biases(1).standard_normal(8),
        streams.inputs().standard_normal(8),
        NetworkStreams(4).weights(1).standard_normal(8),
    ]
    assert not any(np.array_equal(first, other) for other in others)


@pytest.mark.parametrize("bias_variance", [0.0, 0.1])
def test_depths_nest_under_an_integer_seed(bias_variance):
    short = kl.simulate_forward(7, 32, batch=16, seed=5, bias_variance=bias_variance)
    long = kl.simulate_forward(20, 32, batch=16, seed=5, bias_variance=bias_variance)
    assert np.array_equal(short.mean_sq_z, long.mean_sq_z[:7])
    assert short.input_second_moment == long.input_second_moment


def test_a_generator_is_one_stream_in_the_documented_order():
    width, depth, batch, bias_variance = 8, 3, 5, 0.2
    rng = np.random.default_rng(11)
    std = np.sqrt(2 / width)
    weights = [std * rng.standard_normal((width, width)) for _ in range(depth)]
    biases = [np.sqrt(bias_variance) * rng.standard_normal(width) for _ in range(depth)]
    x = rng.standard_normal((batch, width))
    mean_sq = []
    for w, b in zip(weights, biases, strict=True):
        z = x @ w.T + b
        mean_sq.append(np.mean(z * z))
        x = np.maximum(z, 0.0)
    run = kl.simulate_forward(
        depth, width, batch=batch, bias_variance=bias_variance, seed=np.random.default_rng(11)
    )
    np.testing.assert_allclose(run.mean_sq_z, mean_sq, rtol=1e-13)


def test_a_generator_advances_so_two_calls_give_two_networks():
    rng = np.random.default_rng(2)
    first = kl.simulate_forward(3, 16, batch=8, seed=rng)
    second = kl.simulate_forward(3, 16, batch=8, seed=rng)
    assert not np.array_equal(first.mean_sq_z, second.mean_sq_z)
    again = NetworkStreams(np.random.default_rng(9))
    assert again.weights(0) is again.inputs()


@pytest.mark.parametrize(
    ("seed", "error", "words"),
    [(-1, ValueError, "non-negative"), ("0", TypeError, "seed must be"), (1.5, TypeError, "1.5")],
)
def test_bad_seeds_are_named(seed, error, words):
    with pytest.raises(error, match=words):
        NetworkStreams(seed)


def test_bad_layer_is_named():
    with pytest.raises(ValueError, match="layer"):
        NetworkStreams(0).weights(-1)
    with pytest.raises(TypeError, match="layer"):
        NetworkStreams(0).biases(1.0)


def test_the_explorer_draws_only_the_layers_it_shows(monkeypatch):
    drawn: list[int] = []
    original = NetworkStreams.weights

    def counting(self, layer):
        drawn.append(layer)
        return original(self, layer)

    monkeypatch.setattr(NetworkStreams, "weights", counting)
    model = sim.ExplorerModel()
    model.compute(ExplorerState(depth=12, width=64, seed=3))
    assert sorted(set(drawn)) == list(range(12))
    drawn.clear()
    model.compute(ExplorerState(depth=20, width=64, seed=3))
    assert sorted(set(drawn)) == list(range(12, 20))  # the first 12 were kept
