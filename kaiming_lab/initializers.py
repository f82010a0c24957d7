"""Weight initialisers with the same distributions as ``torch.nn.init``.

Layout: a weight matrix has shape ``(fan_out, fan_in)``. This is the
lecture's ``W^(h)`` in R^{d_{h+1} x d_h} (so ``z = W @ x`` for a column
vector ``x``) and PyTorch's ``nn.Linear.weight`` layout. Keras and JAX store
the transpose ``(fan_in, fan_out)``; convert before comparing. A convolution
weight ``(out_channels, in_channels, k1, k2, ...)`` multiplies both fans by
the receptive-field size ``k1 * k2 * ...``.

Every function draws with a ``numpy.random.Generator`` (``rng`` may be a seed,
a ``Generator`` or ``None``) and returns a new ``float64`` array. A shape whose
array would need more than the memory budget (2 GiB by default; pass
``memory_budget=<bytes>`` to change it) is refused before anything is drawn.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import (
    as_generator,
    check_bool,
    check_choice,
    check_float,
    check_memory,
    check_shape,
)

__all__ = [
    "GAINS",
    "MODES",
    "calculate_gain",
    "compute_fans",
    "he_truncated_normal",
    "kaiming_normal",
    "kaiming_std",
    "kaiming_uniform",
    "pytorch_linear_default",
    "truncated_normal_std",
    "xavier_normal",
    "xavier_uniform",
]

_FIXED_GAINS: dict[str, float] = {
    "linear": 1.0,
    "conv1d": 1.0,
    "conv2d": 1.0,
    "conv3d": 1.0,
    "conv_transpose1d": 1.0,
    "conv_transpose2d": 1.0,
    "conv_transpose3d": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
    "selu": 3.0 / 4.0,
}
#: Names accepted by :func:`calculate_gain` (``leaky_relu`` also takes a slope).
GAINS: tuple[str, ...] = (*sorted(_FIXED_GAINS), "leaky_relu")

#: The fan a Kaiming initialiser divides by: ``fan_in`` keeps the forward variance, ``fan_out``
#: the backward one (also used by :mod:`kaiming_lab.fan_modes`).
MODES: tuple[str, ...] = ("fan_in", "fan_out")

#: Largest ``|a|`` (negative slope) accepted: beyond it ``1 + a^2`` no longer fits a float64.
MAX_SLOPE = 1e150


def _check_slope(name: str, value: object) -> float:
    return check_float(name, value, minimum=-MAX_SLOPE, maximum=MAX_SLOPE)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """PyTorch's table of recommended gains ``g`` (std = g / sqrt(fan)).

    ========================  =============================
    nonlinearity              gain
    ========================  =============================
    linear, conv*, sigmoid    1
    tanh                      5/3 (a heuristic, not derived)
    relu                      sqrt(2)
    leaky_relu                sqrt(2 / (1 + a^2)), a = param (default 0.01)
    selu                      3/4
    ========================  =============================

    For ReLU and leaky ReLU the gain solves ``g^2 E[phi(z)^2] = E[z^2]`` for a
    symmetric ``z``, which is what keeps the variance constant with depth; the
    other entries are conventions (see ``kaiming_lab.gains.fixed_point_gain``
    for the derived values). Names ignore case (``"Leaky_ReLU"`` is
    ``"leaky_relu"``); ``|param|`` must be at most ``1e150`` so that
    ``1 + param^2`` fits a float64.
    """
    name = check_choice("nonlinearity", nonlinearity, GAINS)
    if name == "leaky_relu":
        return _gain(name, 0.01 if param is None else _check_slope("param", param))
    if param is not None:
        raise ValueError(f"param is only used with nonlinearity='leaky_relu', got param={param!r}")
    return _gain(name, 0.0)


def _gain(name: str, slope: float) -> float:
    """:func:`calculate_gain` unchecked; ``slope`` is used only for ``leaky_relu``."""
    if name == "leaky_relu":
        return math.sqrt(2.0 / (1.0 + slope * slope))
    return _FIXED_GAINS[name]


def compute_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` for a weight of shape ``(fan_out, fan_in, *kernel)``.

    ``fan_in = shape[1] * prod(kernel)`` and ``fan_out = shape[0] * prod(kernel)``
    (``torch.nn.init``'s rule for linear and 1-D to 3-D convolution weights).
    """
    return _fans(check_shape("shape", shape))


def _fans(dims: tuple[int, ...]) -> tuple[int, int]:
    """:func:`compute_fans` unchecked."""
    receptive = math.prod(dims[2:])
    return dims[1] * receptive, dims[0] * receptive


def _checked_shape(shape: object, memory_budget: int | None) -> tuple[int, ...]:
    """``shape`` as a tuple, refused when a float64 array of it exceeds the memory budget."""
    dims = check_shape("shape", shape)
    check_memory(f"shape={dims}", 8.0 * math.prod(dims), memory_budget)
    return dims


def _check_kaiming(a: object, mode: object, nonlinearity: object) -> tuple[float, str, str]:
    """The Kaiming initialisers' ``a``, ``mode`` and ``nonlinearity``, checked."""
    a = _check_slope("a", a)
    mode = check_choice("mode", mode, MODES)
    name = check_choice("nonlinearity", nonlinearity, GAINS)
    return a, mode, name


def _kaiming_std(dims: tuple[int, ...], a: float, mode: str, name: str) -> float:
    """:func:`kaiming_std` unchecked."""
    fan_in, fan_out = _fans(dims)
    return _gain(name, a) / math.sqrt(fan_in if mode == "fan_in" else fan_out)


def kaiming_std(
    shape: tuple[int, ...],
    *,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
) -> float:
    """Standard deviation ``gain / sqrt(fan)`` used by the Kaiming initialisers.

    With the defaults (``a=0``, ``leaky_relu``) the gain is ``sqrt(2)`` and the
    variance is ``2 / fan_in``: the lecture's ``N(0, 2/d_h)``.
    ``a`` is the negative slope of the leaky ReLU, not a scale factor; it is
    used only with ``nonlinearity="leaky_relu"`` (any case), as in PyTorch.
    """
    a, mode, name = _check_kaiming(a, mode, nonlinearity)
    return _kaiming_std(check_shape("shape", shape), a, mode, name)


def kaiming_normal(
    shape: tuple[int, ...],
    *,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: np.random.Generator | int | None = None,
    memory_budget: int | None = None,
) -> np.ndarray:
    """Draw ``W ~ N(0, std^2)`` with ``std = gain / sqrt(fan)`` (He et al. 2015).

    Assumes ``b = 0`` and a (leaky) ReLU after the layer; with ``mode="fan_in"``
    it keeps the forward variance constant, with ``mode="fan_out"`` the
    backward one. ``shape`` is ``(fan_out, fan_in, *kernel)``.
    """
    a, mode, name = _check_kaiming(a, mode, nonlinearity)
    dims = _checked_shape(shape, memory_budget)
    return _draw_kaiming_normal(dims, a, mode, name, as_generator(rng))


def _draw_kaiming_normal(
    dims: tuple[int, ...], a: float, mode: str, name: str, rng: np.random.Generator
) -> np.ndarray:
    """:func:`kaiming_normal` unchecked."""
    return rng.normal(0.0, _kaiming_std(dims, a, mode, name), size=dims)


def kaiming_uniform(
    shape: tuple[int, ...],
    *,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: np.random.Generator | int | None = None,
    memory_budget: int | None = None,
) -> np.ndarray:
    """Draw ``W ~ U(-bound, bound)`` with ``bound = gain * sqrt(3 / fan)``.

    A uniform ``U(-s, s)`` has std ``s / sqrt(3)``, so this has the same
    variance as :func:`kaiming_normal` with the same arguments.
    """
    a, mode, name = _check_kaiming(a, mode, nonlinearity)
    dims = _checked_shape(shape, memory_budget)
    bound = math.sqrt(3.0) * _kaiming_std(dims, a, mode, name)
    return as_generator(rng).uniform(-bound, bound, size=dims)


def _xavier_std(dims: tuple[int, ...], gain: float) -> float:
    """``gain * sqrt(2 / (fan_in + fan_out))``, unchecked."""
    fan_in, fan_out = _fans(dims)
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def xavier_normal(
    shape: tuple[int, ...],
    *,
    gain: float = 1.0,
    rng: np.random.Generator | int | None = None,
    memory_budget: int | None = None,
) -> np.ndarray:
    """Draw ``W ~ N(0, std^2)`` with ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    Glorot and Bengio (2010) average the forward and backward conditions of a
    linear (or tanh near 0) layer. For a square layer this is ``N(0, 1/d)``:
    half of Kaiming's variance, which a ReLU net halves again at every layer.
    ``gain`` must be in ``[0, 1e150]``.
    """
    gain = check_float("gain", gain, minimum=0.0, maximum=MAX_SLOPE)
    dims = _checked_shape(shape, memory_budget)
    return _draw_xavier_normal(dims, gain, as_generator(rng))


def _draw_xavier_normal(dims: tuple[int, ...], gain: float, rng: np.random.Generator) -> np.ndarray:
    """:func:`xavier_normal` unchecked."""
    return rng.normal(0.0, _xavier_std(dims, gain), size=dims)


def xavier_uniform(
    shape: tuple[int, ...],
    *,
    gain: float = 1.0,
    rng: np.random.Generator | int | None = None,
    memory_budget: int | None = None,
) -> np.ndarray:
    """Draw ``W ~ U(-bound, bound)`` with ``bound = gain * sqrt(6 / (fan_in + fan_out))``.

    ``gain`` must be in ``[0, 1e150]``.
    """
    gain = check_float("gain", gain, minimum=0.0, maximum=MAX_SLOPE)
    dims = _checked_shape(shape, memory_budget)
    fan_in, fan_out = _fans(dims)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return as_generator(rng).uniform(-bound, bound, size=dims)


def pytorch_linear_default(
    shape: tuple[int, ...],
    *,
    rng: np.random.Generator | int | None = None,
    memory_budget: int | None = None,
) -> np.ndarray:
    """``nn.Linear``'s default weight: ``kaiming_uniform(a=sqrt(5))``.

    The gain is ``sqrt(2 / (1 + 5)) = 1/sqrt(3)``, so the bound is
    ``1/sqrt(fan_in)`` and ``Var(W) = 1 / (3 fan_in)``: one sixth of Kaiming's
    ``2 / fan_in``. In a ReLU net each layer multiplies the variance by 1/6.
    """
    return kaiming_uniform(shape, a=math.sqrt(5.0), rng=rng, memory_budget=memory_budget)


#: Below this cut the series ``c/sqrt(3) * sqrt(1 - 2c^2/15)`` is exact in float64.
_SMALL_CUT = 1e-4
#: Above this cut the removed tail mass (about ``exp(-c^2/2)``) is below float64 resolution.
_LARGE_CUT = 40.0


def truncated_normal_std(cut: float = 2.0) -> float:
    """Standard deviation of ``N(0, 1)`` truncated to ``[-cut, cut]``.

    ``Var = 1 - 2 c phi(c) / (2 Phi(c) - 1)`` with ``phi``, ``Phi`` the standard
    normal density and CDF. That form cancels badly for small cuts, so three
    regimes, each accurate to a few ulps:

    * ``c < 1e-4``: the series ``Var = c^2/3 (1 - 2c^2/15)`` (nearly uniform on
      ``[-c, c]``, whose std is ``c / sqrt(3)``);
    * ``1e-4 <= c < 1``: ``Var = P(3/2, c^2/2) / P(1/2, c^2/2)`` with ``P`` the
      regularised lower incomplete gamma function (``scipy.special.gammainc``);
    * ``c >= 1``: the closed form above with ``scipy.special.erf``; for
      ``c >= 40`` it is 1 to float64 precision and 1.0 is returned.

    For ``cut = 2`` it is ``0.87962566103423978``: cutting the tails removes
    about 23% of the variance.
    """
    return _truncated_normal_std(check_float("cut", cut, minimum=0.0, strict_minimum=True))


def _truncated_normal_std(cut: float) -> float:
    """:func:`truncated_normal_std` unchecked."""
    from scipy import special  # imported where used: importing the package needs no scipy

    if cut < _SMALL_CUT:
        return cut / math.sqrt(3.0) * math.sqrt(1.0 - 2.0 * cut * cut / 15.0)
    if cut < 1.0:
        y = 0.5 * cut * cut
        return math.sqrt(float(special.gammainc(1.5, y) / special.gammainc(0.5, y)))
    if cut >= _LARGE_CUT:
        return 1.0
    density = math.exp(-0.5 * cut * cut) / math.sqrt(2.0 * math.pi)
    return math.sqrt(1.0 - 2.0 * cut * density / float(special.erf(cut / math.sqrt(2.0))))


def he_truncated_normal(
    shape: tuple[int, ...],
    *,
    corrected: bool = True,
    rng: np.random.Generator | int | None = None,
    memory_budget: int | None = None,
) -> np.ndarray:
    """Keras ``HeNormal`` / JAX ``he_normal``: a truncated normal with variance ``2 / fan_in``.

    Draws from ``N(0, s^2)`` truncated to ``[-2 s, 2 s]``, with
    ``s = sqrt(2 / fan_in) / truncated_normal_std(2)``: dividing by the
    truncated std (0.87962566103423978) makes the variance after truncation
    ``2 / fan_in``. Keras gets the truncated normal by redrawing values beyond
    2 std; JAX samples it by inverse CDF, with no redraw (as ``scipy.stats.truncnorm``
    does here). Both divide by the same constant, so all three give the same
    distribution. With ``corrected=False``, ``s = sqrt(2 / fan_in)`` and the
    variance is only ``0.8796^2 = 0.774`` of that. ``shape`` is
    ``(fan_out, fan_in, *kernel)`` as everywhere in this package (Keras and JAX
    store the transpose).
    """
    from scipy import stats

    corrected = check_bool("corrected", corrected)
    dims = _checked_shape(shape, memory_budget)
    fan_in, _ = _fans(dims)
    std = math.sqrt(2.0 / fan_in)
    if corrected:
        std /= _truncated_normal_std(2.0)
    dist = stats.truncnorm(-2.0, 2.0, loc=0.0, scale=std)
    return dist.rvs(size=dims, random_state=as_generator(rng))
