"""The network behind the explorer, run by the library's own forward and backward loops.

The explorer shows one random network of square layers (``width`` units,
weights ``(fan_out, fan_in)``) with ``Var(W) = multiplier * 2 / width``. It is
``simulate_forward(depth, width, init="kaiming", seed=seed, ...)``: the weights
come from the per-layer streams of :class:`~kaiming_lab.streams.NetworkStreams`
and pass through :func:`kaiming_lab.propagation`'s loops. What makes a move cheap:

* **Depths nest.** A run is extended layer by layer as deeper views ask for
  it, so one run per setting serves every depth.
* **A variance move is a rescale.** For a positively homogeneous activation
  (ReLU, leaky ReLU, linear) and no bias, scaling every weight by ``sqrt(m)``
  scales ``z^(h)`` by ``m^((h+1)/2)`` and ``dL/dx^(h)`` of a ``depth``-layer
  view by ``m^((depth-h)/2)``. The stored run at ``m = 1`` is rescaled; this
  keeps the variance move within its target (30 ms of kernel CPU).
* **A small cache, owned by the model.** A model keeps its last network and
  three runs of it; they go with the model.
* **Drawing ahead.** Weights not kept are drawn a few layers ahead in one
  worker thread the model owns (:mod:`.network`), for the target "other
  controls, browser p90 <= 400 ms". ``close()`` (or ``with``) shuts it down;
  so does dropping the model.
"""

from __future__ import annotations

import math
import weakref
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from .._blas import one_blas_thread
from .._validation import check_bool, check_int
from ..propagation import PropagationResult, simulate_forward
from ..variance import predicted_gradient_variances, predicted_variances
from .network import HIST_BINS, HIST_LIMIT, Network, Run
from .state import BACKWARD_SAMPLES, DEPTH_RANGE, ExplorerState
from .verdict import Verdict, _assess, _network_range

__all__ = ["ExplorerModel", "ExplorerView", "histogram_layers", "simulate_state"]

#: Networks and runs a model keeps (least recently used out first): with
#: :data:`KEEP_BYTES` this holds a kernel within its 300 MB target.
NETWORKS_KEPT, RUNS_KEPT = 1, 3
_DEEPEST = DEPTH_RANGE[1]
_FLOAT_MAX = float(np.finfo(float).max)


def simulate_state(
    state: ExplorerState, *, depth: int | None = None, backward: bool = False
) -> PropagationResult:
    """:func:`~kaiming_lab.propagation.simulate_forward` with ``state``'s settings.

    ``variance_factor = 2 * multiplier / sigma_w^2(kaiming)``: the explorer's
    multiplier is of ``2 / fan_in``, ``simulate_forward``'s factor of the
    initialiser's own variance (``2 / ((1 + a^2) fan_in)`` for a leaky ReLU).
    """
    if not isinstance(state, ExplorerState):
        raise TypeError(f"state must be an ExplorerState, got {type(state).__name__}")
    depth = state.depth if depth is None else check_int("depth", depth, maximum=_DEEPEST)
    return simulate_forward(
        depth,
        state.width,
        activation=state.activation,
        slope=state.slope,
        variance_factor=state.multiplier * (1.0 + (state.get_activation().slope or 0.0) ** 2),
        bias_variance=state.bias_variance,
        batch=state.batch,
        seed=state.seed,
        backward=check_bool("backward", backward),
    )


def histogram_layers(depth: int) -> tuple[int, int, int]:
    """Layers shown as histograms: first, middle and last (``0, depth // 2, depth - 1``)."""
    depth = check_int("depth", depth, maximum=_DEEPEST)
    return 0, depth // 2, depth - 1


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
    ``hist_layers[i]`` over ``hist_edges``, as a density over *all* entries
    (it integrates to ``1 - zero_fraction``). ``assessment`` is the
    :class:`~kaiming_lab.explorer.verdict.Verdict`, its words included.
    """

    state: ExplorerState
    rms_z: np.ndarray
    theory_std: np.ndarray
    forward_band: np.ndarray
    mean_sq_grad: np.ndarray
    grad_theory: np.ndarray
    backward_band: np.ndarray
    hist_layers: tuple[int, int, int]
    hist_edges: np.ndarray
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

    @property
    def layers(self) -> np.ndarray:
        """``0 .. depth - 1``."""
        return np.arange(self.state.depth)


class ExplorerModel:
    """Turns an :class:`ExplorerState` into an :class:`ExplorerView` (:meth:`compute`).

    Keeps its last :data:`NETWORKS_KEPT` networks and :data:`RUNS_KEPT` runs;
    nothing is shared between models, and all of it goes with the model.
    """

    def __init__(self) -> None:
        self._networks: OrderedDict[tuple, Network] = OrderedDict()
        self._runs: OrderedDict[tuple, Run] = OrderedDict()
        # one thread, started at the first draw, shut down by close() or when the model goes
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="kaiming-draw")
        self._finalizer = weakref.finalize(self, self._pool.shutdown, wait=False)

    def __repr__(self) -> str:
        return f"ExplorerModel(networks={len(self._networks)}, runs={len(self._runs)})"

    def __enter__(self) -> ExplorerModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the drawing thread and drop the cache (a later :meth:`compute` starts again)."""
        self._finalizer()
        self._networks.clear()
        self._runs.clear()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="kaiming-draw")
        self._finalizer = weakref.finalize(self, self._pool.shutdown, wait=False)

    @staticmethod
    def rescalable(state: ExplorerState) -> bool:
        """True when a variance change is an exact rescaling (homogeneous activation, no bias)."""
        return state.get_activation().homogeneous and state.bias_variance == 0.0

    def _run(self, state: ExplorerState) -> Run:
        net_key = (state.seed, state.width, state.batch)
        if net_key not in self._networks:
            if len(self._networks) == NETWORKS_KEPT:  # drop the oldest, and its runs
                old = self._networks.popitem(last=False)[1]
                for key in [k for k, r in self._runs.items() if r.net is old]:
                    del self._runs[key]
            self._networks[net_key] = Network(*net_key, self._pool)
        self._networks.move_to_end(net_key)
        act = state.get_activation()
        sigma_w2 = 2.0 if self.rescalable(state) else state.sigma_w2
        key = (*net_key, act.name, act.slope, sigma_w2, state.bias_variance)
        if key not in self._runs:
            if len(self._runs) == RUNS_KEPT:
                self._runs.popitem(last=False)
            self._runs[key] = Run(self._networks[net_key], act, sigma_w2, state.bias_variance)
        self._runs.move_to_end(key)
        self._runs[key].extend(state.depth)
        return self._runs[key]

    def compute(self, state: ExplorerState) -> ExplorerView:
        """Statistics, theory, bands, histograms and verdict for ``state``."""
        state = _check_state(state)
        with one_blas_thread():
            return self._compute(state)

    def _compute(self, state: ExplorerState) -> ExplorerView:
        run = self._run(state)
        depth, act = state.depth, state.get_activation()
        scale = state.multiplier if self.rescalable(state) else 1.0
        overflow = run.overflow_layer
        shown = (0, depth // 2, depth - 1)
        with np.errstate(all="ignore"):
            mean_sq_z = run.mean_sq_z[:depth] * scale ** (np.arange(depth) + 1.0)
            bad = ~(mean_sq_z <= _FLOAT_MAX / 4)  # z^2 beyond float64, or would be once rescaled
            if np.any(bad):
                overflow = min(int(np.argmax(bad)), _DEEPEST if overflow is None else overflow)
            if overflow is not None and overflow < depth:
                mean_sq_z[overflow:] = np.nan
            else:
                overflow = None
            rms_z = np.sqrt(mean_sq_z)
            grad = run.gradient(depth) * scale ** (depth - np.arange(depth + 1.0))
            grad[~np.isfinite(grad)] = np.nan
            hist_rms = run.rms[list(shown)] * np.sqrt(scale ** (np.asarray(shown) + 1.0))
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
        grad_theory = predicted_gradient_variances(
            [state.width] * (depth + 1),
            sigma_w2=state.sigma_w2,
            activation=act,
            forward_variances=theory_var,
            output_gradient_variance=grad[depth] if math.isfinite(grad[depth]) else 1.0,
        )
        lo, hi = _network_range(np.arange(depth + 1), state.width, state.activation)
        with np.errstate(all="ignore"):
            theory_std = np.sqrt(theory_var)
            bands = (
                np.array([theory_std * lo[:depth], theory_std * hi[:depth]]),
                # widening from the output back to the input; squared, for a mean square
                np.array([grad_theory * lo[::-1] ** 2, grad_theory * hi[::-1] ** 2]),
            )
        edges = np.linspace(-HIST_LIMIT, HIST_LIMIT, HIST_BINS + 1)
        density = run.hist[list(shown)] / (BACKWARD_SAMPLES * state.width * (edges[1] - edges[0]))
        if overflow is not None:
            dead = np.asarray(shown) >= overflow
            density[dead], hist_rms[dead] = 0.0, np.nan
        return ExplorerView(
            state=state,
            rms_z=rms_z,
            theory_std=theory_std,
            forward_band=bands[0],
            mean_sq_grad=grad,
            grad_theory=grad_theory,
            backward_band=bands[1],
            hist_layers=shown,
            hist_edges=edges,
            hist_density=density,
            hist_rms=hist_rms,
            hist_zero_fraction=run.zeros[list(shown)],
            assessment=_assess(
                rms_z,
                state.width,
                theory_std,
                grad,
                grad_theory,
                overflow,
                underflow,
                state.activation,
            ),
            input_second_moment=run.input_second_moment,
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
