"""Scaffolding for ``notebooks/07_training_deep_nets.ipynb``: its figures.

Learning curves, gradient norms, update-to-data ratios.

Every function draws on ``ax`` (a new figure when ``ax`` is ``None``) and
returns the axes, so notebooks can arrange panels and tests can inspect the
lines. Nothing here changes matplotlib's global settings; the notebook applies
:mod:`kaiming_lab.style` once. Reference levels (chance, the 1e-3 rule of
thumb) are lines named in a legend or title, never text over the curves, and
legends sit outside the data.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.ticker import MaxNLocator

from .. import style
from ..training import TrainingHistory
from .plots import axes_or_new

__all__ = [
    "plot_accuracy_curves",
    "plot_gradient_norms",
    "plot_loss_curves",
    "plot_update_ratios",
]

#: The course palette (Okabe-Ito), fixed per initialisation so every figure agrees.
_INIT_COLOURS = {
    "kaiming": style.PALETTE[0],
    "xavier": style.PALETTE[1],
    "kaiming_fan_out": style.PALETTE[2],
}
#: Fraction of viridis used for the layers: its last, yellow part is unreadable on white.
_LAYER_CMAP_TOP = 0.55
_LINESTYLES = ("-", "--", ":", "-.")


def _style(history: TrainingHistory, histories: list[TrainingHistory]) -> dict:
    """Colour by initialisation; line style by optimiser (SGD solid, Adam dashed) when the
    runs use both, else by depth (deepest solid)."""
    optimizers = {getattr(h, "optimizer", "sgd") for h in histories}  # older histories: SGD
    if len(optimizers) > 1:
        rank = 0 if getattr(history, "optimizer", "sgd") == "sgd" else 1
    else:
        rank = sorted({h.depth for h in histories}, reverse=True).index(history.depth)
    return {
        "color": _INIT_COLOURS.get(history.init, style.PALETTE[3]),
        "linestyle": _LINESTYLES[rank % len(_LINESTYLES)],
    }


def _plot_curves(histories: list[TrainingHistory], values: str, ax: Axes) -> None:
    """One line per run; a run that diverged says so in its legend entry and ends at a
    thin vertical line (no text over the data)."""
    for h in histories:
        curve = getattr(h, values)
        label = h.label
        if h.diverged_at_epoch is not None:
            label = f"{label} (diverged in epoch {h.diverged_at_epoch})"
        line = ax.plot(np.arange(len(curve)), curve, label=label, **_style(h, histories))[0]
        if h.diverged_at_epoch is not None:
            ax.axvline(h.diverged_at_epoch, color=line.get_color(), linewidth=0.8, alpha=0.6)
    ax.set_xlabel("epoch (0 = at initialisation)")


def plot_loss_curves(histories: Iterable[TrainingHistory], ax: Axes | None = None) -> Axes:
    """Training loss per epoch on a log axis, with chance level ``ln(n_classes)`` as a reference.

    A net that gives every class the same score has cross-entropy exactly
    ``ln(n_classes)`` (``ln 10 = 2.30`` for digits); a run whose curve stays
    on that line has learned nothing. The chance line has a legend entry, and
    the legend sits outside the data. Diverged runs end at a vertical line.
    """
    histories = list(histories)
    ax = axes_or_new(ax)
    _plot_curves(histories, "train_loss", ax)
    n_classes = histories[0].widths[-1]
    style.reference_line(
        ax, math.log(n_classes), label=f"chance: ln {n_classes} = {math.log(n_classes):.2f}"
    )
    style.log_axis(ax, "y")
    ax.set_ylabel("training loss\n(cross-entropy)")
    style.legend_outside(ax)
    return ax


def plot_accuracy_curves(histories: Iterable[TrainingHistory], ax: Axes | None = None) -> Axes:
    """Test accuracy per epoch, with chance level ``1 / n_classes`` as a reference line.

    The legend sits outside the data, so no part of a curve is hidden.
    """
    histories = list(histories)
    ax = axes_or_new(ax)
    _plot_curves(histories, "test_accuracy", ax)
    chance = 1.0 / histories[0].widths[-1]
    style.reference_line(ax, chance, label=f"chance: {chance:.0%}")
    ax.set_ylim(0.0, 1.0)
    ax.set_ylabel("test accuracy")
    style.legend_outside(ax)
    return ax


def plot_gradient_norms(norms: Mapping[str, np.ndarray], ax: Axes | None = None) -> Axes:
    """``||dL/dW^(h)||_F`` against layer ``h = 1..H`` on a log axis, one line per ``norms`` entry.

    ``norms`` maps a label (e.g. ``"xavier"``) to the per-layer norms from
    :func:`kaiming_lab.training.gradient_norms_at_init`.
    """
    ax = axes_or_new(ax)
    for label, values in norms.items():
        values = np.asarray(values, dtype=float)
        ax.plot(
            np.arange(1, len(values) + 1),
            values,
            marker="o",
            markersize=3,
            label=label,
            color=_INIT_COLOURS.get(label.split(",")[0]),
        )
    style.log_axis(ax, "y")
    ax.set_xlabel("layer h (1 = first)")
    ax.set_ylabel("||dL/dW|| at init")
    style.legend_outside(ax)
    return ax


def plot_update_ratios(
    history: TrainingHistory,
    ax: Axes | None = None,
    *,
    reference: float = 1e-3,
) -> Axes:
    """Update-to-data ratio ``||Delta W|| / ||W||`` per epoch on a log axis, one line per layer.

    Lines are coloured from the first layer (dark purple) to the last (green),
    along viridis up to :data:`_LAYER_CMAP_TOP` (no pale yellow on white). The
    dashed ``reference`` line is the rule of thumb (Karpathy's) that updates
    around 1e-3 of the weights mean the learning rate is in a sensible range:
    far below, the layer is barely changing; far above, it is being rewritten.
    """
    ax = axes_or_new(ax)
    ratios = history.update_ratio
    n_layers = ratios.shape[1]
    norm = Normalize(vmin=1, vmax=n_layers)
    cmap = ListedColormap(plt.get_cmap("viridis")(np.linspace(0.0, _LAYER_CMAP_TOP, 256)))
    epochs = np.arange(1, ratios.shape[0] + 1)
    for h in range(n_layers):
        ax.plot(epochs, ratios[:, h], color=cmap(norm(h + 1)), linestyle="-", linewidth=1.2)
    style.reference_line(ax, reference)
    style.log_axis(ax, "y")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("||ΔW|| / ||W|| per step")
    ax.set_title(f"{history.label} (dotted: {reference:g})")
    colourbar = ax.figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax)
    colourbar.set_label("layer")
    return ax
