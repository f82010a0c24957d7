"""The network behind the explorer, run by the library's own forward and backward loops.

The explorer shows one random network of square layers (``width`` units,
weights ``(fan_out, fan_in)``) with ``Var(W) = multiplier * 2 / width``: the one
``simulate_forward(depth, width, init="kaiming", seed=seed, ...)`` draws, with
``W^(h) = sqrt(sigma_w^2 / width) G^(h)`` and ``G^(h)`` standard normal from the
per-layer streams of :class:`~kaiming_lab.streams.NetworkStreams`, pushed through
:mod:`kaiming_lab.propagation`'s loops. What makes a move cheap:

* **Depths nest.** A run is extended layer by layer as deeper views ask for
  it, so one run per setting serves every depth.
* **A variance move is a rescale.** For a positively homogeneous activation
  (ReLU, leaky ReLU, linear) and no bias, scaling every weight by ``sqrt(m)``
  scales ``z^(h)`` by ``m^((h+1)/2)`` and ``dL/dx^(h)`` of a ``depth``-layer
  view by ``m^((depth-h)/2)``, so the run at ``m = 1`` is rescaled.
* **A small cache, owned by the model.** A model keeps its last network (the
  first ``G^(h)``, up to :data:`KEEP_BYTES`; the others are drawn again) and
  :data:`RUNS_KEPT` runs of it. They go with the model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .._blas import one_blas_thread
from ..propagation import PropagationResult, _backward, _propagate, simulate_forward
from ..streams import NetworkStreams
from ..variance import predicted_gradient_variances, predicted_variances
from .state import BACKWARD_SAMPLES, RANGES, ExplorerState, check_state
from .verdict import Verdict, assess, network_range

#: Histogram bins over ``[-HIST_LIMIT, HIST_LIMIT]`` in units of ``rms(x)``, and their edges.
HIST_BINS, HIST_LIMIT = 40, 4.0
HIST_EDGES = np.linspace(-HIST_LIMIT, HIST_LIMIT, HIST_BINS + 1)
#: Bytes of standard normal weights a network keeps, and runs a model keeps: a kernel
#: stays within its 300 MB target.
KEEP_BYTES, RUNS_KEPT = 56 * 2**20, 3
_DEEPEST = RANGES["depth"][1]
_FLOAT_MAX = float(np.finfo(float).max)


def simulate_state(
    state: ExplorerState, *, depth: int | None = None, backward: bool = False
) -> PropagationResult:
    """:func:`~kaiming_lab.propagation.simulate_forward` with ``state``'s settings.

    ``variance_factor = 2 * multiplier / sigma_w^2(kaiming)``: the explorer's
    multiplier is of ``2 / fan_in``, ``simulate_forward``'s factor of the
    initialiser's own variance (``2 / ((1 + a^2) fan_in)`` for a leaky ReLU).
    """
    state = check_state(state)
    return simulate_forward(
        state.depth if depth is None else depth,
        state.width,
        activation=state.activation,
        slope=state.slope,
        variance_factor=state.multiplier * (1.0 + (state.get_activation().slope or 0.0) ** 2),
        bias_variance=state.bias_variance,
        batch=state.batch,
        seed=state.seed,
        backward=backward,
    )


def activation_histogram(x: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Histogram of the non-zero entries of ``x`` in units of ``rms(x) = sqrt(mean(x^2))``.

    Returns ``(counts, rms, zero_fraction)``: :data:`HIST_BINS` counts over
    ``[-HIST_LIMIT, HIST_LIMIT]``, values beyond in the end bins, exact zeros (dead
    ReLU units) left out and reported as ``zero_fraction``. ``c x`` has the same
    counts for any ``c > 0``.
    """
    counts = np.zeros(HIST_BINS, dtype=np.int64)
    with np.errstate(all="ignore"):
        rms = float(np.sqrt(np.mean(x * x)))
    zeros = int(np.count_nonzero(x == 0.0))
    if not (math.isfinite(rms) and rms > 0.0):
        return counts, rms, zeros / x.size
    idx = np.floor(x.ravel() * (HIST_BINS / (2.0 * HIST_LIMIT * rms)) + HIST_BINS / 2.0)
    counts = np.bincount(np.clip(idx, 0, HIST_BINS - 1).astype(np.intp), minlength=HIST_BINS)
    counts[HIST_BINS // 2] -= zeros  # zeros land in the bin that starts at 0
    return counts, rms, zeros / x.size


class Network:
    """Inputs and standard normal weights ``G^(h)`` of one ``(seed, width, batch)``."""

    def __init__(self, seed: int, width: int, batch: int) -> None:
        self.key, self.streams, self.width = (seed, width, batch), NetworkStreams(seed), width
        self.x = self.streams.inputs().standard_normal((batch, width))
        self.input_second_moment = float(np.mean(self.x * self.x))
        self.keep = KEEP_BYTES // (8 * width * width)
        self.kept: list[np.ndarray] = []

    def gaussian(self, h: int) -> np.ndarray:
        """``G^(h)``: kept if drawn before and within :data:`KEEP_BYTES`, else drawn now."""
        if h < len(self.kept):
            return self.kept[h]
        g = self.streams.weights(h).standard_normal((self.width, self.width))
        if h == len(self.kept) < self.keep:
            self.kept.append(g)
        return g


class LayerWeights(Sequence):
    """``W^(h) = std G^(h)``, ``h`` in ``range(start, stop)``, made as the loops reach them."""

    def __init__(self, net: Network, start: int, stop: int, std: float) -> None:
        self.net, self.start, self.stop, self.std = net, start, stop, std

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, i: int) -> np.ndarray:
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        return self.std * self.net.gaussian(self.start + i % len(self))


class Run:
    """One network at one ``sigma_w^2``: forward statistics per layer, extended on demand.

    Per layer it keeps ``mean(z^2)`` over the batch, the histogram of
    ``x^(h+1)`` over the first :data:`BACKWARD_SAMPLES` inputs and what the
    backward loop needs of their ``z``: its sign (one byte an entry) when
    ``phi'`` depends on the sign alone, else ``z`` itself.
    """

    def __init__(self, net: Network, act, sigma_w2: float, bias_variance: float) -> None:
        self.net, self.act, self.std = net, act, math.sqrt(sigma_w2 / net.width)
        self.bias_std = math.sqrt(bias_variance)
        self.mean_sq_z, self.rms = np.full(_DEEPEST, np.nan), np.full(_DEEPEST, np.nan)
        self.hist, self.zeros = np.zeros((_DEEPEST, HIST_BINS)), np.zeros(_DEEPEST)
        self.zs: list[np.ndarray] = []
        self.grads: dict[int, np.ndarray] = {}
        self.x, self.done = net.x, 0
        self.overflow_layer: int | None = None
        self.underflow_layer: int | None = None

    def _record(self, h: int, z: np.ndarray, x: np.ndarray) -> None:
        rows, h = z[:BACKWARD_SAMPLES], self.done + h
        self.zs.append(np.sign(rows).astype(np.int8) if self.act.homogeneous else rows.copy())
        self.hist[h], self.rms[h], self.zeros[h] = activation_histogram(x[:BACKWARD_SAMPLES])
        self.x = x

    def extend(self, depth: int) -> None:
        """Run the forward loop from the last layer computed down to layer ``depth - 1``."""
        if self.done >= depth:
            return
        start, width, bias = self.done, self.net.width, self.bias_std
        biases = None
        if bias > 0.0:
            streams = self.net.streams
            biases = [bias * streams.biases(h).standard_normal(width) for h in range(start, depth)]
        layers = LayerWeights(self.net, start, depth, self.std)
        nan = np.full(depth - start, np.nan)
        widths = [width] * (depth - start + 1)
        res = _propagate(
            self.x, layers, self.act, biases, False, None, nan, bias, widths, self._record
        )
        self.mean_sq_z[start:depth], self.done = res.mean_sq_z, depth
        if res.overflow_layer is not None:
            self.overflow_layer, self.done = start + res.overflow_layer, _DEEPEST
        if res.underflow_layer is not None and self.underflow_layer is None:
            self.underflow_layer = start + res.underflow_layer
        if self.underflow_layer is not None and biases is None:  # every later z is exactly 0
            self.mean_sq_z[self.underflow_layer + 1 :] = 0.0
            self.rms[self.underflow_layer + 1 :], self.zeros[self.underflow_layer + 1 :] = 0, 1
            self.done = _DEEPEST

    def gradient(self, depth: int) -> np.ndarray:
        """Mean square of ``dL/dx^(h)``, ``h = 0 .. depth``, by the library's backward loop.

        Over the first :data:`BACKWARD_SAMPLES` inputs, the output gradient drawn
        from the network's output-gradient stream (its first rows, as
        ``simulate_forward(..., backward=True)`` draws them).
        """
        if depth not in self.grads:
            zs = self.zs[:depth]
            if self.overflow_layer is not None and self.overflow_layer < depth:
                zs = []  # the forward pass overflowed: no gradient to send back
            elif len(zs) < depth:  # all units dead: phi'(0) from there on
                zs = zs + [np.zeros_like(self.zs[0])] * (depth - len(zs))
            gen = self.net.streams.output_gradient()
            layers = LayerWeights(self.net, 0, depth, self.std)
            with np.errstate(all="ignore"):
                self.grads[depth] = _backward(zs, layers, self.act, depth, BACKWARD_SAMPLES, gen)
        return self.grads[depth]


@dataclass(frozen=True)
class ExplorerView:
    """Everything the explorer shows for one :class:`ExplorerState`, ready to draw.

    Per layer ``h = 0 .. depth - 1``: ``rms_z`` (this network's ``sqrt(mean z^2)``;
    0 after every unit died, ``nan`` after overflow), ``theory_std`` (the square
    root of :func:`~kaiming_lab.variance.predicted_variances`) and
    ``forward_band`` (rows ``lo, hi``: where networks like it land). Per
    ``h = 0 .. depth``: ``mean_sq_grad`` (mean square of ``dL/dx^(h)`` over
    :data:`BACKWARD_SAMPLES` inputs), ``grad_theory`` and ``backward_band``.
    ``hist_density[i]`` is the histogram of ``x^(h+1) / rms`` at layer
    ``hist_layers[i]`` (first, middle, last) over :data:`HIST_EDGES`, as a density
    over *all* entries (it integrates to ``1 - zero_fraction``). ``assessment``
    is the :class:`~kaiming_lab.explorer.verdict.Verdict`, its words included.
    """

    state: ExplorerState
    rms_z: np.ndarray
    theory_std: np.ndarray
    forward_band: np.ndarray
    mean_sq_grad: np.ndarray
    grad_theory: np.ndarray
    backward_band: np.ndarray
    hist_layers: tuple[int, int, int]
    hist_density: np.ndarray
    hist_rms: np.ndarray
    hist_zero_fraction: np.ndarray
    assessment: Verdict
    input_second_moment: float
    overflow_layer: int | None = None
    underflow_layer: int | None = None
    rescaled: bool = field(default=False, compare=False)

    @property
    def status(self) -> str:
        """``"exploding"``, ``"vanishing"`` or ``"stable"``: what the theory predicts."""
        return self.assessment.status

    @property
    def verdict(self) -> str:
        """The verdict in words: the theory's prediction, then this network's measurement."""
        return self.assessment.text


class ExplorerModel:
    """Turns an :class:`ExplorerState` into an :class:`ExplorerView` (:meth:`compute`).

    Keeps its last network and :data:`RUNS_KEPT` runs of it, the latest used
    last; nothing is shared between models, and all of it goes with the model.
    """

    def __init__(self) -> None:
        self._net: Network | None = None
        self._runs: dict[tuple, Run] = {}

    def _run(self, state: ExplorerState) -> Run:
        if self._net is None or self._net.key != (state.seed, state.width, state.batch):
            self._net, self._runs = None, {}  # drop the old network before drawing the new one
            self._net = Network(state.seed, state.width, state.batch)
        act, sigma_w2 = state.get_activation(), 2.0 if state.rescalable else state.sigma_w2
        key = (act.name, act.slope, sigma_w2, state.bias_variance)
        run = self._runs.pop(key, None) or Run(self._net, act, sigma_w2, state.bias_variance)
        self._runs[key] = run
        if len(self._runs) > RUNS_KEPT:
            del self._runs[next(iter(self._runs))]
        run.extend(state.depth)
        return run

    def compute(self, state: ExplorerState) -> ExplorerView:
        """Statistics, theory, bands, histograms and verdict for ``state``."""
        state = check_state(state)
        depth, act = state.depth, state.get_activation()
        with one_blas_thread():
            run = self._run(state)
            grad = run.gradient(depth).copy()
        scale = state.multiplier if state.rescalable else 1.0
        shown = (0, depth // 2, depth - 1)
        rows = np.array(shown)
        with np.errstate(all="ignore"):
            mean_sq_z = run.mean_sq_z[:depth] * scale ** (np.arange(depth) + 1.0)
            grad *= scale ** (depth - np.arange(depth + 1.0))
            hist_rms = run.rms[rows] * np.sqrt(scale ** (rows + 1.0))
        grad[~np.isfinite(grad)] = np.nan
        bad = np.flatnonzero(~(mean_sq_z <= _FLOAT_MAX / 4))  # beyond float64, or once rescaled
        overflow = int(bad[0]) if bad.size else None
        if overflow is not None:
            mean_sq_z[overflow:] = np.nan
        underflow = run.underflow_layer
        if underflow is not None and underflow >= depth:
            underflow = None
        theory_var = predicted_variances(
            depth,
            sigma_w2=state.sigma_w2,
            sigma_b2=state.bias_variance,
            activation=act,
            input_second_moment=run.net.input_second_moment,
        )
        grad_theory = predicted_gradient_variances(
            [state.width] * (depth + 1),
            sigma_w2=state.sigma_w2,
            activation=act,
            forward_variances=theory_var,
            output_gradient_variance=grad[depth] if math.isfinite(grad[depth]) else 1.0,
        )
        lo, hi = network_range(np.arange(depth + 1), state.width, state.activation)
        rms_z, theory_std = np.sqrt(mean_sq_z), np.sqrt(theory_var)
        with np.errstate(all="ignore"):  # backward: widening from the output back, squared
            forward_band = np.array([theory_std * lo[:depth], theory_std * hi[:depth]])
            backward_band = np.array([grad_theory * lo[::-1] ** 2, grad_theory * hi[::-1] ** 2])
        density = run.hist[rows] / (BACKWARD_SAMPLES * state.width * (2 * HIST_LIMIT / HIST_BINS))
        if overflow is not None:
            density[rows >= overflow], hist_rms[rows >= overflow] = 0.0, np.nan
        verdict = assess(
            rms_z, state.width, theory_std, grad, grad_theory, overflow, underflow, state.activation
        )
        return ExplorerView(
            state=state,
            rms_z=rms_z,
            theory_std=theory_std,
            forward_band=forward_band,
            mean_sq_grad=grad,
            grad_theory=grad_theory,
            backward_band=backward_band,
            hist_layers=shown,
            hist_density=density,
            hist_rms=hist_rms,
            hist_zero_fraction=run.zeros[rows],
            assessment=verdict,
            input_second_moment=run.net.input_second_moment,
            overflow_layer=overflow,
            underflow_layer=underflow,
            rescaled=scale != 1.0,
        )
