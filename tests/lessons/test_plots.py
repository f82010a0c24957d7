"""The shared figures: they draw what they claim, label axes, and never warn."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import stats

from kaiming_lab import Estimate, simulate_forward, style
from kaiming_lab.diagnostics import relu_growth_factor
from kaiming_lab.ensembles import simulate_networks
from kaiming_lab.lessons.plots import (
    plot_ensemble,
    plot_estimates,
    plot_layer_statistic,
    plot_log_drift,
    plot_relu_integrand,
    plot_relu_integrands,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def ensemble():
    return simulate_networks(20, depth=5, width=16, seed=0)


def _render(ax) -> None:
    ax.figure.canvas.draw()


def test_import_leaves_rcparams_alone() -> None:
    import importlib

    import kaiming_lab.lessons.plots as plots

    before = dict(matplotlib.rcParams)
    importlib.reload(plots)
    assert dict(matplotlib.rcParams) == before


def test_layer_statistic_uses_log_scale_for_decades() -> None:
    runs = {
        "small": simulate_forward(20, 32, variance_factor=0.1, seed=0),
        "right": simulate_forward(20, 32, seed=0),
    }
    ax = plot_layer_statistic(runs, "rms_z")
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "layer h" and "rms(z)" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["small", "right"]
    assert np.allclose(ax.get_lines()[1].get_ydata(), np.sqrt(runs["right"].mean_sq_z))
    # round powers of ten, a reference line at 1, the legend to the right of the data
    assert isinstance(ax.yaxis.get_major_locator(), style.RoundDecadeLocator)
    assert [ln.get_ydata()[0] for ln in ax.get_lines() if len(set(ln.get_ydata())) == 1] == [1.0]
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.get_window_extent().x1 - 1
    _render(ax)


def test_linear_scale_when_flat() -> None:
    ax = plot_layer_statistic({"k": simulate_forward(5, 16, seed=0)}, "zero_fraction")
    assert ax.get_yscale() == "linear"
    assert ax.get_legend() is None


def test_extreme_runs_draw_without_warnings() -> None:
    # values near the float64 limits: drawn as exponents, break layers marked
    runs = {
        label: simulate_forward(450, 64, variance_factor=relu_growth_factor(64, s), batch=4, seed=1)
        for label, s in [("small", 0.005), ("large", 1.0)]
    }
    assert runs["small"].underflow_layer is not None and runs["large"].overflow_layer is not None
    ax = plot_layer_statistic(runs, "max_abs_z")
    assert ax.get_ylabel().startswith("log10")
    vertical = [ln for ln in ax.get_lines() if len(set(ln.get_xdata())) == 1]
    assert len(vertical) == 2 and all(ln.get_linestyle() == ":" for ln in vertical)
    assert [ln.get_ydata()[0] for ln in ax.get_lines() if len(set(ln.get_ydata())) == 1] == [0.0]
    _render(ax)


def _legend_outside_axes(ax) -> bool:
    """True when the legend's box lies entirely outside the axes' data area."""
    ax.figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    area = ax.get_window_extent()
    return not legend.overlaps(area)


def test_ensemble_plot(ensemble) -> None:
    _, ax = plt.subplots()
    assert plot_ensemble(ensemble, ax=ax, n_single=2, log=True) is ax
    plot_ensemble(ensemble, ax=ax, n_single=0, label="again", log=True)
    labels = ax.get_legend_handles_labels()[1]
    assert labels.count("theory") == 1 and labels.count("single networks") == 1
    # the measured quantity is a mean square over units, not a variance
    assert ax.get_yscale() == "log" and "mean of" in ax.get_ylabel()
    assert _legend_outside_axes(ax)


def test_ensemble_plot_picks_a_linear_axis_within_a_decade(ensemble) -> None:
    ax = plot_ensemble(ensemble, n_single=0)
    low, high = ax.dataLim.y0, ax.dataLim.y1
    assert high / low < 10 and ax.get_yscale() == "linear"
    assert plot_ensemble(ensemble, n_single=0, log=False).get_yscale() == "linear"


def test_ensemble_plot_goes_log_beyond_a_decade(ensemble) -> None:
    small = simulate_networks(20, depth=5, width=16, seed=1, init="xavier", variance_factor=0.1)
    ax = plot_ensemble(ensemble, n_single=0)
    plot_ensemble(small, ax=ax, n_single=0, label="small")
    assert ax.get_yscale() == "log"
    _render(ax)


def test_ensemble_plot_shift_moves_the_points(ensemble) -> None:
    ax = plot_ensemble(ensemble, n_single=0, shift=0.25)
    (container,) = ax.containers
    assert np.allclose(container.lines[0].get_xdata(), np.arange(5) + 0.25)


def test_log_drift_plot(ensemble) -> None:
    ax = plot_log_drift(ensemble, exact_step=0.4)
    labels = ax.get_legend_handles_labels()[1]
    assert "5 h / n (leading order)" in labels and "exact" in labels
    assert np.allclose(ax.get_lines()[-1].get_ydata(), 5 * np.arange(5) / 16)
    assert np.allclose(ax.get_lines()[-2].get_ydata(), 0.4 * np.arange(5))
    assert _legend_outside_axes(ax)
    assert "exact" not in plot_log_drift(ensemble).get_legend_handles_labels()[1]


def test_estimates_errorbars() -> None:
    est = [Estimate(1.0, 0.1, 10), Estimate(2.0, 0.2, 10)]
    ax = plot_estimates([0, 1], est, label="mc")
    (container,) = ax.containers
    segments = container.lines[2][0].get_segments()
    assert np.allclose([s[1, 1] - s[0, 1] for s in segments], [0.4, 0.8])  # +-2 SE


def test_relu_integrand_shades_the_positive_half() -> None:
    ax = plot_relu_integrand({"normal": stats.norm(0, 1), "laplace": stats.laplace()})
    assert len(ax.collections) == 2
    assert "z" in ax.get_xlabel() and len(ax.get_legend().get_texts()) == 2
    assert _legend_outside_axes(ax)


def test_relu_integrands_are_small_multiples_with_both_areas_printed() -> None:
    fig = plot_relu_integrands(
        {"normal": stats.norm(0, 1.5), "shifted": stats.norm(0.5, 1.0)}, columns=3
    )
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert len(shown) == 2
    assert shown[0].get_title() == "normal\nshaded 1.125 = 0.500 × 2.250"
    # the shifted normal keeps more than half: E[z^2] = 1.25, E[ReLU(z)^2] = 1.0404
    assert shown[1].get_title() == "shifted\nshaded 1.040 = 0.832 × 1.250"
    width, height = fig.get_size_inches()
    assert width / height <= 2.5
    with pytest.raises(ValueError, match="dists"):
        plot_relu_integrands({})
    plt.close("all")


def test_relu_integrands_number_every_panels_z_axis_and_say_the_areas_cover_the_line() -> None:
    fig = plot_relu_integrands({name: stats.norm(0, 1) for name in "abcd"}, columns=3)
    fig.canvas.draw()
    for ax in fig.axes[:4]:  # panel c has no panel below it
        assert any(label.get_visible() and label.get_text() for label in ax.get_xticklabels())
    assert "whole line" in fig.get_suptitle()
    plt.close("all")
