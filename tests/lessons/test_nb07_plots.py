"""Tests for ``lessons.nb07_plots``: lines, reference levels, scales, no global side effects."""

from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from kaiming_lab.lessons.nb07_plots import (
    plot_accuracy_curves,
    plot_gradient_norms,
    plot_loss_curves,
    plot_update_ratios,
)
from kaiming_lab.training import TrainingHistory


def _history(init: str, depth: int, diverged: int | None = None) -> TrainingHistory:
    epochs = 4 if diverged is None else diverged - 1
    return TrainingHistory(
        widths=[64, *[16] * (depth - 1), 10],
        init=init,
        lr=0.01,
        momentum=0.9,
        batch_size=32,
        seed=0,
        train_loss=np.linspace(2.3, 1.0, epochs + 1),
        test_accuracy=np.linspace(0.1, 0.6, epochs + 1),
        grad_norms_init=np.full(depth, 0.1),
        update_ratio=np.full((epochs, depth), 1e-4),
        diverged_at_epoch=diverged,
    )


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_loss_curves_have_one_line_per_run_and_chance_level():
    runs = [_history("kaiming", 3), _history("xavier", 3), _history("kaiming", 5)]
    ax = plot_loss_curves(runs)
    assert ax.get_yscale() == "log"
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:3] == ["kaiming, 3 layers", "xavier, 3 layers", "kaiming, 5 layers"]
    chance = [line for line in ax.get_lines() if line.get_label().startswith("chance")]
    assert len(chance) == 1 and np.allclose(chance[0].get_ydata(), math.log(10))
    assert ax.get_xlabel() and ax.get_ylabel()
    legend_texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "chance: ln 10 = 2.30" in legend_texts
    assert not ax.texts, "nothing is written over the curves"


def _legend_outside_data(ax) -> bool:
    ax.figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    return not legend.overlaps(ax.get_window_extent())


@pytest.mark.parametrize("plot", [plot_loss_curves, plot_accuracy_curves])
def test_curve_legends_sit_outside_the_data(plot):
    runs = [_history("kaiming", 3), _history("xavier", 3), _history("kaiming", 5)]
    assert _legend_outside_data(plot(runs))


def test_accuracy_curves_mark_ten_percent_and_divergence():
    runs = [_history("kaiming", 3), _history("xavier", 3, diverged=3)]
    _, ax = plt.subplots()
    assert plot_accuracy_curves(runs, ax=ax) is ax
    ys = [np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()]
    assert any(y.size == 2 and np.allclose(y, 0.1) for y in ys)
    legend_texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "xavier, 3 layers (diverged in epoch 3)" in legend_texts
    assert "chance: 10%" in legend_texts
    assert not ax.texts, "nothing is written over the curves"
    assert ax.get_ylim() == (0.0, 1.0)


def test_gradient_norms_plot_uses_layers_from_one():
    ax = plot_gradient_norms({"kaiming": [1.0, 2.0, 3.0], "xavier": [1e-4, 2e-4, 3e-4]})
    assert ax.get_yscale() == "log"
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2, 3])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["kaiming", "xavier"]
    assert _legend_outside_data(ax)


def test_update_ratios_one_line_per_layer_and_reference():
    history = _history("kaiming", 6)
    ax = plot_update_ratios(history, reference=1e-3)
    lines = ax.get_lines()
    assert len(lines) == 6 + 1
    assert np.allclose(lines[-1].get_ydata(), 1e-3)
    assert ax.get_yscale() == "log"
    assert ax.get_title() == "kaiming, 6 layers (dotted: 0.001)"
    assert not ax.texts, "the reference is named in the title, not written over the curves"


def test_plots_leave_rcparams_alone():
    before = dict(matplotlib.rcParams)
    plot_loss_curves([_history("kaiming", 3)])
    plot_update_ratios(_history("xavier", 3))
    assert dict(matplotlib.rcParams) == before


def test_runs_are_coloured_from_the_course_palette_and_styled_by_optimizer():
    from dataclasses import replace

    from kaiming_lab import style

    sgd, xavier = _history("kaiming", 3), _history("xavier", 3)
    adam = replace(_history("xavier", 3), optimizer="adam")
    ax = plot_accuracy_curves([sgd, xavier, adam])
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert matplotlib.colors.same_color(lines["kaiming, 3 layers"].get_color(), style.PALETTE[0])
    assert matplotlib.colors.same_color(lines["xavier, 3 layers"].get_color(), style.PALETTE[1])
    assert (
        lines["xavier, 3 layers, Adam"].get_linestyle() != lines["xavier, 3 layers"].get_linestyle()
    )


def test_no_layer_line_is_pale_on_white():
    """The update-ratio lines stop short of viridis' yellow end: every line keeps
    WCAG's 3:1 contrast for graphics against the white background."""

    def luminance(rgb):
        c = np.asarray(rgb[:3])
        c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    ax = plot_update_ratios(_history("kaiming", 12))
    layer_lines = [line for line in ax.get_lines() if line.get_linestyle() == "-"]
    assert len(layer_lines) == 12
    contrasts = [1.05 / (luminance(line.get_color()) + 0.05) for line in layer_lines]
    assert min(contrasts) >= 3.0
