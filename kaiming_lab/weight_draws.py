"""Weight matrices of a random fully connected network, drawn by a named initialiser.

``W^(h)`` has shape ``(d_{h+1}, d_h)`` = ``(fan_out, fan_in)``. :data:`INITS`
names the initialisers the simulator knows; :func:`weight_variance_scale`
gives each one's ``sigma_w^2 = fan_in Var(W)``, the number the theory uses.
:func:`draw_weights` draws all layers from one generator;
:func:`~kaiming_lab.propagation.simulate_forward` draws each layer from its
own stream (:class:`~kaiming_lab.streams.NetworkStreams`), so that
depths nest. Requests beyond the memory budget
(2 GiB by default) are refused with ``ValueError`` before anything is drawn.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np

from . import initializers as init_mod
from ._validation import (
    MAX_DEPTH,
    as_generator,
    check_choice,
    check_int,
    check_memory,
    check_widths,
)
from .activations import Activation, activation_argument
from .streams import NetworkStreams

__all__ = ["INITS", "draw_weights", "resolve_widths", "weight_variance_scale"]

#: Bytes a numpy array object takes besides its data (header, shape, strides, list slot).
_ARRAY_OVERHEAD = 160


def _kaiming(shape, rng, activation: Activation, memory_budget: int | None = None):
    return init_mod.kaiming_normal(
        shape, a=activation.slope or 0.0, rng=rng, memory_budget=memory_budget
    )


def _kaiming_uniform(shape, rng, activation: Activation, memory_budget: int | None = None):
    return init_mod.kaiming_uniform(
        shape, a=activation.slope or 0.0, rng=rng, memory_budget=memory_budget
    )


def _kaiming_fan_out(shape, rng, activation: Activation, memory_budget: int | None = None):
    return init_mod.kaiming_normal(
        shape, a=activation.slope or 0.0, mode="fan_out", rng=rng, memory_budget=memory_budget
    )


def _xavier(shape, rng, activation: Activation, memory_budget: int | None = None):
    return init_mod.xavier_normal(shape, rng=rng, memory_budget=memory_budget)


def _xavier_uniform(shape, rng, activation: Activation, memory_budget: int | None = None):
    return init_mod.xavier_uniform(shape, rng=rng, memory_budget=memory_budget)


def _pytorch_default(shape, rng, activation: Activation, memory_budget: int | None = None):
    return init_mod.pytorch_linear_default(shape, rng=rng, memory_budget=memory_budget)


#: Named initialisers for the simulator, each called as
#: ``draw(shape, rng, activation, memory_budget=None)``. ``kaiming`` uses the
#: activation's own slope for a leaky ReLU (``a = slope``) and ``a = 0`` otherwise.
INITS: dict[str, Callable[..., np.ndarray]] = {
    "kaiming": _kaiming,
    "kaiming_uniform": _kaiming_uniform,
    "kaiming_fan_out": _kaiming_fan_out,
    "xavier": _xavier,
    "xavier_uniform": _xavier_uniform,
    "pytorch_default": _pytorch_default,
}


def weight_variance_scale(
    init: str, fan_in: int, fan_out: int, activation: str | Activation
) -> float:
    """``fan_in * Var(W)`` of a named initialiser: the ``sigma_w^2`` of the theory.

    kaiming: ``2 / (1 + a^2)``; kaiming_fan_out: that times ``fan_in / fan_out``;
    xavier: ``2 fan_in / (fan_in + fan_out)``; pytorch_default: ``1/3``.
    """
    init = check_choice("init", init, INITS)
    fan_in = check_int("fan_in", fan_in, minimum=1)
    fan_out = check_int("fan_out", fan_out, minimum=1)
    return _sigma_w2(init, fan_in, fan_out, activation_argument(activation))


def _sigma_w2(init: str, fan_in: int, fan_out: int, act: Activation) -> float:
    """:func:`weight_variance_scale` after its argument checks."""
    kaiming = 2.0 / (1.0 + (act.slope or 0.0) ** 2)
    if init in ("kaiming", "kaiming_uniform"):
        return kaiming
    if init == "kaiming_fan_out":
        return kaiming * fan_in / fan_out
    if init in ("xavier", "xavier_uniform"):
        return 2.0 * fan_in / (fan_in + fan_out)
    return 1.0 / 3.0


def resolve_widths(depth: int, width: int | None, widths: Sequence[int] | None) -> list[int]:
    """Return ``[d_0, d_1, ..., d_H]`` from ``depth`` and either ``width`` or ``widths``.

    ``widths`` (length ``depth + 1``) wins when given; otherwise every layer,
    the input included, has ``width`` units. ``depth`` is at most :data:`MAX_DEPTH`.
    """
    depth = check_int("depth", depth, minimum=1, maximum=MAX_DEPTH)
    if widths is None:
        if width is None:
            raise TypeError("give either width (an int) or widths (a sequence of depth + 1 ints)")
        return [check_int("width", width, minimum=1)] * (depth + 1)
    dims = check_widths("widths", widths)
    if len(dims) != depth + 1:
        raise ValueError(
            f"widths must have depth + 1 = {depth + 1} entries (d_0 .. d_H), got {len(dims)}"
        )
    return dims


def _weight_bytes(widths: Sequence[int]) -> float:
    """Memory of the weight matrices ``(d_{h+1}, d_h)``, headers included."""
    pairs = itertools.pairwise(widths)
    return float(sum(8.0 * a * b + _ARRAY_OVERHEAD for a, b in pairs))


def _describe_sizes(
    widths: Sequence[int], batch: int | None = None, *, as_widths: bool = False
) -> str:
    depth = len(widths) - 1
    if len(set(widths)) == 1 and not as_widths:
        sizes = f"depth={depth}, width={widths[0]}"
    else:
        shown = list(widths) if len(widths) <= 8 else [*widths[:3], "...", *widths[-2:]]
        sizes = f"depth={depth}, widths={shown}"
    return sizes if batch is None else f"{sizes}, batch={batch}"


def draw_weights(
    widths: Sequence[int],
    *,
    init: str = "kaiming",
    activation: str | Activation = "relu",
    rng: np.random.Generator | int | None = None,
    memory_budget: int | None = None,
) -> list[np.ndarray]:
    """Draw ``W^(0) .. W^(H-1)`` with shapes ``(widths[h+1], widths[h])``.

    ``widths`` needs at least two entries (``d_0`` and ``d_1``). A request whose
    matrices exceed the memory budget (2 GiB by default) raises ``ValueError``
    before anything is drawn.
    """
    dims = check_widths("widths", widths)
    act = activation_argument(activation)
    init = check_choice("init", init, INITS)
    gen = as_generator(rng)
    check_memory(_describe_sizes(dims, as_widths=True), _weight_bytes(dims), memory_budget)
    return _draw(dims, init, act, gen, memory_budget)


def _draw(dims, init, act, gen, memory_budget) -> list[np.ndarray]:
    draw = INITS[init]
    return [draw((dims[h + 1], dims[h]), gen, act, memory_budget) for h in range(len(dims) - 1)]


def _draw_layers(
    dims: Sequence[int],
    init: str,
    act: Activation,
    streams: NetworkStreams,
    variance_factor: float = 1.0,
    memory_budget: int | None = None,
) -> list[np.ndarray]:
    """``W^(h)`` for ``h = 0 .. H-1``, each from ``streams.weights(h)``, variance times a factor.

    ``Var(W^(h)) = variance_factor * sigma_w^2(init) / d_h``. Arguments are
    taken as checked (the callers check them once).
    """
    draw = INITS[init]
    weights = [
        draw((dims[h + 1], dims[h]), streams.weights(h), act, memory_budget)
        for h in range(len(dims) - 1)
    ]
    factor = math.sqrt(variance_factor)
    if factor != 1.0:
        for w in weights:
            w *= factor
    return weights
