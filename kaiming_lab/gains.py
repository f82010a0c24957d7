"""Gains for any activation, the mean-field length map, its fixed points and chi_1.

Notation: a layer draws ``W_ij`` with mean 0 and ``Var(W) = g^2 / fan_in``
(``g`` is the *gain*, a factor on the standard deviation, as in
``torch.nn.init``; ``sigma_w^2 = g^2``) and a bias of variance ``sigma_b^2``.
In the wide-network limit the pre-activation ``z`` of every layer is
``N(0, q)``, and its variance follows the *length map* (Poole et al. 2016)

    q_{l+1} = g^2 E[phi(sqrt(q_l) u)^2] + sigma_b^2,   u ~ N(0, 1).

Two ways to pick ``g`` follow from it:

- the *variance-preserving gain* at ``q`` solves ``g^2 E[phi(sqrt(q) u)^2] + sigma_b^2 = q``:
  a layer maps variance ``q`` to ``q``;
- the *edge-of-chaos gain* makes ``chi_1 = g^2 E[phi'(sqrt(q*) u)^2] = 1`` at the
  fixed point ``q*`` the length map settles on. ``chi_1`` is the factor by which a
  small perturbation of the input, and the mean square of the gradient on a
  square layer, change per layer: below 1 they shrink (ordered), above 1 they
  grow (chaotic).

For a positively homogeneous ``phi`` (ReLU, leaky ReLU of slope ``a``, linear)
both give ``sqrt(2 / (1 + a^2))`` at every ``q``: Kaiming's rule. For tanh,
sigmoid, GELU and SELU the answers depend on ``q`` and differ from each other.
The grid functions (:func:`fixed_point_grid`, :func:`chi1_grid`,
:func:`edge_of_chaos_curve`) compute the same for whole arrays of
``(sigma_w^2, sigma_b^2)`` at once, for the order-chaos phase diagram.

The expectations over ``u``, the length map's step and the one fixed-point
search behind :func:`fixed_point` and the grids are :mod:`kaiming_lab.variance`'s
(the length map is the variance recursion of the wide-network limit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._validation import check_array, check_float, check_int
from .activations import Activation, activation_argument, get_activation
from .initializers import calculate_gain
from .variance import _derivative_second_moment, _fixed_points, _length_map, _second_moment

__all__ = [
    "DEFAULT_TABLE_ENTRIES",
    "GainRow",
    "chi1",
    "chi1_grid",
    "edge_of_chaos_curve",
    "edge_of_chaos_gain",
    "fixed_point",
    "fixed_point_gain",
    "fixed_point_grid",
    "gain_table",
    "iterate_length_map",
    "length_map",
    "variance_preserving_gain",
]

#: The activations of the gain table: (name, slope of the leaky ReLU or None).
DEFAULT_TABLE_ENTRIES: tuple[tuple[str, float | None], ...] = (
    ("relu", None),
    ("leaky_relu", 0.01),
    ("leaky_relu", 0.2),
    ("tanh", None),
    ("sigmoid", None),
    ("gelu", None),
    ("selu", None),
)


def length_map(
    activation: str | Activation,
    q: float,
    gain: float,
    *,
    bias_variance: float = 0.0,
    slope: float = 0.01,
) -> float:
    """One step of the length map: ``g^2 E[phi(sqrt(q) u)^2] + sigma_b^2``, ``u ~ N(0, 1)``.

    ``q`` is the variance of this layer's pre-activation ``z``; the result is
    the next layer's, for weights of variance ``gain^2 / fan_in`` that are
    independent of the inputs, in the wide-network limit. Closed form
    ``g^2 (1 + a^2)/2 q + sigma_b^2`` for a leaky ReLU of slope ``a``.
    """
    act = activation_argument(activation, slope=slope)
    q = check_float("q", q, minimum=0.0)
    gain = check_float("gain", gain, minimum=0.0)
    bias_variance = check_float("bias_variance", bias_variance, minimum=0.0)
    return float(_length_map(act, q, gain * gain, bias_variance))


def iterate_length_map(
    activation: str | Activation,
    q0: float,
    gain: float,
    steps: int,
    *,
    bias_variance: float = 0.0,
    slope: float = 0.01,
) -> np.ndarray:
    """``[q_0, q_1, ..., q_steps]``: the length map applied ``steps`` times from ``q0``.

    Values beyond the float range come back as ``inf`` (and stay there).
    """
    act = activation_argument(activation, slope=slope)
    q0 = check_float("q0", q0, minimum=0.0)
    gain = check_float("gain", gain, minimum=0.0)
    steps = check_int("steps", steps, minimum=0)
    bias_variance = check_float("bias_variance", bias_variance, minimum=0.0)
    out = np.empty(steps + 1)
    out[0] = q0
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(steps):
            prev = out[step]
            if not math.isfinite(prev):
                out[step:] = math.inf
                break
            out[step + 1] = _length_map(act, prev, gain * gain, bias_variance)
    return out


def fixed_point(
    activation: str | Activation,
    gain: float,
    *,
    q0: float = 1.0,
    bias_variance: float = 0.0,
    slope: float = 0.01,
) -> float:
    """The fixed point ``q*`` that iterating the length map from ``q0`` settles on.

    The largest root of ``length_map(q) = q`` below ``q0`` if the first step
    goes down, else the smallest above it (the search and the closed forms are
    described in :mod:`kaiming_lab.variance`). ``0.0`` when the signal fades
    (tanh or GELU without bias at small gains), ``inf`` when it grows without
    bound; ``q0`` when every ``q`` is fixed (leaky ReLU at ``g^2 (1 + a^2)/2 = 1``).
    """
    act = activation_argument(activation, slope=slope)
    gain = check_float("gain", gain, minimum=0.0)
    q0 = check_float("q0", q0, minimum=0.0, strict_minimum=True)
    bias_variance = check_float("bias_variance", bias_variance, minimum=0.0)
    return float(_fixed_points(act, gain * gain, bias_variance, q0))


def _chi1_at_fixed_points(act: Activation, w2, b2, q0) -> tuple[np.ndarray, np.ndarray]:
    """``(q*, chi_1)`` at the fixed points reached from ``q0``; ``chi_1 = inf`` where ``q*`` is."""
    q = _fixed_points(act, w2, b2, q0)
    finite = np.isfinite(q)
    d2 = _derivative_second_moment(act, np.where(finite, q, 1.0))
    return q, np.where(finite, w2 * d2, np.inf)


def chi1(activation: str | Activation, gain: float, q: float, *, slope: float = 0.01) -> float:
    """``chi_1 = g^2 E[phi'(sqrt(q) u)^2]``, evaluated at a fixed point ``q = q*`` in use.

    Per layer, a small perturbation of ``z`` and (for square layers) the mean
    square of the back-propagated gradient are multiplied by ``chi_1``:
    ``< 1`` ordered (gradients vanish), ``> 1`` chaotic (gradients explode),
    ``= 1`` the edge of chaos. ReLU at ``g = sqrt(2)``: exactly 1.
    """
    act = activation_argument(activation, slope=slope)
    gain = check_float("gain", gain, minimum=0.0)
    q = check_float("q", q, minimum=0.0)
    return float(gain * gain * _derivative_second_moment(act, q))


def _preserving_gain(act: Activation, q: float, b2: float) -> float:
    """``sqrt((q - b2) / E[phi(sqrt(q) u)^2])`` (unchecked; ``b2 < q``)."""
    m2 = float(_second_moment(act, q))
    if m2 <= 0.0:
        raise ValueError(f"E[phi(z)^2] is 0 for activation {act.name!r} at q={q}")
    return math.sqrt((q - b2) / m2)


def fixed_point_gain(activation: str | Activation, q: float = 1.0, *, slope: float = 0.01) -> float:
    """The gain ``g`` with ``g^2 E[phi(z)^2] = q`` for ``z ~ N(0, q)``, without bias.

    With ``Var(W) = g^2 / fan_in`` a layer then maps variance ``q`` to ``q``.
    ReLU: ``sqrt(2)``; leaky ReLU: ``sqrt(2 / (1 + a^2))``; linear: 1. For
    tanh and sigmoid the answer depends on ``q`` (they are not homogeneous).
    :func:`variance_preserving_gain` allows a bias too.
    """
    act = activation_argument(activation, slope=slope)
    return _preserving_gain(act, check_float("q", q, minimum=0.0, strict_minimum=True), 0.0)


def variance_preserving_gain(
    activation: str | Activation,
    q: float = 1.0,
    *,
    bias_variance: float = 0.0,
    slope: float = 0.01,
) -> float:
    """The gain ``g`` with ``g^2 E[phi(sqrt(q) u)^2] + sigma_b^2 = q``: variance ``q`` is kept.

    Without bias this is :func:`fixed_point_gain`: ``sqrt(2 / (1 + a^2))`` for
    a leaky ReLU at every ``q``, 1 for linear; for tanh, sigmoid, GELU and
    SELU it depends on ``q``. Needs ``sigma_b^2 < q`` (a bias alone would
    already exceed the target).
    """
    act = activation_argument(activation, slope=slope)
    q = check_float("q", q, minimum=0.0, strict_minimum=True)
    bias_variance = check_float("bias_variance", bias_variance, minimum=0.0)
    if bias_variance >= q:
        raise ValueError(
            f"bias_variance must be below q, got bias_variance={bias_variance} and q={q}: "
            "the bias alone already gives the next layer variance >= q"
        )
    return _preserving_gain(act, q, bias_variance)


def _pair(name: str, value: object) -> tuple[float, float]:
    """A range ``(low, high)`` with ``0 < low < high``."""
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise TypeError(f"{name} must be a pair (low, high), got {value!r}")
    low = check_float(f"{name}[0]", value[0], minimum=0.0, strict_minimum=True)
    return low, check_float(f"{name}[1]", value[1], minimum=low, strict_minimum=True)


def _edge_of_chaos_gain(act: Activation, b2: float, q0: float, g_lo: float, g_hi: float) -> float:
    """:func:`edge_of_chaos_gain` for checked arguments (scan, then bisection)."""
    if act.homogeneous:
        return math.sqrt(1.0 / act.second_moment_ratio)

    def excess(g) -> np.ndarray:
        return _chi1_at_fixed_points(act, np.square(g), b2, q0)[1] - 1.0

    grid = np.geomspace(g_lo, g_hi, 121)
    values = excess(grid)
    crossing = next((i for i in range(120) if values[i] < 0.0 <= values[i + 1]), None)
    if crossing is None:
        side = "below" if values[-1] < 0.0 else "above"
        raise ValueError(
            f"{act.name} has no edge of chaos for gains in {(g_lo, g_hi)} with "
            f"bias_variance={b2}: chi_1 at the fixed point stays {side} 1"
        )
    lo, hi = float(grid[crossing]), float(grid[crossing + 1])
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if excess(mid) < 0.0 else (lo, mid)
    below, above = (float(v) for v in excess(np.array([lo, hi])))
    if not (abs(below) < 1e-6 and abs(above) < 1e-6):
        q_lo, q_hi = _fixed_points(act, np.square([lo, hi]), b2, q0)
        raise ValueError(
            f"{act.name} has no edge of chaos with bias_variance={b2} starting from q0={q0}: "
            f"at gain {lo:.4g} chi_1 jumps from {below + 1.0:.3g} to {above + 1.0:.3g}, because "
            f"the fixed point jumps (from q* = {q_lo:.3g} to q* = {q_hi:.3g})"
        )
    return hi if abs(above) <= abs(below) else lo


def edge_of_chaos_gain(
    activation: str | Activation,
    *,
    bias_variance: float = 0.0,
    slope: float = 0.01,
    q0: float = 1.0,
    gain_range: tuple[float, float] = (0.05, 20.0),
) -> float:
    """The gain ``g`` with ``chi_1 = g^2 E[phi'(sqrt(q*) u)^2] = 1`` at the fixed point ``q*``.

    ``q*`` is :func:`fixed_point` reached from ``q0``. Leaky ReLU and linear:
    ``chi_1 = g^2 (1 + a^2)/2`` at every ``q``, so ``sqrt(2 / (1 + a^2))``.
    Otherwise the smallest gain in ``gain_range`` where ``chi_1(q*(g))``
    crosses 1 from below, found by a scan and bisection. For tanh without
    bias it is ``g = 1``, where ``q* = 0``.

    Raises ``ValueError`` when there is no such gain: ``chi_1`` stays on one
    side of 1 over ``gain_range``, or it jumps over 1 because ``q*`` jumps
    (GELU without bias: below its variance-preserving gain the signal decays
    to 0 with ``chi_1 < 1``, above it the signal grows without bound).
    """
    act = activation_argument(activation, slope=slope)
    bias_variance = check_float("bias_variance", bias_variance, minimum=0.0)
    q0 = check_float("q0", q0, minimum=0.0, strict_minimum=True)
    g_lo, g_hi = _pair("gain_range", gain_range)
    return _edge_of_chaos_gain(act, bias_variance, q0, g_lo, g_hi)


@dataclass(frozen=True)
class GainRow:
    """One activation's gains: variance-preserving at ``q``, edge of chaos, PyTorch's table.

    ``edge_of_chaos`` and ``edge_q_star`` are ``nan`` when there is no edge
    of chaos without bias; ``pytorch`` is ``nan`` when ``calculate_gain`` has
    no entry (GELU).
    """

    label: str
    name: str
    slope: float | None
    q: float
    variance_preserving: float
    edge_of_chaos: float
    edge_q_star: float
    pytorch: float
    homogeneous: bool

    @property
    def derived(self) -> bool:
        """True when PyTorch's entry solves both equations at every ``q`` (leaky ReLU, linear)."""
        return (
            self.homogeneous
            and math.isclose(self.pytorch, self.variance_preserving, rel_tol=1e-12)
            and math.isclose(self.pytorch, self.edge_of_chaos, rel_tol=1e-12)
        )


def gain_table(
    entries: Sequence[tuple[str, float | None]] = DEFAULT_TABLE_ENTRIES,
    *,
    q: float = 1.0,
) -> list[GainRow]:
    """One :class:`GainRow` per ``(name, slope)`` entry, without bias.

    ``slope`` is the leaky ReLU's negative slope (``None`` for the others).
    The variance-preserving gain is taken at ``q``, the edge of chaos is
    searched from ``q0 = q``, and PyTorch's value is
    :func:`kaiming_lab.initializers.calculate_gain`.
    """
    q = check_float("q", q, minimum=0.0, strict_minimum=True)
    rows = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, tuple) or len(entry) != 2:
            raise TypeError(f"entries[{i}] must be a pair (name, slope or None), got {entry!r}")
        name, slope = entry
        act = get_activation(name, slope=0.01 if slope is None else slope)
        label = name if slope is None else f"{name}({slope:g})"
        try:
            edge = _edge_of_chaos_gain(act, 0.0, q, 0.05, 20.0)
            edge_q = float(_fixed_points(act, edge * edge, 0.0, q))
        except ValueError:
            edge = edge_q = math.nan
        param = act.slope if act.name == "leaky_relu" else None
        try:
            pytorch = calculate_gain(act.name, param)
        except ValueError:
            pytorch = math.nan
        rows.append(
            GainRow(
                label=label,
                name=act.name,
                slope=act.slope if act.name in ("relu", "leaky_relu") else None,
                q=q,
                variance_preserving=_preserving_gain(act, q, 0.0),
                edge_of_chaos=edge,
                edge_q_star=edge_q,
                pytorch=pytorch,
                homogeneous=act.homogeneous,
            )
        )
    return rows


# --------------------------------------------------------------------- grids (phase diagram)


def _grid_inputs(sigma_w2, sigma_b2, q0) -> tuple[np.ndarray, np.ndarray, float]:
    w2, b2 = check_array("sigma_w2", sigma_w2), check_array("sigma_b2", sigma_b2)
    if np.any(w2 <= 0):
        raise ValueError(f"sigma_w2 must be > 0, got {sigma_w2!r}")
    if np.any(b2 < 0):
        raise ValueError(f"sigma_b2 must be >= 0, got {sigma_b2!r}")
    try:
        w2, b2 = np.broadcast_arrays(w2, b2)
    except ValueError as err:
        raise ValueError(f"sigma_w2 and sigma_b2 must broadcast together: {err}") from None
    return w2, b2, check_float("q0", q0, minimum=0.0, strict_minimum=True)


def fixed_point_grid(
    activation: str | Activation,
    sigma_w2: float | np.ndarray,
    sigma_b2: float | np.ndarray = 0.0,
    *,
    q0: float = 1.0,
    slope: float = 0.01,
) -> np.ndarray:
    """:func:`fixed_point` for each ``(sigma_w^2, sigma_b^2)`` (arrays broadcast), from ``q0``.

    ``q*`` solves ``sigma_w^2 E[phi(sqrt(q) u)^2] + sigma_b^2 = q``; ``0`` where the
    signal fades (tanh without bias at ``sigma_w^2 <= 1``), ``inf`` where it grows.
    """
    act = activation_argument(activation, slope=slope)
    w2, b2, q0 = _grid_inputs(sigma_w2, sigma_b2, q0)
    return _fixed_points(act, w2, b2, q0)


def chi1_grid(
    activation: str | Activation,
    sigma_w2: float | np.ndarray,
    sigma_b2: float | np.ndarray = 0.0,
    *,
    q0: float = 1.0,
    slope: float = 0.01,
) -> tuple[np.ndarray, np.ndarray]:
    """``(q*, chi_1)`` on a grid: ``chi_1 = sigma_w^2 E[phi'(sqrt(q*) u)^2]`` at ``q*``.

    ``q*`` is :func:`fixed_point_grid`; ``chi_1`` is ``inf`` where ``q*`` is.
    """
    act = activation_argument(activation, slope=slope)
    w2, b2, q0 = _grid_inputs(sigma_w2, sigma_b2, q0)
    return _chi1_at_fixed_points(act, w2, b2, q0)


def edge_of_chaos_curve(
    activation: str | Activation,
    sigma_b2: float | np.ndarray,
    *,
    sigma_w2_range: tuple[float, float] = (0.5, 8.0),
    q0: float = 1.0,
    slope: float = 0.01,
) -> np.ndarray | float:
    """The ``sigma_w^2`` with ``chi_1 = 1`` at the fixed point, for each ``sigma_b^2``.

    The smallest ``sigma_w^2`` (to float precision) with ``chi_1 >= 1``, by
    bisection in ``sigma_w2_range`` for all ``sigma_b^2`` at once, assuming
    ``chi_1(q*)`` rises through 1 once there (tanh: ordered below the curve,
    chaotic above; without bias exactly 1, where ``q* = 0``). Raises
    ``ValueError`` for a ``sigma_b^2`` whose ``chi_1`` does not cross 1 inside
    the range (:func:`edge_of_chaos_gain` scans for the first crossing instead).
    """
    act = activation_argument(activation, slope=slope)
    b2 = check_array("sigma_b2", sigma_b2)
    if np.any(b2 < 0):
        raise ValueError(f"sigma_b2 must be finite and >= 0, got {sigma_b2!r}")
    w_lo, w_hi = _pair("sigma_w2_range", sigma_w2_range)
    q0 = check_float("q0", q0, minimum=0.0, strict_minimum=True)
    lo, hi = np.full(b2.shape, w_lo), np.full(b2.shape, w_hi)
    below = _chi1_at_fixed_points(act, lo, b2, q0)[1] < 1.0
    above = _chi1_at_fixed_points(act, hi, b2, q0)[1] >= 1.0
    if not (np.all(below) and np.all(above)):
        bad = b2[~(below & above)]
        raise ValueError(
            f"chi_1 does not cross 1 for sigma_w2 in {sigma_w2_range} at sigma_b2={bad.tolist()}"
        )
    for _ in range(200):  # to float precision: hi is the smallest chaotic sigma_w^2 found
        mid = 0.5 * (lo + hi)
        if np.all((mid == lo) | (mid == hi)):
            break
        chaotic = _chi1_at_fixed_points(act, mid, b2, q0)[1] >= 1.0
        lo, hi = np.where(chaotic, lo, mid), np.where(chaotic, mid, hi)
    return float(hi) if hi.ndim == 0 else hi
