"""ipywidgets front end of the explorer: controls wired to :mod:`kaiming_lab.explorer`.

``explorer()`` returns an :class:`ExplorerApp` (an ``ipywidgets.VBox``). Every
control change builds an :class:`~kaiming_lab.explorer.ExplorerState`, asks the
:class:`~kaiming_lab.explorer.ExplorerModel` for a view, updates the
:class:`~kaiming_lab.explorer.ExplorerFigure` in place and shows it as a PNG in
an ``ipywidgets.Image``; the verdict goes to an ``ipywidgets.HTML``. All the
logic lives in :mod:`kaiming_lab.explorer`, so tests can set ``.value`` on the
controls and read the result without a browser.
"""

from __future__ import annotations

import dataclasses
import html
import math

import ipywidgets as widgets

from .model import (
    MAX_DEPTH,
    MULTIPLIER_RANGE,
    WIDTH_CHOICES,
    ExplorerFigure,
    ExplorerModel,
    ExplorerState,
    ExplorerView,
    preset_multiplier,
)

__all__ = ["MULTIPLIER_STEP", "ExplorerApp", "explorer"]

#: Step of the variance slider in powers of ten: one arrow key press is x10^0.02 = x1.047.
MULTIPLIER_STEP = 0.02

_ACTIVATION_LABELS = (
    ("ReLU", "relu"),
    ("leaky ReLU", "leaky_relu"),
    ("tanh", "tanh"),
    ("linear", "linear"),
)
_PRESET_LABELS = (
    ("Kaiming (He)", "kaiming"),
    ("Xavier (Glorot)", "xavier"),
    ("PyTorch nn.Linear default", "pytorch_default"),
    ("custom", "custom"),
)
_STATUS_COLORS = {"exploding": "#c0392b", "overflow": "#c0392b", "vanishing": "#2c6fbb"}


class ExplorerApp(widgets.VBox):
    """The explorer: controls, a verdict line and the figure.

    ``controls`` maps names (``depth``, ``multiplier``, ``preset``, ``width``,
    ``activation``, ``slope``, ``bias_variance``, ``seed``) to widgets;
    ``model``, ``figure`` and the latest ``view`` are kept for inspection.
    """

    def __init__(self, state: ExplorerState | None = None, *, model: ExplorerModel | None = None):
        state = ExplorerState() if state is None else state
        self.model = ExplorerModel() if model is None else model
        self.figure = ExplorerFigure()
        self.view: ExplorerView | None = None
        self._quiet = False
        style = {"description_width": "initial"}
        lo, hi = (math.log10(v) for v in MULTIPLIER_RANGE)
        self.controls: dict[str, widgets.ValueWidget] = {
            "depth": widgets.IntSlider(
                value=state.depth, min=1, max=MAX_DEPTH, description="depth", style=style
            ),
            "multiplier": widgets.FloatLogSlider(
                value=state.multiplier,
                base=10,
                min=lo,
                max=hi,
                step=MULTIPLIER_STEP,
                readout_format=".3g",
                description="Var(W) in units of 2/width",
                style=style,
                layout=widgets.Layout(width="420px"),
            ),
            "preset": widgets.Dropdown(
                options=_PRESET_LABELS, value="kaiming", description="preset", style=style
            ),
            "width": widgets.SelectionSlider(
                options=list(WIDTH_CHOICES), value=state.width, description="width", style=style
            ),
            "activation": widgets.Dropdown(
                options=_ACTIVATION_LABELS,
                value=state.activation,
                description="activation",
                style=style,
            ),
            "slope": widgets.FloatSlider(
                value=state.slope,
                min=0.0,
                max=1.0,
                step=0.01,
                description="leaky slope a",
                style=style,
                disabled=state.activation != "leaky_relu",
            ),
            "bias_variance": widgets.FloatSlider(
                value=state.bias_variance,
                min=0.0,
                max=1.0,
                step=0.01,
                description="Var(b)",
                style=style,
            ),
            "seed": widgets.BoundedIntText(
                value=state.seed,
                min=0,
                max=10**6,
                description="seed",
                style=style,
                layout=widgets.Layout(width="160px"),
            ),
        }
        self.controls["multiplier"].add_class("kaiming-multiplier")
        self.marks = widgets.HTML()
        self.verdict = widgets.HTML()
        self.verdict.add_class("kaiming-verdict")
        self.image = widgets.Image(format="png")
        self.image.add_class("kaiming-figure")
        c = self.controls
        rows = [
            widgets.HBox([c["multiplier"], c["preset"]]),
            self.marks,
            widgets.HBox([c["depth"], c["width"], c["seed"]]),
            widgets.HBox([c["activation"], c["slope"], c["bias_variance"]]),
            self.verdict,
            self.image,
        ]
        super().__init__(children=rows)
        self._batch = state.batch
        if abs(math.log10(state.multiplier / self._preset_value("kaiming"))) > 1e-12:
            c["preset"].value = "custom"
        c["preset"].observe(self._on_preset, names="value")
        c["multiplier"].observe(self._on_multiplier, names="value")
        c["activation"].observe(self._on_activation, names="value")
        c["slope"].observe(self._on_activation, names="value")
        for name in ("depth", "width", "bias_variance", "seed"):
            c[name].observe(self._on_other, names="value")
        self.refresh()

    def __repr__(self) -> str:
        return f"ExplorerApp({self.state()!r})"

    def state(self) -> ExplorerState:
        """The :class:`ExplorerState` the controls show now."""
        c = self.controls
        return ExplorerState(
            depth=c["depth"].value,
            multiplier=float(c["multiplier"].value),
            width=c["width"].value,
            activation=c["activation"].value,
            slope=float(c["slope"].value),
            bias_variance=float(c["bias_variance"].value),
            seed=int(c["seed"].value),
            batch=self._batch,
        )

    def _preset_value(self, preset: str) -> float:
        c = self.controls
        return preset_multiplier(
            preset, c["activation"].value, slope=c["slope"].value, fan_in=c["width"].value
        )

    def _set_quietly(self, name: str, value) -> None:
        self._quiet = True
        try:
            self.controls[name].value = value
        finally:
            self._quiet = False

    def _on_preset(self, change) -> None:
        if self._quiet:
            return
        if change["new"] != "custom":
            self._set_quietly("multiplier", self._preset_value(change["new"]))
        self.refresh()

    def _on_multiplier(self, change) -> None:
        if self._quiet:
            return
        preset = self.controls["preset"].value
        if preset != "custom":
            # the browser rounds to the slider's step: stay on the preset within half a step
            off = abs(math.log10(change["new"] / self._preset_value(preset)))
            if off > MULTIPLIER_STEP / 2:
                self._set_quietly("preset", "custom")
        self.refresh()

    def _on_activation(self, change) -> None:
        if self._quiet:
            return
        c = self.controls
        c["slope"].disabled = c["activation"].value != "leaky_relu"
        if c["preset"].value != "custom":
            self._set_quietly("multiplier", self._preset_value(c["preset"].value))
        self.refresh()

    def _on_other(self, change) -> None:
        if not self._quiet:
            self.refresh()

    def refresh(self) -> ExplorerView:
        """Recompute the view for the current controls and redraw the figure in place."""
        state = self.state()
        view = self.model.compute(state)
        self.figure.update(view)
        self.image.value = self.figure.to_png()
        color = _STATUS_COLORS.get(view.status, "#1e8449")
        self.verdict.value = (
            f'<b style="font-size:1.25em;color:{color}">{html.escape(view.verdict)}</b>'
        )
        marks = " · ".join(
            f"{label} {self._preset_value(key):.3g}"
            for label, key in (
                ("Kaiming", "kaiming"),
                ("Xavier", "xavier"),
                ("PyTorch default", "pytorch_default"),
            )
        )
        self.marks.value = (
            f"<span style='color:#555'>1 = Kaiming's 2/width. Presets for this activation: "
            f"{marks}. Now: Var(W) = {state.multiplier:.3g} × 2/{state.width}.</span>"
        )
        self.view = view
        return view


def explorer(state: ExplorerState | None = None, **values) -> ExplorerApp:
    """Build the explorer; ``values`` override fields of ``state`` (e.g. ``depth=30``).

    Display the returned box in a notebook (or serve the notebook with Voila).
    """
    state = ExplorerState() if state is None else state
    if values:
        state = dataclasses.replace(state, **values)
    return ExplorerApp(state)
