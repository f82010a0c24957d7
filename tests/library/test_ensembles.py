"""Ensembles of networks: exact expectation of mean_sq_z, drift of one network, bookkeeping."""

from __future__ import annotations

import numpy as np
import pytest

from kaiming_lab.ensembles import log_drift_prediction, simulate_networks


def test_mean_over_networks_matches_theory() -> None:
    # 12 layer comparisons at k = 4.5 (Bonferroni, see conftest)
    ens = simulate_networks(300, depth=12, width=64, batch=8, seed=3)
    assert np.all(np.abs(ens.z_scores()) <= 4.5)
    assert np.allclose(ens.theory(), 2.0)


def test_xavier_halves_per_layer_and_fixed_input() -> None:
    x = np.full((1, 32), 2.0)
    ens = simulate_networks(300, depth=8, width=32, x=x, init="xavier", seed=4)
    assert ens.input_second_moment == pytest.approx(4.0)
    assert np.allclose(ens.theory(), 4.0 * 0.5 ** np.arange(8))
    assert np.all(np.abs(ens.z_scores()) <= 4.5)


def test_networks_are_independent_and_reproducible() -> None:
    a = simulate_networks(5, depth=3, width=8, seed=1).values()
    b = simulate_networks(5, depth=3, width=8, seed=1).values()
    assert np.array_equal(a, b)
    assert len({tuple(row) for row in a}) == 5


def test_log_drift_grows_like_five_over_n() -> None:
    ens = simulate_networks(400, depth=10, width=128, x=np.ones((1, 128)), seed=5)
    drift = ens.log_drift()[-1]
    predicted = float(log_drift_prediction(128, 9))
    # 5h/n drops O(1/n^2) terms per layer: allow 10% beyond 4 SE
    assert abs(drift.value - predicted) <= 4 * drift.se + 0.1 * predicted


def test_table_lists_layers_and_theory() -> None:
    ens = simulate_networks(4, depth=6, width=8, seed=0)
    lines = ens.table(every=2, n_single=2).splitlines()
    assert len(lines) == 1 + 4  # header, layers 0, 2, 4 and the last layer 5
    assert "theory" in lines[0] and "net 2" in lines[0]


def test_bad_statistic_is_rejected() -> None:
    ens = simulate_networks(2, depth=2, width=4, seed=0)
    with pytest.raises(ValueError, match="statistic"):
        ens.values("var_x")


def test_log_drift_refuses_dead_networks():
    # a width-1 ReLU layer is all zero with probability 1/2, so some of 20 networks die
    ens = simulate_networks(20, depth=4, width=1, seed=0)
    assert np.any(ens.values("mean_sq_z") == 0)
    with pytest.raises(ValueError, match="log_drift needs mean_sq_z > 0 in every layer"):
        ens.log_drift()
