"""What the lessons' slider panels (``lessons.controls.slider_panel``) put on the page."""

from __future__ import annotations

import ipywidgets as widgets

from kaiming_lab.control_names import ControlNames


def descendants(widget: widgets.Widget) -> list[widgets.Widget]:
    """``widget`` and every widget inside it, depth first."""
    found = [widget]
    for child in getattr(widget, "children", ()):
        found += descendants(child)
    return found


def accessible_names(panel: widgets.Box) -> dict[str, str]:
    """Each control's visible label -> the name the panel's ``ControlNames`` gives it.

    A control is any widget with a value and a description; one without a name maps to "".
    """
    (patch,) = [w for w in descendants(panel) if isinstance(w, ControlNames)]
    names = {}
    for w in descendants(panel):
        if isinstance(w, widgets.ValueWidget) and getattr(w, "description", None):
            given = [patch.names[c] for c in w._dom_classes if c in patch.names]
            names[w.description] = given[0] if len(given) == 1 else ""
    return names
