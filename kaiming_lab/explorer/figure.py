"""The explorer's plot: vector panels drawn in the browser by bqplot from the numbers.

The forward pass (``rms(z^(h))`` per layer) and the backward pass (mean square of
``dL/dx^(h)``), each on a log axis: this network as dots (Okabe-Ito blue), the
theory as a dashed line (vermillion), the range networks like it reach as a band;
the key is a line of text above, nothing covers the data. Three histograms of
``x / rms(x)`` (first, middle, last layer) fold away. A move sends a few hundred
numbers; the browser redraws the SVG, sharp at any zoom.
"""

from __future__ import annotations

import math
import warnings

import ipywidgets as widgets
import numpy as np

with warnings.catch_warnings():
    # bqscales 0.3 sets trait metadata the way traitlets 4.0 did; harmless, silenced here only
    warnings.filterwarnings(
        "ignore", "metadata .* was set from the constructor", category=DeprecationWarning
    )
    import bqplot as bq

from ..plot_conventions import PALETTE, decade_exponents, power_label
from .simulation import HIST_EDGES, HIST_LIMIT, ExplorerView
from .state import RANGES

#: Height of the two main panels in CSS pixels.
FIGURE_HEIGHT = 290
#: Height of the one panel the compact layout shows (a slide at 150 % zoom), in CSS pixels.
COMPACT_FIGURE_HEIGHT = 192
#: Space the compact layout leaves right of its panel, in CSS pixels: the
#: slideshow's navigation buttons sit there, in the bottom-right corner of the screen.
COMPACT_RIGHT_MARGIN = 64
#: Smallest text of the compact layout in CSS pixels: 24 device pixels at 150 % zoom,
#: readable from the back of a lecture room (the full layout keeps 13-15 px).
COMPACT_FONT_PX = 16
#: Height of the histogram row in CSS pixels.
HIST_HEIGHT = 170
#: Depth axis lengths the x axis snaps to.
DEPTH_AXIS = (10, 25, 50, RANGES["depth"][1])

#: Okabe-Ito blue, vermillion, bluish green and sky blue: the course's palette.
NETWORK_COLOR, THEORY_COLOR, HIST_COLOR, BAND_COLOR = (PALETTE[i] for i in (0, 1, 2, 5))
#: The theory's vermillion darkened for text and the key (4.75:1 on white; #D55E00 is 3.87:1,
#: enough for the 3 px line, which WCAG asks 3:1 of, not for text, which needs 4.5:1).
THEORY_TEXT_COLOR = "#BF5200"
#: The band's edges: the sky blue darkened to 3.8:1 on white (the 25 % fill alone is 1.2:1).
BAND_EDGE_COLOR = "#2F8AC4"
_PLOT_MAX = 1e300

#: CSS for the panels: fonts of 14-15 px at 100 % zoom (they scale with the browser's zoom);
#: tick labels take their size from the axes' ``tick_style``, which bqplot sets inline.
FIGURE_CSS = """
.kaiming-figure .bqplot text.axislabel { font-size: 15px; }
.kaiming-figure .bqplot .mainheading { font-size: 15px; }
.kaiming-hists .bqplot text.axislabel { font-size: 14px; }
.kaiming-hists .bqplot .mainheading { font-size: 14px; }
.kaiming-explorer .widget-label, .kaiming-explorer .widget-readout { font-size: 14px; }
"""

#: CSS for the compact layout (the app's class ``kaiming-compact``): every label, readout,
#: button, menu and panel text at :data:`COMPACT_FONT_PX`.
COMPACT_CSS = f"""
.kaiming-compact {{ --jp-widgets-font-size: {COMPACT_FONT_PX}px; }}
.kaiming-compact .widget-label, .kaiming-compact .widget-readout,
.kaiming-compact .widget-dropdown select, .kaiming-compact .widget-toggle-button,
.kaiming-compact .kaiming-figure .bqplot text.axislabel,
.kaiming-compact .kaiming-figure .bqplot .mainheading {{ font-size: {COMPACT_FONT_PX}px; }}
"""


def js_number(k: int) -> str:
    """How JavaScript's ``String()`` writes ``10**k`` (the key bqplot looks tick labels up by)."""
    if 0 <= k < 21:
        return "1" + "0" * k
    if -7 < k < 0:
        return "0." + "0" * (-k - 1) + "1"
    return f"1e+{k}" if k > 0 else f"1e{k}"


def _finite(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """The points ``x, y`` a log axis can show (``0 < y < 1e300``)."""
    with np.errstate(invalid="ignore"):
        ok = (y > 1.0 / _PLOT_MAX) & (y < _PLOT_MAX)
    return {"x": x[ok], "y": y[ok]}


def log_limits(*arrays: np.ndarray) -> tuple[int, int]:
    """Decade exponents ``(lo, hi)`` that hold every positive finite value, at least 2 apart."""
    values = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays])
    with np.errstate(invalid="ignore"):
        values = values[(values > 1.0 / _PLOT_MAX) & (values < _PLOT_MAX)]
    if values.size == 0:
        return -1, 1
    lo = math.floor(math.log10(values.min()) - 0.05)
    hi = math.ceil(math.log10(values.max()) + 0.05)
    if hi - lo < 2:
        lo, hi = lo - 1, hi + 1
    return lo, hi


def depth_ticks(xmax: int) -> np.ndarray:
    """Ticks of the layer axis: 0 to ``xmax`` in steps of 2, 5, 10 or 20 (at most 6 ticks)."""
    step = next(s for s in (2, 5, 10, 20) if xmax / s <= 5)
    return np.arange(0.0, xmax + 1.0, step)


#: Labels of the log axes' ticks, keyed as JavaScript writes the tick values.
TICK_LABELS = {js_number(k): power_label(k) for k in range(-300, 301)}


def _figure(marks: list, axes: list, margin: tuple, widths: tuple, height: int, title=""):
    """A bqplot figure; ``margin`` is (top, bottom, left, right), ``widths`` (basis, minimum)."""
    return bq.Figure(
        marks=marks,
        axes=axes,
        title=title,
        fig_margin=dict(zip(("top", "bottom", "left", "right"), margin, strict=True)),
        animation_duration=0,
        layout=widgets.Layout(
            flex=f"1 1 {widths[0]}px",
            width="auto",
            min_width=f"{widths[1]}px",
            height=f"{height}px",
        ),
    )


class _LogPanel:
    """One log-scale panel: dots (this network), dashed line (theory), band (networks like it)."""

    def __init__(self, title: str, y_label: str, height: int, font_px: int) -> None:
        self.x_scale, self.y_scale = bq.LinearScale(min=0.0, max=50.0), bq.LogScale()
        scales = {"x": self.x_scale, "y": self.y_scale}
        self.band = bq.Lines(
            x=[0.0],
            y=[[1.0], [1.0]],
            scales=scales,
            fill="between",
            fill_colors=[BAND_COLOR],
            fill_opacities=[0.25],
            colors=[BAND_EDGE_COLOR],
            opacities=[1.0, 1.0],
            stroke_width=1,
        )
        self.theory = bq.Lines(
            scales=scales, colors=[THEORY_COLOR], line_style="dashed", stroke_width=3
        )
        self.network = bq.Scatter(
            scales=scales, colors=[NETWORK_COLOR], default_size=28, stroke="white", stroke_width=0.5
        )
        tick_style = {"font-size": f"{font_px}px"}
        self.x_axis = bq.Axis(
            scale=self.x_scale,
            label="layer h",
            tick_format="d",
            grid_lines="none",
            tick_style=tick_style,
        )
        self.y_axis = bq.Axis(
            scale=self.y_scale,
            side="left",
            label=y_label,
            grid_lines="dashed",
            grid_color="#ddd",
            label_offset="52px",
            tick_style=tick_style,
            tick_labels=TICK_LABELS,  # sent once: only the tick values change
        )
        marks, axes = [self.band, self.theory, self.network], [self.x_axis, self.y_axis]
        self.figure = _figure(marks, axes, (34, 46, 70, 14), (360, 280), height, title)

    def update(self, x: np.ndarray, data, theory, band, xmax: float) -> None:
        """Put new numbers into the marks and scales (one message per widget)."""
        lo, hi = log_limits(data, theory)
        clip_lo, clip_hi = float(f"1e{lo}"), float(f"1e{hi}")
        with np.errstate(all="ignore"):
            band = np.clip(band, clip_lo, clip_hi)
        ok = np.all(np.isfinite(band), axis=0)
        # scales first, so the marks are drawn once on the new axes
        _assign(self.x_scale, min=-0.01 * xmax, max=1.01 * xmax)
        _assign(self.x_axis, tick_values=depth_ticks(int(xmax)))
        _assign(self.y_scale, min=clip_lo, max=clip_hi)
        _assign(self.y_axis, tick_values=[float(f"1e{k}") for k in decade_exponents(lo, hi, 6)])
        _assign(self.band, x=x[ok], y=band[:, ok])
        _assign(self.theory, **_finite(x, theory))
        _assign(self.network, **_finite(x, data))


def _assign(widget, **values) -> None:
    """Set traits of ``widget`` in one message (traitlets and traittypes skip equal values)."""
    with widget.hold_sync():
        for name, value in values.items():
            setattr(widget, name, value)


class ExplorerFigure:
    """The explorer's panels as bqplot figures; :meth:`update` changes their numbers in place.

    ``main`` (an ``HBox`` with the CSS class ``kaiming-figure``) holds the
    forward and backward panels; ``hists`` the three histograms. Both wrap
    onto more rows on a narrow screen. ``compact=True`` (a slide) puts one
    panel at a time in ``main``, the forward one first (the app swaps them),
    :data:`COMPACT_FIGURE_HEIGHT` high and :data:`COMPACT_RIGHT_MARGIN` short
    of the right edge; both panels get every update.
    """

    def __init__(self, *, compact: bool = False) -> None:
        size = (COMPACT_FIGURE_HEIGHT, COMPACT_FONT_PX) if compact else (FIGURE_HEIGHT, 14)
        self.forward = _LogPanel("forward: rms(z) per layer", "rms(z)", *size)
        self.backward = _LogPanel(
            "backward: mean square of dL/dx per layer", "mean (dL/dx)²", *size
        )
        self.main = widgets.HBox(
            [self.forward.figure] if compact else [self.forward.figure, self.backward.figure],
            layout=widgets.Layout(flex_flow="row wrap", width="100%"),
        )
        if compact:
            self.main.layout.width = "auto"
            self.main.layout.margin = f"0 {COMPACT_RIGHT_MARGIN}px 0 0"
        self.main.add_class("kaiming-figure")
        self.hist_bars, self.hist_figures = [], []
        for label in ("", "x / rms(x)", ""):
            xs = bq.LinearScale(min=-HIST_LIMIT, max=HIST_LIMIT)
            scales = {"x": xs, "y": bq.LinearScale(min=0.0)}
            bars = bq.Bars(
                x=0.5 * (HIST_EDGES[1:] + HIST_EDGES[:-1]),
                y=np.zeros(len(HIST_EDGES) - 1),
                scales=scales,
                colors=[HIST_COLOR],
            )
            axis = bq.Axis(
                scale=xs,
                label=label,
                tick_values=[-4.0, -2.0, 0.0, 2.0, 4.0],
                tick_format="d",
                tick_style={"font-size": "13px"},
            )
            self.hist_bars.append(bars)
            self.hist_figures.append(
                _figure([bars], [axis], (30, 42, 16, 16), (220, 200), HIST_HEIGHT)
            )
        # the histograms join the page when first shown (a hidden bqplot figure
        # would be laid out at a negative size)
        self.hists = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap", width="100%"))
        self.hists.add_class("kaiming-hists")

    def update(self, view: ExplorerView, *, histograms: bool = True) -> None:
        """Send ``view``'s numbers to the panels (histograms only if ``histograms``)."""
        depth = view.state.depth
        xmax = float(next(n for n in DEPTH_AXIS if n >= depth))
        layers = np.arange(depth + 1.0)
        self.forward.update(layers[:-1], view.rms_z, view.theory_std, view.forward_band, xmax)
        self.backward.update(layers, view.mean_sq_grad, view.grad_theory, view.backward_band, xmax)
        if histograms:
            self.update_histograms(view)

    def update_histograms(self, view: ExplorerView) -> None:
        """Send the three histograms of ``view`` (and put them on the page the first time)."""
        if not self.hists.children:
            self.hists.children = tuple(self.hist_figures)
        for i, (bars, fig) in enumerate(zip(self.hist_bars, self.hist_figures, strict=True)):
            h, rms, zf = view.hist_layers[i], view.hist_rms[i], view.hist_zero_fraction[i]
            if not math.isfinite(rms):
                title = f"layer {h}: beyond float64"
            elif rms == 0:
                title = f"layer {h}: all exactly 0"
            else:
                title = f"layer {h}: rms {rms:.2g}" + (f", {zf:.0%} zeros" if zf > 0 else "")
            bars.y, fig.title = view.hist_density[i], title
