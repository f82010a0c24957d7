"""The lessons' slider panels: interactive_output over a pure update, every control named."""

from __future__ import annotations

import ipywidgets as widgets
import pytest
from _widgets import accessible_names, descendants

from kaiming_lab.control_names import ControlNames
from kaiming_lab.lessons import controls


def _panel(names=None, rows=(("a", "b"),), seen=None):
    a = widgets.IntSlider(value=1, min=0, max=5, description="a")
    b = widgets.Dropdown(options=["x", "y"], value="x", description="b")

    def update(a: int, b: str) -> None:
        if seen is not None:
            seen.append((a, b))

    names = {"a": "a: the first", "b": "b: the second"} if names is None else names
    return controls.slider_panel(update, {"a": a, "b": b}, names, rows), a, b


def test_a_move_calls_the_update_with_every_control_value():
    seen = []
    panel, a, b = _panel(seen=seen)
    assert seen == [(1, "x")]  # interactive_output runs the update once at the start
    a.value = 3
    b.value = "y"
    assert seen == [(1, "x"), (3, "x"), (3, "y")]
    assert isinstance(panel.children[-2], widgets.Output)
    assert controls.PANEL_CLASS in panel._dom_classes


def test_every_control_gets_its_name_and_the_patch_stays_invisible():
    panel, _, _ = _panel()
    assert accessible_names(panel) == {"a": "a: the first", "b": "b: the second"}
    patch = panel.children[-1]
    assert isinstance(patch, ControlNames) and patch.layout.display == "none"
    assert controls.control_class("sigma_w2") == "kl-control-sigma-w2"
    assert patch.root == ".kl-slider-panel"  # the browser code looks for the panel's class


def test_bad_names_or_rows_are_refused():
    with pytest.raises(ValueError, match="names must name every control"):
        _panel(names={"a": "a: the first"})
    with pytest.raises(ValueError, match="must start with the visible label 'b'"):
        _panel(names={"a": "a: the first", "b": "the second"})
    with pytest.raises(ValueError, match="rows must place every control once"):
        _panel(rows=(("a",),))


def test_descendants_walk_the_boxes():
    panel, a, b = _panel()
    found = descendants(panel)
    assert a in found and b in found and panel.children[-1] in found


def test_a_row_wraps_rather_than_squeezing_its_controls():
    panel, _, _ = _panel()
    assert panel.children[0].layout.flex_flow == "row wrap"
