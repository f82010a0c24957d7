"""Simulate a random fully connected network and record per-layer statistics.

The network is the lecture's: ``x^(0) = x``, ``z^(h) = W^(h) x^(h) + b^(h)``,
``x^(h+1) = phi(z^(h))`` for ``h = 0 .. H-1``, with ``W^(h)`` of shape
``(d_{h+1}, d_h)`` = ``(fan_out, fan_in)``. A batch of inputs is stored as
rows, so the code computes ``Z = X @ W.T``. The activation is applied after
every layer, the last one included, so that every layer has an ``x`` to
measure (the lecture's ``f`` has a linear last layer; its ``z`` statistics
are the same).

Weights are drawn by a named initialiser and then multiplied by
``sqrt(variance_factor)``, so ``variance_factor`` scales the weight *variance*:
``variance_factor = 1`` with ``init="kaiming"`` is ``Var(W) = 2 / d_h``.

Statistics are taken over all units and all inputs of a layer; they estimate
expectations over the random weights and inputs (a single draw fluctuates
around them, more for narrow layers).

Extreme settings never raise: the first layer whose ``z`` is not finite is
``overflow_layer``, the first whose ``x`` is all zero is ``underflow_layer``,
and later layers' statistics are ``nan`` (after overflow) or ``0`` (after
underflow with no bias). No floating-point warnings escape.

Sizes are checked before anything is allocated: ``depth`` is at most
:data:`MAX_DEPTH`, and a request whose weights, activations and per-layer
records would need more than the memory budget (2 GiB by default; pass
``memory_budget=<bytes>``) raises ``ValueError`` naming ``depth``, ``width``
(or ``widths``) and ``batch``. The simulation runs BLAS on one thread, so its
results are bit-identical whatever the machine's thread setting.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ._blas import one_blas_thread
from ._validation import (
    MAX_DEPTH,
    as_generator,
    check_array,
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_memory,
)
from .activations import Activation, activation_argument
from .streams import NetworkStreams
from .weight_draws import (
    _ARRAY_OVERHEAD,
    INITS,
    _describe_sizes,
    _draw_layers,
    _sigma_w2,
    _weight_bytes,
    draw_weights,
    resolve_widths,
    weight_variance_scale,
)

__all__ = [
    "INITS",
    "MAX_DEPTH",
    "PropagationResult",
    "draw_weights",
    "propagate",
    "resolve_widths",
    "simulate_forward",
    "weight_variance_scale",
]


def _pass_bytes(widths: Sequence[int], batch: int, backward: bool) -> float:
    """Memory of one pass: a few ``(batch, d)`` work arrays, the records, and the stored ``z``."""
    work = 6.0 * 8.0 * batch * max(widths)
    records = 8.0 * 8.0 * len(widths)
    stored = 8.0 * batch * sum(widths[1:]) + _ARRAY_OVERHEAD * len(widths) if backward else 0.0
    return work + records + stored


@dataclass(frozen=True)
class PropagationResult:
    """Per-layer statistics of one simulated forward (and optional backward) pass.

    Arrays indexed by ``h = 0 .. H-1`` describe ``z^(h)`` and ``x^(h+1)``:
    ``mean_sq_z`` (the uncentred second moment: the mean of ``z^2`` over units
    and inputs, *not* a variance of this network's values; it estimates
    ``Var(z)`` over random networks because ``E[z] = 0`` there for zero-mean
    weights; it reads ``inf`` once ``|z|`` passes about 1e154, where its square
    no longer fits a float64), ``rms_z`` (the root mean square of ``z``,
    computed so that it stays finite as long as ``z`` is), ``mean_x`` and
    ``second_moment_x`` (``E[x^2]``), ``zero_fraction`` (share of ``x`` exactly
    0), ``max_abs_z``. ``mean_sq_grad`` (length ``H + 1``, index ``h`` is
    ``dL/dx^(h)``) is present when the backward pass was run.
    """

    widths: tuple[int, ...]
    activation: str
    sigma_w2: np.ndarray
    bias_variance: float
    input_second_moment: float
    mean_sq_z: np.ndarray
    rms_z: np.ndarray
    mean_x: np.ndarray
    second_moment_x: np.ndarray
    zero_fraction: np.ndarray
    max_abs_z: np.ndarray
    overflow_layer: int | None = None
    underflow_layer: int | None = None
    mean_sq_grad: np.ndarray | None = field(default=None, repr=False)

    @property
    def depth(self) -> int:
        """Number of weight layers ``H``."""
        return len(self.widths) - 1

    @property
    def status(self) -> str:
        """``"overflow"``, ``"underflow"`` or ``"finite"``."""
        if self.overflow_layer is not None:
            return "overflow"
        if self.underflow_layer is not None:
            return "underflow"
        return "finite"

    def describe(self) -> str:
        """One sentence saying whether values stayed finite and non-zero."""
        if self.overflow_layer is not None:
            return (
                f"overflow: z is no longer finite from layer {self.overflow_layer} on "
                f"(float64 tops out near 1.8e308)"
            )
        if self.underflow_layer is not None:
            return f"underflow: every activation is exactly 0 from layer {self.underflow_layer} on"
        return f"finite: all {self.depth} layers hold finite, non-zero activations"

    def table(self, every: int = 1, digits: int = 3) -> str:
        """A plain-text table of the statistics, one row every ``every`` layers."""
        every = check_int("every", every, minimum=1)
        digits = check_int("digits", digits, minimum=1, maximum=17)
        head = f"{'layer':>5}  {'E[z^2]':>10}  {'mean(x)':>10}  {'E[x^2]':>10}  {'zeros':>6}"
        rows = [head]
        layers = sorted({*range(0, self.depth, every), self.depth - 1})
        for h in layers:
            rows.append(
                f"{h:>5}  {self.mean_sq_z[h]:>10.{digits}g}  {self.mean_x[h]:>10.{digits}g}  "
                f"{self.second_moment_x[h]:>10.{digits}g}  {self.zero_fraction[h]:>6.1%}"
            )
        return "\n".join(rows)


def _check_weights(weights: object, x_width: int) -> tuple[list[np.ndarray], list[int]]:
    """The weight matrices as float arrays, and the widths ``[d_0, .., d_H]`` they imply."""
    if (
        isinstance(weights, np.ndarray)
        or not isinstance(weights, Sequence)
        or isinstance(weights, (str, bytes))
    ):
        raise TypeError(
            "weights must be a list of 2-D arrays W^(h) of shape (fan_out, fan_in), "
            f"got {type(weights).__name__}"
        )
    if len(weights) < 1:
        raise ValueError("weights must hold at least one matrix, got an empty sequence")
    widths = [x_width]
    checked = []
    for h, w in enumerate(weights):
        hint = f" of shape (fan_out, {widths[-1]})"
        w = check_array(f"weights[{h}]", w, ndim=2, shape_hint=hint, finite=True)
        if w.shape[1] != widths[-1] or w.shape[0] < 1:
            source = "x has" if h == 0 else f"weights[{h - 1}] gives"
            raise ValueError(
                f"weights[{h}] must have shape (fan_out, {widths[-1]}), got {w.shape}: "
                f"{source} {widths[-1]} columns"
            )
        checked.append(w)
        widths.append(w.shape[0])
    return checked, widths


def _check_biases(biases: object, widths: Sequence[int]) -> list[np.ndarray] | None:
    """``None``, or one finite vector of length ``d_{h+1}`` per layer."""
    if biases is None:
        return None
    depth = len(widths) - 1
    if (
        isinstance(biases, np.ndarray)
        or not isinstance(biases, Sequence)
        or isinstance(biases, (str, bytes))
    ):
        raise TypeError(
            f"biases must be None or a list of {depth} 1-D arrays, got {type(biases).__name__}"
        )
    if len(biases) != depth:
        raise ValueError(f"biases must hold {depth} vectors (one per layer), got {len(biases)}")
    out = []
    for h, b in enumerate(biases):
        b = check_array(f"biases[{h}]", b, ndim=1, shape_hint=f" of shape ({widths[h + 1]},)")
        if b.shape != (widths[h + 1],):
            raise ValueError(f"biases[{h}] must have shape ({widths[h + 1]},), got {b.shape}")
        out.append(b)
    return out


def _check_sigma_w2(sigma_w2: object, depth: int) -> np.ndarray:
    if sigma_w2 is None:
        return np.full(depth, np.nan)
    if isinstance(sigma_w2, (str, bytes, bool, np.bool_)):
        raise TypeError(f"sigma_w2 must be None or {depth} real numbers, got {sigma_w2!r}")
    arr = check_array("sigma_w2", sigma_w2, ndim=(0, 1))
    if arr.ndim == 1 and arr.shape != (depth,):
        raise ValueError(f"sigma_w2 must hold one value per layer ({depth}), got {arr.shape}")
    if np.any(arr < 0):
        raise ValueError(f"sigma_w2 must be >= 0 for every layer, got {sigma_w2!r}")
    return np.broadcast_to(arr, (depth,)).copy()


def propagate(
    x: np.ndarray,
    weights: Sequence[np.ndarray],
    *,
    activation: str | Activation = "relu",
    biases: Sequence[np.ndarray] | None = None,
    backward: bool = False,
    rng: np.random.Generator | int | None = None,
    sigma_w2: Sequence[float] | None = None,
    bias_variance: float = 0.0,
    memory_budget: int | None = None,
) -> PropagationResult:
    """Push a batch ``x`` (rows are inputs) through ``weights`` and collect statistics.

    ``x`` is a finite ``(batch, d_0)`` array; ``weights[h]`` a finite
    ``(d_{h+1}, d_h)`` array; ``biases`` ``None`` or one length-``d_{h+1}``
    vector per layer. With ``backward=True`` a gradient ``g ~ N(0, 1)`` is
    placed on the last layer's output and sent back: ``dz = dx * phi'(z)``,
    ``dx_prev = dz @ W``; ``mean_sq_grad[h]`` is the pooled second moment of
    ``dL/dx^(h)`` (its mean is 0). ``sigma_w2`` and ``bias_variance`` are
    recorded for the theory, not used.
    """
    act = activation_argument(activation)
    x = check_array("x", x, ndim=2, shape_hint=" of shape (batch, d_0)")
    if x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"x must have at least one row and one column, got shape {x.shape}")
    weights, widths = _check_weights(weights, x.shape[1])
    depth = len(weights)
    biases = _check_biases(biases, widths)
    backward = check_bool("backward", backward)
    gen = as_generator(rng)
    scale = _check_sigma_w2(sigma_w2, depth)
    bias_variance = check_float("bias_variance", bias_variance, minimum=0.0)
    check_memory(
        _describe_sizes(widths, x.shape[0]),
        _pass_bytes(widths, x.shape[0], backward),
        memory_budget,
    )
    with one_blas_thread():
        return _propagate(x, weights, act, biases, backward, gen, scale, bias_variance, widths)


def _propagate(x, weights, act, biases, backward, gen, scale, bias_variance, widths, on_layer=None):
    """:func:`propagate` after its argument checks (the loop every simulation here runs).

    ``weights`` (and ``biases``) may be any sequence that yields the matrices
    in order. ``on_layer(h, z, x)``, if given, sees each layer's ``z^(h)`` and
    ``x^(h+1)`` as they are computed (the explorer keeps what it draws from them).
    """
    depth = len(weights)
    nan = np.full(depth, np.nan)
    mean_sq_z, rms_z, mean_x, m2_x, zeros, max_z = (nan.copy() for _ in range(6))
    overflow = underflow = None
    zs: list[np.ndarray] = []
    with np.errstate(all="ignore"):
        input_m2 = float(np.mean(x * x))
        for h, w in enumerate(weights):
            z = x @ w.T
            if biases is not None:
                z = z + biases[h]
            if not np.all(np.isfinite(z)):
                overflow = h
                break
            x = act.forward(z)
            mean_sq_z[h] = np.mean(z * z)
            max_z[h] = np.abs(z).max()
            rms_z[h] = _root_mean_square(z, max_z[h])
            mean_x[h] = x.mean()
            m2_x[h] = np.mean(x * x)
            zeros[h] = np.mean(x == 0.0)
            if on_layer is not None:
                on_layer(h, z, x)
            if backward:
                zs.append(z)
            if underflow is None and not np.any(x):
                underflow = h
                if biases is None:
                    for stat in (mean_sq_z, rms_z, mean_x, m2_x, max_z):
                        stat[h + 1 :] = 0.0
                    zeros[h + 1 :] = 1.0
                    break

        mean_sq_grad = None
        if backward:
            mean_sq_grad = _backward(zs, weights, act, depth, x.shape[0], gen)

    return PropagationResult(
        widths=tuple(widths),
        activation=act.name,
        sigma_w2=scale,
        bias_variance=float(bias_variance),
        input_second_moment=input_m2,
        mean_sq_z=mean_sq_z,
        rms_z=rms_z,
        mean_x=mean_x,
        second_moment_x=m2_x,
        zero_fraction=zeros,
        max_abs_z=max_z,
        overflow_layer=overflow,
        underflow_layer=underflow,
        mean_sq_grad=mean_sq_grad,
    )


def _root_mean_square(z: np.ndarray, largest: float) -> float:
    """``sqrt(mean(z^2))`` without squaring huge values: scale by ``max |z|`` first."""
    if largest == 0.0:
        return 0.0
    scaled = z / largest
    return float(largest * np.sqrt(np.mean(scaled * scaled)))


def _backward(
    zs, weights, act: Activation, depth: int, batch: int, gen: np.random.Generator
) -> np.ndarray:
    """Second moment of ``dL/dx^(h)`` for ``h = 0 .. H`` (``nan`` where it cannot be formed).

    ``zs[h]`` only enters through ``act.derivative``, so for an activation
    whose derivative depends on the sign alone ``numpy.sign(z)`` will do.
    """
    mean_sq_grad = np.full(depth + 1, np.nan)
    if len(zs) < depth:  # the forward pass overflowed; there is no gradient to send back
        return mean_sq_grad
    dx = gen.standard_normal((batch, weights[-1].shape[0]))
    mean_sq_grad[depth] = np.mean(dx * dx)
    for h in range(depth - 1, -1, -1):
        dx = (dx * act.derivative(zs[h])) @ weights[h]
        if not np.all(np.isfinite(dx)):
            break
        mean_sq_grad[h] = np.mean(dx * dx)
    return mean_sq_grad


def simulate_forward(
    depth: int,
    width: int | None = 256,
    *,
    widths: Sequence[int] | None = None,
    activation: str | Activation = "relu",
    slope: float = 0.01,
    init: str = "kaiming",
    variance_factor: float = 1.0,
    bias_variance: float = 0.0,
    batch: int = 256,
    seed: int | np.random.Generator | None = 0,
    backward: bool = False,
    x: np.ndarray | None = None,
    memory_budget: int | None = None,
) -> PropagationResult:
    """Simulate one random ``depth``-layer network on a batch of inputs.

    Weights: ``init`` (see :data:`INITS`) scaled so that
    ``Var(W^(h)) = variance_factor * sigma_w^2(init) / d_h``. Biases:
    ``b ~ N(0, bias_variance)``, or exactly 0 when ``bias_variance = 0``.
    Inputs: ``x ~ N(0, I)`` of shape ``(batch, d_0)`` unless ``x`` is given.
    An integer ``seed`` gives each part of the network its own random stream
    (:class:`~kaiming_lab.streams.NetworkStreams`: one per layer's weights,
    one per layer's biases, one for the inputs, one for the backward pass's
    output gradient). So with the same seed and width a shallower network is
    the first layers of a deeper one (same weights, same inputs), and two
    normal initialisers (``kaiming`` and ``xavier``, say) see the same inputs
    and the same weights up to one scale factor per layer: for a positively
    homogeneous activation they are the same network, rescaled. A
    ``Generator`` passed as ``seed`` is one stream, drawn in the order weights
    (layer by layer), biases, inputs, output gradient, as a loop by hand with
    one ``rng`` would draw them; it advances.

    ``depth`` is at most :data:`MAX_DEPTH`; requests needing more memory than
    ``memory_budget`` bytes (2 GiB by default) are refused before allocating.
    BLAS runs on one thread, so results are bit-identical on every setting.
    """
    act = activation_argument(activation, slope=slope)
    dims = resolve_widths(depth, width, widths)
    depth = len(dims) - 1
    variance_factor = check_float("variance_factor", variance_factor, minimum=0.0)
    bias_variance = check_float("bias_variance", bias_variance, minimum=0.0)
    batch = check_int("batch", batch, minimum=1)
    init = check_choice("init", init, INITS)
    backward = check_bool("backward", backward)
    streams = NetworkStreams(seed)
    if x is not None:
        x = check_array("x", x, ndim=2, shape_hint=f" of shape (batch, {dims[0]})")
        if x.shape[1] != dims[0] or x.shape[0] < 1:
            raise ValueError(f"x must have shape (batch, {dims[0]}), got {x.shape}")
        batch = x.shape[0]
    biases_bytes = 8.0 * sum(dims[1:]) + _ARRAY_OVERHEAD * depth if bias_variance > 0 else 0.0
    check_memory(
        _describe_sizes(dims, batch),
        _weight_bytes(dims) + biases_bytes + _pass_bytes(dims, batch, backward),
        memory_budget,
    )

    with one_blas_thread():
        return _simulate(
            dims,
            act,
            init,
            variance_factor,
            bias_variance,
            batch,
            backward,
            x,
            streams,
            memory_budget,
        )


def _simulate(
    dims, act, init, variance_factor, bias_variance, batch, backward, x, streams, memory_budget=None
) -> PropagationResult:
    """:func:`simulate_forward` after its argument checks."""
    weights = _draw_layers(dims, init, act, streams, variance_factor, memory_budget)
    biases = None
    if bias_variance > 0.0:
        std_b = math.sqrt(bias_variance)
        biases = [std_b * streams.biases(h).standard_normal(d) for h, d in enumerate(dims[1:])]
    if x is None:
        x = streams.inputs().standard_normal((batch, dims[0]))
    pairs = itertools.pairwise(dims)
    sigma_w2 = variance_factor * np.array([_sigma_w2(init, a, b, act) for a, b in pairs])
    gen = streams.output_gradient()
    return _propagate(x, weights, act, biases, backward, gen, sigma_w2, bias_variance, dims)
