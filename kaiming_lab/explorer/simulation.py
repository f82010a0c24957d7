"""The cached simulation behind the explorer: one network per ``(seed, width)``, rescaled.

The explorer shows one random, fully connected network of square layers
(every layer ``width`` units wide, weights ``(fan_out, fan_in)``) and how the
size of its pre-activations ``z^(h)`` changes with depth ``h``. The weight
variance is a *multiplier* of Kaiming's ``2 / fan_in``::

    Var(W^(h)_ij) = multiplier * 2 / width,   so   sigma_w^2 = fan_in Var(W) = 2 * multiplier.

Why a slider move is cheap
--------------------------
* The standard normal matrices ``G^(h)`` behind the weights come from the
  per-layer streams :func:`~kaiming_lab.propagation.simulate_forward` uses
  (:class:`~kaiming_lab.streams.NetworkStreams`), so the explorer's network
  *is* ``simulate_forward(depth, ..., init="kaiming", seed=seed)``
  (``W^(h) = sqrt(2 m / width) G^(h)``), and only the layers shown are drawn:
  a deeper view draws the extra layers, a new seed or width the shown ones.
* For a positively homogeneous activation (ReLU, leaky ReLU, linear) and no
  bias, scaling every weight by ``sqrt(m)`` scales ``z^(h)`` by ``m^((h+1)/2)``;
  going backwards, ``dL/dx^(h)`` of a ``depth``-layer net scales by
  ``m^((depth-h)/2)``. The explorer simulates once at ``m = 1`` and rescales:
  exact up to rounding, no re-simulation.
* Everything else (tanh, or a bias) is simulated at the requested settings.
* Weight matrices that are not kept are drawn a few layers ahead in two
  worker threads (:data:`DRAW_AHEAD`, :data:`DRAW_THREADS`) while the main
  thread multiplies, and the products scale ``x @ G.T`` by the weights' std
  instead of scaling ``G`` (no weight-sized temporary per layer).

Memory is budgeted in bytes (:attr:`ExplorerModel.cache_bytes`): the weights
``G^(h)`` are kept only while they fit in that budget; otherwise each is drawn
again from its stream (exactly the same numbers).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field

import numpy as np

from .._blas import one_blas_thread
from ..propagation import PropagationResult, simulate_forward, weight_variance_scale
from ..streams import NetworkStreams
from ..variance import predicted_gradient_variances, predicted_variances
from .state import BACKWARD_SAMPLES, MAX_DEPTH, ExplorerState, check_int
from .verdict import Verdict, assess

__all__ = [
    "CACHE_BYTES",
    "HIST_BINS",
    "HIST_LIMIT",
    "ExplorerModel",
    "ExplorerView",
    "activation_histogram",
    "gradient_rng",
    "histogram_layers",
    "simulate_multiplier",
    "simulate_state",
]

#: Histogram bins over ``[-HIST_LIMIT, HIST_LIMIT]`` in units of ``rms(x)``.
HIST_BINS = 40
HIST_LIMIT = 4.0
#: Default memory budget of a model's caches (weights, inputs, stored pre-activations).
CACHE_BYTES = 64 * 2**20

_FLOAT_MAX = float(np.finfo(float).max)
#: Weight matrices drawn ahead of the layer being computed, and the threads drawing them.
DRAW_AHEAD = 3
DRAW_THREADS = 2
_POOL: ThreadPoolExecutor | None = None


def _draw_pool() -> ThreadPoolExecutor:
    """The worker threads that draw weight matrices ahead (made on first use, not at import)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(DRAW_THREADS, thread_name_prefix="kaiming-draw")
    return _POOL


def simulate_multiplier(state: ExplorerState) -> float:
    """The ``multiplier`` to pass to ``simulate_forward(init="kaiming", ...)`` for ``state``.

    ``simulate_forward`` multiplies the *Kaiming* variance (``2 / (1 + a^2)``
    over ``fan_in`` for a leaky ReLU) while the explorer multiplies ``2 / fan_in``.
    """
    act = state.get_activation()
    return 2.0 * state.multiplier / weight_variance_scale("kaiming", 1, 1, act)


def simulate_state(
    state: ExplorerState, *, depth: int | None = None, backward: bool = False
) -> PropagationResult:
    """A fresh :func:`~kaiming_lab.propagation.simulate_forward` run with ``state``'s settings.

    ``depth`` defaults to ``state.depth``; the explorer's view of ``state`` is
    this network, which (depths nest) is also the first ``state.depth`` layers
    of ``simulate_state(state, depth=100)``.
    """
    if not isinstance(state, ExplorerState):
        raise TypeError(f"state must be an ExplorerState, got {type(state).__name__}")
    depth = state.depth if depth is None else check_int("depth", depth, 1, MAX_DEPTH)
    if not isinstance(backward, bool):
        raise TypeError(f"backward must be True or False, got {backward!r}")
    return simulate_forward(
        depth,
        state.width,
        activation=state.activation,
        slope=state.slope,
        init="kaiming",
        multiplier=simulate_multiplier(state),
        bias_variance=state.bias_variance,
        batch=state.batch,
        seed=state.seed,
        backward=backward,
    )


def gradient_rng(seed: int, depth: int) -> np.random.Generator:
    """The generator whose ``standard_normal`` gives the output gradient of a ``depth``-layer view.

    Pass it as ``rng`` to :func:`~kaiming_lab.propagation.propagate` (with
    ``backward=True`` and the first :data:`BACKWARD_SAMPLES` inputs) to reproduce
    the explorer's gradient second moments.
    """
    seed = check_int("seed", seed, 0, 2**63 - 1)
    depth = check_int("depth", depth, 1, MAX_DEPTH)
    return np.random.default_rng([seed, depth])


def activation_histogram(
    x: np.ndarray, *, bins: int = HIST_BINS, limit: float = HIST_LIMIT
) -> tuple[np.ndarray, float, float]:
    """Histogram of the non-zero entries of ``x`` in units of ``rms(x) = sqrt(mean(x^2))``.

    Returns ``(counts, rms, zero_fraction)``. ``counts`` has ``bins`` entries
    over ``[-limit, limit]``; values beyond are counted in the end bins. Exact
    zeros (ReLU's dead units) are left out and reported as ``zero_fraction``.
    Because of the division by ``rms``, ``c * x`` has the same counts for any
    ``c > 0``. An all-zero or non-finite ``x`` gives zero counts.
    """
    x = np.asarray(x, dtype=float)
    counts = np.zeros(bins, dtype=np.int64)
    if x.size == 0:
        return counts, 0.0, 0.0
    with np.errstate(all="ignore"):
        rms = float(np.sqrt(np.mean(x * x)))
    zeros = int(np.count_nonzero(x == 0.0))
    zero_fraction = zeros / x.size
    if not (math.isfinite(rms) and rms > 0.0):
        return counts, rms, zero_fraction
    scale = bins / (2.0 * limit * rms)
    idx = np.floor(x.ravel() * scale + bins / 2.0)
    np.clip(idx, 0, bins - 1, out=idx)
    counts = np.bincount(idx.astype(np.intp), minlength=bins)
    counts[bins // 2] -= zeros  # zeros land in the bin that starts at 0
    return counts, rms, zero_fraction


def histogram_layers(depth: int) -> tuple[int, int, int]:
    """Layers shown as histograms: first, middle and last (``0, depth // 2, depth - 1``)."""
    depth = check_int("depth", depth, 1, MAX_DEPTH)
    return 0, depth // 2, depth - 1


class _Network:
    """The standard normal draws of one ``(seed, width, batch)``, as in ``simulate_forward``.

    Each ``G^(h)`` comes from its own stream
    (:meth:`~kaiming_lab.streams.NetworkStreams.weights`), so it is drawn
    only when a view first needs layer ``h``, and drawn again, identically,
    when it was not kept. The first ``keep`` matrices are kept once drawn.
    """

    def __init__(self, seed: int, width: int, batch: int, keep: int) -> None:
        self.streams = NetworkStreams(seed)
        self.width, self.batch = width, batch
        self.keep = keep
        self._kept: list[np.ndarray] = []
        self.x = self.streams.inputs().standard_normal((batch, width))
        self._biases: list[np.ndarray] | None = None

    @property
    def nbytes(self) -> int:
        kept = sum(g.nbytes for g in self._kept)
        extra = 0 if self._biases is None else MAX_DEPTH * self.width * 8
        return kept + self.x.nbytes + extra

    def _draw(self, h: int, out: np.ndarray) -> np.ndarray:
        return self.streams.weights(h).standard_normal(out=out)

    def gaussians(self, layers: Sequence[int]) -> Iterator[np.ndarray]:
        """``G^(h)`` for ``h`` in ``layers``, in that order: kept, or drawn from its stream.

        A matrix drawn when it is the next one to keep (and there is room) is kept.

        Matrices not kept are drawn up to :data:`DRAW_AHEAD` layers ahead in
        worker threads (numpy releases the GIL while it draws), so drawing
        the next layers overlaps the caller's matrix products. Each layer has
        its own stream, so the numbers do not depend on who draws them or when.
        """
        layers = list(layers)
        pending: dict[int, Future] = {}

        def schedule(i: int) -> None:
            if i < len(layers) and layers[i] >= len(self._kept):
                # allocated here, filled by a worker: the memory stays in the main thread's heap
                out = np.empty((self.width, self.width))
                pending[i] = _draw_pool().submit(self._draw, layers[i], out)

        for i in range(DRAW_AHEAD):
            schedule(i)
        try:
            for i, h in enumerate(layers):
                schedule(i + DRAW_AHEAD)
                g = pending.pop(i).result() if i in pending else self._kept[h]
                if h == len(self._kept) < self.keep:
                    self._kept.append(g)
                yield g
        finally:
            for future in pending.values():
                future.cancel()

    def bias_draws(self) -> list[np.ndarray]:
        """Standard normal biases ``b^(h) / sqrt(bias_variance)``, ``h = 0 .. MAX_DEPTH - 1``."""
        if self._biases is None:
            self._biases = [
                self.streams.biases(h).standard_normal(self.width) for h in range(MAX_DEPTH)
            ]
        return self._biases


class _Run:
    """Forward statistics of one network at one ``sigma_w^2``, extended layer by layer.

    Keeps per layer: ``mean(z^2)`` over the whole batch; the histogram of
    ``x / rms(x)`` over the first :data:`BACKWARD_SAMPLES` inputs; and what the
    backward pass needs of those inputs' ``z``: its sign (one byte an entry)
    when ``phi'`` depends on the sign alone (ReLU, leaky ReLU, linear), else
    ``z`` itself.
    """

    def __init__(self, net: _Network, act, sigma_w2: float, bias_variance: float) -> None:
        self.net, self.act = net, act
        self.std_w = math.sqrt(sigma_w2 / net.width)
        self.biases = None
        if bias_variance > 0.0:
            self.biases = [math.sqrt(bias_variance) * b for b in net.bias_draws()]
        x = net.x
        self.input_second_moment = float(np.mean(x * x))
        self.x = x
        self.done = 0
        self.mean_sq_z = np.full(MAX_DEPTH, np.nan)
        self.hist = np.zeros((MAX_DEPTH, HIST_BINS), dtype=np.int64)
        self.rms = np.zeros(MAX_DEPTH)
        self.zeros = np.ones(MAX_DEPTH)
        self.z_rows: list[np.ndarray] = []
        self.overflow_layer: int | None = None
        self.underflow_layer: int | None = None
        self._grads: dict[int, np.ndarray] = {}

    @property
    def nbytes(self) -> int:
        return sum(z.nbytes for z in self.z_rows) + self.x.nbytes + self.hist.nbytes

    @property
    def finished(self) -> bool:
        return self.overflow_layer is not None or (
            self.underflow_layer is not None and self.biases is None
        )

    def extend(self, depth: int) -> None:
        """Simulate layers ``done .. depth - 1``: ``propagate``'s steps, up to rounding.

        The weights' std multiplies ``x @ G.T`` rather than ``G`` (the same
        numbers up to rounding, without a weight-sized temporary per layer).
        """
        nb = BACKWARD_SAMPLES
        if self.finished or self.done >= depth:
            return
        layers = range(self.done, depth)
        with np.errstate(all="ignore"), closing(self.net.gaussians(layers)) as gaussians:
            for h, g in zip(layers, gaussians, strict=True):
                z = self.x @ g.T
                z *= self.std_w  # cheaper than scaling the weights; equal up to rounding
                if self.biases is not None:
                    z = z + self.biases[h]
                if not np.all(np.isfinite(z)):
                    self.overflow_layer = h
                    break
                self.x = self.act.forward(z)
                self.mean_sq_z[h] = np.mean(z * z)
                rows = z[:nb]
                self.hist[h], self.rms[h], self.zeros[h] = activation_histogram(self.x[:nb])
                self.z_rows.append(
                    np.sign(rows).astype(np.int8) if self.act.homogeneous else rows.copy()
                )
                self.done = h + 1
                if self.underflow_layer is None and not np.any(self.x):
                    self.underflow_layer = h
                    if self.biases is None:  # every later z is exactly 0
                        self.mean_sq_z[h + 1 :] = 0.0
                        self.done = MAX_DEPTH
                        break

    def derivative(self, h: int) -> np.ndarray:
        """``phi'(z^(h))`` of the first :data:`BACKWARD_SAMPLES` inputs (``phi'(0)`` once dead)."""
        if h < len(self.z_rows):
            return self.act.derivative(self.z_rows[h].astype(float))
        return self.act.derivative(np.zeros((BACKWARD_SAMPLES, self.net.width)))

    def gradient(self, depth: int, seed: int) -> np.ndarray:
        """Second moment of ``dL/dx^(h)``, ``h = 0 .. depth``, for the first ``depth`` layers.

        Same steps as ``propagate(..., backward=True)``; ``nan`` where the
        forward pass overflowed or the gradient is no longer finite.
        """
        if depth in self._grads:
            return self._grads[depth]
        out = np.full(depth + 1, np.nan)
        if self.overflow_layer is None or self.overflow_layer >= depth:
            dx = gradient_rng(seed, depth).standard_normal((BACKWARD_SAMPLES, self.net.width))
            layers = range(depth - 1, -1, -1)
            with np.errstate(all="ignore"), closing(self.net.gaussians(layers)) as gaussians:
                out[depth] = np.mean(dx * dx)
                for h, g in zip(layers, gaussians, strict=True):
                    dx = (dx * self.derivative(h)) @ g
                    dx *= self.std_w
                    if not np.all(np.isfinite(dx)):
                        break
                    out[h] = np.mean(dx * dx)
        self._grads[depth] = out
        return out


@dataclass(frozen=True)
class ExplorerView:
    """Everything the explorer shows for one :class:`ExplorerState`.

    Per layer ``h = 0 .. depth - 1``: ``rms_z`` (this network, ``sqrt(mean z^2)``
    over the batch; 0 after all activations died, ``nan`` after overflow) and
    ``theory_std`` (the square root of
    :func:`~kaiming_lab.variance.predicted_variances`). Per ``h = 0 .. depth``:
    ``grad_var`` (mean square of ``dL/dx^(h)`` over :data:`BACKWARD_SAMPLES`
    inputs) and ``grad_theory``. ``hist_density[i]`` is the histogram of
    ``x^(h+1) / rms`` at layer ``hist_layers[i]`` over ``hist_edges`` (first
    :data:`BACKWARD_SAMPLES` inputs), as a density over *all* entries (so it
    integrates to ``1 - zero_fraction``). ``assessment`` is the
    :class:`~kaiming_lab.explorer.verdict.Verdict`.
    """

    state: ExplorerState
    rms_z: np.ndarray
    theory_std: np.ndarray
    grad_var: np.ndarray
    grad_theory: np.ndarray
    hist_layers: tuple[int, int, int]
    hist_edges: np.ndarray
    hist_density: np.ndarray
    hist_rms: np.ndarray
    hist_zero_fraction: np.ndarray
    assessment: Verdict
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

    @property
    def layers(self) -> np.ndarray:
        """``0 .. depth - 1``."""
        return np.arange(self.state.depth)

    @property
    def growth(self) -> float:
        """``rms(z)`` of the last layer over layer 0's (this network)."""
        with np.errstate(all="ignore"):
            return float(self.rms_z[-1] / self.rms_z[0])


class ExplorerModel:
    """Cached simulations behind the explorer; :meth:`compute` turns a state into a view.

    ``cache_bytes`` bounds what is kept between calls (weights, inputs, stored
    pre-activations), least recently used first out; the network in use is
    always kept. Of a network's 100 weight matrices the first ones are kept:
    as many as the deepest view so far needed, and at most 7/8 of the budget
    (all 100 up to width 256 with the default :data:`CACHE_BYTES`, the first
    28 at width 512). The others are drawn again from their streams
    when needed, which gives the same numbers.

    Models made without ``cache_bytes`` share one cache per process (the app
    and a notebook's own model then hold one copy of a network, not two);
    passing ``cache_bytes`` gives a private cache of that size.
    """

    _shared: tuple[OrderedDict, OrderedDict] | None = None

    def __init__(self, *, cache_bytes: int | None = None) -> None:
        if cache_bytes is None:
            if ExplorerModel._shared is None:
                ExplorerModel._shared = (OrderedDict(), OrderedDict())
            self.cache_bytes = CACHE_BYTES
            self._networks, self._runs = ExplorerModel._shared
        else:
            self.cache_bytes = check_int("cache_bytes", cache_bytes, 2**20, 2**40)
            self._networks: OrderedDict[tuple, _Network] = OrderedDict()
            self._runs: OrderedDict[tuple, _Run] = OrderedDict()

    def __repr__(self) -> str:
        return (
            f"ExplorerModel(networks={len(self._networks)}, runs={len(self._runs)}, "
            f"cached={self.nbytes / 2**20:.1f} MiB of {self.cache_bytes / 2**20:.0f} MiB)"
        )

    @property
    def nbytes(self) -> int:
        """Bytes held by the cached networks and runs."""
        return sum(n.nbytes for n in self._networks.values()) + sum(
            r.nbytes for r in self._runs.values()
        )

    def _trim(self, keep_net: tuple, keep_run: tuple | None = None, room: int = 0) -> None:
        """Drop the least recently used runs, then networks, until ``room`` more bytes fit."""
        for key in list(self._runs):
            if self.nbytes + room <= self.cache_bytes:
                return
            if key != keep_run:
                del self._runs[key]
        for key in list(self._networks):
            if self.nbytes + room <= self.cache_bytes:
                return
            if key != keep_net:
                net = self._networks.pop(key)
                for run_key in [k for k, r in self._runs.items() if r.net is net]:
                    del self._runs[run_key]

    @staticmethod
    def rescalable(state: ExplorerState) -> bool:
        """True when a variance change is an exact rescaling (homogeneous activation, no bias)."""
        return state.get_activation().homogeneous and state.bias_variance == 0.0

    def _run(self, state: ExplorerState) -> _Run:
        act = state.get_activation()
        net_key = (state.seed, state.width, state.batch)
        net = self._networks.get(net_key)
        if net is None:
            layer = 8 * state.width**2
            keep = min(MAX_DEPTH, self.cache_bytes * 7 // 8 // layer)
            # make room first, so old and new never sit in memory together
            room = min(keep, state.depth) * layer + 8 * state.batch * state.width
            self._trim(net_key, room=room)
            net = self._networks[net_key] = _Network(*net_key, keep=keep)
        self._networks.move_to_end(net_key)
        sigma_w2 = 2.0 if self.rescalable(state) else state.sigma_w2
        key = (*net_key, act.name, act.slope, sigma_w2, state.bias_variance)
        run = self._runs.get(key)
        if run is None:
            self._trim(net_key, room=8 * BACKWARD_SAMPLES * state.width * state.depth)
            run = self._runs[key] = _Run(net, act, sigma_w2, state.bias_variance)
        self._runs.move_to_end(key)
        run.extend(state.depth)
        self._trim(net_key, key)
        return run

    def network(
        self, state: ExplorerState
    ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray] | None]:
        """``(x, weights, biases)`` of the network ``state`` shows (first ``depth`` layers).

        These are the arrays ``simulate_forward(depth=MAX_DEPTH, width=state.width,
        activation=..., init="kaiming", multiplier=simulate_multiplier(state),
        bias_variance=..., batch=..., seed=...)`` draws, up to rounding.
        """
        state = _check_state(state)
        with one_blas_thread():
            run = self._run(state)
        std = math.sqrt(state.sigma_w2 / state.width)
        weights = [std * g for g in run.net.gaussians(range(state.depth))]
        biases = None
        if state.bias_variance > 0.0:
            std_b = math.sqrt(state.bias_variance)
            biases = [std_b * b for b in run.net.bias_draws()[: state.depth]]
        return run.net.x, weights, biases

    def compute(self, state: ExplorerState) -> ExplorerView:
        """Statistics, theory, histograms and verdict for ``state``."""
        state = _check_state(state)
        with one_blas_thread():
            return self._compute(state)

    def _compute(self, state: ExplorerState) -> ExplorerView:
        run = self._run(state)
        depth, act = state.depth, state.get_activation()
        layers = np.arange(depth)
        scale = state.multiplier if self.rescalable(state) else 1.0
        overflow = run.overflow_layer
        with np.errstate(all="ignore"):
            mean_sq_z = run.mean_sq_z[:depth] * scale ** (layers + 1.0)
            # z^2 beyond float64 (mean(z^2) is inf, or would be after a rescaling)
            bad = ~(mean_sq_z <= _FLOAT_MAX / 4)
            if np.any(bad):
                first = int(np.argmax(bad))
                overflow = first if overflow is None else min(overflow, first)
            if overflow is not None and overflow < depth:
                mean_sq_z[overflow:] = np.nan
            else:
                overflow = None
            rms_z = np.sqrt(mean_sq_z)
            grad = run.gradient(depth, state.seed) * scale ** (depth - np.arange(depth + 1.0))
            grad[~np.isfinite(grad)] = np.nan
        underflow = run.underflow_layer
        if underflow is not None and underflow >= depth:
            underflow = None

        theory_var = predicted_variances(
            depth,
            sigma_w2=state.sigma_w2,
            sigma_b2=state.bias_variance,
            activation=act,
            input_second_moment=run.input_second_moment,
        )
        out_var = grad[depth] if math.isfinite(grad[depth]) else 1.0
        grad_theory = predicted_gradient_variances(
            [state.width] * (depth + 1),
            sigma_w2=state.sigma_w2,
            activation=act,
            forward_variances=theory_var,
            output_gradient_variance=out_var,
        )
        with np.errstate(all="ignore"):
            theory_std = np.sqrt(theory_var)

        shown = histogram_layers(depth)
        edges = np.linspace(-HIST_LIMIT, HIST_LIMIT, HIST_BINS + 1)
        density = np.zeros((3, HIST_BINS))
        rms, zero_fraction = np.zeros(3), np.zeros(3)
        entries = BACKWARD_SAMPLES * state.width
        for i, h in enumerate(shown):
            rms[i], zero_fraction[i] = run.rms[h], run.zeros[h]
            density[i] = run.hist[h] / (entries * (edges[1] - edges[0]))
        with np.errstate(all="ignore"):
            rms *= np.sqrt(scale ** (np.asarray(shown) + 1.0))
        if overflow is not None:
            dead = np.asarray(shown) >= overflow
            density[dead] = 0.0
            rms[dead] = np.nan
        assessment = assess(
            rms_z,
            width=state.width,
            theory_std=theory_std,
            grad_var=grad,
            grad_theory=grad_theory,
            overflow_layer=overflow,
            underflow_layer=underflow,
            activation=state.activation,
        )
        return ExplorerView(
            state=state,
            rms_z=rms_z,
            theory_std=theory_std,
            grad_var=grad,
            grad_theory=grad_theory,
            hist_layers=shown,
            hist_edges=edges,
            hist_density=density,
            hist_rms=rms,
            hist_zero_fraction=zero_fraction,
            assessment=assessment,
            overflow_layer=overflow,
            underflow_layer=underflow,
            rescaled=scale != 1.0,
        )


def _check_state(state: object) -> ExplorerState:
    if not isinstance(state, ExplorerState):
        raise TypeError(
            f"state must be an ExplorerState (e.g. ExplorerState(depth=50)), "
            f"got {state!r} of type {type(state).__name__}"
        )
    return state
