"""The per-layer diagnostics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kaiming_lab import simulate_forward
from kaiming_lab.diagnostics import (
    layer_statistic,
    predicted_break_layer,
    relu_growth_factor,
    stats_table,
)


def test_layer_statistics_from_a_run() -> None:
    run = simulate_forward(3, 16, batch=4, seed=0)
    assert np.allclose(layer_statistic(run, "rms_z") ** 2, run.mean_sq_z)
    std_x = layer_statistic(run, "std_x")
    assert np.allclose(std_x**2, run.second_moment_x - run.mean_x**2)
    with pytest.raises(ValueError, match="name"):
        layer_statistic(run, "var_q")


def test_growth_factor_and_break_layer() -> None:
    assert relu_growth_factor(128, math.sqrt(2 / 128)) == pytest.approx(1.0)
    # std 1 growing x10 per layer passes 1e5 at layer 6 (10^5 is not above 1e5)
    assert predicted_break_layer(100.0, 1.0, 1e5 * 1.0001) == 6
    assert predicted_break_layer(0.01, 1.0, 1e-3 * 0.999) == 4
    with pytest.raises(ValueError, match="growth_factor must differ from 1"):
        predicted_break_layer(1.0, 1.0, 10.0)
    with pytest.raises(ValueError, match="growth_factor must be > 0.0, got -2.0"):
        predicted_break_layer(-2.0, 1.0, 10.0)
    with pytest.raises(ValueError, match="start_std must be > 0.0, got 0.0"):
        predicted_break_layer(2.0, 0.0, 10.0)
    with pytest.raises(ValueError, match="limit must be finite, got inf"):
        predicted_break_layer(2.0, 1.0, math.inf)


def test_std_z_stays_finite_where_the_variance_overflows() -> None:
    # x1e6 variance per layer: |z| ~ 1e3^h passes 1e154 (z^2 overflows) near layer 51
    run = simulate_forward(80, 16, variance_factor=1e6, batch=4, seed=0)
    rms_z = layer_statistic(run, "rms_z")
    finite_z = run.overflow_layer if run.overflow_layer is not None else run.depth
    assert np.isinf(run.mean_sq_z[finite_z - 1])
    assert np.all(np.isfinite(rms_z[:finite_z]))


def test_predicted_break_matches_a_simulation() -> None:
    m = relu_growth_factor(64, 1.0)  # 32 per layer, sqrt(32) is 0.75 decades a layer
    run = simulate_forward(450, 64, variance_factor=m, batch=4, seed=2)
    predicted = predicted_break_layer(m, math.sqrt(2 * m), float(np.finfo(float).max))
    # A typical network lags the expectation: ln(var) of one network has mean
    # about -5h/(2n) below ln of the expected variance, i.e. 5h/(4n) in ln std.
    lag = 5 * predicted / (4 * 64) / math.log(10) / (0.5 * math.log10(m))
    # Left over: the largest of 256 values leads by ~0.5 decades, and the
    # wander sqrt(5h/n)/2 is ~1.2 decades; allow 3 layers (2.25 decades).
    assert abs(run.overflow_layer - (predicted + lag)) <= 3


def test_stats_table_columns() -> None:
    runs = {"a": simulate_forward(5, 8, seed=0), "b": simulate_forward(5, 8, seed=1)}
    lines = stats_table(runs, "zero_fraction", every=2).splitlines()
    assert lines[0].split()[-2:] == ["a", "b"]
    assert [line.split()[1] for line in lines[1:]] == ["0", "2", "4"]
