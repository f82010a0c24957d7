"""Fan-in or fan-out: what each Kaiming rule does to the forward and the backward pass.

The network is the lecture's, with layer widths ``d_0 .. d_H``:
``z^(h) = W^(h) x^(h)`` (no bias), ``x^(h+1) = ReLU(z^(h))`` for
``h = 0 .. H-2``, and a *linear* last layer: the output is ``z^(H-1)``.
``W^(h)`` has shape ``(d_{h+1}, d_h) = (fan_out, fan_in)``.

Backward, for a loss gradient ``g = dL/dz^(H-1)`` on the output::

    dx^(H-1) = W^(H-1)^T g                        (no ReLU after the last layer)
    dz^(h)   = ReLU'(z^(h)) * dx^(h+1),  dx^(h) = W^(h)^T dz^(h)     (h <= H-2)

With zero-mean independent weights and ``z`` symmetric about 0 (so ``ReLU'``
is 0 or 1 with probability 1/2 each), the sums have uncorrelated terms and::

    Var(z^(0))  = d_0 Var(W^(0)) m2                   m2 = E[x^2] of the input
    Var(z^(h))  = d_h Var(W^(h)) Var(z^(h-1)) / 2       (h >= 1)
    Var(dx^(H-1)) = d_H Var(W^(H-1)) Var(g)
    Var(dx^(h))   = d_{h+1} Var(W^(h)) Var(dx^(h+1)) / 2   (h <= H-2)

Kaiming's rule is ``Var(W^(h)) = 2 / fan`` with ``fan = d_h`` (``fan_in``,
forward factor 1) or ``fan = d_{h+1}`` (``fan_out``, backward factor 1).
The pass a rule does not protect telescopes to a ratio of widths
(He et al. 2015, section 2.2)::

    fan_in :  Var(z^(h)) = 2 m2,                   Var(dx^(h)) = 2 Var(g) d_H / d_h
    fan_out:  Var(z^(h)) = 2 m2 d_0 / d_{h+1},      Var(dx^(h)) = 2 Var(g)

The gradient formulas assume what every mean-field calculation assumes, that
``ReLU'(z)`` and the weights used on the way back are uncorrelated with the
gradient arriving; :func:`simulate_passes` checks them on finite networks.

Layouts: PyTorch stores a linear weight as ``(out, in)`` and a convolution as
``(out, in, *kernel)``; Keras and JAX/Flax store ``(in, out)`` and
``(*kernel, in, out)``. :func:`layout_fans` reads a shape either way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._validation import (
    as_generator,
    check_choice,
    check_float,
    check_int,
    check_shape,
    check_widths,
)
from .initializers import MODES, _fans
from .montecarlo import Estimate, estimate_mean
from .propagation import draw_weights

__all__ = [
    "LAYOUTS",
    "MODES",
    "PassSamples",
    "backward_variances",
    "forward_variances",
    "layer_factors",
    "layout_fans",
    "other_pass_factor",
    "simulate_passes",
    "weight_variances",
    "width_profile",
]

#: Weight layouts: PyTorch's ``(out, in, *kernel)``, Keras / JAX's ``(*kernel, in, out)``.
LAYOUTS: tuple[str, ...] = ("torch", "keras")
#: The initialiser names :func:`~kaiming_lab.propagation.draw_weights` knows for each mode.
_INIT_OF_MODE = {"fan_in": "kaiming", "fan_out": "kaiming_fan_out"}


def weight_variances(
    widths: Sequence[int], mode: str = "fan_in", *, gain: float = math.sqrt(2.0)
) -> np.ndarray:
    """``Var(W^(h)) = gain^2 / fan`` for ``h = 0 .. H-1``.

    ``fan = d_h`` for ``mode="fan_in"`` and ``d_{h+1}`` for ``mode="fan_out"``;
    ``gain = sqrt(2)`` is Kaiming's rule for ReLU (``calculate_gain("relu")``).
    """
    dims = check_widths("widths", widths)
    mode = check_choice("mode", mode, MODES)
    gain = check_float("gain", gain, minimum=0.0)
    return _weight_variances(dims, mode, gain)


def _weight_variances(dims: list[int], mode: str, gain: float = math.sqrt(2.0)) -> np.ndarray:
    """:func:`weight_variances` unchecked."""
    fans = np.array(dims[:-1] if mode == "fan_in" else dims[1:], dtype=float)
    return gain**2 / fans


def _variances(
    widths: Sequence[int], mode: str | None, var_w: Sequence[float] | None
) -> tuple[list[int], np.ndarray]:
    dims = check_widths("widths", widths)
    if (mode is None) == (var_w is None):
        raise TypeError("give exactly one of mode ('fan_in' or 'fan_out') and var_w")
    if var_w is None:
        return dims, _weight_variances(dims, check_choice("mode", mode, MODES))
    arr = np.asarray(var_w, dtype=float)
    if arr.shape != (len(dims) - 1,) or np.any(~np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(
            f"var_w must hold {len(dims) - 1} finite values >= 0 (one per layer), got {var_w!r}"
        )
    return dims, arr


def forward_variances(
    widths: Sequence[int],
    mode: str | None = None,
    *,
    var_w: Sequence[float] | None = None,
    input_second_moment: float = 1.0,
) -> np.ndarray:
    """Predicted ``Var(z^(h))``, ``h = 0 .. H-1``, by the forward recursion.

    ``Var(z^(0)) = d_0 Var(W^(0)) m2`` (no ReLU in front of the first layer)
    and ``Var(z^(h)) = d_h Var(W^(h)) Var(z^(h-1)) / 2`` (the ReLU keeps half
    of a symmetric ``z``'s second moment). Weight variances come from ``mode``
    (Kaiming's rule) or are given per layer as ``var_w``. Under ``fan_in``
    every entry is ``2 m2``; under ``fan_out`` entry ``h`` is ``2 m2 d_0 / d_{h+1}``.
    """
    dims, var = _variances(widths, mode, var_w)
    m2 = check_float("input_second_moment", input_second_moment, minimum=0.0)
    out = np.empty(len(dims) - 1)
    out[0] = dims[0] * var[0] * m2
    for h in range(1, len(out)):
        out[h] = dims[h] * var[h] * out[h - 1] / 2.0
    return out


def backward_variances(
    widths: Sequence[int],
    mode: str | None = None,
    *,
    var_w: Sequence[float] | None = None,
    output_gradient_variance: float = 1.0,
) -> np.ndarray:
    """Predicted ``Var(dL/dx^(h))``, ``h = 0 .. H``, by the backward recursion.

    Entry ``H`` is the output gradient's variance ``Var(g)``. The last layer
    has no ReLU after it, so ``Var(dx^(H-1)) = d_H Var(W^(H-1)) Var(g)``;
    before that ``Var(dx^(h)) = d_{h+1} Var(W^(h)) Var(dx^(h+1)) / 2`` (half the
    ``ReLU'`` are 0). Under ``fan_out`` every entry below ``H`` is ``2 Var(g)``;
    under ``fan_in`` entry ``h`` is ``2 Var(g) d_H / d_h``.
    """
    dims, var = _variances(widths, mode, var_w)
    v = check_float("output_gradient_variance", output_gradient_variance, minimum=0.0)
    depth = len(dims) - 1
    out = np.empty(depth + 1)
    out[depth] = v
    out[depth - 1] = dims[depth] * var[depth - 1] * v
    for h in range(depth - 2, -1, -1):
        out[h] = dims[h + 1] * var[h] * out[h + 1] / 2.0
    return out


def layer_factors(widths: Sequence[int], mode: str, direction: str) -> np.ndarray:
    """What each layer multiplies a variance by, under Kaiming's ``mode`` rule.

    ``direction="forward"``: ``d_0 Var(W^(0))`` for the first layer (it sees the
    raw input) and ``d_h Var(W^(h)) / 2`` after, i.e. ``d_h / d_{h+1}`` under
    ``fan_out``. ``direction="backward"``: ``d_{h+1} Var(W^(h)) / 2``, and
    ``d_H Var(W^(H-1))`` for the last layer, i.e. ``d_{h+1} / d_h`` under
    ``fan_in``. The product of the ReLU layers' factors telescopes.
    """
    dims = check_widths("widths", widths)
    mode = check_choice("mode", mode, MODES)
    direction = check_choice("direction", direction, ("forward", "backward"))
    var = _weight_variances(dims, mode)
    fan = np.array(dims[:-1] if direction == "forward" else dims[1:], dtype=float)
    factors = fan * var / 2.0
    if direction == "forward":
        factors[0] *= 2.0
    else:
        factors[-1] *= 2.0
    return factors


def other_pass_factor(widths: Sequence[int], mode: str) -> float:
    """How far the pass that ``mode`` does not protect ends from the protected value 2.

    ``fan_out``: ``Var(z^(H-1)) / (2 m2) = d_0 / d_H`` (forward, at the output);
    ``fan_in``: ``Var(dx^(0)) / (2 Var(g)) = d_H / d_0`` (backward, at the input).
    A ratio of the first and last widths, whatever happens in between.
    """
    dims = check_widths("widths", widths)
    mode = check_choice("mode", mode, MODES)
    return dims[0] / dims[-1] if mode == "fan_out" else dims[-1] / dims[0]


def width_profile(anchors: Sequence[int], depth: int) -> list[int]:
    """``depth + 1`` widths running geometrically through the ``anchors``.

    The anchors sit at equal distances along the depth (``(64, 512, 64)`` puts
    512 in the middle) and widths in between are rounded geometric means, so
    ``width_profile((1024, 16), 3) == [1024, 256, 64, 16]``.
    """
    points = check_widths("anchors", anchors)
    depth = check_int("depth", depth, minimum=1)
    logs = np.log(np.array(points, dtype=float))
    where = np.linspace(0.0, 1.0, len(points))
    t = np.linspace(0.0, 1.0, depth + 1)
    return [max(1, int(np.rint(w))) for w in np.exp(np.interp(t, where, logs))]


def layout_fans(shape: Sequence[int], layout: str = "torch") -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight array of ``shape`` read in ``layout``.

    ``"torch"``: ``(out, in, *kernel)``; ``"keras"`` (also JAX / Flax):
    ``(in, out)`` for a dense layer, ``(*kernel, in, out)`` for a convolution.
    Both fans include the kernel's size. Reading a 2-D array in the wrong
    layout swaps the two fans.
    """
    dims = check_shape("shape", shape)
    layout = check_choice("layout", layout, LAYOUTS)
    if layout == "torch":
        return _fans(dims)
    receptive = math.prod(dims[:-2])
    return dims[-2] * receptive, dims[-1] * receptive


@dataclass(frozen=True)
class PassSamples:
    """Per-network mean squares from :func:`simulate_passes`.

    ``forward[n, h]`` is network ``n``'s mean of ``z^(h)^2`` over units and
    inputs (``h = 0 .. H-1``); ``backward[n, h]`` the mean of ``dL/dx^(h)^2``
    (``h = 0 .. H``, entry ``H`` the output gradient ``g``). Networks are
    independent, so the mean over them has the usual standard error.
    """

    widths: tuple[int, ...]
    mode: str
    forward: np.ndarray
    backward: np.ndarray

    def forward_estimates(self) -> list[Estimate]:
        """Mean over networks of ``forward[:, h]``, with its standard error, per layer."""
        return [estimate_mean(col) for col in self.forward.T]

    def backward_estimates(self) -> list[Estimate]:
        """Mean over networks of ``backward[:, h]``, with its standard error, per layer."""
        return [estimate_mean(col) for col in self.backward.T]


def simulate_passes(
    widths: Sequence[int],
    mode: str = "fan_in",
    *,
    n_networks: int = 100,
    batch: int = 32,
    seed: int | np.random.Generator | None = 0,
) -> PassSamples:
    """Run forward and backward passes through ``n_networks`` random Kaiming networks.

    Each network draws its weights with
    :func:`~kaiming_lab.propagation.draw_weights` (``init="kaiming"`` for
    ``fan_in``, ``"kaiming_fan_out"`` for ``fan_out``), then ``batch`` inputs
    ``x ~ N(0, I)`` (rows) and one output gradient ``g ~ N(0, I)`` per input.
    The last layer is linear, as in the lecture. In row layout the passes are
    ``z = x @ W.T`` and ``dx_prev = (dx * (z > 0)) @ W``.
    """
    dims = check_widths("widths", widths)
    mode = check_choice("mode", mode, MODES)
    n_networks = check_int("n_networks", n_networks, minimum=2)
    batch = check_int("batch", batch, minimum=1)
    gen = as_generator(seed, "seed")
    depth = len(dims) - 1
    forward = np.empty((n_networks, depth))
    backward = np.empty((n_networks, depth + 1))
    for n in range(n_networks):
        weights = draw_weights(dims, init=_INIT_OF_MODE[mode], rng=gen)
        x = gen.standard_normal((batch, dims[0]))
        zs = []
        for h, w in enumerate(weights):
            z = x @ w.T
            forward[n, h] = np.mean(z * z)
            zs.append(z)
            x = np.maximum(z, 0.0)
        dx = gen.standard_normal((batch, dims[-1]))
        backward[n, depth] = np.mean(dx * dx)
        for h in range(depth - 1, -1, -1):
            dz = dx if h == depth - 1 else dx * (zs[h] > 0)
            dx = dz @ weights[h]
            backward[n, h] = np.mean(dx * dx)
    return PassSamples(tuple(dims), mode, forward, backward)
