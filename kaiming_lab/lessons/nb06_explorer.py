"""Scaffolding for ``notebooks/06_explorer.ipynb``: its figure, its computations and its checks.

- :func:`explorer_snapshot` and :func:`plot_explorer_snapshot`: the explorer's
  two main panels (forward and backward) at fixed settings, computed with the
  library alone, so the notebook shows a picture where widgets do not run
  (GitHub, nbviewer).
- :func:`rms_growth`: one number per network, the change of ``rms(z)`` from
  the first to the last layer (exercise 3's survey).
- the exercise checks. Each returns a :class:`~kaiming_lab.lessons.checks.CheckResult`:
  truthy for a right answer and shown in a notebook as a short message. A wrong
  answer gets a hint aimed at the likely slip, without the expected value, and
  the student's own value is not echoed back. ``None`` (or a stub that raises
  ``NotImplementedError``) means "not answered yet".
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .. import style
from ..finite_width import relu_log_ratio_moments
from ..propagation import simulate_forward
from ..variance import predicted_gradient_variances, predicted_variances
from .checks import UNANSWERED, CheckResult, call_student

__all__ = [
    "ExplorerSnapshot",
    "check_backward_step",
    "check_leaky_multiplier",
    "check_rms_change",
    "check_tanh_edge",
    "explorer_snapshot",
    "plot_backward_panel",
    "plot_explorer_snapshot",
    "plot_forward_panel",
    "rms_drift",
    "rms_growth",
]

_DEPTH = 100
_TANH_EDGE = 0.5  # sigma_w^2 = 1: the slope of tanh at 0 is 1
_TANH_TOL = 0.05  # relative tolerance for the tanh edge
_LEAKY_TOL = 0.01  # tolerance on the per-layer factor of the leaky ReLU net
_FUNC_RTOL = 1e-9  # a function answer must match to rounding


# ---------------------------------------------------------------------------
# the explorer's two main panels, from the library


@dataclass(frozen=True)
class ExplorerSnapshot:
    """What the explorer's forward and backward panels show for one ReLU network.

    ``rms_z[h]`` is the root mean square of ``z^(h)`` (``h = 0 .. depth-1``)
    over units and inputs, ``theory_rms_z`` its wide-network prediction;
    ``mean_sq_grad[h]`` is the mean square of ``dL/dx^(h)`` (``h = 0 .. depth``,
    a standard normal gradient placed on the output ``x^(depth)``) and
    ``grad_theory`` its prediction, started from the measured value at the top.
    """

    depth: int
    width: int
    multiplier: float
    seed: int
    rms_z: np.ndarray
    theory_rms_z: np.ndarray
    mean_sq_grad: np.ndarray
    grad_theory: np.ndarray


def explorer_snapshot(
    depth: int = 50, width: int = 256, multiplier: float = 1.0, *, seed: int = 0, batch: int = 512
) -> ExplorerSnapshot:
    """The explorer's panels for a ReLU net of square layers, ``Var(W) = multiplier * 2 / width``.

    One :func:`~kaiming_lab.propagation.simulate_forward` run with
    ``backward=True``; the theory is ``Var(z^(h)) = m^(h+1) 2 E[x^2]`` forwards
    and ``E[(dL/dx^(h))^2] = m^(depth-h) E[(dL/dx^(depth))^2]`` backwards
    (:func:`~kaiming_lab.variance.predicted_variances`,
    :func:`~kaiming_lab.variance.predicted_gradient_variances`).
    """
    run = simulate_forward(
        depth, width, variance_factor=multiplier, batch=batch, seed=seed, backward=True
    )
    sigma_w2 = 2.0 * multiplier
    theory = predicted_variances(
        depth, sigma_w2=sigma_w2, input_second_moment=run.input_second_moment
    )
    grad_theory = predicted_gradient_variances(
        [width] * (depth + 1), sigma_w2=sigma_w2, output_gradient_variance=run.mean_sq_grad[-1]
    )
    return ExplorerSnapshot(
        depth=depth,
        width=width,
        multiplier=multiplier,
        seed=seed,
        rms_z=run.rms_z,
        theory_rms_z=np.sqrt(theory),
        mean_sq_grad=run.mean_sq_grad,
        grad_theory=grad_theory,
    )


#: The live explorer's convention (``kaiming_lab.explorer.figure``): this network as blue
#: dots, the theory as a vermillion dashed line.
_NETWORK_STYLE = {
    "color": style.PALETTE[0],
    "marker": "o",
    "linestyle": "none",
    "markersize": 4,
    "label": "this network",
}
_THEORY_STYLE = {"color": style.PALETTE[1], "linestyle": "--", "label": "theory"}


def _scale_y(ax: Axes, *arrays: np.ndarray) -> None:
    """Log axis when the data span more than a decade; otherwise a linear one from 0."""
    values = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size and values.max() / values.min() > 10.0:
        style.log_axis(ax, "y")
    else:
        top = values.max() if values.size else 1.0
        ax.set_ylim(0.0, 1.15 * top)


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    fig = Figure(figsize=style.FIGSIZE, layout="constrained")
    return fig.add_subplot()


def plot_forward_panel(snapshot: ExplorerSnapshot, ax: Axes | None = None) -> Axes:
    """Forward panel: ``rms(z^(h))`` of this network (blue dots) against the theory
    (vermillion dashed line), the live explorer's colours."""
    ax = _axes(ax)
    layers = np.arange(snapshot.depth)
    ax.plot(layers, snapshot.theory_rms_z, **_THEORY_STYLE)
    ax.plot(layers, snapshot.rms_z, **_NETWORK_STYLE)
    style.reference_line(ax, float(snapshot.theory_rms_z[0]))
    _scale_y(ax, snapshot.rms_z, snapshot.theory_rms_z)
    ax.set(xlabel="layer h", ylabel="rms of $z^{(h)}$", title="forward")
    return ax


def plot_backward_panel(snapshot: ExplorerSnapshot, ax: Axes | None = None) -> Axes:
    """Backward panel: mean square of ``dL/dx^(h)`` (blue dots) against the theory
    (vermillion dashed line), the live explorer's colours."""
    ax = _axes(ax)
    layers = np.arange(snapshot.depth + 1)
    ax.plot(layers, snapshot.grad_theory, **_THEORY_STYLE)
    ax.plot(layers, snapshot.mean_sq_grad, **_NETWORK_STYLE)
    style.reference_line(ax, float(snapshot.grad_theory[-1]))
    _scale_y(ax, snapshot.mean_sq_grad, snapshot.grad_theory)
    ax.set(xlabel="layer h", ylabel=r"mean square of $\partial L/\partial x^{(h)}$")
    ax.set_title("backward")
    return ax


def plot_explorer_snapshot(
    snapshot: ExplorerSnapshot, axes: tuple[Axes, Axes] | None = None
) -> Figure:
    """Both panels side by side (8 x 3.6 in), one legend below them; returns the figure."""
    if axes is None:
        fig = Figure(figsize=(8.0, 3.6), layout="constrained")
        axes = tuple(fig.subplots(1, 2))
    forward, backward = axes
    plot_forward_panel(snapshot, forward)
    plot_backward_panel(snapshot, backward)
    fig = forward.get_figure()
    handles, labels = forward.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2)
    fig.suptitle(
        f"ReLU, depth {snapshot.depth}, width {snapshot.width}, "
        f"Var(W) = {snapshot.multiplier:g} x 2/width, seed {snapshot.seed}",
        fontsize=13,
    )
    return fig


def rms_growth(depth: int, width: int, seeds: Iterable[int], *, batch: int = 512) -> np.ndarray:
    """``rms(z^(depth-1)) / rms(z^(0))`` of Kaiming ReLU nets of square layers, one per seed."""
    growth = []
    for seed in seeds:
        run = simulate_forward(depth, width, batch=batch, seed=seed)
        growth.append(run.rms_z[-1] / run.rms_z[0])
    return np.array(growth)


def rms_drift(steps: int, width: int) -> tuple[float, float]:
    """Expected change of ``ln rms`` of one input's signal over ``steps`` Kaiming ReLU layers.

    Returns ``(leading, exact)``: ``-5 steps / (4 n)`` from ``E[ln R] ~ -Var(R)/2 = -5/(2n)``,
    and ``steps * E[ln R] / 2`` with the exact ``E[ln R]`` of
    :func:`~kaiming_lab.finite_width.relu_log_ratio_moments` (Gaussian weights, no bias).
    """
    return -5.0 * steps / (4.0 * width), steps * relu_log_ratio_moments(width)[0] / 2.0


# ---------------------------------------------------------------------------
# exercise checks: numbers


def _positive_number(answer: object, what: str) -> float | CheckResult:
    """``answer`` as a float, or the :class:`CheckResult` that says why it is not one."""
    if answer is None:
        return UNANSWERED
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return CheckResult(False, True, f"Not a number: the {what} should be a float such as 1.0.")
    value = float(answer)
    if not math.isfinite(value) or value <= 0:
        return CheckResult(False, True, f"The {what} is a positive, finite number.")
    return value


def _tanh_last_over_first(multiplier: float) -> float:
    q = predicted_variances(_DEPTH, sigma_w2=2.0 * multiplier, activation="tanh")
    return float(q[-1] / q[0])


def check_tanh_edge(multiplier: object) -> CheckResult:
    """Exercise 1: the multiplier of ``2 / fan_in`` at the edge of a tanh net's two regimes.

    Below the edge ``Var(z)`` decays geometrically with depth; above it, it
    settles at a non-zero level; at the edge it decays slowly, like ``1/h``.
    Accepted within 5 % (relative). Uses the wide-network theory
    (:func:`~kaiming_lab.variance.predicted_variances`) at depth 100.
    """
    m = _positive_number(multiplier, "multiplier")
    if isinstance(m, CheckResult):
        return m
    if abs(m / _TANH_EDGE - 1.0) <= _TANH_TOL:
        return CheckResult(
            True,
            True,
            f"Right (accepted within {_TANH_TOL:.0%}): this is the edge. Below it the variance "
            "decays geometrically, above it it settles at a non-zero level.",
        )
    ratio = _tanh_last_over_first(m)
    if m < _TANH_EDGE:
        return CheckResult(
            False,
            True,
            f"Not yet: here Var(z) at layer 99 is {ratio:.1e} times layer 0's and shrinks by "
            "a fixed factor per layer: still the geometric regime. Move the multiplier up.",
        )
    return CheckResult(
        False,
        True,
        f"Not yet: here the variance settles at a non-zero level ({ratio:.1e} times layer 0's "
        "by layer 99). Move the multiplier down to where that stops. Hint: for small z, "
        "tanh(z) is close to z.",
    )


def check_leaky_multiplier(slope: float, multiplier: object) -> CheckResult:
    """Exercise 2: the multiplier of ``2 / fan_in`` that keeps a leaky ReLU net flat.

    Right when the per-layer factor on ``Var(z)``, ``2 m (1 + a^2) / 2``, is
    within 1 % of 1.
    """
    a = float(slope)
    m = _positive_number(multiplier, "multiplier")
    if isinstance(m, CheckResult):
        return m
    per_layer = m * (1.0 + a * a)  # sigma_w^2 E[phi(z)^2] / Var(z) = 2m (1 + a^2) / 2
    if abs(per_layer - 1.0) <= _LEAKY_TOL:
        return CheckResult(True, True, f"Right: each layer keeps Var(z); flat for slope {a:g}.")
    direction = "grows" if per_layer > 1 else "shrinks"
    return CheckResult(
        False,
        True,
        f"Not yet: with slope {a:g} Var(z) {direction} from layer to layer, by a factor "
        f"{per_layer**99:.1e} over 100 layers. Which part of the leaky ReLU's output did the "
        "factor 2 in Kaiming's rule leave out?",
    )


# ---------------------------------------------------------------------------
# exercise checks: functions the student writes


#: Fresh inputs for check_rms_change: (m, depth), none of them used in the notebook.
_RMS_CASES = ((1.3, 9), (0.8, 31), (1.07, 64), (3.0, 5), (0.95, 12))

#: Common slips for the rms change over ``depth`` layers, with what each gets wrong.
_RMS_SLIPS: tuple[tuple[Callable[[float, int], float], str], ...] = (
    (
        lambda m, d: m**d,
        "Not yet: that is the change of the mean square (each layer multiplies E[z^2] by m). "
        "The rms is its square root.",
    ),
    (
        lambda m, d: m ** ((d - 1) / 2),
        "Not yet: one layer short. Each of the depth layers contributes its own factor.",
    ),
    (
        lambda m, d: m ** ((d + 1) / 2),
        "Not yet: one layer too many. Count the factors: one per layer, depth of them.",
    ),
    (
        lambda m, d: 1 + (m - 1) * d / 2,
        "Not yet: the per-layer factors multiply, they do not add. Compounding, not a sum.",
    ),
    (
        lambda m, d: m * d / 2,
        "Not yet: the per-layer factors multiply: repeated multiplication is a power.",
    ),
    (
        lambda m, d: m**0.5,
        "Not yet: that is a single layer's factor; the question asks for all depth layers.",
    ),
    (
        lambda m, d: m ** (-d / 2),
        "Not yet: the direction is inverted: m > 1 should make the signal grow.",
    ),
    (
        lambda m, d: (2 * m) ** (d / 2),
        "Not yet: m is already relative to Kaiming's 2/fan_in, so m = 1 must change nothing.",
    ),
    (
        lambda m, d: m ** (d / 4),
        "Not yet: the square root was taken twice: E[z^2] changes by m per layer, the rms by "
        "the square root of that.",
    ),
)


def check_rms_change(func: Callable[[float, int], float]) -> CheckResult:
    """Exercise 3: ``func(m, depth)``, the factor on ``rms(z)`` over ``depth`` ReLU layers.

    Right answer: ``m ** (depth / 2)`` (each layer multiplies the mean square
    by ``m`` when ``Var(W) = m * 2 / fan_in``). ``func`` is called on fresh
    ``(m, depth)`` pairs and compared to rounding; known slips get their hint.
    """
    results = []
    for m, depth in _RMS_CASES:
        value, problem = call_student(func, m, depth)
        if problem is not None:
            return problem
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            try:
                value = float(np.asarray(value).item())
            except (TypeError, ValueError):
                return CheckResult(
                    False, True, "Not a number: your function should return a single float."
                )
        results.append(float(value))
    expected = [m ** (d / 2) for m, d in _RMS_CASES]
    if all(math.isclose(r, e, rel_tol=_FUNC_RTOL) for r, e in zip(results, expected, strict=True)):
        return CheckResult(True, True, "Right: m ** (depth / 2) on the rms, m ** depth on E[z^2].")
    for slip, hint in _RMS_SLIPS:
        wrong = [slip(m, d) for m, d in _RMS_CASES]
        if all(math.isclose(r, w, rel_tol=1e-6) for r, w in zip(results, wrong, strict=True)):
            return CheckResult(False, True, hint)
    return CheckResult(
        False,
        True,
        "Not yet. Hint: each layer multiplies the mean square E[z^2] by m; how many layers, "
        "and what does that do to its square root?",
    )


def _relu_prime(z: np.ndarray, slope: float) -> np.ndarray:
    return np.where(z > 0, 1.0, slope)


#: Common slips for one leaky ReLU backward step, with what each gets wrong.
_BACKWARD_SLIPS: tuple[tuple[Callable[..., np.ndarray], str], ...] = (
    (
        lambda dx, z, w, a: dx @ w,
        "Not yet: the gradient skipped the activation. On its way back through "
        "x = phi(z) it is multiplied by phi'(z), element by element, before W.",
    ),
    (
        lambda dx, z, w, a: (dx * (z > 0)) @ w,
        "Not yet: that is ReLU's derivative. For a leaky ReLU, phi'(z) is the slope, not 0, "
        "where z < 0.",
    ),
    (
        lambda dx, z, w, a: (dx * _relu_prime(z, a)) @ w.T,
        "Not yet: W is transposed. W^(h) has shape (fan_out, fan_in) and z = x @ W.T, so the "
        "gradient goes back through W itself: (batch, fan_out) @ (fan_out, fan_in).",
    ),
    (
        lambda dx, z, w, a: (dx * np.where(z > 0, z, a * z)) @ w,
        "Not yet: you multiplied by phi(z), the activation itself; the chain rule needs its "
        "derivative phi'(z) (1 or the slope).",
    ),
    (
        lambda dx, z, w, a: (dx * _relu_prime(dx, a)) @ w,
        "Not yet: phi' has to be evaluated at z, the pre-activation, not at the gradient.",
    ),
    (
        lambda dx, z, w, a: np.where(dx @ w > 0, dx @ w, a * (dx @ w)),
        "Not yet: the activation was applied to the gradient after W. The chain rule "
        "multiplies dL/dx^(h+1) by phi'(z^(h)) first, then goes back through W.",
    ),
)


def _backward_inputs(rng: np.random.Generator, batch: int, fan_out: int, fan_in: int):
    dx = rng.standard_normal((batch, fan_out))
    z = rng.standard_normal((batch, fan_out))
    w = rng.standard_normal((fan_out, fan_in)) * math.sqrt(2.0 / fan_in)
    return dx, z, w


_BACKWARD_GENERIC = CheckResult(
    False,
    True,
    "Not yet. Hint: go back through x = phi(z) (multiply by phi'(z) element by element), "
    "then through z = x @ W.T.",
)


def _diagnose_step(func: Callable[..., np.ndarray], dx, z, w, slope) -> CheckResult | None:
    """``None`` when ``func`` gets this case right, else what is wrong with it."""
    value, problem = call_student(func, dx.copy(), z.copy(), w.copy(), slope)
    if problem is not None:
        return problem
    try:
        got = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return CheckResult(False, True, "Not an array: return dL/dx^(h) as a numpy array.")
    if got.shape != (dx.shape[0], w.shape[1]):
        return CheckResult(
            False,
            True,
            f"Not yet: the result has shape {got.shape}; dL/dx^(h) has one row per input "
            "and one column per unit of x^(h): (batch, fan_in).",
        )
    if np.allclose(got, (dx * _relu_prime(z, slope)) @ w, rtol=_FUNC_RTOL, atol=1e-12):
        return None
    for slip, hint in _BACKWARD_SLIPS:
        try:
            wrong = slip(dx, z, w, slope)
        except ValueError:  # the slip does not even run on this shape
            continue
        if wrong.shape == got.shape and np.allclose(got, wrong, rtol=1e-6, atol=1e-12):
            return CheckResult(False, True, hint)
    return _BACKWARD_GENERIC


def check_backward_step(func: Callable[..., np.ndarray]) -> CheckResult:
    """Exercise 4: ``func(dx, z, W, slope)``, one backward step through a leaky ReLU layer.

    ``dx`` is ``dL/dx^(h+1)`` and ``z`` is ``z^(h)``, both ``(batch, fan_out)``;
    ``W`` is ``W^(h)``, ``(fan_out, fan_in)``. Right answer:
    ``dL/dx^(h) = (dx * phi'(z)) @ W`` with ``phi'(z) = 1`` for ``z > 0`` and
    ``slope`` otherwise, shape ``(batch, fan_in)``. Checked on fresh random
    inputs: a square layer first (where a transposed ``W`` still runs and can
    be recognised), then a non-square one (where a wrong shape shows).
    """
    rng = np.random.default_rng(6_2015)
    slope = 0.2
    square = _diagnose_step(func, *_backward_inputs(rng, 6, 4, 4), slope)
    non_square = _diagnose_step(func, *_backward_inputs(rng, 5, 7, 3), slope)
    if square is None and non_square is None:
        return CheckResult(True, True, "Right: (dx * phi'(z)) @ W, the step the explorer repeats.")
    if square is None or (square is _BACKWARD_GENERIC and non_square is not None):
        return non_square
    return square
