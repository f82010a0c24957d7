"""ipywidgets front end of the explorer: controls wired to the model and the bqplot panels.

A control change builds an :class:`~kaiming_lab.explorer.ExplorerState`, asks the
model for its view and hands it to the figure and the verdict; tests set ``.value``
on the controls. CSS hooks: ``kaiming-explorer`` (the app), ``kaiming-verdict``,
``kaiming-figure``, ``kaiming-<control>`` on every control, ``kaiming-compact``.

``compact=True`` is the layout for a slide (1024x768 at 150 % zoom): variance,
preset, activation, depth and width in three rows, the verdict, one panel at a
time (a "backward" button swaps them), text of 16 px or more. Seed, slope and
bias keep their values off screen; histograms and preset marks are left out.
"""

from __future__ import annotations

import dataclasses
import html
import math

import ipywidgets as widgets

from .a11y import FOCUS_CSS, accessibility_patch, control_class
from .figure import (
    COMPACT_CSS,
    COMPACT_FONT_PX,
    FIGURE_CSS,
    NETWORK_COLOR,
    THEORY_TEXT_COLOR,
    ExplorerFigure,
)
from .simulation import ExplorerModel, ExplorerView
from .state import (
    RANGES,
    WIDTH_CHOICES,
    ExplorerState,
    check_state,
    fraction_label,
    preset_multiplier,
)

#: Step of the variance slider in powers of ten: one arrow key press is x10^0.02 = x1.047.
MULTIPLIER_STEP = 0.02

_ACTIVATION_LABELS = {
    "ReLU": "relu",
    "leaky ReLU": "leaky_relu",
    "tanh": "tanh",
    "linear": "linear",
}
_PRESET_LABELS = {
    "Kaiming (He)": "kaiming",
    "Xavier (Glorot)": "xavier",
    "PyTorch nn.Linear default": "pytorch_default",
    "custom": "custom",
}
#: Verdict colours: Okabe-Ito vermillion and bluish green darkened for text (4.75:1 and
#: 5.55:1 on white, WCAG AA asks 4.5:1), and Okabe-Ito blue (5.19:1).
STATUS_COLORS = {"exploding": THEORY_TEXT_COLOR, "vanishing": NETWORK_COLOR, "stable": "#00775A"}
#: Presets marked beside the slider, and their labels there.
_MARKS = (("kaiming", "Kaiming"), ("xavier", "Xavier"), ("pytorch_default", "PyTorch"))


def _control(kind: type, description: str, layout, **values) -> widgets.ValueWidget:
    """A control with its label beside it, ``layout`` a width such as ``"250px"`` or a Layout."""
    if isinstance(layout, str):
        layout = widgets.Layout(width=layout)
    style = {"description_width": "initial"}
    return kind(description=description, style=style, layout=layout, **values)


def _toggle(description: str, tooltip: str, **layout) -> widgets.ToggleButton:
    """A switch with the CSS class ``kaiming-show-<description>``."""
    button = widgets.ToggleButton(
        description=description, tooltip=tooltip, layout=widgets.Layout(**layout)
    )
    button.add_class(f"kaiming-show-{description}")
    return button


class ExplorerApp(widgets.VBox):
    """The explorer: controls, one verdict, the forward and backward panels, folded histograms.

    ``controls`` maps names (``depth``, ``multiplier``, ``preset``, ``width``,
    ``activation``, ``slope``, ``bias_variance``, ``seed``) to widgets;
    ``model``, ``figure`` and the latest ``view`` are kept for inspection;
    ``redraws`` counts the views sent to the browser. ``compact=True`` lays it
    out for a slide (see the module's docstring); every control still exists.
    """

    def __init__(
        self,
        state: ExplorerState | None = None,
        *,
        model: ExplorerModel | None = None,
        compact: bool = False,
        **values,
    ):
        state = check_state(ExplorerState() if state is None else state)
        if values:
            state = dataclasses.replace(state, **values)
        if state.width not in WIDTH_CHOICES:
            raise ValueError(
                f"width must be one of the width slider's stops {WIDTH_CHOICES}, got {state.width}"
            )
        if model is not None and not isinstance(model, ExplorerModel):
            raise TypeError(f"model must be an ExplorerModel, got {type(model).__name__}")
        if not isinstance(compact, bool):
            raise TypeError(f"compact must be True or False, got {compact!r}")
        self.model = ExplorerModel() if model is None else model
        self.compact = compact
        self.figure = ExplorerFigure(compact=compact)
        self.view: ExplorerView | None = None
        self.redraws = 0
        self._presets: tuple[tuple, dict[str, float]] = ((), {})
        self._batch = state.batch if state.batch != ExplorerState(width=state.width).batch else None
        lo, hi = (math.log10(v) for v in RANGES["multiplier"])
        wide = widgets.Layout(flex="1 1 300px", min_width="260px", max_width="560px")
        self.controls: dict[str, widgets.ValueWidget] = {
            "multiplier": _control(
                widgets.FloatLogSlider, "Var(W) in units of 2/width", wide, value=state.multiplier,
                base=10, min=lo, max=hi, step=MULTIPLIER_STEP, readout=False,
            ),
            "preset": _control(widgets.Dropdown, "preset", "290px", options=_PRESET_LABELS),
            "depth": _control(
                widgets.IntSlider, "depth", "250px", value=state.depth,
                min=RANGES["depth"][0], max=RANGES["depth"][1],
            ),
            "width": _control(
                widgets.SelectionSlider, "width", "250px", options=WIDTH_CHOICES, value=state.width
            ),
            "seed": _control(
                widgets.BoundedIntText, "seed", "140px", value=state.seed,
                min=RANGES["seed"][0], max=RANGES["seed"][1],
            ),
            "activation": _control(
                widgets.Dropdown, "activation", "200px", options=_ACTIVATION_LABELS,
                value=state.activation,
            ),
            "slope": _control(
                widgets.FloatSlider, "leaky slope a", "250px", value=state.slope, max=1.0,
                step=0.01, disabled=state.activation != "leaky_relu",
            ),
            "bias_variance": _control(
                widgets.FloatSlider, "Var(b)", "230px", value=state.bias_variance,
                max=RANGES["bias_variance"][1], step=0.01,
            ),
        }  # fmt: skip
        c = self.controls
        for name, control in c.items():  # kaiming-multiplier, kaiming-bias-variance, ...
            control.add_class(control_class(name))
        self.readout = widgets.HTML(layout=widgets.Layout(width="auto", margin="0 12px 0 4px"))
        self.readout.add_class("kaiming-readout")
        self.marks = widgets.HTML()
        self.verdict = widgets.HTML(layout=widgets.Layout(min_height="48px"))
        self.verdict.add_class("kaiming-verdict")
        self.key = widgets.HTML(
            f"<span style='font-size:{COMPACT_FONT_PX if compact else 14}px'>"
            f"<b style='color:{NETWORK_COLOR}'>●</b> this network &nbsp; "
            f"<b style='color:{THEORY_TEXT_COLOR}'>‒ ‒</b> theory &nbsp; "
            f"<span style='background:rgba(86,180,233,0.3)'>&nbsp;&nbsp;&nbsp;</span> "
            f"networks like it (95 %)</span>"
        )
        self.show_histograms = _toggle(
            "histograms", "show the activations at the first, middle and last layer", width="130px"
        )
        self.show_histograms.icon = "bar-chart"
        self.figure.hists.layout.display = "none"
        #: compact layout only: shows the backward panel in place of the forward one
        self.show_backward: widgets.ToggleButton | None = None
        row = widgets.Layout(flex_flow="row wrap", align_items="center", width="100%")
        if compact:  # the controls a lecture uses, the verdict and one panel at a time
            self.show_backward = _toggle(
                "backward",
                "show the backward pass (the gradients) in place of the forward pass",
                width="104px",
                margin="0 0 0 6px",
            )
            self.show_backward.observe(self._on_backward, names="value")
            # the switch beside depth and width (200 px each at 150 % zoom, so the three
            # share a row; up to 300 px on a wider screen): the key fills its own row
            for name in ("depth", "width"):
                c[name].layout = widgets.Layout(flex="1 1 200px", max_width="300px")
            controls = [
                widgets.HBox([c["multiplier"], self.readout], layout=row),
                widgets.HBox([c["preset"], c["activation"]], layout=row),
                widgets.HBox([c["depth"], c["width"], self.show_backward], layout=row),
            ]
        else:
            controls = [
                widgets.HBox([c["multiplier"], self.readout, c["preset"]], layout=row),
                widgets.HBox([c["depth"], c["width"], c["seed"], c["activation"]], layout=row),
                widgets.HBox(
                    [c["slope"], c["bias_variance"], self.show_histograms, self.marks], layout=row
                ),
            ]
        children = [
            widgets.HTML(
                f"<style>{FIGURE_CSS}{COMPACT_CSS}{FOCUS_CSS}</style>",
                layout=widgets.Layout(display="none"),
            ),
            accessibility_patch(),
            *controls,
            self.verdict,
            self.key,
            self.figure.main,
            *([] if compact else [self.figure.hists]),
        ]
        super().__init__(children=children, layout=widgets.Layout(width="100%"))
        self.add_class("kaiming-explorer")
        if compact:
            self.add_class("kaiming-compact")
        if not math.isclose(state.multiplier, self._preset_value("kaiming"), rel_tol=1e-12):
            c["preset"].value = "custom"
        for control in c.values():
            control.observe(self._on_control, names="value")
        self.show_histograms.observe(self._on_histograms, names="value")
        self.refresh()

    def __repr__(self) -> str:
        return f"ExplorerApp({self.state()!r})"

    def state(self) -> ExplorerState:
        """The :class:`ExplorerState` the controls show now (a preset's exact multiplier)."""
        c = self.controls
        preset = c["preset"].value
        if preset != "custom":
            multiplier = self._preset_value(preset)
        else:  # the browser's slider may overshoot its ends by a rounding error
            lo, hi = RANGES["multiplier"]
            multiplier = min(max(float(c["multiplier"].value), lo), hi)
        names = ("depth", "width", "activation", "slope", "bias_variance", "seed")
        values = {name: c[name].value for name in names}
        return ExplorerState(multiplier=multiplier, batch=self._batch, **values)

    def _preset_value(self, preset: str) -> float:
        """A preset's multiplier; all three computed again only when activation, slope or width
        move (and the marks beside the slider with them)."""
        c = self.controls
        key = (c["activation"].value, float(c["slope"].value), c["width"].value)
        if self._presets[0] != key:
            act, slope, width = key
            values = {p: preset_multiplier(p, act, slope=slope, fan_in=width) for p, _ in _MARKS}
            marks = " · ".join(f"{label} {fraction_label(values[p])}" for p, label in _MARKS)
            self.marks.value = f"<span style='color:#444;font-size:14px'>presets: {marks}</span>"
            self._presets = (key, values)
        return self._presets[1][preset]

    def _on_control(self, change) -> None:
        """A control moved: keep the preset and the variance slider in step, then redraw.

        Setting one from the other calls this again; its redraw is the one that counts, the
        outer call's finds the same state and sends nothing.
        """
        c, owner, preset = self.controls, change["owner"], self.controls["preset"].value
        c["slope"].disabled = c["activation"].value != "leaky_relu"
        if preset != "custom" and owner is c["multiplier"]:
            # the browser rounds to the slider's step: stay on the preset within half a step
            if abs(math.log10(change["new"] / self._preset_value(preset))) > MULTIPLIER_STEP / 2:
                c["preset"].value = "custom"
        elif preset != "custom" and owner in (c["preset"], c["activation"], c["slope"]):
            c["multiplier"].value = self._preset_value(preset)
        self.refresh()

    def _on_histograms(self, change) -> None:
        self.figure.hists.layout.display = "flex" if change["new"] else "none"
        if change["new"] and self.view is not None:
            self.figure.update_histograms(self.view)

    def _on_backward(self, change) -> None:
        panel = self.figure.backward if change["new"] else self.figure.forward
        self.figure.main.children = (panel.figure,)

    def refresh(self) -> ExplorerView:
        """Recompute the view for the current controls and send it to the browser.

        Nothing is sent when the state has not changed (a slider echoing a
        rounded preset value back, for example).
        """
        state = self.state()
        if self.view is not None and self.view.state == state:
            return self.view
        view = self.model.compute(state)
        self.figure.update(view, histograms=self.show_histograms.value)
        verdict = view.assessment
        color = STATUS_COLORS[verdict.status]
        self.verdict.value = (
            f"<div style='font-size:16px;line-height:1.35'>"
            f"<b style='color:{color}'>{html.escape(verdict.headline)}</b><br>"
            f"<span style='color:#333'>{html.escape(verdict.detail)}</span></div>"
        )
        size = COMPACT_FONT_PX if self.compact else 15
        self.readout.value = (
            f"<span style='font-size:{size}px'>× <b>{fraction_label(state.multiplier)}</b></span>"
        )
        self.view = view
        self.redraws += 1
        return view


def explorer(state: ExplorerState | None = None, *, compact: bool = False, **values) -> ExplorerApp:
    """Build the explorer; ``values`` override fields of ``state`` (e.g. ``depth=30``).

    Every value must be one the controls can show (``width`` one of
    ``WIDTH_CHOICES``, ``multiplier`` in ``RANGES["multiplier"]``, ...); anything
    else raises ``ValueError`` or ``TypeError`` naming it. Display the returned
    box in a notebook, or serve the notebook with Voila. ``compact=True`` is the
    layout for a slide: fewer controls, one panel at a time.
    """
    return ExplorerApp(state, compact=compact, **values)
