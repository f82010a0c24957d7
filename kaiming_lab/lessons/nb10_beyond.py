"""Scaffolding for ``notebooks/10_beyond_kaiming.ipynb``.

The reusable computations (finite-width moments and samplers, the correlation
maps, the phase-diagram grids) live in :mod:`kaiming_lab.finite_width`,
:mod:`kaiming_lab.correlation` and :mod:`kaiming_lab.gains`.
Here: the notebook's simulations of real networks, its figures, the two
sliders (thin ``ipywidgets.interactive_output`` wrappers over the pure
:func:`finite_width_view` and :func:`phase_point_view`, their controls named by
:data:`FINITE_WIDTH_NAMES` and :data:`PHASE_POINT_NAMES`) and the checks of its
exercises.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy import stats

from .. import style
from ..activations import get_activation
from ..correlation import (
    iterate_correlation_map,
    relu_correlation_asymptote,
    relu_correlation_map,
)
from ..finite_width import relu_log_ratio_moments, sample_log_norm_ratio, within_factor_probability
from ..gains import chi1_grid
from ..variance import derivative_second_moment
from .checks import CheckResult, as_number, call_student

__all__ = [
    "DEPTH_RANGE",
    "FINITE_WIDTH_NAMES",
    "PHASE_POINT_NAMES",
    "WIDTH_RANGE",
    "FiniteWidthView",
    "PhasePointView",
    "check_norm_growth",
    "check_relu_map",
    "correlation_pair",
    "finite_width_alt",
    "finite_width_view",
    "finite_width_widget",
    "phase_point_alt",
    "phase_point_view",
    "phase_point_widget",
    "plot_correlation_decay",
    "plot_digit_pair",
    "plot_finite_width",
    "plot_phase_diagram",
    "plot_phase_point",
    "relu_pair_cosines",
]

#: Slider ranges of the finite-width view (widths >= 32: all units off has chance 2^-32).
DEPTH_RANGE = (1, 100)
WIDTH_RANGE = (32, 1024)
#: Accessible names of the two sliders' controls (each starts with its visible label).
FINITE_WIDTH_NAMES = {
    "depth": "depth L: number of ReLU layers",
    "width": "width n: units in every layer",
}
PHASE_POINT_NAMES = {
    "sigma_w2": "σ_w² (sigma_w squared): weight variance times fan_in",
    "sigma_b2": "σ_b² (sigma_b squared): variance of the biases",
}


# --------------------------------------------------------------------------- finite width


@dataclass(frozen=True)
class FiniteWidthView:
    """``log ||x^(L)||^2 / ||x^(0)||^2`` over random plain He ReLU nets of one depth and width.

    ``samples`` from :func:`kaiming_lab.finite_width.sample_log_norm_ratio`;
    ``mean`` and ``variance`` the exact moments of the sum of ``depth``
    per-layer logs; ``within2`` the share of networks within a factor 2 of
    the average (which is exactly ``||x^(0)||^2``).
    """

    depth: int
    width: int
    samples: np.ndarray
    mean: float
    variance: float

    @property
    def within2(self) -> float:
        """Share of networks with ``|log R_total| < log 2``."""
        return within_factor_probability(self.samples, 0.0, 2.0)

    @property
    def label(self) -> str:
        return f"L = {self.depth}, n = {self.width}"


def finite_width_view(
    depth: int, width: int, *, n_networks: int = 4000, seed: int = 0
) -> FiniteWidthView:
    """What the finite-width slider shows for ``depth`` layers of ``width`` units (pure).

    ``depth`` and ``width`` are checked by
    :func:`~kaiming_lab.finite_width.sample_log_norm_ratio`; the sliders keep them
    within :data:`DEPTH_RANGE` and :data:`WIDTH_RANGE`.
    """
    samples = sample_log_norm_ratio(width, depth, n_networks, np.random.default_rng(seed))
    mean, var = relu_log_ratio_moments(width)
    return FiniteWidthView(depth, width, samples, depth * mean, depth * var)


def plot_finite_width(views: Sequence[FiniteWidthView], ax: Axes | None = None) -> Figure:
    """Histograms of ``log(ms(x^(L)) / ms(x^(0)))``, ms the mean square, with their normal law."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(8.0, 4.2))
    fig = ax.figure
    lo = min(float(np.quantile(v.samples, 0.0005)) for v in views)
    hi = max(float(np.quantile(v.samples, 0.9995)) for v in views)
    bins = np.linspace(lo, hi, 50)
    grid = np.linspace(lo, hi, 300)
    styles = ("-", "--", "-.", (0, (5, 1, 1, 1)))
    for i, view in enumerate(views):
        colour = style.PALETTE[i % len(style.PALETTE)]
        ax.hist(
            view.samples,
            bins=bins,
            density=True,
            histtype="step",
            lw=2.2,
            color=colour,
            ls=styles[i % len(styles)],
            label=view.label,
        )
        density = stats.norm.pdf(grid, view.mean, math.sqrt(view.variance))
        ax.plot(
            grid, density, color="black", ls="-", lw=1.0, label="normal law" if i == 0 else None
        )
    ax.axvspan(-math.log(2), math.log(2), color="0.85", zorder=0, lw=0)
    ax.set_xlabel(
        r"log of the ratio of mean squares, $\log[\mathrm{ms}(x^{(L)}) / \mathrm{ms}(x^{(0)})]$"
    )
    ax.set_ylabel("density over networks")
    ax.set_title("grey band: within a factor 2 of the average")
    style.legend_outside(ax)
    return fig


def finite_width_alt(view: FiniteWidthView) -> str:
    """The text alternative of :func:`plot_finite_width` for one view, with its numbers."""
    return (
        f"Histogram of log(ms(x^(L)) / ms(x^(0))) over {len(view.samples):,} plain He ReLU "
        f"networks of depth {view.depth} and width {view.width} (5L/n = "
        f"{5 * view.depth / view.width:.3g}), close to its normal law of mean {view.mean:.2f} "
        f"and variance {view.variance:.3f}: {view.within2:.0%} of the networks lie within a "
        "factor 2 of the average (the grey band)."
    )


def finite_width_widget(depth: int = 20, width: int = 128):
    """A depth and a width slider over :func:`finite_width_view`.

    Their accessible names: :data:`FINITE_WIDTH_NAMES`.
    """
    import ipywidgets as widgets

    from .controls import slider_panel

    depth_w = widgets.IntSlider(
        value=depth, min=DEPTH_RANGE[0], max=DEPTH_RANGE[1], description="depth L"
    )
    width_w = widgets.IntSlider(
        value=width, min=WIDTH_RANGE[0], max=WIDTH_RANGE[1], step=16, description="width n"
    )

    def redraw(depth: int, width: int) -> None:
        view = finite_width_view(depth, width)
        with style.context():
            fig = plot_finite_width([view])
        style.show(fig, finite_width_alt(view))
        print(
            f"5L/n = {5 * view.depth / view.width:.3f}; variance of the log "
            f"{view.variance:.3f}; within a factor 2: {view.within2:.1%} of networks"
        )

    controls = {"depth": depth_w, "width": width_w}
    return slider_panel(redraw, controls, FINITE_WIDTH_NAMES, [["depth", "width"]])


# --------------------------------------------------------------------------- correlation


def correlation_pair(c: float, width: int, rng: np.random.Generator) -> np.ndarray:
    """Two vectors of length ``width >= 2`` with cosine exactly ``c`` and mean square exactly 1."""
    if not -1.0 <= c <= 1.0:
        raise ValueError(f"c must be a cosine, in [-1, 1], got {c!r}")
    a, b = rng.standard_normal((2, width))
    a *= math.sqrt(width) / np.linalg.norm(a)
    b -= (a @ b) / width * a
    b *= math.sqrt(width) / np.linalg.norm(b)
    return np.stack([a, c * a + math.sqrt(1.0 - c * c) * b])


def _cosine(z: np.ndarray) -> float:
    return float(z[0] @ z[1] / (np.linalg.norm(z[0]) * np.linalg.norm(z[1])))


def _mean_cosine(z: np.ndarray) -> float:
    """Mean cosine of the pairs of rows (0, 1), (2, 3), ..."""
    norms = np.linalg.norm(z, axis=1)
    return float(np.mean(np.sum(z[0::2] * z[1::2], axis=1) / (norms[0::2] * norms[1::2])))


def relu_pair_cosines(
    x: np.ndarray, depth: int, width: int, rng: np.random.Generator | int
) -> np.ndarray:
    """Cosines ``c_0 .. c_depth`` of two inputs' pre-activations in one random He ReLU net.

    ``x`` holds the two inputs as rows (any length ``d_0``);
    ``z^(0) = W^(0) x`` and ``z^(l) = W^(l) ReLU(z^(l-1))`` with
    ``W^(l) ~ N(0, 2 / fan_in)`` of shape ``(width, fan_in)``, no bias.

    A layer sees the two inputs only through the plane they span: with
    ``h^T = Q R`` (``Q`` orthonormal, ``fan_in x 2``), ``W h^T = (W Q) R`` and
    ``W Q`` is a ``width x 2`` matrix of independent ``N(0, 2 / fan_in)``
    entries. So each layer draws those ``2 width`` numbers instead of a
    ``width x fan_in`` matrix: the same law as the full network, at a cost
    that allows widths in the thousands.
    """
    rng = np.random.default_rng(rng)  # a Generator passes through unchanged
    h = np.asarray(x, dtype=float)
    if h.ndim != 2 or h.shape[0] != 2:
        raise ValueError(f"x must hold two inputs as rows, shape (2, d_0); got {h.shape}")
    out = []
    for _ in range(depth + 1):
        _, r = np.linalg.qr(h.T)
        plane = rng.standard_normal((width, 2)) * math.sqrt(2 / h.shape[1])
        z = (plane @ r).T
        out.append(_cosine(z))
        h = np.maximum(z, 0.0)
    return np.array(out)


def plot_correlation_decay(
    layers: np.ndarray,
    gap_map: np.ndarray,
    simulated: np.ndarray | None = None,
    sim_layers: np.ndarray | None = None,
    ax: Axes | None = None,
) -> Figure:
    """``1 - c_l`` against ``l`` on log-log axes: the map, its asymptote, a simulation."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 4.2))
    fig = ax.figure
    ax.plot(layers, gap_map, label="ReLU map from c = 0")
    ax.plot(layers, relu_correlation_asymptote(layers), label=r"$9\pi^2/(2l^2)$")
    if simulated is not None:
        ax.plot(
            sim_layers,
            simulated,
            "o",
            ms=5,
            ls="none",
            color=style.PALETTE[2],
            label="mean of 16 networks, width 2,000",
        )
    style.log_axis(ax, "x")
    style.log_axis(ax, "y")
    ax.set_xlabel("layer $l$")
    ax.set_ylabel(r"$1 - c_l$")
    ax.legend(loc="lower left")
    return fig


def plot_digit_pair(
    images: np.ndarray,
    depths: np.ndarray,
    gap_sim: np.ndarray,
    gap_map: np.ndarray,
    titles: Sequence[str],
) -> Figure:
    """Two 8x8 digits next to ``1 - c_l`` of their pre-activations through depth."""
    fig = plt.figure(figsize=(8.0, 4.0))
    grid = fig.add_gridspec(2, 3, width_ratios=[1, 0.15, 3.2])
    for i in range(2):
        ax = fig.add_subplot(grid[i, 0])
        ax.imshow(images[i].reshape(8, 8), cmap="gray_r")
        ax.set_title(titles[i], fontsize=12)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    ax = fig.add_subplot(grid[:, 2])
    ax.plot(depths, gap_map, label="ReLU map")
    ax.plot(depths, gap_sim, "o", ms=4, ls="none", label="one network")
    style.log_axis(ax, "y")
    ax.set_xlabel("layer $l$")
    ax.set_ylabel(r"$1 - c_l$")
    ax.legend(loc="upper right")
    return fig


# --------------------------------------------------------------------------- order and chaos


def plot_phase_diagram(
    sigma_w2: np.ndarray,
    sigma_b2: np.ndarray,
    chi: np.ndarray,
    curve_b2: np.ndarray,
    curve_w2: np.ndarray,
    marks: dict[str, tuple[float, float]],
) -> Figure:
    """``log chi_1`` over the ``(sigma_w^2, sigma_b^2)`` plane with the curve ``chi_1 = 1``."""
    fig, ax = plt.subplots(figsize=(8.0, 4.6))
    level = np.log(np.clip(chi, 1e-3, 1e3))
    mesh = ax.pcolormesh(
        sigma_w2,
        sigma_b2,
        level,
        cmap="RdBu_r",
        vmin=-0.6,
        vmax=0.6,
        shading="auto",
        rasterized=True,
    )
    bar = fig.colorbar(mesh, ax=ax, pad=0.02)
    bar.set_label(r"$\log \chi_1$ (gradient's mean square: $\times\chi_1$ per layer)")
    ax.plot(curve_w2, curve_b2, color="black", lw=2.5, label=r"$\chi_1 = 1$ (quadrature)")
    for i, (name, (w2, b2)) in enumerate(marks.items()):
        ax.plot(
            w2,
            b2,
            marker="o*s^"[i % 4],
            ms=12,
            color=style.PALETTE[4 + i % 3],
            mec="black",
            ls="none",
            label=name,
            clip_on=False,
        )
    box = {"facecolor": "white", "alpha": 0.85, "edgecolor": "none"}
    ax.text(0.04, 0.9, "ordered", transform=ax.transAxes, fontsize=14, bbox=box)
    ax.text(0.78, 0.08, "chaotic", transform=ax.transAxes, fontsize=14, bbox=box)
    ax.set_xlabel(r"$\sigma_w^2$ (weight variance × fan_in)")
    ax.set_ylabel(r"$\sigma_b^2$ (bias variance)")
    ax.set_title(r"tanh: gradients vanish ($\chi_1 < 1$) or grow ($\chi_1 > 1$)")
    ax.grid(False)
    style.legend_outside(ax)
    return fig


@dataclass(frozen=True)
class PhasePointView:
    """Two inputs through one tanh net at ``(sigma_w^2, sigma_b^2)``: theory and simulation.

    ``c_theory``, ``c_sim``: correlation of the two inputs' pre-activations at
    layers ``0 .. depth``; ``grad_theory``, ``grad_sim``: mean square of
    ``dL/dz^(l)`` divided by that at the top layer (products of
    ``chi(q_l) = sigma_w^2 E[phi'(sqrt(q_l) u)^2]`` in theory).
    """

    sigma_w2: float
    sigma_b2: float
    q_star: float
    chi1: float
    c_theory: np.ndarray
    c_sim: np.ndarray
    grad_theory: np.ndarray
    grad_sim: np.ndarray

    @property
    def depth(self) -> int:
        return len(self.c_sim) - 1


def phase_point_view(
    sigma_w2: float,
    sigma_b2: float,
    *,
    depth: int = 50,
    width: int = 400,
    c0: float = 0.5,
    pairs: int = 16,
    seed: int = 0,
) -> PhasePointView:
    """What the phase-diagram sliders show at one point (pure).

    Two inputs start as pre-activations ``z^(0)`` with mean square 1 and
    cosine ``c0``; ``z^(l+1) = W tanh(z^(l)) + b`` with ``W ~ N(0, sigma_w^2 / width)``,
    ``b ~ N(0, sigma_b^2)`` (one draw per layer, shared by both inputs). A
    random gradient is sent down from ``z^(depth)``. ``pairs`` such pairs go
    through the same network; ``c_sim`` is their mean cosine, and the
    gradient's mean square is taken over all ``2 pairs`` inputs.
    :func:`~kaiming_lab.gains.chi1_grid`, called first, checks
    ``sigma_w2 > 0`` and ``sigma_b2 >= 0``.
    """
    q_star, chi1 = chi1_grid("tanh", sigma_w2, sigma_b2)
    rng = np.random.default_rng(seed)
    tanh = get_activation("tanh")
    z = np.vstack([correlation_pair(c0, width, rng) for _ in range(pairs)])
    zs, weights = [z], []
    for _ in range(depth):
        w = rng.standard_normal((width, width)) * math.sqrt(sigma_w2 / width)
        b = rng.standard_normal(width) * math.sqrt(sigma_b2)
        z = np.tanh(z) @ w.T + b
        weights.append(w)
        zs.append(z)
    grad = rng.standard_normal((2 * pairs, width))
    grad_sq = [float(np.mean(grad**2))]
    for layer in range(depth - 1, -1, -1):
        grad = (grad @ weights[layer]) * tanh.derivative(zs[layer])
        grad_sq.append(float(np.mean(grad**2)))
    grad_sim = np.array(grad_sq[::-1]) / grad_sq[0]
    qs, cs = iterate_correlation_map("tanh", c0, 1.0, sigma_w2, depth, sigma_b2=sigma_b2)
    chi = sigma_w2 * np.array([derivative_second_moment(tanh, q) for q in qs[:-1]])
    grad_theory = np.append(np.cumprod(chi[::-1])[::-1], 1.0)
    return PhasePointView(
        sigma_w2,
        sigma_b2,
        float(q_star),
        float(chi1),
        cs,
        np.array([_mean_cosine(z) for z in zs]),
        grad_theory,
        grad_sim,
    )


def plot_phase_point(view: PhasePointView, fig: Figure | None = None) -> Figure:
    """Correlation (top) and gradient size (bottom) through depth, theory against one network."""
    if fig is None:
        fig = plt.figure(figsize=(8.0, 5.6))
    fig.clear()
    top, bottom = fig.subplots(2, 1, sharex=True)
    layers = np.arange(view.depth + 1)
    top.plot(layers, view.c_theory, label="theory (maps)")
    top.plot(
        layers, view.c_sim, "o", ms=4, ls="none", label="one network, width 400\n(mean of 16 pairs)"
    )
    top.set_ylim(-0.05, 1.05)
    top.set_ylabel("correlation $c_l$")
    top.set_title(
        rf"tanh at $\sigma_w^2$ = {view.sigma_w2:.2f}, $\sigma_b^2$ = "
        rf"{view.sigma_b2:.2f}: $\chi_1$ = {view.chi1:.2f}"
    )
    style.legend_outside(top)
    bottom.plot(layers, view.grad_theory, label=r"product of $\chi$")
    bottom.plot(layers, view.grad_sim, "o", ms=4, ls="none", label="one network")
    style.log_axis(bottom, "y")
    bottom.set_xlabel("layer $l$ (gradient sent down from the top)")
    bottom.set_ylabel("gradient mean square\n/ top layer's")
    style.legend_outside(bottom)
    return fig


def phase_point_alt(view: PhasePointView) -> str:
    """The text alternative of :func:`plot_phase_point`'s figure, with its numbers."""
    side = "chaotic" if view.chi1 > 1 else "ordered"
    return (
        f"Tanh at sigma_w^2 = {view.sigma_w2:.2f}, sigma_b^2 = {view.sigma_b2:.2f} ({side}, "
        f"chi_1 = {view.chi1:.2f}), one network of width 400 against theory over "
        f"{view.depth} layers: the correlation of two inputs goes from "
        f"{view.c_sim[0]:.2f} to {round(view.c_sim[-1], 2) + 0.0:.2f} (top), and the "
        f"gradient's mean square at the input is {view.grad_sim[0]:.2g} times the top "
        "layer's (bottom, log axis)."
    )


def phase_point_widget(sigma_w2: float = 25 / 9, sigma_b2: float = 0.0):
    """Sliders for ``sigma_w^2`` and ``sigma_b^2`` over :func:`phase_point_view`.

    Their accessible names: :data:`PHASE_POINT_NAMES`.
    """
    import ipywidgets as widgets

    from .controls import slider_panel

    w_w = widgets.FloatSlider(value=sigma_w2, min=0.5, max=4.0, step=0.01, description="σ_w²")
    b_w = widgets.FloatSlider(value=sigma_b2, min=0.0, max=0.5, step=0.01, description="σ_b²")
    fig = Figure(figsize=(8.0, 5.6), dpi=style.DPI, layout="constrained")

    def redraw(sigma_w2: float, sigma_b2: float) -> None:
        view = phase_point_view(sigma_w2, sigma_b2)
        with style.context():
            plot_phase_point(view, fig=fig)
        style.show(fig, phase_point_alt(view))
        side = "chaotic" if view.chi1 > 1 else "ordered"
        print(f"q* = {view.q_star:.3f}, chi_1 = {view.chi1:.3f}: {side}")

    controls = {"sigma_w2": w_w, "sigma_b2": b_w}
    return slider_panel(redraw, controls, PHASE_POINT_NAMES, [["sigma_w2", "sigma_b2"]])


# --------------------------------------------------------------------------- exercises

#: Width lists the norm-growth check tries (unequal widths catch a single-width shortcut).
_GROWTH_CASES: tuple[tuple[int, ...], ...] = ((40, 10, 25), (8, 8, 8, 8), (100,))


def _growth_slips(n: np.ndarray) -> list[tuple[float, str]]:
    ratio = "Each layer's ratio R has E[R] = 1 and Var[R] = 5/n, so E[R²] = "
    return [
        (
            float(np.exp(5 * np.sum(1 / n))),
            "That is the approximation exp(5β). The exercise asks for the exact value: "
            "multiply the per-layer factors.",
        ),
        (
            float(np.prod(1 + 5 / n) - 1),
            "That is Var[R_total]. The question asks for E[R_total²]; with E[R_total] = 1 "
            "the two differ by 1.",
        ),
        (
            float(1 + np.sum(5 / n)),
            "You added the layers' contributions. Independent layers multiply: "
            "E[R_1² R_2²] = E[R_1²] E[R_2²].",
        ),
        (float(np.prod(5 / n)), ratio + "Var[R] + E[R]² = 1 + 5/n: the 1 from E[R]² is missing."),
        (
            float((1 + 5 / n[0]) ** len(n)),
            "You used the first layer's width for every layer: each layer has its own n_l.",
        ),
        (
            float(np.prod(1 + 2 / n)),
            ratio + "1 + 5/n. The 5 comes from 4 · Var(ReLU(g)²) = 4 · 5/4 (notebook 05).",
        ),
        (
            float(np.prod(1 + 8 / n)),
            "That uses Var(g²) = 2 without the ReLU: half the units are off, and "
            "Var(ReLU(g)²) = 3/2 - 1/4.",
        ),
        (
            float(np.prod(1 + 11 / n)),
            "E[ReLU(g)⁴] is half of E[g⁴] = 3, since the ReLU keeps one side only.",
        ),
        (float(np.prod(1 + 5 / n) ** 2), "Squared twice: prod(1 + 5/n_l) is already E[R²]."),
        (
            float(np.sqrt(np.prod(1 + 5 / n))),
            "That is a square root of E[R_total²]; the question asks for E[R_total²] itself.",
        ),
    ]


def check_norm_growth(student: Callable[[np.ndarray], object]) -> CheckResult:
    """Exercise: ``norm_growth(widths)``, ``E[R_total^2] = prod_l (1 + 5 / n_l)``.

    Tries three width lists (relative tolerance 1e-9) and names the slip it
    recognises: ``exp(5 beta)``, the variance, a sum for the product, the 1
    missing, one width for all layers, a wrong constant (2, 8, 11), squared
    twice, a square root.
    """
    for widths in _GROWTH_CASES:
        n = np.array(widths, dtype=float)
        value, problem = call_student(student, np.array(widths))
        if problem is not None:
            return problem
        number = as_number(value)
        if number is None:
            return CheckResult(False, True, "Not a finite number: return one float, E[R_total²].")
        exact = float(np.prod(1 + 5 / n))
        if math.isclose(number, exact, rel_tol=1e-9):
            continue
        for wrong, why in _growth_slips(n):
            if math.isclose(number, wrong, rel_tol=1e-6):
                return CheckResult(False, True, f"Not yet (widths {list(widths)}). {why}")
        direction = "too large" if number > exact else "too small"
        return CheckResult(
            False,
            True,
            f"Not yet: for widths {list(widths)} your value is {direction}. Hint: "
            "E[R²] = Var[R] + E[R]² per layer, and independent layers multiply.",
        )
    return CheckResult(True, True, "Correct: it agrees for three lists of widths.")


_MAP_INPUTS = np.array([-0.9, -0.3, 0.0, 0.4, 0.95])


def _map_slips(c: np.ndarray) -> list[tuple[np.ndarray, str]]:
    theta = np.arccos(c)
    root = np.sqrt(1 - c * c)
    exact = (root + (np.pi - theta) * c) / np.pi
    return [
        (
            (root + theta * c) / np.pi,
            "The angle enters as π - arccos(c): the share of the half-planes where both "
            "units are on shrinks as the angle grows.",
        ),
        (root + (np.pi - theta) * c, "The division by π is missing: at c = 1 the map must give 1."),
        (
            exact / 2,
            "Half the right value: that is E[ReLU(u1) ReLU(u2)] with u of variance 1 divided by 1. "
            "Divide by E[ReLU(u)²] = 1/2 (or multiply by σ_w² = 2).",
        ),
        (
            ((1 - c * c) + (np.pi - theta) * c) / np.pi,
            "The first term is sqrt(1 - c²) (the sine of the angle), not 1 - c².",
        ),
        (c.copy(), "That returns c unchanged: a ReLU layer changes the correlation."),
        (
            (root + (np.pi - theta) * c) / (2 * np.pi),
            "Divided by 2π: that is E[ReLU(u1) ReLU(u2)]; the correlation divides it by "
            "E[ReLU(u)²] = 1/2.",
        ),
    ]


def check_relu_map(student: Callable[[np.ndarray], object]) -> CheckResult:
    """Exercise: ``relu_map(c)``, the ReLU correlation map on a numpy array of correlations.

    Tries ``c = [-0.9, -0.3, 0, 0.4, 0.95]`` (absolute tolerance 1e-9) and names
    the slip it recognises: ``arccos`` for ``pi - arccos``, no ``/pi``, half the
    value, ``1 - c^2`` without the root, ``c`` unchanged, ``/(2 pi)``.
    """
    c = _MAP_INPUTS.copy()
    with np.errstate(all="ignore"):  # NaN from a wrong formula gets its own message below
        value, problem = call_student(student, c.copy())
    if problem is not None:
        return problem
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        arr = np.array([])
    if arr.shape != c.shape:
        return CheckResult(
            False,
            True,
            "Not yet: return an array of the same shape as c (use np.sqrt and np.arccos, "
            "not math.sqrt).",
        )
    if not np.all(np.isfinite(arr)):
        return CheckResult(False, True, "Not yet: some values are NaN or infinite.")
    exact = relu_correlation_map(c)
    if np.allclose(arr, exact, rtol=0, atol=1e-9):
        return CheckResult(True, True, "Correct: it agrees at five correlations.")
    for wrong, why in _map_slips(c):
        if np.allclose(arr, wrong, rtol=0, atol=1e-6):
            return CheckResult(False, True, f"Not yet. {why}")
    return CheckResult(
        False,
        True,
        "Not yet. Hint: with θ = arccos(c), the map is (sin θ + (π - θ) cos θ) / π; "
        "check that c = 1 gives 1 and c = 0 gives 1/π.",
    )
