"""Scaffolding for ``notebooks/02_why_scale_matters.ipynb``: its exercise checks and figures.

Each ``check_*(answer)`` returns a :class:`~kaiming_lab.lessons.checks.CheckResult`.
:func:`check_rms_per_layer` takes the student's *function* and runs it on a
fresh generator.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .. import style
from ..propagation import PropagationResult
from .checks import UNANSWERED, CheckResult, call_student, check_number
from .plots import plot_layer_statistic

__all__ = [
    "check_float32_overflow_layer",
    "check_layer_multiplier",
    "check_rms_per_layer",
    "plot_layer_histograms",
    "plot_rms_with_linear_inset",
]


def plot_rms_with_linear_inset(
    runs: Mapping[str, PropagationResult],
    inset: str,
    *,
    ax: Axes | None = None,
    bounds: tuple[float, float, float, float] = (0.1, 0.08, 0.34, 0.24),
) -> tuple[Axes, Axes]:
    """rms of ``z^(h)`` per layer for every run (log axis), and run ``inset`` on a linear inset.

    On the log axis a run that stays within a factor of 2 looks flat; the inset
    (placed at ``bounds``, axes fractions ``(x0, y0, width, height)``) draws
    that run's rms on a linear axis from 0, with a dotted line at its first
    layer's value, so its drift is visible. Returns ``(ax, inset_ax)``.
    """
    if inset not in runs:
        raise ValueError(f"inset must be one of {sorted(runs)}, got {inset!r}")
    if ax is None:
        _, ax = plt.subplots()
    plot_layer_statistic(runs, "rms_z", ax=ax)
    colour = next(line for line in ax.get_lines() if line.get_label() == inset).get_color()
    rms = np.asarray(runs[inset].rms_z, dtype=float)
    box = ax.inset_axes(list(bounds))
    box.plot(np.arange(rms.size), rms, color=colour)
    style.reference_line(box, rms[0])
    box.set_ylim(0.0, 1.15 * float(np.nanmax(rms)))
    # the label sits inside the box, under the curve, so no line of the main axes crosses it
    box.text(
        0.97,
        0.06,
        f"{inset}, linear axis",
        transform=box.transAxes,
        ha="right",
        va="bottom",
        fontsize="small",
    )
    box.tick_params(labelsize="x-small")
    return ax, box


def plot_layer_histograms(
    snapshots: Mapping[str, Mapping[int, np.ndarray]],
    *,
    bins: int = 40,
    limit: float = 4.0,
) -> Figure:
    """Small multiples: a histogram of ``z / rms(z)`` per setting (rows) and layer (columns).

    ``snapshots[label][h]`` holds every entry of ``z^(h)`` for one setting.
    Dividing by the layer's rms puts all panels on one axis from ``-limit`` to
    ``limit``; each panel prints the rms it divided by, so the scale that the
    normalisation hides is still on the page.
    """
    labels = list(snapshots)
    layers = sorted({h for snap in snapshots.values() for h in snap})
    fig, axes = plt.subplots(
        len(labels),
        len(layers),
        figsize=(2.7 * len(layers) + 0.6, 1.9 * len(labels) + 0.6),
        sharex=True,
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    edges = np.linspace(-limit, limit, bins + 1)
    for r, label in enumerate(labels):
        for c, h in enumerate(layers):
            ax = axes[r, c]
            z = np.asarray(snapshots[label][h], dtype=float).ravel()
            rms = float(np.sqrt(np.mean(z**2)))
            ax.hist(np.clip(z / rms, -limit, limit), bins=edges, density=True, color=f"C{r}")
            ax.text(
                0.97,
                0.95,
                f"rms {rms:.1e}",
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize="small",
            )
            if r == 0:
                ax.set_title(f"layer {h}")
            if c == 0:
                ax.set_ylabel(label)
            if r == len(labels) - 1:
                ax.set_xlabel("z / rms(z)")
    fig.suptitle("pre-activations of every unit and input, divided by the layer's rms")
    return fig


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_layer_multiplier(answer: object) -> CheckResult:
    """Exercise (notebook 02): factor on ``Var(z)`` per ReLU layer, width 1000, weight std 0.05."""
    d, std = 1000, 0.05
    return check_number(
        answer,
        d * std**2 / 2.0,
        mistakes=[
            (d * std**2, "You left out the ReLU: it keeps only half of E[z²] for a symmetric z."),
            (
                math.sqrt(d * std**2 / 2.0),
                "That is the factor on the standard deviation; the question asks about Var(z).",
            ),
            (std**2 / 2.0, "Each unit sums d_h terms, so the width multiplies the variance."),
        ],
        hint="Var(z^(h)) = d_h Var(W) E[x^2] and E[x^2] = Var(z^(h-1))/2.",
    )


def check_float32_overflow_layer(answer: object) -> CheckResult:
    """Exercise (notebook 02): first layer whose std passes float32's maximum (std x10 a layer)."""
    if answer is None:
        return UNANSWERED
    if isinstance(answer, bool) or not isinstance(answer, numbers.Integral):
        return CheckResult(False, True, "Give a layer index as a whole number (an int).")
    exact = math.ceil(math.log10(_FLOAT32_MAX))
    if int(answer) == exact:
        return CheckResult(True, True, "Correct.")
    if int(answer) == exact - 1:
        return CheckResult(
            False, True, "Not yet: one layer short. At that layer the std is still representable."
        )
    direction = "too late" if int(answer) > exact else "too early"
    return CheckResult(
        False,
        True,
        f"Not yet: {direction}. Hint: after h layers the std is 10^h; compare with "
        "numpy.finfo(numpy.float32).max.",
    )


#: Settings :func:`check_rms_per_layer` calls the student's function with:
#: ``m = d s^2 / 2 = 2.25``, so every slip below changes the slope or the start.
_RMS_DEPTH, _RMS_WIDTH, _RMS_STD = 20, 200, 0.15
#: Tolerances in decades for the fitted start (layer 0) and slope per layer.
#: Over 200 seeds a correct function gives standard deviations of 0.0044 and
#: 0.0068 (one network's wander, batch 64), so these are 7 and 6 of them; the
#: closest slip (rms of x instead of z) sits 0.15 decades off at the start.
_START_TOL, _SLOPE_TOL = 0.03, 0.04


def _rms_slips(m: float, wrong_spreads: tuple[float, ...]) -> list[tuple[float, float, str]]:
    """``(log10 rms at layer 0, slope per layer, message)`` of each recognised slip."""

    def half(value: float) -> float:
        return 0.5 * math.log10(value)

    return [
        (
            half(2 * m),
            half(2 * m),
            "Not yet: the signal grows too fast. Did you apply the ReLU, x = max(z, 0), "
            "before the next layer? Without it a layer keeps all of E[z²], not half.",
        ),
        (
            2 * half(2 * m),
            2 * half(m),
            "Not yet: you return the mean square of z (a variance-like number). "
            "The task asks for its square root, the root mean square.",
        ),
        (
            half(m),
            half(m),
            "Not yet: the values are a factor of about 1.4 too small at every layer. "
            "Record the rms of the pre-activation z = x @ W.T, not of x = max(z, 0).",
        ),
    ] + [
        (
            half(2 * m_wrong),
            half(m_wrong),
            "Not yet: the weights have the wrong spread. weight_std is a standard deviation: "
            "pass it as the scale of rng.normal (or multiply standard normals by it), "
            "without squaring it or taking its square root.",
        )
        for m_wrong in wrong_spreads
    ]


def check_rms_per_layer(rms_per_layer: Callable[..., object], *, seed: int = 2026) -> CheckResult:
    """Exercise (notebook 02): the student's ``rms_per_layer(depth, width, weight_std, rng)``.

    It should push 64 inputs ``x ~ N(0, I)`` through ``depth`` bias-free ReLU
    layers with weights ``N(0, weight_std^2)`` and return ``sqrt(mean(z^2))``
    for every layer's ``z``. The check runs it on fresh settings (depth 20,
    width 200, std 0.15, so ``m = 2.25``) and compares ``log10`` of the result
    with the theory ``sqrt(2 m) m^(h/2)`` through its start and its slope;
    draw order and batch layout are the student's choice. A square layer of
    i.i.d. weights has the same distribution as its transpose, so ``x @ W``
    passes too. ``seed`` makes the generator handed to the function.
    """
    rng = np.random.default_rng(seed)
    result, problem = call_student(rms_per_layer, _RMS_DEPTH, _RMS_WIDTH, _RMS_STD, rng)
    if problem is not None:
        return problem
    try:
        values = np.asarray(result, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        return CheckResult(False, True, "Return the per-layer values as a list or numpy array.")
    if values.size != _RMS_DEPTH:
        return CheckResult(
            False,
            True,
            "Return one number per layer: as many values as depth "
            f"(called with depth={_RMS_DEPTH}, got {values.size}).",
        )
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        return CheckResult(False, True, "Every rms should be a positive, finite number.")
    logs = np.log10(values)
    start = float(logs[0])
    slope = float((logs[-1] - logs[0]) / (_RMS_DEPTH - 1))
    m = _RMS_WIDTH * _RMS_STD**2 / 2.0
    if (
        abs(start - 0.5 * math.log10(2 * m)) <= _START_TOL
        and abs(slope - 0.5 * math.log10(m)) <= _SLOPE_TOL
    ):
        return CheckResult(True, True, "Correct.")
    wrong_spreads = (_RMS_WIDTH * _RMS_STD**4 / 2.0, _RMS_WIDTH * _RMS_STD / 2.0)
    for start_k, slope_k, message in _rms_slips(m, wrong_spreads):
        if abs(start - start_k) <= _START_TOL and abs(slope - slope_k) <= _SLOPE_TOL:
            return CheckResult(False, True, message)
    return CheckResult(
        False,
        True,
        "Not yet. Hint: per layer draw W of shape (width, width) with std weight_std, "
        "compute z = x @ W.T, record np.sqrt(np.mean(z**2)), then set x = max(z, 0).",
    )
