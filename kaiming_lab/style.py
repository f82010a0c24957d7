"""The course's figure style: readable on a projector, kind to colour-blind readers.

Nothing changes at import. A notebook opts in once, after importing pyplot::

    from kaiming_lab import style
    style.use()

and a single figure can use it without touching the global settings::

    with style.context():
        fig, ax = plt.subplots()

What the style sets, and why:

- fonts of 13-14 pt on a 7 x 4.2 inch figure at 80 dpi, so text is at least
  14 CSS pixels tall in JupyterLab at 100 % zoom and grows with the browser's
  zoom (the notebook shows the figure at 560 CSS pixels wide);
- PNGs rendered at twice that resolution (1,120 pixels wide for the default
  size) and tagged with their display size, so they stay sharp on high-density
  screens and projectors (``use`` switches the inline backend to ``retina``);
- the Okabe-Ito palette, which stays distinguishable under the common forms
  of colour blindness, each colour paired with its own line style, so curves
  can be told apart in grey-scale print too (blue/orange first, never a
  red/green pair);
- thicker lines, a light grid, no top and right spines.

Helpers for the rules every notebook follows: :func:`legend_outside` keeps
the legend off the data, :func:`log_axis` puts ticks at readable powers of
ten, and :func:`reference_line` draws the "nothing changes" line at 1.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import matplotlib as mpl
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.legend import Legend
from matplotlib.ticker import FuncFormatter, Locator, NullFormatter, NullLocator

from .plot_conventions import PALETTE, decade_exponents, power_label

__all__ = [
    "DPI",
    "FIGSIZE",
    "LINESTYLES",
    "PALETTE",
    "RC",
    "RoundDecadeLocator",
    "context",
    "legend_outside",
    "log_axis",
    "reference_line",
    "use",
]

#: One line style per colour, so curves differ in more than hue.
LINESTYLES: tuple[Any, ...] = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (1, 1)), "-", "--")
#: Default figure size in inches (width / height = 1.67).
FIGSIZE = (7.0, 4.2)
#: Screen resolution of a figure; ``retina`` PNGs carry twice as many pixels.
DPI = 80

#: The matplotlib settings of the style.
RC: dict[str, Any] = {
    "figure.figsize": FIGSIZE,
    "figure.dpi": DPI,
    "savefig.dpi": 2 * DPI,
    "figure.facecolor": "white",
    "figure.constrained_layout.use": True,
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.labelsize": 14,
    "xtick.labelsize": 12.5,
    "ytick.labelsize": 12.5,
    "legend.fontsize": 12,
    "legend.title_fontsize": 12,
    "legend.frameon": False,
    "lines.linewidth": 2.2,
    "lines.markersize": 6.5,
    "axes.prop_cycle": cycler(color=PALETTE) + cycler(linestyle=LINESTYLES),
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlelocation": "left",
    "image.cmap": "viridis",
}


def _use_retina_inline() -> None:
    """Switch IPython's inline backend to high-density PNGs, if running inside IPython."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # plain Python: nothing to switch
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")


def use(*, retina: bool = True) -> None:
    """Apply the course style to every later figure of this session (a notebook's first cell).

    ``retina=True`` also asks IPython's inline backend for PNGs at twice the
    screen resolution; outside IPython it does nothing more.
    """
    mpl.rcParams.update(RC)
    if retina:
        _use_retina_inline()


@contextlib.contextmanager
def context() -> Iterator[None]:
    """The course style inside a ``with`` block only; the previous settings afterwards."""
    with mpl.rc_context(RC):
        yield


def legend_outside(ax: Axes, *, where: str = "right", **kwargs: Any) -> Legend | None:
    """Put ``ax``'s legend outside the data area: to the ``"right"`` or ``"below"``.

    Returns the legend, or ``None`` when no artist has a label.
    """
    if where not in ("right", "below"):
        raise ValueError(f"where must be 'right' or 'below', got {where!r}")
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    if where == "right":
        options = {"loc": "center left", "bbox_to_anchor": (1.01, 0.5)}
    else:
        options = {
            "loc": "upper center",
            "bbox_to_anchor": (0.5, -0.18),
            "ncols": min(len(handles), 3),
        }
    options.update(kwargs)
    return ax.legend(handles, labels, **options)


def _power_of_ten(value: float, _pos: object = None) -> str:
    if value <= 0 or not math.isfinite(value):
        return ""
    exponent = math.log10(value)
    if abs(exponent - round(exponent)) > 1e-9:
        return ""
    return power_label(round(exponent), tex=True)


class RoundDecadeLocator(Locator):
    """Major ticks of a log axis at 10^k with k a multiple of a round step (1, 2, 5, 10, 20, ...).

    Over 1e-100 .. 1e100 with at most 7 ticks that is -100, -50, 0, 50, 100,
    where matplotlib's own locator would pick exponents such as -141, -110, -79.
    """

    def __init__(self, max_ticks: int = 7) -> None:
        self.max_ticks = max_ticks

    def __call__(self) -> list[float]:
        lo, hi = self.axis.get_view_interval()
        return self.tick_values(lo, hi)

    def tick_values(self, vmin: float, vmax: float) -> list[float]:
        lo, hi = sorted((vmin, vmax))
        if not (hi > 0 and math.isfinite(hi)):
            return []
        lo = lo if lo > 0 and math.isfinite(lo) else hi / 10.0
        k_lo, k_hi = math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9)
        return [10.0**k for k in decade_exponents(k_lo, k_hi, self.max_ticks)]


def log_axis(ax: Axes, axis: str = "y", *, max_ticks: int = 7) -> None:
    """Log scale on ``axis`` ("x" or "y") with at most ``max_ticks`` labelled powers of ten.

    Labels read 0.01 ... 1000 as plain numbers and ``10^k`` beyond; minor
    ticks carry no labels. Use it only when the data span more than a decade.
    """
    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    target = ax.yaxis if axis == "y" else ax.xaxis
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    target.set_major_locator(RoundDecadeLocator(max_ticks))
    target.set_major_formatter(FuncFormatter(_power_of_ten))
    target.set_minor_formatter(NullFormatter())
    lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
    if lo > 0 and hi / lo > 1e12:  # minor ticks at every decade would be a grey smear
        target.set_minor_locator(NullLocator())


def reference_line(ax: Axes, value: float = 1.0, *, axis: str = "y", label: str | None = None):
    """A thin black dotted line at ``value`` (the "nothing changes" level), behind the data."""
    draw = ax.axhline if axis == "y" else ax.axvline
    return draw(value, color="0.25", linestyle=":", linewidth=1.3, zorder=0.5, label=label)


# --- Figures with a text alternative -------------------------------------------------

__all__ += ["figure_bundle", "show"]


def figure_bundle(fig: Any, alt: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(data, metadata)`` of a PNG display of ``fig`` whose metadata carries ``alt``.

    The PNG is drawn at twice the figure's dpi and tagged with its display size
    (as the ``retina`` inline backend does), trimmed like the inline backend's
    ``bbox_inches="tight"``. ``data`` also holds ``text/plain``: the ``alt``
    text, which a text-only front end and nbval see. ``metadata["image/png"]["alt"]``
    is what the static edition's pages (``site/templates``) put in the ``<img>``'s
    ``alt`` attribute.
    """
    import base64
    import io

    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(
            f"alt must be a non-empty sentence saying what the figure shows, got {alt!r}"
        )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=2 * fig.dpi, bbox_inches="tight")
    png = buffer.getvalue()
    width = int.from_bytes(png[16:20], "big") // 2
    height = int.from_bytes(png[20:24], "big") // 2
    data = {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": alt.strip()}
    metadata = {"image/png": {"alt": alt.strip(), "width": width, "height": height}}
    return data, metadata


def show(fig: Any, alt: str) -> None:
    """Show ``fig`` in the notebook with ``alt`` as its text alternative, then close it.

    Use it in place of ending a cell with the figure::

        fig, ax = plt.subplots()
        ...
        style.show(fig, "rms(z) per layer: flat at Kaiming's variance, a straight rise above it")

    Closing the figure keeps the inline backend from showing it a second time.
    """
    import matplotlib.pyplot as plt
    from IPython.display import display

    data, metadata = figure_bundle(fig, alt)
    display(data, metadata=metadata, raw=True)
    plt.close(fig)
