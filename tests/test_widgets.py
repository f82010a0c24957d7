"""Drive the explorer's widgets from Python: each control change runs the update.

Numbers are checked against ``simulate_forward`` (relative 1e-10: the same
arithmetic up to rounding order) and against what the figure's artists hold.
"""

from __future__ import annotations

import numpy as np
import pytest

from kaiming_lab.explorer.model import BACKWARD_SAMPLES, MAX_DEPTH, ExplorerState, simulate_state
from kaiming_lab.explorer.widgets import MULTIPLIER_STEP, ExplorerApp, explorer

RTOL = 1e-10


@pytest.fixture
def app() -> ExplorerApp:
    return explorer(width=32, batch=BACKWARD_SAMPLES, depth=40)


def _reference(state: ExplorerState):
    return simulate_state(state, depth=MAX_DEPTH)


def _check_against_simulator(app: ExplorerApp) -> None:
    state = app.state()
    ref = _reference(state)
    np.testing.assert_allclose(app.view.rms_z**2, ref.mean_sq_z[: state.depth], rtol=RTOL)
    plotted = np.asarray(app.figure.mc_line.get_ydata())
    alive = ref.mean_sq_z[: state.depth] > 0  # a log axis cannot show 0: those points are nan
    np.testing.assert_allclose(plotted[alive] ** 2, ref.mean_sq_z[: state.depth][alive], rtol=RTOL)
    assert np.all(np.isnan(plotted[~alive]))
    assert app.figure.title.get_text() == app.view.verdict
    assert app.view.verdict in app.verdict.value


def test_explorer_returns_a_box_with_a_figure(app):
    assert bytes(app.image.value).startswith(b"\x89PNG")
    assert app.view.state == app.state()
    assert "stable" in app.verdict.value
    assert "kaiming-verdict" in app.verdict._dom_classes
    assert app.controls["preset"].value == "kaiming"
    _check_against_simulator(app)


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("depth", 100, "depth"),
        ("depth", 1, "depth"),
        ("multiplier", 2.5, "multiplier"),
        ("width", 8, "width"),
        ("activation", "tanh", "activation"),
        ("activation", "linear", "activation"),
        ("slope", 0.25, "slope"),
        ("bias_variance", 0.3, "bias_variance"),
        ("seed", 9, "seed"),
    ],
)
def test_each_control_runs_the_update(app, name, value, field):
    before = bytes(app.image.value)
    app.controls[name].value = value
    assert getattr(app.view.state, field) == value
    if name != "slope":  # the slope only matters for leaky ReLU
        assert bytes(app.image.value) != before
    _check_against_simulator(app)


def test_leaky_relu_slope_and_seed_match_the_simulator(app):
    c = app.controls
    assert c["slope"].disabled
    c["activation"].value = "leaky_relu"
    assert not c["slope"].disabled
    c["slope"].value = 0.2
    c["seed"].value = 5
    c["depth"].value = MAX_DEPTH
    c["preset"].value = "custom"
    c["multiplier"].value = 2.0
    _check_against_simulator(app)
    assert app.view.status == "exploding"


def test_presets_move_the_variance_control(app):
    c = app.controls
    c["preset"].value = "xavier"
    assert c["multiplier"].value == pytest.approx(0.5)
    assert app.view.state.multiplier == pytest.approx(0.5)
    assert app.view.status == "vanishing"
    c["preset"].value = "pytorch_default"
    assert c["multiplier"].value == pytest.approx(1 / 6)
    c["preset"].value = "kaiming"
    assert c["multiplier"].value == pytest.approx(1.0)
    # the preset follows the activation
    c["activation"].value = "leaky_relu"
    c["slope"].value = 0.5
    assert c["multiplier"].value == pytest.approx(1 / 1.25)
    assert c["preset"].value == "kaiming"


def test_moving_the_slider_switches_to_custom(app):
    c = app.controls
    c["multiplier"].value = 10 ** (MULTIPLIER_STEP / 4)  # a browser rounding: still Kaiming
    assert c["preset"].value == "kaiming"
    c["multiplier"].value = 3.0
    assert c["preset"].value == "custom"
    c["activation"].value = "leaky_relu"  # custom stays where it is
    assert c["multiplier"].value == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"depth": 100, "multiplier": 10.0}, "exploding"),
        ({"depth": 100, "multiplier": 0.1}, "vanishing"),
        ({"depth": 100, "width": 2, "multiplier": 10.0}, None),
        ({"depth": 100, "width": 2, "multiplier": 0.1}, "vanishing"),
    ],
)
def test_extreme_controls_give_a_verdict(app, changes, status):
    for name, value in changes.items():
        app.controls[name].value = value
    if status is not None:
        assert app.view.status == status
    assert app.view.verdict.split(":")[0] in {"exploding", "vanishing", "stable", "overflow"}
    _check_against_simulator(app)


def test_histograms_follow_depth(app):
    app.controls["depth"].value = 64
    assert app.view.hist_layers == (0, 32, 63)
    titles = [ax.get_title() for ax in app.figure.ax_hists]
    assert titles[2].startswith("layer 63:")
