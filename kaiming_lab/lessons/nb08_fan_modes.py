"""Scaffolding for ``notebooks/08_backward_and_fan_modes.ipynb``: figures, the slider, checks.

- :func:`plot_passes`: predicted and simulated variances of both passes, under
  both rules, for one width profile (one row of the notebook's figure).
- :func:`fan_mode_view` (pure, tested) and :func:`plot_fan_mode_view` draw the
  slider's picture, :func:`fan_mode_alt` its text alternative;
  :func:`fan_mode_widget` is the thin ipywidgets wrapper (``interactive_output``,
  its controls named by :data:`CONTROL_NAMES`).
- :func:`initial_loss`: the cross-entropy a ReLU classifier starts with, under
  either rule, with its last layer optionally scaled down (the usual fix).
- :func:`check_backward_layer` and :func:`check_fan_out_std`: the coding
  exercises. Each returns a :class:`~kaiming_lab.lessons.checks.CheckResult`;
  a wrong answer gets a hint aimed at the likely slip, never the expected
  numbers; an untouched stub is "not answered yet", not an error.

Positions: the plots put ``x^(p)`` (width ``d_p``) at position ``p``, so the
forward ``Var(z^(p-1))`` (the pre-activation of ``x^(p)``) sits at ``p`` and
the backward ``Var(dL/dx^(p))`` at ``p`` too. Under ``fan_out`` the forward
value at ``p`` is ``2 d_0 / d_p``; under ``fan_in`` the backward one is
``2 d_H / d_p``: both mirror the width profile.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy.special import logsumexp

from .. import style
from ..fan_modes import (
    MODES,
    PassSamples,
    backward_variances,
    forward_variances,
    simulate_passes,
    width_profile,
)
from ..montecarlo import Estimate, estimate_mean
from ..propagation import draw_weights
from .checks import NOT_WRITTEN, CheckResult, call_student

__all__ = [
    "CONTROL_NAMES",
    "NOT_WRITTEN",
    "PROFILES",
    "FanModeView",
    "check_backward_layer",
    "check_fan_out_std",
    "comparison_table",
    "fan_mode_alt",
    "fan_mode_view",
    "fan_mode_widget",
    "initial_loss",
    "plot_fan_mode_view",
    "plot_passes",
    "plot_profiles",
]

#: The slider's width profiles: anchor widths spread evenly over the depth.
PROFILES: dict[str, tuple[int, ...]] = {
    "constant 256": (256, 256),
    "diamond 64 → 512 → 64": (64, 512, 64),
    "funnel 1024 → 16": (1024, 16),
    "widening 16 → 1024": (16, 1024),
    "bottleneck 512 → 32 → 512": (512, 32, 512),
}
#: Depth range of the slider.
DEPTH_RANGE = (2, 24)
#: y-range of every variance plot: wide enough for each profile's extremes.
Y_LIMITS = (1e-2, 1e3)
_LABELS = {"fan_in": "fan_in rule", "fan_out": "fan_out rule"}
#: Accessible name of each control of :func:`fan_mode_widget` (by its parameter of
#: :func:`fan_mode_view`); each starts with the words its visible label shows.
CONTROL_NAMES = {
    "depth": "depth: number of weight layers H",
    "profile": "widths: how the layer widths change from input to output",
    "mode": "mode: the fan Kaiming's rule divides by, fan_in or fan_out",
}


# ---------------------------------------------------------------------------
# section 4: the initial loss of a classifier

_INIT = {"fan_in": "kaiming", "fan_out": "kaiming_fan_out"}


def initial_loss(
    widths: Sequence[int],
    mode: str,
    *,
    last_scale: float = 1.0,
    n_networks: int = 50,
    batch: int = 64,
    seed: int = 4,
) -> tuple[Estimate, float]:
    """Mean initial cross-entropy and mean largest softmax probability of random ReLU classifiers.

    Each of ``n_networks`` networks gets Kaiming weights under ``mode``
    (hidden layers ReLU, the last layer linear and multiplied by
    ``last_scale``), ``batch`` inputs ``x ~ N(0, I)`` and uniform random
    labels among ``widths[-1]`` classes. The loss is ``logsumexp(logits) -
    logits[label]``, averaged per network; the estimate's standard error comes
    from the spread between the independent networks, so ``n_networks >= 2``
    (``widths`` are checked by :func:`~kaiming_lab.propagation.draw_weights`).
    """
    if mode not in _INIT:
        raise ValueError(f"mode must be one of {list(_INIT)}, got {mode!r}")
    if n_networks < 2:
        raise ValueError(f"n_networks must be >= 2 for a standard error, got {n_networks!r}")
    rng = np.random.default_rng(seed)
    per_net, top_p = np.empty(n_networks), np.empty(n_networks)
    for n in range(n_networks):
        W, x = (
            draw_weights(widths, init=_INIT[mode], rng=rng),
            rng.standard_normal((batch, widths[0])),
        )
        for w in W[:-1]:
            x = np.maximum(x @ w.T, 0.0)
        logits = last_scale * (x @ W[-1].T)
        labels = rng.integers(0, widths[-1], batch)
        log_z = logsumexp(logits, axis=1)
        per_net[n] = np.mean(log_z - logits[np.arange(batch), labels])
        top_p[n] = np.mean(np.exp(logits.max(axis=1) - log_z))
    return estimate_mean(per_net), float(np.mean(top_p))


# ---------------------------------------------------------------------------
# tables and figures of section 3


def comparison_table(sims: Mapping[str, PassSamples]) -> str:
    """Predicted variance next to the simulated mean ± SE, per layer, both passes and rules."""
    rows = [f"{'':<9}{'':<8}" + "".join(f"{_LABELS[m]:>24}" for m in sims)]
    first = next(iter(sims.values()))
    widths = first.widths
    depth = len(widths) - 1
    for p in range(1, depth + 1):
        cells = []
        for mode, sim in sims.items():
            exact = forward_variances(widths, mode)[p - 1]
            est = sim.forward_estimates()[p - 1]
            cells.append(f"{exact:>8.4g} {est.value:>7.4g} ±{est.se:<6.2g}")
        rows.append(f"{'forward':<9}{f'z^({p - 1})':<8}" + "".join(f"{c:>24}" for c in cells))
    for p in range(depth - 1, -1, -1):
        cells = []
        for mode, sim in sims.items():
            exact = backward_variances(widths, mode)[p]
            est = sim.backward_estimates()[p]
            cells.append(f"{exact:>8.4g} {est.value:>7.4g} ±{est.se:<6.2g}")
        rows.append(f"{'backward':<9}{f'dx^({p})':<8}" + "".join(f"{c:>24}" for c in cells))
    return "\n".join(rows)


def _variance_axis(ax: Axes, depth: int) -> None:
    ax.set_ylim(*Y_LIMITS)
    style.log_axis(ax, "y")
    style.reference_line(ax, 2.0)
    ax.set_xticks(range(depth + 1))
    ax.set_xlim(-0.3, depth + 0.3)


def plot_passes(
    sims: Mapping[str, PassSamples], *, axes: Sequence[Axes], row_label: str = ""
) -> Sequence[Axes]:
    """Forward (``axes[0]``) and backward (``axes[1]``) variances of one profile, both rules.

    Lines: the predictions; markers with 4-SE error bars: the simulated means.
    Position ``p`` is ``x^(p)``'s place (forward ``Var(z^(p-1))``, backward
    ``Var(dx^(p))``); the dotted line is the protected value 2.
    """
    first = next(iter(sims.values()))
    widths = first.widths
    depth = len(widths) - 1
    forward_pos = np.arange(1, depth + 1)
    backward_pos = np.arange(depth)
    for i, (mode, sim) in enumerate(sims.items()):
        color, ls = style.PALETTE[i], style.LINESTYLES[i]
        pieces = [
            (axes[0], forward_pos, forward_variances(widths, mode), sim.forward_estimates()),
            (
                axes[1],
                backward_pos,
                backward_variances(widths, mode)[:-1],
                sim.backward_estimates()[:-1],
            ),
        ]
        for ax, pos, exact, ests in pieces:
            ax.plot(pos, exact, color=color, linestyle=ls, label=f"{_LABELS[mode]}, theory")
            ax.errorbar(
                pos + 0.08 * (2 * i - 1),
                [e.value for e in ests],
                yerr=[4 * e.se for e in ests],
                fmt="os"[i % 2],
                color=color,
                markerfacecolor="white",
                markeredgewidth=1.8,
                capsize=3,
                linestyle="none",
                label=f"{_LABELS[mode]}, simulated",
            )
    for ax in axes[:2]:
        _variance_axis(ax, depth)
    axes[0].set_ylabel(f"{row_label}\nvariance" if row_label else "variance")
    return axes


def plot_profiles(cases: Mapping[str, Mapping[str, PassSamples]]) -> Figure:
    """One row of :func:`plot_passes` per width profile (``cases``: row label -> sims)."""
    fig = Figure(figsize=(8.0, 3.1 * len(cases) + 0.9), dpi=style.DPI, layout="constrained")
    axes = fig.subplots(len(cases), 2, sharey=True, squeeze=False)
    for row, (label, sims) in zip(axes, cases.items(), strict=True):
        plot_passes(sims, axes=row, row_label=label)
    axes[0, 0].set_title("forward: Var(z^(p-1)), into x^(p)")
    axes[0, 1].set_title("backward: Var(dL/dx^(p))")
    for ax in axes[-1]:
        ax.set_xlabel("position p  (x^(p), width $d_p$)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2)
    return fig


# ---------------------------------------------------------------------------
# the slider


@dataclass(frozen=True)
class FanModeView:
    """Everything the slider's picture shows for one setting.

    ``forward_theory[p - 1]`` and ``forward_sim[p - 1]`` belong at position
    ``p = 1 .. H`` (``Var(z^(p-1))``); ``backward_theory[p]`` and
    ``backward_sim[p]`` at ``p = 0 .. H`` (``Var(dL/dx^(p))``, entry ``H`` the
    output gradient). ``*_sim`` are means over ``n_networks`` small networks.
    """

    profile: str
    mode: str
    widths: tuple[int, ...]
    forward_theory: np.ndarray
    backward_theory: np.ndarray
    forward_sim: np.ndarray
    backward_sim: np.ndarray
    n_networks: int

    @property
    def depth(self) -> int:
        """Number of weight layers ``H``."""
        return len(self.widths) - 1

    @property
    def other_pass(self) -> str:
        """The pass the chosen rule does not protect: ``"forward"`` or ``"backward"``."""
        return "forward" if self.mode == "fan_out" else "backward"

    @property
    def unprotected_end(self) -> tuple[float, str]:
        """Where the unprotected pass ends, by theory: its value and ``"output"`` or ``"input"``."""
        if self.mode == "fan_out":
            return float(self.forward_theory[-1]), "output"
        return float(self.backward_theory[0]), "input"

    def summary(self) -> str:
        """One line: how far the unprotected pass ends from 2, by theory."""
        value, where = self.unprotected_end
        return (
            f"{self.mode}: the {self.other_pass} pass ends at {value:.3g} at the {where} "
            f"({_relative_to_two(value)}); the {self.mode} rule keeps the "
            f"{'backward' if self.other_pass == 'forward' else 'forward'} pass at 2"
        )


def _relative_to_two(value: float) -> str:
    """``value`` against the protected value 2, in words: "64 times", "1/64 of" or "equal to"."""
    ratio = value / 2
    if np.isclose(ratio, 1.0):
        return "equal to the protected value 2"
    if ratio > 1:
        return f"{ratio:.3g} times the protected value 2"
    return f"1/{1 / ratio:.3g} of the protected value 2"


def fan_mode_view(
    depth: int = 6,
    profile: str = "funnel 1024 → 16",
    mode: str = "fan_in",
    *,
    seed: int = 0,
    n_networks: int = 4,
    batch: int = 16,
) -> FanModeView:
    """The slider's update: widths from ``profile``, predictions, and a small simulation.

    Pure: the same arguments give the same view (the simulation is seeded).
    ``profile`` is a key of :data:`PROFILES`; ``depth`` and ``mode`` are checked by
    :func:`~kaiming_lab.fan_modes.width_profile` and
    :func:`~kaiming_lab.fan_modes.simulate_passes` (the slider keeps ``depth``
    within :data:`DEPTH_RANGE`).
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {list(PROFILES)}, got {profile!r}")
    widths = width_profile(PROFILES[profile], depth)
    sim = simulate_passes(widths, mode, n_networks=n_networks, batch=batch, seed=seed)
    return FanModeView(
        profile=profile,
        mode=sim.mode,
        widths=tuple(widths),
        forward_theory=forward_variances(widths, mode),
        backward_theory=backward_variances(widths, mode),
        forward_sim=sim.forward.mean(axis=0),
        backward_sim=sim.backward.mean(axis=0),
        n_networks=n_networks,
    )


def plot_fan_mode_view(view: FanModeView, *, fig: Figure | None = None) -> Figure:
    """Forward and backward variances on one axis, the widths below; returns the figure."""
    if fig is None:
        fig = Figure(figsize=(8.0, 6.0), dpi=style.DPI, layout="constrained")
    fig.clear()
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3.0, 1.4))
    depth = view.depth
    passes = [
        ("forward Var(z)", np.arange(1, depth + 1), view.forward_theory, view.forward_sim),
        (
            "backward Var(dL/dx)",
            np.arange(depth),
            view.backward_theory[:-1],
            view.backward_sim[:-1],
        ),
    ]
    for i, (label, pos, theory, sim) in enumerate(passes):
        color, ls = style.PALETTE[i], style.LINESTYLES[i]
        top.plot(pos, theory, color=color, linestyle=ls, label=f"{label}: theory")
        top.plot(
            pos,
            sim,
            "os"[i],
            color=color,
            markerfacecolor="white",
            markeredgewidth=1.8,
            linestyle="none",
            label=f"{label}: mean of {view.n_networks} networks",
        )
    _variance_axis(top, depth)
    top.set_ylabel("Var(z) and Var(dL/dx)")
    top.set_title(f"{view.profile}, depth {depth}, mode={view.mode}", fontsize=13)
    fig.legend(*top.get_legend_handles_labels(), loc="outside lower center", ncols=2)
    bottom.plot(range(depth + 1), view.widths, marker="o", color=style.PALETTE[6], linestyle="-")
    bottom.set_yscale("log", base=2)
    bottom.set_ylabel("width $d_p$")
    bottom.set_xlabel("position p  (x^(p) has width $d_p$)")
    lo, hi = min(view.widths), max(view.widths)
    ticks = [2**k for k in range(int(math.log2(lo)), math.ceil(math.log2(hi)) + 1)]
    bottom.set_yticks(ticks if len(ticks) <= 4 else ticks[:: math.ceil(len(ticks) / 4)])
    bottom.set_yticklabels([str(t) for t in bottom.get_yticks().astype(int)])
    bottom.set_ylim(lo / 1.6, hi * 1.6)
    return fig


def fan_mode_alt(view: FanModeView) -> str:
    """The text alternative of :func:`plot_fan_mode_view`'s figure: what it shows, with numbers."""
    protected = "backward" if view.other_pass == "forward" else "forward"
    value, where = view.unprotected_end
    return (
        f"Forward Var(z) and backward Var(dL/dx) per position for {view.profile}, depth "
        f"{view.depth}, mode {view.mode} (lines: theory, markers: mean of {view.n_networks} "
        f"networks), widths below: the {protected} pass stays at 2, the {view.other_pass} "
        f"pass follows the widths and ends at {value:.3g} at the {where} "
        f"({_relative_to_two(value)})."
    )


def fan_mode_widget(depth: int = 6, profile: str = "funnel 1024 → 16", mode: str = "fan_in"):
    """A depth slider, a profile menu and a fan-mode toggle over :func:`fan_mode_view`.

    ``ipywidgets.interactive_output`` redraws on every move; the controls carry
    :data:`CONTROL_NAMES` for screen readers (:func:`.controls.slider_panel`).
    Returns the panel.
    """
    import ipywidgets as widgets

    from .controls import slider_panel

    depth_w = widgets.IntSlider(
        value=depth, min=DEPTH_RANGE[0], max=DEPTH_RANGE[1], description="depth"
    )
    profile_w = widgets.Dropdown(options=list(PROFILES), value=profile, description="widths")
    mode_w = widgets.ToggleButtons(options=list(MODES), value=mode, description="mode")
    fig = Figure(figsize=(8.0, 5.6), dpi=style.DPI, layout="constrained")

    def redraw(depth: int, profile: str, mode: str) -> None:
        view = fan_mode_view(depth, profile, mode)
        with style.context():
            plot_fan_mode_view(view, fig=fig)
        style.show(fig, fan_mode_alt(view))
        print(view.summary())

    controls = {"depth": depth_w, "profile": profile_w, "mode": mode_w}
    return slider_panel(redraw, controls, CONTROL_NAMES, [["depth", "profile"], ["mode"]])


# ---------------------------------------------------------------------------
# exercise checks

_BACKWARD_SHAPE = (24, 40, 16)  # batch, d_{h+1} (fan_out), d_h (fan_in): non-square on purpose
_RTOL = 1e-9


def _explain_shapes(err: Exception) -> str | None:
    """A shape error of the student's matrix product, explained in terms of the layout."""
    text = str(err)
    if isinstance(err, ValueError) and ("matmul" in text or "align" in text or "broadcast" in text):
        return (
            "Not yet: the shapes do not fit. W has shape (fan_out, fan_in) = "
            "(d_{h+1}, d_h) and the rows of dx are inputs; which side of W must dz meet?"
        )
    return None


def check_backward_layer(backward_layer: Callable[..., object], *, seed: int = 808) -> CheckResult:
    """Exercise (notebook 08): the student's ``backward_layer(dx, z, W)``.

    ``dx`` is ``dL/dx^(h+1)`` and ``z`` is ``z^(h)``, both ``(batch, d_{h+1})``
    with inputs as rows; ``W`` is ``W^(h)``, ``(d_{h+1}, d_h)``. The answer is
    ``dL/dx^(h) = (dx * (z > 0)) @ W``, shape ``(batch, d_h)``. The check uses a
    non-square layer (so a transposed ``W`` cannot pass) and recognises
    a missing ``ReLU'``, ``ReLU(z)`` in place of ``ReLU'(z)``, and the mask on
    the wrong side of 0.
    """
    rng = np.random.default_rng(seed)
    batch, d_out, d_in = _BACKWARD_SHAPE
    w = rng.normal(0.0, math.sqrt(2.0 / d_out), (d_out, d_in))
    z = rng.standard_normal((batch, d_out))
    dx = rng.standard_normal((batch, d_out))
    result, problem = call_student(
        backward_layer, dx.copy(), z.copy(), w.copy(), explain=_explain_shapes
    )
    if problem is not None:
        return problem
    try:
        got = np.asarray(result, dtype=float)
    except (TypeError, ValueError):
        return CheckResult(False, True, "Return a numpy array of shape (batch, d_h).")
    if got.shape == (batch, d_out):
        return CheckResult(
            False,
            True,
            "Not yet: your result has the shape of dz (one value per unit of layer h+1). "
            "Send it back through W to get dL/dx^(h), one value per input unit.",
        )
    if got.shape != (batch, d_in):
        return CheckResult(
            False,
            True,
            "Not yet: return dL/dx^(h) with shape (batch, d_h) = (rows of dx, columns of W).",
        )
    candidates = [
        ((dx * (z > 0)) @ w, "Correct."),
        (
            dx @ w,
            "Not yet: you skipped ReLU'. Multiply dx by the derivative of ReLU at z "
            "(1 where z > 0, else 0) before going through W.",
        ),
        (
            (dx * np.maximum(z, 0.0)) @ w,
            "Not yet: you multiplied by ReLU(z). The chain rule needs the derivative ReLU'(z), "
            "which is 0 or 1.",
        ),
        (
            (dx * (z < 0)) @ w,
            "Not yet: the mask is on the wrong side. ReLU passes (slope 1) where z > 0.",
        ),
        (
            (dx * (z > 0)) @ w * 0.5,
            "Not yet: no factor 1/2 belongs in one backward step; the 1/2 appears only on "
            "average, because about half the mask is 0.",
        ),
    ]
    for expected, message in candidates:
        if np.allclose(got, expected, rtol=_RTOL, atol=1e-12):
            return CheckResult(message == "Correct.", True, message)
    return CheckResult(
        False,
        True,
        "Not yet. Hint: dz = dx * (z > 0), then dL/dx^(h) = dz @ W (inputs are rows).",
    )


_STD_SHAPES: tuple[tuple[int, ...], ...] = ((300, 100), (10, 784), (64, 3, 3, 3), (32, 16, 5))


def check_fan_out_std(fan_out_std: Callable[..., object]) -> CheckResult:
    """Exercise (notebook 08): the student's ``fan_out_std(shape)`` for a PyTorch-layout weight.

    ``shape = (out, in, *kernel)``; the answer is ``sqrt(2 / fan_out)`` with
    ``fan_out = out * prod(kernel)``. Tried on dense and convolution shapes;
    recognises the fan_in rule, the variance for the std, a missing factor 2,
    a forgotten kernel size and the (in, out) reading of a dense shape.
    """
    got: list[float] = []
    for shape in _STD_SHAPES:
        value, problem = call_student(fan_out_std, shape)
        if problem is not None:
            return problem
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            return CheckResult(False, True, "Return one number (a float) for each shape.")
        got.append(float(value))
    arr = np.array(got)

    def rule(fn: Callable[[tuple[int, ...]], float]) -> np.ndarray:
        return np.array([fn(s) for s in _STD_SHAPES])

    k = [math.prod(s[2:]) for s in _STD_SHAPES]
    fan_out = np.array([s[0] * r for s, r in zip(_STD_SHAPES, k, strict=True)], dtype=float)
    fan_in = np.array([s[1] * r for s, r in zip(_STD_SHAPES, k, strict=True)], dtype=float)
    candidates = [
        (np.sqrt(2 / fan_out), "Correct."),
        (
            np.sqrt(2 / fan_in),
            "Not yet: that is the fan_in rule. In PyTorch's (out, in, ...) layout, fan_out "
            "counts the outputs: the first dimension (times the kernel size).",
        ),
        (
            2 / fan_out,
            "Not yet: that is the variance. The question asks for the standard deviation.",
        ),
        (np.sqrt(1 / fan_out), "Not yet: the factor 2 for the ReLU is missing."),
        (
            rule(lambda s: math.sqrt(2 / s[0])),
            "Not yet: right for dense layers, but a convolution's fan_out also counts the "
            "kernel: multiply by the product of shape[2:].",
        ),
        (
            rule(lambda s: math.sqrt(2 / s[-1])),
            "Not yet: you read the last dimension as the outputs (the Keras / JAX layout). "
            "This shape is PyTorch's (out, in, *kernel).",
        ),
    ]
    for expected, message in candidates:
        if np.allclose(arr, expected, rtol=1e-6):
            return CheckResult(message == "Correct.", True, message)
    return CheckResult(
        False, True, "Not yet. Hint: std = sqrt(gain^2 / fan_out) with gain^2 = 2 for ReLU."
    )
