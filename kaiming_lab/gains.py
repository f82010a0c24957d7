"""Gains for any activation, derived from the length map.

Notation: a layer draws ``W_ij`` with mean 0 and ``Var(W) = g^2 / fan_in``
(``g`` is the *gain*, a factor on the standard deviation, as in
``torch.nn.init``) and a bias of variance ``sigma_b^2``. In the wide-network
limit the pre-activation ``z`` of every layer is ``N(0, q)``, and its
variance follows the *length map* (Poole et al. 2016)

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

Expectations over ``u`` use :func:`kaiming_lab.theory.gaussian_expectation`
(composite Gauss-Legendre under the normal density, about 1e-12 relative).
The fixed-point search assumes that ``q -> E[phi(sqrt(q) u)^2]`` is increasing,
which holds for every activation in :data:`kaiming_lab.activations.ACTIVATIONS`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._validation import check_float, check_int
from .activations import Activation, activation_argument, get_activation
from .initializers import calculate_gain
from .theory import fixed_point_gain, gaussian_expectation, second_moment

__all__ = [
    "DEFAULT_TABLE_ENTRIES",
    "GainRow",
    "chi1",
    "derivative_second_moment",
    "edge_of_chaos_gain",
    "fixed_point",
    "gain_table",
    "iterate_length_map",
    "length_map",
    "variance_preserving_gain",
]

#: Below this the fixed-point search reports ``q* = 0`` when ``phi(0) = 0`` and no bias.
Q_FLOOR = 1e-9
#: Above this the fixed-point search reports ``q* = inf``.
Q_CEILING = 1e12
#: ``g^2 (1 + a^2) / 2`` this close to 1 counts as exactly 1 (``sqrt(2)**2`` is not 2).
_UNIT_TOL = 1e-9

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


def _activation(activation: str | Activation, slope: float) -> Activation:
    return activation_argument(activation, slope=slope)


def _homogeneous_factor(act: Activation) -> float:
    """``E[phi(z)^2] / E[z^2]`` = ``E[phi'(z)^2]`` for a homogeneous ``phi``: ``(1 + a^2)/2``."""
    return float(act.second_moment_ratio)


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
    act = _activation(activation, slope)
    q = check_float("q", q, minimum=0.0)
    gain = check_float("gain", gain, minimum=0.0)
    bias_variance = check_float("bias_variance", bias_variance, minimum=0.0)
    return gain * gain * second_moment(act, q) + bias_variance


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
    act = _activation(activation, slope)
    q0 = check_float("q0", q0, minimum=0.0)
    steps = check_int("steps", steps, minimum=0)
    out = np.empty(steps + 1)
    out[0] = q0
    with np.errstate(over="ignore"):
        for step in range(steps):
            prev = out[step]
            if not math.isfinite(prev):
                out[step:] = math.inf
                break
            out[step + 1] = length_map(act, prev, gain, bias_variance=bias_variance)
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

    The map is increasing in ``q``, so its iterates move monotonically towards
    the nearest fixed point in the direction of the first step: down to the
    largest root of ``length_map(q) = q`` below ``q0``, or up to the smallest
    root above it. Returns ``0.0`` when the iterates fall below ``Q_FLOOR``
    with nothing to stop them (tanh or GELU without bias at small gains),
    ``inf`` when they pass ``Q_CEILING`` (the signal grows without bound).

    Leaky ReLU and linear: the map is ``s q + sigma_b^2`` with
    ``s = g^2 (1 + a^2)/2``, so ``q* = sigma_b^2 / (1 - s)`` for ``s < 1``,
    every ``q`` is a fixed point for ``s = 1`` without bias (``q0`` is
    returned), and ``q* = inf`` otherwise.
    """
    act = _activation(activation, slope)
    gain = check_float("gain", gain, minimum=0.0)
    q0 = check_float("q0", q0, minimum=0.0, strict_minimum=True)
    bias_variance = check_float("bias_variance", bias_variance, minimum=0.0)
    if act.homogeneous:
        s = gain * gain * _homogeneous_factor(act)
        if math.isclose(s, 1.0, rel_tol=_UNIT_TOL):
            return q0 if bias_variance == 0.0 else math.inf
        return bias_variance / (1.0 - s) if s < 1.0 else math.inf

    def excess(q: float) -> float:
        return length_map(act, q, gain, bias_variance=bias_variance) - q

    start = excess(q0)
    if start == 0.0:
        return q0
    if start < 0.0:
        hi, lo = q0, q0 / 2.0
        while excess(lo) < 0.0:
            hi, lo = lo, lo / 2.0
            if lo < Q_FLOOR:
                if excess(0.0) <= 0.0:
                    return 0.0
                lo = 0.0
                break
    else:
        lo, hi = q0, 2.0 * q0
        while excess(hi) > 0.0:
            lo, hi = hi, 2.0 * hi
            if hi > Q_CEILING:
                return math.inf
    from scipy import optimize  # imported where used: the explorer never needs it

    return float(optimize.brentq(excess, lo, hi, xtol=1e-15, rtol=1e-13, maxiter=200))


def derivative_second_moment(
    activation: str | Activation, q: float, *, slope: float = 0.01
) -> float:
    """``E[phi'(sqrt(q) u)^2]`` for ``u ~ N(0, 1)``.

    ``(1 + a^2)/2`` for a leaky ReLU of slope ``a`` (1 for linear), at every
    ``q``. At ``q = 0`` the value is the limit ``q -> 0``: the mean of the
    squared one-sided derivatives at 0 (this matters for SELU, whose
    derivative jumps there).
    """
    act = _activation(activation, slope)
    q = check_float("q", q, minimum=0.0)
    if act.homogeneous:
        return _homogeneous_factor(act)
    if q == 0.0:
        sides = np.asarray(act.derivative(np.array([1e-300, -1e-300])), dtype=float)
        return float(np.mean(sides**2))
    return gaussian_expectation(lambda z: act.derivative(z) ** 2, q)


def chi1(activation: str | Activation, gain: float, q: float, *, slope: float = 0.01) -> float:
    """``chi_1 = g^2 E[phi'(sqrt(q) u)^2]``, evaluated at a fixed point ``q = q*`` in use.

    Per layer, a small perturbation of ``z`` and (for square layers) the mean
    square of the back-propagated gradient are multiplied by ``chi_1``:
    ``< 1`` ordered (gradients vanish), ``> 1`` chaotic (gradients explode),
    ``= 1`` the edge of chaos. ReLU at ``g = sqrt(2)``: exactly 1.
    """
    gain = check_float("gain", gain, minimum=0.0)
    return gain * gain * derivative_second_moment(activation, q, slope=slope)


def variance_preserving_gain(
    activation: str | Activation,
    q: float = 1.0,
    *,
    bias_variance: float = 0.0,
    slope: float = 0.01,
) -> float:
    """The gain ``g`` with ``g^2 E[phi(sqrt(q) u)^2] + sigma_b^2 = q``: variance ``q`` is kept.

    Without bias this is :func:`kaiming_lab.theory.fixed_point_gain`:
    ``sqrt(2 / (1 + a^2))`` for a leaky ReLU at every ``q``, 1 for linear;
    for tanh, sigmoid, GELU and SELU it depends on ``q``. Needs
    ``sigma_b^2 < q`` (a bias alone would already exceed the target).
    """
    act = _activation(activation, slope)
    q = check_float("q", q, minimum=0.0, strict_minimum=True)
    bias_variance = check_float("bias_variance", bias_variance, minimum=0.0)
    if bias_variance >= q:
        raise ValueError(
            f"bias_variance must be below q, got bias_variance={bias_variance} and q={q}: "
            "the bias alone already gives the next layer variance >= q"
        )
    if bias_variance == 0.0:
        return fixed_point_gain(act, q)
    return math.sqrt((q - bias_variance) / second_moment(act, q))


def _chi_at_fixed_point(act: Activation, gain: float, q0: float, bias_variance: float) -> float:
    """``chi_1`` at the fixed point reached from ``q0``; ``inf`` if the signal grows unboundedly."""
    q_star = fixed_point(act, gain, q0=q0, bias_variance=bias_variance)
    if not math.isfinite(q_star):
        return math.inf
    return chi1(act, gain, q_star)


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
    act = _activation(activation, slope)
    bias_variance = check_float("bias_variance", bias_variance, minimum=0.0)
    q0 = check_float("q0", q0, minimum=0.0, strict_minimum=True)
    if not isinstance(gain_range, Sequence) or isinstance(gain_range, str) or len(gain_range) != 2:
        raise TypeError(f"gain_range must be a pair (low, high), got {gain_range!r}")
    g_lo = check_float("gain_range[0]", gain_range[0], minimum=0.0, strict_minimum=True)
    g_hi = check_float("gain_range[1]", gain_range[1], minimum=g_lo, strict_minimum=True)
    if act.homogeneous:
        return math.sqrt(1.0 / _homogeneous_factor(act))

    def excess(g: float) -> float:
        return _chi_at_fixed_point(act, g, q0, bias_variance) - 1.0

    grid = np.geomspace(g_lo, g_hi, 121)
    values = [excess(float(g)) for g in grid]
    crossing = next(
        (i for i in range(len(grid) - 1) if values[i] < 0.0 <= values[i + 1]),
        None,
    )
    if crossing is None:
        side = "below" if values[-1] < 0.0 else "above"
        raise ValueError(
            f"{act.name} has no edge of chaos for gains in {gain_range} with "
            f"bias_variance={bias_variance}: chi_1 at the fixed point stays {side} 1"
        )
    lo, hi = float(grid[crossing]), float(grid[crossing + 1])
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if excess(mid) < 0.0:
            lo = mid
        else:
            hi = mid
    below, above = excess(lo), excess(hi)
    if not (abs(below) < 1e-6 and abs(above) < 1e-6):
        raise ValueError(
            f"{act.name} has no edge of chaos with bias_variance={bias_variance} "
            f"starting from q0={q0}: at gain {lo:.4g} chi_1 jumps from {below + 1.0:.3g} "
            f"to {above + 1.0:.3g}, because the fixed point jumps "
            f"(from q* = {fixed_point(act, lo, q0=q0, bias_variance=bias_variance):.3g} "
            f"to q* = {fixed_point(act, hi, q0=q0, bias_variance=bias_variance):.3g})"
        )
    return hi if abs(above) <= abs(below) else lo


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
            edge = edge_of_chaos_gain(act, q0=q)
            edge_q = fixed_point(act, edge, q0=q)
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
                variance_preserving=variance_preserving_gain(act, q),
                edge_of_chaos=edge,
                edge_q_star=edge_q,
                pytorch=pytorch,
                homogeneous=act.homogeneous,
            )
        )
    return rows
