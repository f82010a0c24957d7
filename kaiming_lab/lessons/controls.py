"""The lessons' sliders (notebooks 08 and 10): ``interactive_output`` plus accessible names.

:func:`slider_panel` lays out controls above an ``ipywidgets.interactive_output``
of a pure update function, and names every control for a screen reader.
ipywidgets 8 ties a dropdown's visible description to its ``<select>``, but
gives a slider's handle (``role="slider"``) and its editable readout no
accessible name, and a row of toggle buttons no group name. So the panel
carries one invisible :class:`~kaiming_lab.control_names.ControlNames`, as the
explorer does, which names each control in the browser from the names given
here. Each name starts with the words of its control's visible label, so what
a speech user reads is what they say.

The static site, which draws the saved controls without this widget's code,
names them from their visible labels (``site/a11y.js``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import ipywidgets as widgets

from ..control_names import ControlNames

__all__ = ["PANEL_CLASS", "control_class", "slider_panel"]

#: CSS class of the panel; the ``ControlNames`` widget names the controls inside it.
PANEL_CLASS = "kl-slider-panel"


def control_class(key: str) -> str:
    """The CSS class :func:`slider_panel` gives the control of parameter ``key``."""
    return f"kl-control-{key.replace('_', '-')}"


def slider_panel(
    update: Callable[..., None],
    controls: Mapping[str, widgets.ValueWidget],
    names: Mapping[str, str],
    rows: Sequence[Sequence[str]],
) -> widgets.VBox:
    """Controls in ``rows`` above ``interactive_output(update, controls)``, every one named.

    ``controls`` maps ``update``'s parameter names to widgets; ``names`` gives
    each the accessible name a screen reader says (it must start with the
    control's visible ``description``); ``rows`` lists the parameter names of
    each row of controls (a row wraps where the notebook is narrow). Returns the
    panel (a ``VBox``) whose last child is the invisible ``ControlNames``.
    """
    if set(names) != set(controls):
        raise ValueError(
            f"names must name every control once: controls {sorted(controls)}, "
            f"names {sorted(names)}"
        )
    placed = [key for row in rows for key in row]
    if sorted(placed) != sorted(controls):
        raise ValueError(f"rows must place every control once: {sorted(controls)}, got {placed}")
    for key, control in controls.items():
        if not names[key].startswith(control.description):
            raise ValueError(
                f"names[{key!r}] must start with the visible label {control.description!r}, "
                f"got {names[key]!r}"
            )
        control.add_class(control_class(key))
    out = widgets.interactive_output(update, dict(controls))
    patch = ControlNames(
        names={control_class(key): text for key, text in names.items()},
        root=f".{PANEL_CLASS}",
        layout=widgets.Layout(display="none"),
    )
    # a row wraps instead of squeezing its sliders to a bare handle in a narrow notebook
    # (1024 px at 150 % zoom with the file browser open leaves about 470 px)
    wrap = {"flex_flow": "row wrap"}
    lines = [widgets.HBox([controls[key] for key in row], layout=wrap) for row in rows]
    panel = widgets.VBox([*lines, out, patch])
    panel.add_class(PANEL_CLASS)
    return panel
