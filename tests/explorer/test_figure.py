"""The explorer's panels (``kaiming_lab.explorer.figure``): they show the view's numbers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from kaiming_lab.explorer.figure import (
    ExplorerFigure,
    depth_ticks,
    js_number,
    log_limits,
)
from kaiming_lab.explorer.simulation import ExplorerModel
from kaiming_lab.explorer.state import BACKWARD_SAMPLES, ExplorerState

SMALL = {"width": 32, "batch": BACKWARD_SAMPLES}


@pytest.fixture(scope="module")
def model() -> ExplorerModel:
    return ExplorerModel()


def test_tick_helpers():
    assert [js_number(k) for k in (0, 2, -1, -6, -7, 20, 21, -20)] == [
        "1", "100", "0.1", "0.000001", "1e-7", "100000000000000000000", "1e+21", "1e-20",
    ]  # fmt: skip
    # the keys are what JavaScript's String() gives for the tick values
    for k in (-30, -7, -3, 0, 5, 21, 40):
        assert json.loads(js_number(k)) == float(f"1e{k}")
    assert log_limits(np.array([0.5, 3.0])) == (-1, 1)
    assert log_limits(np.array([np.nan, 0.0, np.inf])) == (-1, 1)
    assert list(depth_ticks(10)) == [0, 2, 4, 6, 8, 10]
    assert list(depth_ticks(100)) == [0, 20, 40, 60, 80, 100]


# ---------------------------------------------------------------------------
# the figure shows the view's numbers


def test_figure_marks_hold_the_view(model):
    view = model.compute(ExplorerState(depth=37, multiplier=1.5, seed=1, **SMALL))
    figure = ExplorerFigure()
    figure.update(view)
    np.testing.assert_array_equal(figure.forward.network.x, np.arange(37))
    np.testing.assert_array_equal(figure.forward.network.y, view.rms_z)
    np.testing.assert_array_equal(figure.forward.theory.y, view.theory_std)
    np.testing.assert_array_equal(figure.backward.network.y, view.mean_sq_grad)
    np.testing.assert_array_equal(figure.backward.theory.y, view.grad_theory)
    lo, hi = figure.forward.band.y
    assert np.all(lo <= view.theory_std) and np.all(hi >= view.theory_std)
    assert lo[-1] < view.theory_std[-1] < hi[-1]
    figure.update_histograms(view)
    for i, bars in enumerate(figure.hist_bars):
        np.testing.assert_array_equal(bars.y, view.hist_density[i])
        assert figure.hist_figures[i].title.startswith(f"layer {view.hist_layers[i]}:")
    ticks = figure.forward.y_axis.tick_values
    labels = figure.forward.y_axis.tick_labels
    assert all(js_number(round(math.log10(t))) in labels for t in ticks)
    assert "kaiming-figure" in figure.main._dom_classes


def test_figure_x_axis_snaps_to_a_few_depths(model):
    figure = ExplorerFigure()
    for depth, xmax in ((7, 10), (25, 25), (26, 50), (100, 100)):
        figure.update(model.compute(ExplorerState(depth=depth, **SMALL)))
        assert figure.forward.x_scale.max == pytest.approx(1.01 * xmax)
