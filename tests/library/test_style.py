"""The figure style: nothing global at import, settings restored after ``context``, helpers."""

from __future__ import annotations

import subprocess
import sys

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest

from kaiming_lab import style


def test_import_changes_no_setting() -> None:
    code = (
        "import matplotlib as mpl; before = dict(mpl.rcParams); "
        "import kaiming_lab, kaiming_lab.style, kaiming_lab.lessons.plots; "
        "assert dict(mpl.rcParams) == before"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_context_applies_and_restores() -> None:
    before = mpl.rcParams["font.size"]
    with style.context():
        assert mpl.rcParams["font.size"] == style.RC["font.size"]
        fig = plt.figure()
        width_px = fig.get_figwidth() * mpl.rcParams["savefig.dpi"]
        plt.close(fig)
    assert mpl.rcParams["font.size"] == before
    assert width_px >= 1000, "the default figure must render at least 1,000 px wide"


def test_palette_pairs_every_colour_with_a_line_style() -> None:
    cycle = list(style.RC["axes.prop_cycle"])
    assert len(cycle) == len(style.PALETTE)
    pairs = {(c["color"], str(c["linestyle"])) for c in cycle}
    assert len(pairs) == len(cycle)
    assert cycle[0]["linestyle"] != cycle[1]["linestyle"]


def test_legend_outside_sits_beyond_the_axes() -> None:
    with style.context():
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1], label="a")
        ax.plot([0, 1], [1, 0], label="b")
        legend = style.legend_outside(ax)
        fig.canvas.draw()
        box = legend.get_window_extent()
        axes_box = ax.get_window_extent()
        plt.close(fig)
    assert box.x0 >= axes_box.x1


def test_legend_outside_without_labels_and_bad_place() -> None:
    fig, ax = plt.subplots()
    assert style.legend_outside(ax) is None
    with pytest.raises(ValueError, match="where"):
        style.legend_outside(ax, where="left")
    plt.close(fig)


def test_log_axis_labels_powers_of_ten_readably() -> None:
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [1e-100, 1.0, 1e100])
    style.log_axis(ax)
    label = ax.yaxis.get_major_formatter()
    assert label(1e-120) == "$10^{-120}$"
    assert label(100.0) == "100"
    assert label(0.01) == "0.01"
    assert label(3.0) == ""
    fig.canvas.draw()
    labelled = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    plt.close(fig)
    assert labelled == ["$10^{-100}$", "$10^{-50}$", "1", "$10^{50}$", "$10^{100}$"]
    with pytest.raises(ValueError, match="axis"):
        style.log_axis(ax, "z")
