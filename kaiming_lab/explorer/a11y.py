"""What the explorer tells a screen reader and a keyboard user, beyond what ipywidgets does.

:func:`accessibility_patch` is the app's invisible
:class:`~kaiming_lab.control_names.ControlNames`: it names every control from
:data:`CONTROL_NAMES`, says the variance slider's value as a multiplier
(``aria-valuetext`` ``"×1.05 of 2/fan_in"``) instead of its base-ten logarithm,
makes the app a landmark named "Kaiming initialisation explorer", and the verdict
a polite live region, read out after a move. Focus is shown by :data:`FOCUS_CSS`.
"""

from __future__ import annotations

import ipywidgets as widgets

from ..control_names import ControlNames

#: Accessible name of each control; each starts with the words its visible label shows.
CONTROL_NAMES: dict[str, str] = {
    "multiplier": "Var(W) in units of 2/width: weight variance, multiple of 2/fan_in",
    "preset": "preset: initialiser whose variance the slider takes",
    "depth": "depth: number of layers shown",
    "width": "width: units in every layer",
    "seed": "seed of the random network",
    "activation": "activation function",
    "slope": "leaky slope a of the leaky ReLU",
    "bias_variance": "Var(b): variance of the biases",
    "show_histograms": "histograms of the activations at the first, middle and last layer",
    "show_backward": "backward: show the gradients' panel in place of the forward one",
}

#: A focus ring of 3 px, #1A1A1A (17:1 on white), on every control of the app.
FOCUS_CSS = """
.kaiming-explorer .noUi-handle:focus-visible, .kaiming-explorer select:focus-visible,
.kaiming-explorer input:focus-visible, .kaiming-explorer button:focus-visible {
  outline: 3px solid #1a1a1a; outline-offset: 2px; }
"""


def control_class(name: str) -> str:
    """The CSS class of the app's control ``name`` (``kaiming-bias-variance``, ...)."""
    return "kaiming-" + name.replace("_", "-")


def accessibility_patch() -> ControlNames:
    """The invisible widget that names the app's controls; put it anywhere inside the app."""
    return ControlNames(
        names={control_class(name): text for name, text in CONTROL_NAMES.items()},
        root=".kaiming-explorer",
        region="Kaiming initialisation explorer",
        live=[".kaiming-verdict .widget-html-content", "verdict"],
        valuetext=[".kaiming-multiplier .noUi-handle", ".kaiming-readout", " of 2/fan_in"],
        layout=widgets.Layout(display="none"),
    )
