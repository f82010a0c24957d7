"""Drive the explorer's widgets from Python: each control change runs the update.

Numbers are checked against ``simulate_forward`` (relative 1e-10: the same
arithmetic up to rounding order) and against what the bqplot marks hold.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pytest

from kaiming_lab.explorer import ExplorerModel
from kaiming_lab.explorer.figure import (
    COMPACT_FIGURE_HEIGHT,
    COMPACT_FONT_PX,
    COMPACT_RIGHT_MARGIN,
    FIGURE_HEIGHT,
)
from kaiming_lab.explorer.simulation import simulate_state
from kaiming_lab.explorer.state import BACKWARD_SAMPLES, RANGES, ExplorerState
from kaiming_lab.explorer.widgets import MULTIPLIER_STEP, ExplorerApp, explorer

RTOL = 1e-10


@pytest.fixture
def app() -> ExplorerApp:
    return explorer(width=32, batch=BACKWARD_SAMPLES, depth=40)


def _reference(state: ExplorerState):
    return simulate_state(state, depth=RANGES["depth"][1])


def _check_against_simulator(app: ExplorerApp) -> None:
    state = app.state()
    ref = _reference(state)
    np.testing.assert_allclose(app.view.rms_z**2, ref.mean_sq_z[: state.depth], rtol=RTOL)
    marks = app.figure.forward.network
    alive = ref.mean_sq_z[: state.depth] > 0  # a log axis cannot show 0: those points are left off
    np.testing.assert_array_equal(marks.x, np.arange(state.depth)[alive])
    np.testing.assert_allclose(marks.y**2, ref.mean_sq_z[: state.depth][alive], rtol=RTOL)
    verdict = app.view.assessment
    assert html.escape(verdict.headline) in app.verdict.value
    assert html.escape(verdict.detail) in app.verdict.value
    assert app.verdict.value.count("theory predicts") == 1  # one verdict on screen


def test_explorer_returns_a_box_with_a_figure(app):
    assert app.figure.main in app.children
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
    before = (list(app.figure.forward.network.y), list(app.figure.backward.network.y))
    redraws = app.redraws
    app.controls[name].value = value
    assert getattr(app.view.state, field) == value
    assert app.redraws == redraws + 1  # exactly one redraw per move
    if name != "slope":  # the slope only matters for leaky ReLU
        after = (list(app.figure.forward.network.y), list(app.figure.backward.network.y))
        assert after != before
    _check_against_simulator(app)


def test_leaky_relu_slope_and_seed_match_the_simulator(app):
    c = app.controls
    assert c["slope"].disabled
    c["activation"].value = "leaky_relu"
    assert not c["slope"].disabled
    c["slope"].value = 0.2
    c["seed"].value = 5
    c["depth"].value = RANGES["depth"][1]
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
    assert app.view.verdict.split(":")[0].split()[0] in {"exploding", "vanishing", "stable"}
    _check_against_simulator(app)


def test_histograms_follow_depth(app):
    app.controls["depth"].value = 64
    assert app.view.hist_layers == (0, 32, 63)
    assert app.figure.hists.layout.display == "none"  # folded until asked for
    app.show_histograms.value = True
    assert app.figure.hists.layout.display == "flex"
    titles = [fig.title for fig in app.figure.hist_figures]
    assert titles[2].startswith("layer 63:")
    app.controls["depth"].value = 10
    assert app.figure.hist_figures[2].title.startswith("layer 9:")


def test_a_preset_redraws_once_and_reads_as_a_fraction(app):
    c = app.controls
    redraws = app.redraws
    c["preset"].value = "xavier"
    assert app.redraws == redraws + 1
    assert "× <b>1/2</b>" in app.readout.value
    # the browser echoes the slider's rounded value back: nothing is redrawn
    c["multiplier"].value = 10 ** (round(math.log10(0.5) / MULTIPLIER_STEP) * MULTIPLIER_STEP)
    assert c["preset"].value == "xavier" and app.redraws == redraws + 1
    c["preset"].value = "pytorch_default"
    assert "× <b>1/6</b>" in app.readout.value
    assert "Kaiming 1 · Xavier 1/2 · PyTorch 1/6" in app.marks.value


@pytest.mark.parametrize(
    ("values", "error", "words"),
    [
        (
            {"multiplier": 100},
            ValueError,
            "multiplier must be <= 10.0, got 100.0",
        ),
        ({"multiplier": 0.01}, ValueError, "multiplier must be >= 0.1, got 0.01"),
        ({"width": 3}, ValueError, "width must be one of the width slider's stops \\(2, 4, 8"),
        ({"width": 6000}, ValueError, "width must be an integer between 1 and 512, got 6000"),
        ({"depth": 101}, ValueError, "depth must be an integer between 1 and 100"),
        ({"seed": 10**7}, ValueError, "seed"),
        ({"bias_variance": 5.0}, ValueError, "bias_variance"),
        ({"activation": "swish"}, ValueError, "activation"),
        ({"colour": "red"}, TypeError, "colour"),
        ({"depth": "50"}, TypeError, "depth"),
    ],
)
def test_explorer_refuses_values_its_controls_cannot_show(values, error, words):
    with pytest.raises(error, match=words):
        explorer(**values)


def test_explorer_refuses_a_wrong_state_or_model():
    with pytest.raises(TypeError, match="state must be an ExplorerState"):
        explorer({"depth": 3})
    with pytest.raises(TypeError, match="model must be an ExplorerModel"):
        ExplorerApp(model="fast")


def test_explorer_accepts_numpy_scalars_and_a_shared_model():
    model = ExplorerModel()
    app = ExplorerApp(
        ExplorerState(depth=np.int64(20), multiplier=np.float32(0.5), width=np.int64(64)),
        model=model,
    )
    assert app.model is model
    assert app.state().depth == 20 and app.controls["preset"].value == "custom"


def test_explorer_keeps_the_css_hooks(app):
    assert "kaiming-multiplier" in app.controls["multiplier"]._dom_classes
    assert "kaiming-verdict" in app.verdict._dom_classes
    assert "kaiming-figure" in app.figure.main._dom_classes
    assert "kaiming-explorer" in app._dom_classes


# --------------------------------------------------------------- the compact layout (slides)


def _shown(box) -> list:
    """Every widget in ``box``'s tree of children (what the browser can show)."""
    found = []
    for child in box.children:
        found.append(child)
        if hasattr(child, "children"):
            found.extend(_shown(child))
    return found


def test_the_full_layout_shows_every_control_both_panels_and_the_histogram_switch(app):
    shown = _shown(app)
    assert not app.compact and app.show_backward is None
    for control in app.controls.values():
        assert control in shown
    assert app.show_histograms in shown and app.figure.hists in shown
    assert app.figure.main.children == (app.figure.forward.figure, app.figure.backward.figure)
    for panel in (app.figure.forward, app.figure.backward):
        assert panel.figure.layout.height == f"{FIGURE_HEIGHT}px"
        assert {axis.tick_style["font-size"] for axis in panel.figure.axes} == {"14px"}
    assert "font-size:16px" in app.verdict.value and "kaiming-compact" not in app._dom_classes


def test_the_compact_layout_shows_the_lecture_controls_verdict_and_forward_panel():
    app = explorer(width=32, batch=BACKWARD_SAMPLES, depth=40, compact=True)
    shown = _shown(app)
    assert app.compact
    for name in ("multiplier", "preset", "activation", "depth", "width"):
        assert app.controls[name] in shown, name
    for name in ("seed", "slope", "bias_variance"):
        assert app.controls[name] not in shown, name
    for widget in (app.show_histograms, app.marks, app.figure.hists):
        assert widget not in shown
    assert app.verdict in shown and app.show_backward in shown
    assert "kaiming-show-backward" in app.show_backward._dom_classes
    assert app.figure.main.children == (app.figure.forward.figure,)
    assert app.figure.main.layout.margin == f"0 {COMPACT_RIGHT_MARGIN}px 0 0"
    for panel in (app.figure.forward, app.figure.backward):
        assert panel.figure.layout.height == f"{COMPACT_FIGURE_HEIGHT}px"
    assert COMPACT_FIGURE_HEIGHT < FIGURE_HEIGHT
    # projector type: 16 px or more (the browser test measures what the page shows)
    assert "kaiming-compact" in app._dom_classes and "font-size:16px" in app.verdict.value
    for panel in (app.figure.forward, app.figure.backward):
        for axis in panel.figure.axes:
            assert axis.tick_style["font-size"] == f"{COMPACT_FONT_PX}px"
    assert COMPACT_FONT_PX >= 16
    _check_against_simulator(app)


def test_the_compact_layout_keeps_every_control_working_and_swaps_the_panels():
    app = explorer(width=32, batch=BACKWARD_SAMPLES, depth=40, compact=True, seed=4)
    assert app.state().seed == 4  # a control off screen still holds its value
    backward_before = list(app.figure.backward.network.y)
    app.controls["multiplier"].value = 2.0
    assert app.view.status == "exploding"
    assert list(app.figure.backward.network.y) != backward_before  # updated while not shown
    _check_against_simulator(app)
    app.show_backward.value = True
    assert app.figure.main.children == (app.figure.backward.figure,)
    redraws = app.redraws
    app.show_backward.value = False  # swapping panels recomputes nothing
    assert app.figure.main.children == (app.figure.forward.figure,)
    assert app.redraws == redraws


@pytest.mark.parametrize("compact", [1, "yes", None, np.bool_(True)])
def test_compact_must_be_a_bool(compact):
    with pytest.raises(TypeError, match="compact must be True or False"):
        explorer(compact=compact)


# --- accessibility: names, live region, contrast ------------------------------------


def _contrast(color: str, background: str = "#ffffff") -> float:
    """WCAG 2.1 contrast ratio of two ``#rrggbb`` colours."""

    def luminance(c: str) -> float:
        rgb = [int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(color), luminance(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_helper_matches_known_ratios():
    assert _contrast("#000000") == pytest.approx(21.0)
    assert _contrast("#D55E00") == pytest.approx(3.87, abs=0.01)  # the figure the docs quote


@pytest.mark.parametrize("compact", [False, True])
def test_every_control_has_an_accessible_name_and_the_patch_is_in_the_app(compact):
    from kaiming_lab.control_names import ControlNames
    from kaiming_lab.explorer.a11y import CONTROL_NAMES, control_class

    app = explorer(width=32, batch=BACKWARD_SAMPLES, depth=5, compact=compact)
    assert set(app.controls) <= set(CONTROL_NAMES)
    patches = [w for w in app.children if isinstance(w, ControlNames)]
    assert len(patches) == 1 and patches[0].root == ".kaiming-explorer"
    assert patches[0].names == {control_class(n): text for n, text in CONTROL_NAMES.items()}
    for name, control in app.controls.items():
        assert control_class(name) in control._dom_classes
        # the accessible name starts with the words the control shows (WCAG 2.5.3)
        visible = control.description
        assert CONTROL_NAMES[name].startswith(visible), (name, visible)
    assert "kaiming-readout" in app.readout._dom_classes


def test_text_colours_meet_4_5_to_1_and_lines_3_to_1():
    from kaiming_lab.explorer.figure import (
        BAND_EDGE_COLOR,
        HIST_COLOR,
        NETWORK_COLOR,
        THEORY_COLOR,
        THEORY_TEXT_COLOR,
    )
    from kaiming_lab.explorer.widgets import STATUS_COLORS

    for status, color in STATUS_COLORS.items():
        assert _contrast(color) >= 4.5, (status, color)
    assert _contrast(THEORY_TEXT_COLOR) >= 4.5
    for color in (NETWORK_COLOR, THEORY_COLOR, HIST_COLOR, BAND_EDGE_COLOR):
        assert _contrast(color) >= 3.0, color


def test_verdict_and_key_use_the_text_shades():
    from kaiming_lab.explorer.figure import THEORY_COLOR, THEORY_TEXT_COLOR

    app = explorer(width=32, batch=BACKWARD_SAMPLES, depth=40, multiplier=2.0)
    assert app.view.status == "exploding"
    assert THEORY_TEXT_COLOR in app.verdict.value and THEORY_COLOR not in app.verdict.value
    assert THEORY_TEXT_COLOR in app.key.value and THEORY_COLOR not in app.key.value


def test_preset_marks_are_computed_again_only_when_activation_slope_or_width_move(app, monkeypatch):
    import kaiming_lab.explorer.widgets as w

    calls: list[str] = []
    original = w.preset_multiplier

    def counting(preset, *args, **kwargs):
        calls.append(preset)
        return original(preset, *args, **kwargs)

    monkeypatch.setattr(w, "preset_multiplier", counting)
    c = app.controls
    before = app.marks.value
    for name, value in (("multiplier", 1.1), ("depth", 30), ("seed", 4), ("preset", "xavier")):
        c[name].value = value
    assert calls == [] and app.marks.value == before
    c["width"].value = 64
    assert sorted(calls) == ["kaiming", "pytorch_default", "xavier"]
    assert app.marks.value == before  # the fractions of 2/fan_in do not depend on the width
    c["activation"].value = "leaky_relu"
    c["slope"].value = 0.5
    assert len(calls) == 9 and "Kaiming 4/5" in app.marks.value
