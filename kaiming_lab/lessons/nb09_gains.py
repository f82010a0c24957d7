"""Scaffolding for ``notebooks/09_activations_and_gains.ipynb``.

The reusable computations (length map, fixed point, ``chi_1``, the two gains,
the gain table) live in :mod:`kaiming_lab.gains`. Here: the simulations and
figures of this notebook, and the checks of its exercises.

- :func:`run_tanh_net`: a deep tanh network, forward and backward, in numpy,
  recording per layer the mean square of ``z``, of the gradient and the share
  of saturated units (``|tanh| > 0.97``);
- :func:`tanh_predictions`: what the length map and ``chi_1`` predict for it;
- :func:`relu_depth_profile`: mean square of ``z`` per layer of a ReLU net
  whose weights come from any drawing function (normal, uniform, truncated);
- :func:`linear_default_stack` and :func:`bias_floor` (from :mod:`.pytorch_default`,
  shared with notebook 06): PyTorch-default ``nn.Linear`` layers with ReLU;
- :func:`unstable_zero_edge`: the gain where ``q* = 0`` has ``chi_1 = 1`` but
  repels (GELU at 2), shown by :func:`format_gain_table`;
- the figures, and the checks :func:`check_leaky_gain` and
  :func:`check_preserving_gain` (tolerance: :func:`preserving_tolerance`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy import special

from .. import gains, style
from ..activations import get_activation
from ..variance import gaussian_expectation
from .checks import CheckResult, call_student, judge_number
from .pytorch_default import DefaultStack, bias_floor, linear_default_stack

__all__ = [
    "MC_DRAWS",
    "SATURATION_LEVEL",
    "DefaultStack",
    "TanhRun",
    "bias_floor",
    "check_leaky_gain",
    "check_preserving_gain",
    "format_gain_table",
    "linear_default_stack",
    "plot_chi_against_gain",
    "plot_default_stack",
    "plot_depth_profiles",
    "plot_gain_against_q",
    "plot_tanh_runs",
    "plot_tanh_saturation",
    "preserving_tolerance",
    "relu_depth_profile",
    "run_tanh_net",
    "saturation_prediction",
    "tanh_predictions",
    "truncated_normal",
    "unstable_zero_edge",
]

#: A tanh unit counts as saturated when ``|tanh(z)| > 0.97`` (then ``tanh'(z) < 0.06``).
SATURATION_LEVEL = 0.97


# --------------------------------------------------------------------------- simulations


@dataclass(frozen=True)
class TanhRun:
    """Per-layer statistics of one tanh network at one gain.

    ``mean_sq_z[h]`` is the mean of ``z^(h)^2`` over units and inputs
    (``h = 0 .. depth-1``); ``grad_sq[h]`` the mean square of ``dL/dx^(h)``
    (``h = 0 .. depth``, with ``grad_sq[depth]`` the injected gradient);
    ``saturated[h]`` the share of ``|x^(h+1)| > 0.97``; ``last_x`` the
    activations of the last layer (flattened).
    """

    gain: float
    mean_sq_z: np.ndarray
    grad_sq: np.ndarray
    saturated: np.ndarray
    last_x: np.ndarray

    @property
    def depth(self) -> int:
        """Number of layers."""
        return len(self.mean_sq_z)

    @property
    def gradient_growth(self) -> float:
        """``grad_sq[0] / grad_sq[depth]``: how much the gradient's mean square grew going back."""
        return float(self.grad_sq[0] / self.grad_sq[-1])


def run_tanh_net(
    gain: float,
    *,
    depth: int = 50,
    width: int = 400,
    batch: int = 100,
    seed: int = 0,
) -> TanhRun:
    """Forward and backward pass of a ``depth``-layer tanh network, ``W ~ N(0, gain^2 / width)``.

    Inputs ``x ~ N(0, I)``; no bias; square layers. Backward: a gradient
    ``N(0, 1)`` on the last output, then ``dz = dx * (1 - tanh(z)^2)``,
    ``dx_prev = dz @ W``. All randomness from ``np.random.default_rng(seed)``:
    the same seed gives the same standard normal weights at every gain.
    """
    rng = np.random.default_rng(seed)
    weights = [gain / math.sqrt(width) * rng.standard_normal((width, width)) for _ in range(depth)]
    x = rng.standard_normal((batch, width))
    mean_sq_z, saturated, xs = np.empty(depth), np.empty(depth), []
    for h, w in enumerate(weights):
        z = x @ w.T
        x = np.tanh(z)
        mean_sq_z[h] = np.mean(z * z)
        saturated[h] = np.mean(np.abs(x) > SATURATION_LEVEL)
        xs.append(x)
    grad_sq = np.empty(depth + 1)
    dx = rng.standard_normal((batch, width))
    grad_sq[depth] = np.mean(dx * dx)
    for h in range(depth - 1, -1, -1):
        dx = (dx * (1.0 - xs[h] ** 2)) @ weights[h]
        grad_sq[h] = np.mean(dx * dx)
    return TanhRun(gain, mean_sq_z, grad_sq, saturated, xs[-1].ravel())


def tanh_predictions(
    gain: float, depth: int, *, input_second_moment: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Mean-field predictions ``(q, grad)`` for :func:`run_tanh_net`.

    ``q[h] = Var(z^(h))`` from the length map started at
    ``q[0] = gain^2 * input_second_moment``; ``grad[h]`` is the mean square
    of ``dL/dx^(h)`` relative to the injected one,
    ``grad[h] = prod_{k >= h} chi_1(q[k])`` with
    ``chi_1(q) = gain^2 E[tanh'(sqrt(q) u)^2]`` (square layers).
    """
    q0 = gain**2 * input_second_moment
    q = gains.iterate_length_map("tanh", q0, gain, depth - 1)
    chis = np.array([gains.chi1("tanh", gain, qk) for qk in q])
    grad = np.append(np.cumprod(chis[::-1])[::-1], 1.0)
    return q, grad


def saturation_prediction(q: np.ndarray | float) -> np.ndarray | float:
    """Share of ``|tanh(z)| > 0.97`` for ``z ~ N(0, q)``: ``2 Phi(-atanh(0.97) / sqrt(q))``."""
    arr = np.asarray(q, dtype=float)
    with np.errstate(divide="ignore"):
        out = 2.0 * special.ndtr(-math.atanh(SATURATION_LEVEL) / np.sqrt(arr))
    return float(out) if np.ndim(out) == 0 else out


def truncated_normal(
    shape: tuple[int, ...], std: float, rng: np.random.Generator | int | None = None
) -> np.ndarray:
    """``std`` times a standard normal redrawn until it lies in ``[-2, 2]`` (Keras' method)."""
    gen = np.random.default_rng(rng)
    w = gen.standard_normal(shape)
    outside = np.abs(w) > 2.0
    while outside.any():
        w[outside] = gen.standard_normal(int(outside.sum()))
        outside = np.abs(w) > 2.0
    return std * w


def relu_depth_profile(
    draw: Callable[[tuple[int, int], np.random.Generator], np.ndarray],
    *,
    depth: int = 20,
    width: int = 512,
    batch: int = 64,
    seed: int = 0,
) -> np.ndarray:
    """Mean square of ``z^(h)`` per layer of a ReLU net with weights ``draw((width, width), rng)``.

    Inputs ``x ~ N(0, I)``, no bias; the same seed gives the same inputs for
    every ``draw``.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, width))
    out = np.empty(depth)
    for h in range(depth):
        z = x @ draw((width, width), rng).T
        out[h] = np.mean(z * z)
        x = np.maximum(z, 0.0)
    return out


# --------------------------------------------------------------------------- figures


def _gain_label(gain: float) -> str:
    return f"gain {gain:.4g}"


def plot_gain_against_q(
    activations: Sequence[str] = ("relu", "tanh", "sigmoid", "gelu", "selu"),
    *,
    qs: np.ndarray | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The variance-preserving gain against the variance ``q`` it preserves, one curve each."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4.2))
    qs = np.geomspace(0.01, 100.0, 81) if qs is None else np.asarray(qs, dtype=float)
    for name in activations:
        ax.plot(qs, [gains.variance_preserving_gain(name, float(q)) for q in qs], label=name)
    style.log_axis(ax, "x")
    ax.set_xlabel("variance q of z to preserve")
    ax.set_ylabel("gain g")
    ax.set_ylim(0, 4)
    ax.set_title("variance-preserving gain: flat only for ReLU")
    style.legend_outside(ax)
    return ax


def plot_chi_against_gain(
    gain_range: tuple[float, float] = (0.5, 2.5),
    *,
    marks: Mapping[str, float] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """``chi_1`` at the fixed point ``q*`` against the gain, for tanh without bias."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4.2))
    grid = np.linspace(*gain_range, 201)
    chi = [gains.chi1("tanh", g, gains.fixed_point("tanh", g)) for g in grid]
    ax.plot(grid, chi, label=r"$\chi_1$ at $q^*$")
    style.reference_line(ax, 1.0)
    for i, (label, g) in enumerate((marks or {}).items()):
        c = gains.chi1("tanh", g, gains.fixed_point("tanh", g))
        ax.plot(
            [g], [c], marker="osD^"[i % 4], markersize=9, linestyle="none",
            color=style.PALETTE[i + 1], label=label,
        )  # fmt: skip
    style.legend_outside(ax)
    ax.set_xlabel("gain g")
    ax.set_ylabel(r"$\chi_1 = g^2\,E[\tanh'(\sqrt{q^*}u)^2]$")
    ax.set_title("tanh: ordered below the dotted line, chaotic above")
    return ax


def plot_tanh_runs(
    runs: Sequence[TanhRun], predictions: Sequence[tuple[np.ndarray, np.ndarray]]
) -> Figure:
    """Two panels: mean square of ``z`` per layer, and of the gradient; simulation and theory."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 6.6), sharex=True)
    for i, (run, (q, grad)) in enumerate(zip(runs, predictions, strict=True)):
        colour, line = style.PALETTE[i], style.LINESTYLES[i]
        layers = np.arange(run.depth)
        top.plot(layers, run.mean_sq_z, color=colour, linestyle=line, label=_gain_label(run.gain))
        top.plot(layers, q, color=colour, linestyle="none", marker=".", markersize=5)
        steps = np.arange(run.depth + 1)
        bottom.plot(steps, run.grad_sq / run.grad_sq[-1], color=colour, linestyle=line)
        bottom.plot(steps, grad, color=colour, linestyle="none", marker=".", markersize=5)
    top.set_ylabel("mean square of z")
    top.set_title("signal (lines: one network; dots: length map)")
    style.log_axis(top, "y")
    bottom.set_ylabel("gradient, relative")
    bottom.set_title(r"gradient $dL/dx^{(h)}$ (dots: product of $\chi_1$)")
    bottom.set_xlabel("layer h")
    style.log_axis(bottom, "y")
    style.reference_line(bottom, 1.0)
    style.legend_outside(top)
    return fig


def plot_tanh_saturation(runs: Sequence[TanhRun]) -> Figure:
    """Share of saturated units per layer, and a histogram of the last layer's activations."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 6.6))
    bins = np.linspace(-1.0, 1.0, 41)
    for i, run in enumerate(runs):
        colour, line = style.PALETTE[i], style.LINESTYLES[i]
        label = _gain_label(run.gain)
        top.plot(
            np.arange(run.depth), 100 * run.saturated, color=colour, linestyle=line, label=label
        )
        bottom.hist(
            run.last_x, bins=bins, density=True, histtype="step", color=colour, linestyle=line,
            linewidth=2.2, label=label,
        )  # fmt: skip
    top.set_xlabel("layer h")
    top.set_ylabel("% with |tanh| > 0.97")
    top.set_title("saturated units per layer")
    style.legend_outside(top)
    bottom.set_xlabel(f"tanh(z) at the last layer (layer {runs[0].depth - 1})")
    bottom.set_ylabel("density")
    for edge in (-SATURATION_LEVEL, SATURATION_LEVEL):
        style.reference_line(bottom, edge, axis="x")
    return fig


def plot_depth_profiles(
    profiles: Mapping[str, np.ndarray], *, linear: Sequence[str], reference: float = 2.0
) -> Figure:
    """Mean square of ``z`` per layer, one curve per initialiser.

    Top: the profiles named in ``linear`` on a linear axis (to compare them
    closely); bottom: all of them on a log axis. Colours match across panels.
    """
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 6.6), sharex=True)
    for i, (label, values) in enumerate(profiles.items()):
        kwargs = {"color": style.PALETTE[i], "linestyle": style.LINESTYLES[i], "label": label}
        layers = np.arange(len(values))
        if label in linear:
            top.plot(layers, values, **{**kwargs, "label": None})
        bottom.plot(layers, values, **kwargs)
    top.set_ylim(bottom=0)
    top.set_ylabel("mean square of z")
    top.set_title("linear axis")
    bottom.set_title("log axis")
    style.log_axis(bottom, "y")
    for ax in (top, bottom):
        style.reference_line(ax, reference)
    bottom.set_xlabel("layer h")
    bottom.set_ylabel("mean square of z")
    style.legend_outside(bottom)
    return fig


def plot_default_stack(stacks: Sequence[DefaultStack], ax: Axes | None = None) -> Figure:
    """Root mean square of ``z`` per layer of :func:`linear_default_stack` runs, log axis.

    Solid: the whole signal; dashed: its input-dependent part (the same as the
    whole without bias). A dotted line marks the bias floor ``sqrt(2/(5 n))``.
    The input-dependent part is a difference of numbers near the floor, so it
    cannot fall below float64's resolution there (about ``1e-16`` of it).
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 4.2))
    else:
        fig = ax.figure
    for i, run in enumerate(stacks):
        layers = np.arange(len(run.rms))
        name = "with bias" if run.bias else "bias=False"
        ax.plot(layers, run.rms, color=style.PALETTE[i], linestyle="-", label=f"{name}: rms of z")
        if run.bias:
            ax.plot(
                layers,
                run.input_rms,
                color=style.PALETTE[i],
                linestyle="--",
                label=f"{name}: input-dependent part",
            )
    floors = {run.width for run in stacks if run.bias}
    for width in floors:
        style.reference_line(ax, bias_floor(width), label="bias floor sqrt(2/(5n))")
    style.log_axis(ax, "y")
    ax.set_xlabel("layer h")
    ax.set_ylabel("root mean square")
    ax.set_title(f"nn.Linear's default, width {stacks[0].width}, ReLU")
    style.legend_outside(ax)
    return fig


def unstable_zero_edge(name: str) -> float | None:
    """The gain ``1/|phi'(0)|`` where ``q* = 0`` has ``chi_1 = 1`` and repels, else ``None``.

    At ``q = 0`` the length map has slope ``g^2 phi'(0)^2`` and
    ``chi_1 = g^2 phi'(0)^2``; both are 1 at ``g = 1/|phi'(0)|``. The fixed point
    repels when the map lies above the diagonal just above 0 (tested at
    ``q = 1e-3``): GELU at ``g = 2``, where ``q -> q + 6 q^2/pi + O(q^3)``.
    """
    act = get_activation(name)
    slope = float(np.abs(act.derivative(np.array([0.0])))[0])
    if slope == 0.0 or act.homogeneous or act.forward(np.array([0.0]))[0] != 0.0:
        return None
    gain = 1.0 / slope
    return gain if gains.length_map(act, 1e-3, gain) > 1e-3 else None


def format_gain_table(rows: Sequence[gains.GainRow]) -> str:
    """A plain-text table: variance-preserving gain, edge of chaos (with ``q*``), PyTorch's gain."""
    head = (
        f"{'activation':<17}{'preserves q=1':>14}{'edge of chaos':>15}{'q* there':>12}"
        f"{'PyTorch':>9}  verdict"
    )
    lines = [head]
    for r in rows:
        edge = "none" if math.isnan(r.edge_of_chaos) else f"{r.edge_of_chaos:.4f}"
        q_star = "" if math.isnan(r.edge_q_star) else f"{r.edge_q_star:.3g}"
        if math.isnan(r.edge_of_chaos):
            zero_edge = unstable_zero_edge(r.name)
            if zero_edge is not None:
                edge, q_star = f"{zero_edge:.4f}", "0 unstable"
        if r.homogeneous:
            q_star = "any"
        torch = "-" if math.isnan(r.pytorch) else f"{r.pytorch:.4f}"
        verdict = "derived" if r.derived else ("no entry" if torch == "-" else "convention")
        lines.append(
            f"{r.label:<17}{r.variance_preserving:>14.4f}{edge:>15}{q_star:>12}{torch:>9}"
            f"  {verdict}"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- exercises


#: Slopes the leaky-gain check tries, in this order (0 would hide every slip about a).
_LEAKY_SLOPES = (0.3, 0.6, 0.05)


def _leaky_slips(a: float) -> list[tuple[float, str]]:
    variance = (
        "That is g², the variance factor fan_in·Var(W). The gain multiplies the standard "
        "deviation: take the square root."
    )
    unsquared = (
        "The slope enters squared: on the negative side φ(z)² = a²z², so that half keeps "
        "a² of its share, not a."
    )
    scale = (
        "a is the slope of the negative side of the leaky ReLU, not a factor on the weights: "
        "it changes the gain only through the share of variance the activation keeps."
    )
    return [
        (2 / (1 + a * a), variance),
        (math.sqrt(2 / (1 + a)), unsquared),
        (2 / (1 + a), unsquared + " (And that is g², not g: take the square root.)"),
        (math.sqrt(2) * a, scale),
        (math.sqrt(2) / a, scale),
        (a * math.sqrt(2 / (1 + a * a)), scale),
        (math.sqrt(2 / (a * a)), scale),
        (
            math.sqrt((1 + a * a) / 2),
            "Upside down: (1 + a²)/2 is the share of E[z²] the activation keeps; the weights "
            "must give it back, so it goes in the denominator.",
        ),
        (
            math.sqrt(2),
            "That is plain ReLU's gain: with a > 0 the negative side keeps some variance.",
        ),
        (
            math.sqrt(1 / (1 + a * a)),
            "The factor 2 is missing: each side of 0 holds only half of E[z²].",
        ),
        (
            math.sqrt(2 / (1 - a * a)),
            "The negative side adds to E[φ(z)²]: a² enters with a plus sign.",
        ),
    ]


def check_leaky_gain(student: Callable[[float], object]) -> CheckResult:
    """Exercise (notebook 09): ``leaky_gain(a)``, the gain for a leaky ReLU of negative slope ``a``.

    The answer is ``sqrt(2 / (1 + a^2))``. The check tries slopes 0.3, 0.6 and
    0.05 and names the slip it recognises: ``g^2`` for ``g``, ``a`` unsquared,
    ``a`` used as a scale, the ratio upside down, the slope ignored, the
    factor 2 missing, a minus sign.
    """
    for a in _LEAKY_SLOPES:
        value, problem = call_student(student, a)
        if problem is not None:
            return problem
        verdict = judge_number(
            value,
            math.sqrt(2 / (1 + a * a)),
            _leaky_slips(a),
            where=f"at a = {a}",
            hint="the layer keeps E[φ(z)²] = (1 + a²)/2 · Var(z); choose g so that g² times "
            "that share is 1.",
            slip_rel=1e-6,
        )
        if verdict is not None:
            return verdict
    return CheckResult(True, True, "Correct: it agrees at three slopes.")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return special.expit(z)


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


#: (description, phi, q) the preserving-gain check tries, in this order.
_PRESERVING_CASES: tuple[tuple[str, Callable[[np.ndarray], np.ndarray], float], ...] = (
    ("a sigmoid at q = 0.3", _sigmoid, 0.3),
    ("np.tanh at q = 2", np.tanh, 2.0),
    ("a ReLU at q = 3", _relu, 3.0),
)


def _expect(func: Callable[[np.ndarray], np.ndarray]) -> float:
    """``E[func(u)]``, ``u ~ N(0, 1)``, accurately."""
    return gaussian_expectation(func, 1.0)


def _preserving_slips(phi: Callable[[np.ndarray], np.ndarray], q: float) -> list[tuple[float, str]]:
    s = math.sqrt(q)
    m2 = _expect(lambda u: phi(s * u) ** 2)
    mean = _expect(lambda u: phi(s * u))
    return [
        (
            q / m2,
            "That is g², the variance factor. The gain multiplies the standard deviation of "
            "the weights: take the square root.",
        ),
        (
            math.sqrt(q / _expect(lambda u: phi(q * u) ** 2)),
            "N(0, q) names the variance: z = sqrt(q)·u with u ~ N(0, 1), not q·u.",
        ),
        (
            math.sqrt(q / _expect(lambda u: phi(s / math.sqrt(2) * u) ** 2)),
            "Those look like the physicists' Hermite nodes (hermgauss, weight e^(-x²)): use "
            "hermegauss, whose weight is e^(-x²/2).",
        ),
        (
            math.sqrt(1 / m2),
            "The target is the variance q itself: g² E[φ(z)²] = q, not 1.",
        ),
        (math.sqrt(m2 / q), "Upside down: g² = q / E[φ(z)²]."),
        (
            math.sqrt(q / (m2 * math.sqrt(2 * math.pi))),
            "The hermegauss weights sum to sqrt(2π), not 1: divide the weighted sum by sqrt(2π).",
        ),
        (
            math.sqrt(q / (m2 - mean**2)),
            "That uses Var(φ(z)). The next layer's variance needs the mean of the squares "
            "E[φ(z)²]: sigmoid and ReLU outputs are not centred.",
        ),
        (
            math.sqrt(q / mean**2) if mean != 0 else math.nan,
            "That uses the squared mean E[φ(z)]²; the next layer needs E[φ(z)²].",
        ),
    ]


#: The check accepts a Monte Carlo answer from this many draws or more (within 4 SE).
MC_DRAWS = 1_000_000
#: Slips are matched within 0.1 %: the nearest slip lies 1.5 % from the right gain.
_PRESERVING_SLIP_REL = 1e-3
#: Within 1 % of the right gain an answer is told it is close, never that it is wrong.
_CLOSE_REL = 0.01


def preserving_tolerance(phi: Callable[[np.ndarray], np.ndarray], q: float) -> float:
    """:func:`check_preserving_gain`'s relative tolerance: 4 SE of ``MC_DRAWS`` draws, or 1e-4.

    A Monte Carlo estimate of ``m2 = E[phi(sqrt(q) u)^2]`` from ``N`` draws has
    relative SE ``sd(phi^2) / (m2 sqrt(N))``; ``g = sqrt(q / m2)`` halves it.
    """
    s = math.sqrt(q)
    m2 = _expect(lambda u: phi(s * u) ** 2)
    m4 = _expect(lambda u: phi(s * u) ** 4)
    rel_se = 0.5 * math.sqrt(max(m4 - m2 * m2, 0.0)) / m2 / math.sqrt(MC_DRAWS)
    return max(1e-4, 4.0 * rel_se)


def check_preserving_gain(
    student: Callable[[Callable[[np.ndarray], np.ndarray], float], object],
) -> CheckResult:
    """Exercise (notebook 09): ``preserving_gain(phi, q)``, the ``g`` with ``g^2 E[phi(z)^2] = q``.

    ``z ~ N(0, q)``. The check tries a sigmoid at ``q = 0.3``, tanh at ``q = 2``
    and a ReLU at ``q = 3``. It accepts quadrature and Monte Carlo alike: the
    tolerance is 4 standard errors of an estimate from ``MC_DRAWS`` (10^6)
    draws (:func:`preserving_tolerance`; 0.1 % to 0.45 %), at least 1e-4. It
    names the slip it recognises (within 0.1 %): ``g^2`` for ``g``,
    ``phi(q u)`` for ``phi(sqrt(q) u)``, the physicists' nodes, target 1
    instead of ``q``, the ratio upside down, unnormalised weights, ``Var(phi)``
    or ``E[phi]^2`` for ``E[phi^2]``. Any other answer within 1 % is told it is
    close (more draws or more digits), never that it is wrong.
    """
    for description, phi, q in _PRESERVING_CASES:
        value, problem = call_student(student, phi, q)
        if problem is not None:
            return problem
        exact = math.sqrt(q / _expect(lambda u, phi=phi, q=q: phi(math.sqrt(q) * u) ** 2))
        slips = _preserving_slips(phi, q)
        where = f"for {description}"
        verdict = judge_number(
            value,
            exact,
            slips,
            where=where,
            hint="compute E[φ(sqrt(q)·u)²] as sum(w·φ(sqrt(q)·t)²)/sqrt(2π) with hermegauss "
            "nodes t, weights w; then g = sqrt(q / that).",
            rel=preserving_tolerance(phi, q),
            slip_rel=_PRESERVING_SLIP_REL,
            near=(
                _CLOSE_REL,
                "within 1 %, but not yet within the check's tolerance. With Monte Carlo, use "
                "at least a million draws (or hermegauss as in section 2); if you rounded, keep "
                "at least four significant digits.",
            ),
        )
        if verdict is not None:
            return verdict
    return CheckResult(True, True, "Correct: it agrees for sigmoid, tanh and ReLU.")
