"""Figures that more than one notebook draws.

Every function is pure: it draws on the ``ax`` it is given (or on a new
figure's axes when ``ax`` is ``None``), labels the axes, adds a legend when
there is more than one curve, and returns the ``Axes``. Nothing here changes
matplotlib's global settings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .. import style
from ..diagnostics import STATISTICS, layer_statistic
from ..ensembles import NetworkEnsemble, log_drift_prediction
from ..half_variance import relu_second_moment
from ..montecarlo import Estimate
from ..propagation import PropagationResult

__all__ = [
    "axes_or_new",
    "plot_ensemble",
    "plot_estimates",
    "plot_layer_statistic",
    "plot_log_drift",
    "plot_relu_integrand",
    "plot_relu_integrands",
    "plot_rms_by_layer",
]


_LOG_AXIS_LIMIT = 250.0


def axes_or_new(ax: Axes | None) -> Axes:
    """``ax``, or the axes of a new figure when ``ax`` is None (plots here take ``ax=None``)."""
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _positive(values: np.ndarray) -> np.ndarray:
    """Values with non-positive and non-finite entries replaced by NaN (gaps on a log axis)."""
    out = np.asarray(values, dtype=float).copy()
    with np.errstate(invalid="ignore"):
        out[~(np.isfinite(out) & (out > 0))] = np.nan
    return out


def plot_layer_statistic(
    results: Mapping[str, PropagationResult],
    name: str = "rms_z",
    *,
    ax: Axes | None = None,
    log: bool | None = None,
) -> Axes:
    """One curve per setting: a per-layer statistic against the layer index ``h``.

    ``name`` is one of :data:`kaiming_lab.diagnostics.STATISTICS`. ``log=None``
    picks a log scale when the positive values span more than two decades; a
    log axis gets ticks at round powers of ten (:func:`kaiming_lab.style.log_axis`)
    and a dotted reference line at 1. Values beyond ``10^(+-250)`` are drawn as
    ``log10`` on a linear axis, with the reference line at 0 (matplotlib's log
    axis fails near the float64 limits). Zeros and non-finite values leave gaps.
    Layers where a run overflowed or underflowed are marked with a dotted line
    in the run's colour. With more than one curve the legend sits to the right
    of the data.
    """
    ax = axes_or_new(ax)
    curves = {label: layer_statistic(r, name) for label, r in results.items()}
    positive = np.concatenate([_positive(c) for c in curves.values()])
    positive = positive[np.isfinite(positive)]
    exponents = np.log10(positive) if positive.size else np.zeros(1)
    if log is None:
        log = bool(np.ptp(exponents) > 2.0)
    # matplotlib's log axis cannot place ticks near the float64 limits; past
    # 10^(+-250) we plot the exponent itself on a linear axis instead.
    as_exponent = log and bool(np.max(np.abs(exponents)) > _LOG_AXIS_LIMIT)
    for label, values in curves.items():
        shown = values
        if log:
            shown = _positive(values)
            if as_exponent:
                shown = np.log10(shown)
        line = ax.plot(shown, label=label)[0]
        result = results[label]
        broke = result.overflow_layer if result.overflow_layer is not None else None
        broke = result.underflow_layer if broke is None else broke
        if broke is not None:
            ax.axvline(
                broke,
                color=line.get_color(),
                linestyle=":",
                linewidth=1.5,
                label=f"{label}: breaks",
            )
    ylabel = STATISTICS[name]
    if as_exponent:
        ylabel = f"log10 of {ylabel}"
        style.reference_line(ax, 0.0)
    elif log:
        style.log_axis(ax, "y")
        style.reference_line(ax, 1.0)
    ax.set_xlabel("layer h")
    ax.set_ylabel(ylabel)
    if len(curves) > 1:
        style.legend_outside(ax)
    return ax


def plot_ensemble(
    ensemble: NetworkEnsemble,
    *,
    ax: Axes | None = None,
    n_single: int = 3,
    label: str = "mean over networks",
    theory: bool = True,
    log: bool | None = None,
    shift: float = 0.0,
) -> Axes:
    """``mean_sq_z`` per layer: a few single networks, the mean ± 2 SE over all, and the theory.

    Each network's ``mean_sq_z[h]`` is the mean of ``(z_i^(h))^2`` over its
    units (and inputs); the mean over networks estimates ``Var(z^(h))`` over
    random weights, which the theory line gives. ``log=None`` uses a log
    axis (:func:`kaiming_lab.style.log_axis`) when everything drawn on ``ax``
    so far spans more than a decade, a linear one otherwise. ``shift`` moves
    the points sideways (by a fraction of a layer) so that two ensembles drawn
    on one ``ax`` do not hide each other's error bars. The legend sits below
    the axes, off the data.
    """
    ax = axes_or_new(ax)
    values = ensemble.values("mean_sq_z")
    layers = np.arange(ensemble.depth)
    for k in range(min(n_single, ensemble.n_networks)):
        ax.plot(
            layers,
            values[k],
            color="0.6",
            linestyle="-",
            linewidth=1.0,
            label="single networks" if k == 0 else None,
        )
    mean, se = ensemble.means_and_ses("mean_sq_z")
    ax.errorbar(
        layers + shift,
        mean,
        yerr=2 * se,
        fmt="o",
        markersize=5,
        capsize=3,
        label=f"{label} ± 2 SE",
    )
    if theory:
        shown = "theory" in ax.get_legend_handles_labels()[1]
        ax.plot(layers, ensemble.theory(), "k--", linewidth=1.5, label=None if shown else "theory")
    if log is None:
        low, high = ax.dataLim.y0, ax.dataLim.y1
        log = bool(low > 0 and high / low > 10.0)
    if log:
        style.log_axis(ax, "y")
    else:
        ax.set_yscale("linear")
    ax.set_xlabel("layer h")
    ax.set_ylabel("mean of $(z_i^{(h)})^2$" + (" (log scale)" if log else ""))
    ax.set_title(f"{ensemble.n_networks} networks of width {ensemble.width}")
    style.legend_outside(ax, where="below")
    return ax


def plot_log_drift(
    ensemble: NetworkEnsemble,
    *,
    ax: Axes | None = None,
    exact_step: float | None = None,
) -> Axes:
    """Variance across networks of ``log(mean_sq_z[h] / mean_sq_z[0])`` (± 2 SE) vs ``5 h / n``.

    ``5 h / n`` is the leading order in ``1 / n``; with ``exact_step`` (the
    exact variance of one layer's log ratio, e.g. from
    :func:`kaiming_lab.lessons.nb05_proposition.log_step_variance`) the line
    ``h * exact_step`` is drawn too. The ``5 h / n`` line is drawn last.
    """
    ax = axes_or_new(ax)
    drift = ensemble.log_drift()
    layers = np.arange(ensemble.depth)
    plot_estimates(layers, drift, ax=ax, label="measured ± 2 SE")
    if exact_step is not None:
        ax.plot(layers, exact_step * layers, color="0.3", linestyle="-", label="exact")
    ax.plot(
        layers, log_drift_prediction(ensemble.width, layers), "k--", label="5 h / n (leading order)"
    )
    ax.set_xlabel("layer h")
    ax.set_ylabel("variance across networks")
    ax.set_title(r"$\log\,(\|z^{(h)}\|^2 / \|z^{(0)}\|^2)$" + f", width {ensemble.width}")
    style.legend_outside(ax, where="below")
    return ax


def plot_estimates(
    x: Sequence[float] | np.ndarray,
    estimates: Sequence[Estimate],
    *,
    ax: Axes | None = None,
    label: str | None = None,
    k: float = 2.0,
) -> Axes:
    """Monte Carlo estimates as points with ``± k SE`` error bars (drawn above any lines)."""
    ax = axes_or_new(ax)
    values = [e.value for e in estimates]
    errors = [k * e.se for e in estimates]
    ax.errorbar(
        x,
        values,
        yerr=errors,
        fmt="o",
        color="0.1",
        capsize=4,
        elinewidth=1.6,
        zorder=3,
        label=label,
    )
    ax.set_ylabel("estimate")
    return ax


def plot_relu_integrand(
    dists: Mapping[str, object],
    *,
    ax: Axes | None = None,
    limit: float = 5.0,
    points: int = 801,
) -> Axes:
    """``z^2 p(z)`` for each distribution; the part ReLU keeps (``z > 0``) is shaded.

    For a ``z`` symmetric about 0 the shaded area (``E[ReLU(z)^2]``) is half
    the total area (``E[z^2]``).
    """
    ax = axes_or_new(ax)
    z = np.linspace(-limit, limit, points)
    for name, dist in dists.items():
        integrand = z * z * dist.pdf(z)
        line = ax.plot(z, integrand, label=name)[0]
        ax.fill_between(z, integrand, where=z >= 0, color=line.get_color(), alpha=0.15)
    ax.axvline(0.0, color="k", linewidth=0.8)
    ax.set_xlabel("z")
    ax.set_ylabel("z² p(z)")
    ax.set_title("shaded: z > 0, the part ReLU keeps")
    style.legend_outside(ax)
    return ax


def plot_rms_by_layer(
    rms: Mapping[str, Sequence[float]],
    *,
    reference: str | float | None = None,
    ylabel: str = "rms of $z^{(h)}$ (log scale)",
    ax: Axes | None = None,
) -> Axes:
    """One line per setting: the rms of ``z^(h)`` against the layer ``h``, on a log axis.

    ``rms[label][h]`` is the root mean square of layer ``h``'s pre-activations.
    Each line is labelled at its right end (no legend to look up), the axis has
    ticks at round powers of ten, and a dotted line marks where a
    scale-preserving network would stay: at ``reference`` if it is a number,
    else at the first layer's rms of the setting it names (default: the first).
    Used by notebook 01 and the lecture deck.
    """
    if isinstance(reference, str) and reference not in rms:
        raise ValueError(f"reference={reference!r} is not one of the settings {list(rms)}")
    if ax is None:
        _, ax = plt.subplots()
    for label, values in rms.items():
        values = np.asarray(values, dtype=float)
        line = ax.plot(np.arange(values.size), values, label=label)[0]
        ax.annotate(
            label,
            (values.size - 1, values[-1]),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            color=line.get_color(),
        )
    if reference is None or isinstance(reference, str):
        start = rms[reference] if reference is not None else next(iter(rms.values()))
        level = float(np.asarray(start, dtype=float)[0])
    else:
        level = float(reference)
    style.log_axis(ax, "y")
    style.reference_line(ax, level)
    ax.set_xlabel("layer h")
    ax.set_ylabel(ylabel)
    return ax


def plot_relu_integrands(
    dists: Mapping[str, object],
    *,
    limit: float = 5.0,
    points: int = 801,
    columns: int = 3,
) -> Figure:
    """Small multiples: ``z^2 p(z)`` for each distribution in its own panel, ``z > 0`` shaded.

    Each panel's title prints the two areas as ``shaded = ratio x whole``: the
    shaded one is ``E[ReLU(z)^2]`` (:func:`~kaiming_lab.half_variance.relu_second_moment`),
    the whole ``E[z^2]`` (the distribution's second moment), and the ratio is ``1/2`` exactly
    when ``z`` is symmetric about 0. The areas cover the whole line, the
    curves only ``|z| <= limit``. Panels share the ``z`` axis; each has its
    own height so that no curve is squashed. The figure is at most about 2.3
    times as wide as tall, so it stays readable at slide size.
    """
    names = list(dists)
    if not names:
        raise ValueError("dists must hold at least one distribution")
    columns = max(1, min(columns, len(names)))
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(
        rows,
        columns,
        figsize=(3.3 * columns + 0.4, max(2.9 * rows + 0.6, (3.3 * columns + 0.4) / 2.3)),
        sharex=True,
        squeeze=False,
        layout="constrained",
    )
    z = np.linspace(-limit, limit, points)
    for k, name in enumerate(names):
        dist = dists[name]
        ax = axes[k // columns, k % columns]
        integrand = z * z * dist.pdf(z)
        colour = f"C{k % 7}"
        ax.plot(z, integrand, color=colour)
        ax.fill_between(z, integrand, where=z >= 0, color=colour, alpha=0.3)
        ax.axvline(0.0, color="k", linewidth=0.8)
        kept, whole = relu_second_moment(dist)[0], float(dist.moment(2))  # E[ReLU(z)^2], E[z^2]
        ax.set_title(
            f"{name}\nshaded {kept:.3f} = {kept / whole:.3f} × {whole:.3f}", fontsize="medium"
        )
        ax.set_ylim(0.0, 1.15 * float(np.max(integrand)))
        if k % columns == 0:
            ax.set_ylabel("z² p(z)")
        ax.set_xlabel("z")
        ax.tick_params(labelbottom=True)  # every panel numbers its z axis, not only the last row
    for k in range(len(names), rows * columns):
        axes[k // columns, k % columns].set_visible(False)
    fig.suptitle(
        f"z² p(z) for |z| ≤ {limit:g}; shaded: z > 0, the part ReLU keeps;"
        " areas over the whole line"
    )
    return fig
