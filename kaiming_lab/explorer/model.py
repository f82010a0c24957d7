"""The update logic and the figure behind the interactive explorer (notebook 06).

The explorer shows one random, fully connected network of square layers
(every layer ``width`` units wide, weights ``(fan_out, fan_in)``) and how the
size of its pre-activations ``z^(h)`` changes with depth ``h``. Its controls
are the fields of :class:`ExplorerState`; the weight variance is given as a
*multiplier* of Kaiming's ``2 / fan_in``::

    Var(W^(h)_ij) = multiplier * 2 / width,   so   sigma_w^2 = fan_in Var(W) = 2 * multiplier.

Why a slider move is cheap
--------------------------
* The standard normal matrices ``G^(0..99)`` behind the weights are drawn once
  per ``(seed, width)``, in the same order as :func:`~kaiming_lab.propagation.simulate_forward`
  draws them, so the explorer's network *is* ``simulate_forward(depth=100, ...,
  init="kaiming", seed=seed)`` (``W^(h) = sqrt(2 m / width) G^(h)``); a smaller
  depth is the first ``depth`` layers of that network.
* For a positively homogeneous activation (ReLU, leaky ReLU, linear) and no
  bias, scaling every weight by ``sqrt(m)`` scales ``z^(0)`` by ``m^(1/2)`` and
  then each further layer by another ``m^(1/2)``, so ``z^(h)`` scales by
  ``m^((h+1)/2)`` and ``Var(z^(h))`` by ``m^(h+1)``; going backwards,
  ``dL/dx^(h)`` of a ``depth``-layer net scales by ``m^((depth-h)/2)``
  (``phi'`` only sees the sign of ``z``). The explorer therefore simulates once
  at ``m = 1`` and rescales: exact up to rounding, no re-simulation.
* Histograms are taken of ``x / rms(x)``, which does not change under that
  rescaling, and are computed once per layer.
* Everything else (tanh, or a bias) is simulated at the requested settings
  and kept in a small least-recently-used cache.

:class:`ExplorerFigure` draws a :class:`ExplorerView` with artists created once
and updated in place. Nothing here touches global state (no pyplot, no rcParams).
"""

from __future__ import annotations

import io
import math
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, MaxNLocator, NullLocator
from PIL import Image

from .._blas import one_blas_thread
from .._validation import check_choice, check_float, check_int
from ..activations import Activation, get_activation
from ..propagation import PropagationResult, simulate_forward, weight_variance_scale
from ..theory import predicted_gradient_variances, predicted_variances

__all__ = [
    "ACTIVATION_CHOICES",
    "BACKWARD_SAMPLES",
    "HIST_BINS",
    "HIST_LIMIT",
    "MAX_DEPTH",
    "MULTIPLIER_RANGE",
    "PRESETS",
    "WIDTH_CHOICES",
    "ExplorerFigure",
    "ExplorerModel",
    "ExplorerState",
    "ExplorerView",
    "activation_histogram",
    "gradient_rng",
    "histogram_layers",
    "noise_band",
    "preset_multiplier",
    "simulate_multiplier",
    "simulate_state",
    "verdict",
]

#: Deepest network the explorer shows; every depth is a slice of this one.
MAX_DEPTH = 100
#: Layer widths offered by the width control.
WIDTH_CHOICES: tuple[int, ...] = (2, 4, 8, 16, 32, 64, 128, 256, 512)
#: Activations offered by the activation control.
ACTIVATION_CHOICES: tuple[str, ...] = ("relu", "leaky_relu", "tanh", "linear")
#: Range of the weight-variance multiplier (relative to ``2 / fan_in``).
MULTIPLIER_RANGE = (0.1, 10.0)
#: Initialiser presets; ``custom`` leaves the multiplier where it is.
PRESETS: tuple[str, ...] = ("kaiming", "xavier", "pytorch_default", "custom")
#: Histogram bins over ``[-HIST_LIMIT, HIST_LIMIT]`` in units of ``rms(x)``.
HIST_BINS = 40
HIST_LIMIT = 4.0
#: Number of inputs whose gradients are sent back (the first rows of the batch).
BACKWARD_SAMPLES = 128
#: Standard deviations of finite-width noise a run may wander before it is
#: called exploding or vanishing (see :func:`noise_band`).
NOISE_SDS = 3.0

_FLOAT_MAX = float(np.finfo(float).max)


# ---------------------------------------------------------------------------
# control values and presets


@dataclass(frozen=True)
class ExplorerState:
    """The explorer's control values.

    ``multiplier`` scales Kaiming's ``2 / fan_in``: ``Var(W) = multiplier * 2 / width``.
    ``slope`` is used only by ``leaky_relu``. ``batch`` inputs ``x ~ N(0, I)``.
    """

    depth: int = 50
    multiplier: float = 1.0
    width: int = 256
    activation: str = "relu"
    slope: float = 0.01
    bias_variance: float = 0.0
    seed: int = 0
    batch: int = 512

    def __post_init__(self) -> None:
        check_int("depth", self.depth, minimum=1, maximum=MAX_DEPTH)
        check_float("multiplier", self.multiplier, minimum=0.0, strict_minimum=True)
        check_int("width", self.width, minimum=1)
        check_choice("activation", self.activation, ACTIVATION_CHOICES)
        check_float("slope", self.slope, minimum=0.0, maximum=1.0)
        check_float("bias_variance", self.bias_variance, minimum=0.0)
        check_int("seed", self.seed, minimum=0)
        check_int("batch", self.batch, minimum=BACKWARD_SAMPLES)
        object.__setattr__(self, "activation", self.activation.lower())

    @property
    def sigma_w2(self) -> float:
        """``fan_in * Var(W) = 2 * multiplier``: the ``sigma_w^2`` of the theory."""
        return 2.0 * self.multiplier

    def get_activation(self) -> Activation:
        """The :class:`~kaiming_lab.activations.Activation` these controls select."""
        return get_activation(self.activation, slope=self.slope)


def preset_multiplier(
    preset: str,
    activation: str | Activation = "relu",
    *,
    slope: float = 0.01,
    fan_in: int = 256,
    fan_out: int | None = None,
) -> float:
    """The multiplier of ``2 / fan_in`` that an initialiser preset gives.

    Uses :func:`~kaiming_lab.propagation.weight_variance_scale` (``fan_in Var(W)``)
    divided by 2:

    * ``kaiming``: ``1 / (1 + a^2)`` for a leaky ReLU of slope ``a``; 1 for ReLU,
      and also for tanh and linear, where the package (like PyTorch's
      ``kaiming_normal_`` defaults) uses ``a = 0``. He et al.'s rule for a
      linear net would be ``a = 1``, i.e. 0.5.
    * ``xavier``: ``fan_in / (fan_in + fan_out)``, 0.5 for square layers.
    * ``pytorch_default`` (``nn.Linear``): ``1/6``, from ``Var(W) = 1 / (3 fan_in)``.

    ``custom`` has no multiplier of its own and raises ``ValueError``.
    """
    preset = check_choice("preset", preset, PRESETS)
    if preset == "custom":
        raise ValueError("preset 'custom' keeps the current multiplier; it has no value of its own")
    act = get_activation(activation, slope=slope)
    fan_in = check_int("fan_in", fan_in, minimum=1)
    fan_out = fan_in if fan_out is None else check_int("fan_out", fan_out, minimum=1)
    return weight_variance_scale(preset, fan_in, fan_out, act) / 2.0


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

    This is what the explorer's cached, rescaled views reproduce (its first
    ``state.depth`` layers), and what a naive explorer would recompute on every
    move. ``depth`` defaults to ``state.depth``.
    """
    return simulate_forward(
        state.depth if depth is None else depth,
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
    the explorer's gradient variances.
    """
    return np.random.default_rng([check_int("seed", seed, minimum=0), depth])


# ---------------------------------------------------------------------------
# pure helpers: histogram, verdict


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
    depth = check_int("depth", depth, minimum=1)
    return 0, depth // 2, depth - 1


def noise_band(depth: int, width: int, sds: float = NOISE_SDS) -> float:
    """How far ``log(std z^(H-1) / std z^(0))`` may wander before a run is not "stable".

    At Kaiming's variance a single ReLU net is still random: each layer
    multiplies ``Var(z)`` by a factor with mean 1 and variance about ``5 / width``
    (Hanin and Rolnick 2018), so over ``depth - 1`` layers ``log Var`` has a
    standard deviation of about ``sqrt(5 (depth - 1) / width)`` and ``log std``
    half that. The band is ``sds`` of those, at least ``log 1.05`` and at most
    ``log 10``: a network whose signal changed ten-fold is called exploding or
    vanishing even when chance (a very narrow net) did it.
    """
    spread = 0.5 * math.sqrt(5.0 * (depth - 1) / width)
    return min(max(sds * spread, math.log(1.05)), math.log(10.0))


def _sci(value: float) -> str:
    """``3.2e+12`` -> ``3.2e12``; plain digits between 0.01 and 1000."""
    if value == 0.0 or not math.isfinite(value):
        return f"{value:g}"
    if 0.01 <= abs(value) < 1000:
        return f"{value:.3g}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def verdict(
    rms_z: np.ndarray,
    *,
    width: int,
    theory_std: np.ndarray | None = None,
    overflow_layer: int | None = None,
    underflow_layer: int | None = None,
) -> tuple[str, str]:
    """Classify a run from its per-layer ``std(z)``; return ``(status, sentence)``.

    ``status`` is ``"overflow"``, ``"vanishing"``, ``"exploding"`` or ``"stable"``.
    A run is exploding (vanishing) when ``std(z)`` of the last layer is more than
    :func:`noise_band` above (below) layer 0's in log terms; otherwise it is stable and
    the sentence gives the largest relative deviation from layer 0
    (``"stable: within 5% over 50 layers"``). Overflow (values beyond
    float64's ~1.8e308) and all-zero activations are reported by layer.
    """
    rms_z = np.asarray(rms_z, dtype=float)
    depth = rms_z.size
    if depth == 0:
        raise ValueError("rms_z must hold at least one layer")
    if overflow_layer is not None:
        return "overflow", (
            f"overflow: z^2 exceeds float64's range (~1.8e308) from layer {overflow_layer}; "
            "nothing left to plot there"
        )
    if underflow_layer is not None:
        return "vanishing", f"vanishing: all activations are exactly 0 from layer {underflow_layer}"
    first, last = float(rms_z[0]), float(rms_z[-1])
    if depth == 1:
        return "stable", f"stable: a single layer, std(z) = {_sci(first)}"
    with np.errstate(all="ignore"):
        ratio = last / first
        deviation = float(np.max(np.abs(rms_z / first - 1.0)))
    theory = ""
    if theory_std is not None and theory_std.size == depth:
        with np.errstate(all="ignore"):
            t_ratio = float(theory_std[-1] / theory_std[0])
        theory = f" (theory ×{_sci(t_ratio)})" if math.isfinite(t_ratio) else ""
    band = noise_band(depth, width)
    log_ratio = (
        math.log(ratio)
        if ratio > 0 and math.isfinite(ratio)
        else math.copysign(math.inf, ratio - 1.0)
    )
    if log_ratio > band:
        return "exploding", f"exploding: std(z) ×{_sci(ratio)} by layer {depth - 1}{theory}"
    if log_ratio < -band:
        return "vanishing", f"vanishing: std(z) ×{_sci(ratio)} by layer {depth - 1}{theory}"
    if deviation < 1.0:
        pct = max(1, math.ceil(100.0 * deviation - 1e-9))
        return "stable", f"stable: within {pct}% over {depth} layers{theory}"
    return "stable", (
        f"stable: std(z) ×{_sci(ratio)} over {depth} layers, finite-width wobble{theory}"
    )


# ---------------------------------------------------------------------------
# cached simulations


class _Network:
    """Standard normal draws of one ``(seed, width, batch)``, in ``simulate_forward``'s order."""

    def __init__(self, seed: int, width: int, batch: int) -> None:
        gen = np.random.default_rng(seed)
        self.gaussians = [gen.standard_normal((width, width)) for _ in range(MAX_DEPTH)]
        self._after_weights = gen.bit_generator.state
        self.x = gen.standard_normal((batch, width))
        self._bias_draws: tuple[list[np.ndarray], np.ndarray] | None = None
        self.width, self.batch = width, batch

    def bias_draws(self) -> tuple[list[np.ndarray], np.ndarray]:
        """Standard normal biases and the inputs drawn after them (the order with a bias)."""
        if self._bias_draws is None:
            gen = np.random.default_rng()
            gen.bit_generator.state = self._after_weights
            biases = [gen.standard_normal(self.width) for _ in range(MAX_DEPTH)]
            self._bias_draws = biases, gen.standard_normal((self.batch, self.width))
        return self._bias_draws


class _Run:
    """Forward statistics of one network at one ``sigma_w^2``, extended layer by layer."""

    def __init__(
        self,
        net: _Network,
        act: Activation,
        sigma_w2: float,
        bias_variance: float,
    ) -> None:
        self.net, self.act = net, act
        self.std_w = math.sqrt(sigma_w2 / net.width)
        if bias_variance > 0.0:
            draws, x = net.bias_draws()
            self.biases = [math.sqrt(bias_variance) * b for b in draws]
        else:
            self.biases, x = None, net.x
        self.input_second_moment = float(np.mean(x * x))
        self.x = x
        self.done = 0
        self.mean_sq_z = np.full(MAX_DEPTH, np.nan)
        self.hist = np.zeros((MAX_DEPTH, HIST_BINS), dtype=np.int64)
        self.rms = np.full(MAX_DEPTH, np.nan)
        self.zeros = np.full(MAX_DEPTH, np.nan)
        self.overflow_layer: int | None = None
        self.underflow_layer: int | None = None
        self._derivs: list[np.ndarray] = []
        self._grads: OrderedDict[int, np.ndarray] = OrderedDict()

    def weight(self, h: int) -> np.ndarray:
        """``W^(h)`` of this run."""
        return self.std_w * self.net.gaussians[h]

    @property
    def finished(self) -> bool:
        return self.overflow_layer is not None or (
            self.underflow_layer is not None and self.biases is None
        )

    def extend(self, depth: int) -> None:
        """Simulate layers ``done .. depth - 1`` (same arithmetic as ``propagate``)."""
        act, nb = self.act, BACKWARD_SAMPLES
        with np.errstate(all="ignore"):
            while self.done < depth and not self.finished:
                h = self.done
                z = self.x @ self.weight(h).T
                if self.biases is not None:
                    z = z + self.biases[h]
                if not np.all(np.isfinite(z)):
                    self.overflow_layer = h
                    break
                self.x = act.forward(z)
                self.mean_sq_z[h] = np.mean(z * z)
                self.hist[h], self.rms[h], self.zeros[h] = activation_histogram(self.x)
                self._derivs.append(act.derivative(z[:nb]))
                self.done = h + 1
                if self.underflow_layer is None and not np.any(self.x):
                    self.underflow_layer = h
                    if self.biases is None:  # every later z is exactly 0
                        self.mean_sq_z[h + 1 :] = 0.0
                        self.rms[h + 1 :] = 0.0
                        self.zeros[h + 1 :] = 1.0
                        self.done = MAX_DEPTH

    def _derivative(self, h: int) -> np.ndarray:
        if h < len(self._derivs):
            return self._derivs[h]
        return self.act.derivative(np.zeros((BACKWARD_SAMPLES, self.net.width)))

    def gradient(self, depth: int, seed: int) -> np.ndarray:
        """Second moment of ``dL/dx^(h)``, ``h = 0 .. depth``, for the first ``depth`` layers.

        Same steps as ``propagate(..., backward=True)``; ``nan`` where the
        forward pass overflowed or the gradient is no longer finite.
        """
        if depth in self._grads:
            self._grads.move_to_end(depth)
            return self._grads[depth]
        out = np.full(depth + 1, np.nan)
        if self.overflow_layer is None or self.overflow_layer >= depth:
            dx = gradient_rng(seed, depth).standard_normal((BACKWARD_SAMPLES, self.net.width))
            with np.errstate(all="ignore"):
                out[depth] = np.mean(dx * dx)
                for h in range(depth - 1, -1, -1):
                    dx = (dx * self._derivative(h)) @ self.weight(h)
                    if not np.all(np.isfinite(dx)):
                        break
                    out[h] = np.mean(dx * dx)
        self._grads[depth] = out
        if len(self._grads) > 2 * MAX_DEPTH:
            self._grads.popitem(last=False)
        return out


@dataclass(frozen=True)
class ExplorerView:
    """Everything the explorer shows for one :class:`ExplorerState`.

    Per layer ``h = 0 .. depth - 1``: ``rms_z`` (Monte Carlo, ``sqrt(mean z^2)``;
    0 after all activations died, ``nan`` after overflow) and ``theory_std``
    (:func:`~kaiming_lab.theory.predicted_variances`). Per ``h = 0 .. depth``:
    ``grad_var`` (second moment of ``dL/dx^(h)`` over :data:`BACKWARD_SAMPLES`
    inputs) and ``grad_theory``. ``hist_density[i]`` is the histogram of
    ``x^(h+1) / rms`` at layer ``hist_layers[i]`` over ``hist_edges``, as a
    density over *all* entries (so it integrates to ``1 - zero_fraction``).
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
    status: str
    verdict: str
    overflow_layer: int | None = None
    underflow_layer: int | None = None
    rescaled: bool = field(default=False, compare=False)

    @property
    def layers(self) -> np.ndarray:
        """``0 .. depth - 1``."""
        return np.arange(self.state.depth)

    @property
    def growth(self) -> float:
        """``std(z)`` of the last layer over layer 0's (Monte Carlo)."""
        with np.errstate(all="ignore"):
            return float(self.rms_z[-1] / self.rms_z[0])


class ExplorerModel:
    """Cached simulations behind the explorer; :meth:`compute` turns a state into a view.

    ``network_cache`` weight sets (``MAX_DEPTH`` matrices each) and
    ``run_cache`` forward runs are kept, least recently used first out.
    """

    def __init__(self, *, network_cache: int = 2, run_cache: int = 8) -> None:
        self.network_cache = check_int("network_cache", network_cache, minimum=1)
        self.run_cache = check_int("run_cache", run_cache, minimum=1)
        self._networks: OrderedDict[tuple, _Network] = OrderedDict()
        self._runs: OrderedDict[tuple, _Run] = OrderedDict()

    def __repr__(self) -> str:
        return f"ExplorerModel(networks={len(self._networks)}, runs={len(self._runs)})"

    @staticmethod
    def _lru(cache: OrderedDict, key, size: int, make):
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        value = cache[key] = make()
        while len(cache) > size:
            cache.popitem(last=False)
        return value

    @staticmethod
    def rescalable(state: ExplorerState) -> bool:
        """True when a variance change is an exact rescaling (homogeneous activation, no bias)."""
        return state.get_activation().homogeneous and state.bias_variance == 0.0

    def _run(self, state: ExplorerState) -> _Run:
        act = state.get_activation()
        net = self._lru(
            self._networks,
            (state.seed, state.width, state.batch),
            self.network_cache,
            lambda: _Network(state.seed, state.width, state.batch),
        )
        sigma_w2 = 2.0 if self.rescalable(state) else state.sigma_w2
        key = (
            state.seed,
            state.width,
            state.batch,
            act.name,
            act.slope,
            sigma_w2,
            state.bias_variance,
        )
        run = self._lru(
            self._runs, key, self.run_cache, lambda: _Run(net, act, sigma_w2, state.bias_variance)
        )
        run.extend(state.depth)
        return run

    def network(
        self, state: ExplorerState
    ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray] | None]:
        """``(x, weights, biases)`` of the network ``state`` shows (first ``depth`` layers).

        These are the arrays ``simulate_forward(depth=MAX_DEPTH, width=state.width,
        activation=..., init="kaiming", multiplier=simulate_multiplier(state),
        bias_variance=..., batch=..., seed=...)`` draws, up to rounding.
        """
        with one_blas_thread():
            run = self._run(state)
        std = math.sqrt(state.sigma_w2 / state.width)
        weights = [std * run.net.gaussians[h] for h in range(state.depth)]
        if state.bias_variance > 0.0:
            draws, x = run.net.bias_draws()
            biases = [math.sqrt(state.bias_variance) * b for b in draws[: state.depth]]
            return x, weights, biases
        return run.net.x, weights, None

    def compute(self, state: ExplorerState) -> ExplorerView:
        """Statistics, theory, histograms and verdict for ``state``."""
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
        counts = run.hist[list(shown)].astype(float)
        edges = np.linspace(-HIST_LIMIT, HIST_LIMIT, HIST_BINS + 1)
        density = counts / (state.batch * state.width * (edges[1] - edges[0]))
        with np.errstate(all="ignore"):
            rms = run.rms[list(shown)] * np.sqrt(scale ** (np.asarray(shown) + 1.0))
        zero_fraction = run.zeros[list(shown)]
        if overflow is not None:
            dead = np.asarray(shown) >= overflow
            density[dead] = 0.0
            rms[dead] = np.nan
        status, text = verdict(
            rms_z,
            width=state.width,
            theory_std=theory_std,
            overflow_layer=overflow,
            underflow_layer=underflow,
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
            status=status,
            verdict=text,
            overflow_layer=overflow,
            underflow_layer=underflow,
            rescaled=scale != 1.0,
        )


# ---------------------------------------------------------------------------
# the figure

_DEPTH_AXIS = (10, 25, 50, MAX_DEPTH)
_PLOT_MAX = 1e150  # log-axis limits (plus a tick stride) must stay inside float64
_COLORS = {
    "exploding": "#c0392b",
    "vanishing": "#2c6fbb",
    "stable": "#1e8449",
    "overflow": "#c0392b",
}


def _positive(values: np.ndarray) -> np.ndarray:
    """Copy with entries outside ``(1e-150, 1e150)`` replaced by ``nan``, for log axes.

    Beyond that range matplotlib's log tick arithmetic overflows float64.
    """
    out = np.array(values, dtype=float)
    with np.errstate(invalid="ignore"):
        out[~((out > 1.0 / _PLOT_MAX) & (out < _PLOT_MAX))] = np.nan
    return out


def _log_limits(*arrays: np.ndarray) -> tuple[float, float]:
    finite = np.concatenate([a[np.isfinite(a)] for a in arrays])
    if finite.size == 0:
        return 0.1, 10.0
    lo, hi = float(finite.min()), float(finite.max())
    lo_e, hi_e = math.floor(math.log10(lo) - 0.15), math.ceil(math.log10(hi) + 0.15)
    if hi_e - lo_e < 2:
        lo_e, hi_e = lo_e - 1, hi_e + 1
    return 10.0**lo_e, 10.0**hi_e


class ExplorerFigure:
    """The explorer's matplotlib figure: artists made once, :meth:`update` changes their data.

    Top: ``std(z)`` per layer (log scale, Monte Carlo dots, theory line) and the
    gradient's second moment per layer. Bottom: histograms of ``x / rms(x)`` at
    the first, middle and last layer. A title line carries the verdict. The
    figure is a plain :class:`matplotlib.figure.Figure` (no pyplot): render it
    with :meth:`to_png`.
    """

    def __init__(self, *, figsize: tuple[float, float] = (10.0, 6.0), dpi: float = 72.0) -> None:
        self.figure = fig = Figure(figsize=figsize, dpi=dpi, layout=None)
        FigureCanvasAgg(fig)
        grid = fig.add_gridspec(
            2,
            6,
            height_ratios=(1.35, 1.0),
            hspace=0.55,
            wspace=0.9,
            left=0.07,
            right=0.985,
            top=0.87,
            bottom=0.08,
        )
        self.ax_forward = fig.add_subplot(grid[0, :3])
        self.ax_backward = fig.add_subplot(grid[0, 3:])
        self.ax_hists = [fig.add_subplot(grid[1, 2 * i : 2 * i + 2]) for i in range(3)]
        self.title = fig.text(
            0.5, 0.955, "", ha="center", va="center", fontsize=13, fontweight="bold"
        )

        ax = self.ax_forward
        self._log_axis(ax)
        (self.mc_line,) = ax.plot([], [], "o", ms=3, color="C0", label="network")
        (self.theory_line,) = ax.plot([], [], "-", lw=1.6, color="k", alpha=0.7, label="theory")
        ax.set_xlabel("layer h", fontsize=9)
        ax.set_title("forward: std of z^(h)", fontsize=10)
        ax.legend(loc="upper left", fontsize=8, frameon=False, handlelength=1.2)
        self.forward_note = ax.text(
            0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center", fontsize=9, wrap=True
        )

        ax = self.ax_backward
        self._log_axis(ax)
        (self.grad_line,) = ax.plot([], [], "o", ms=3, color="C1", label="Monte Carlo")
        (self.grad_theory_line,) = ax.plot(
            [], [], "-", lw=1.6, color="k", alpha=0.7, label="theory"
        )
        ax.set_xlabel("layer h", fontsize=9)
        ax.set_title("backward: E[(dL/dx^(h))^2]", fontsize=10)
        self.backward_note = ax.text(
            0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center", fontsize=9
        )

        edges = np.linspace(-HIST_LIMIT, HIST_LIMIT, HIST_BINS + 1)
        self.hist_steps = []
        self.hist_notes = []
        for i, ax in enumerate(self.ax_hists):
            self.hist_steps.append(
                ax.stairs(np.zeros(HIST_BINS), edges, fill=True, color="C2", alpha=0.8)
            )
            self.hist_notes.append(
                ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center", fontsize=9)
            )
            ax.set_xlim(-HIST_LIMIT, HIST_LIMIT)
            ax.xaxis.set_major_locator(FixedLocator([-4, 0, 4]))
            ax.set_yticks([])
            ax.tick_params(labelsize=8)
            if i == 1:
                ax.set_xlabel("x / rms(x)", fontsize=9)
        for ax in self.axes:
            # fixed positions: matplotlib then skips re-measuring titles and labels on every draw
            ax.title.set_y(1.02)
            ax.xaxis.set_label_coords(0.5, -0.13 if ax in self.ax_hists else -0.1)
            ax.yaxis.set_label_coords(-0.09 if ax in self.ax_hists else -0.1, 0.5)
        self.view: ExplorerView | None = None
        # What update() changes is drawn on top of a saved background (blitting);
        # frames, static labels and the legend are rendered once.
        self._dynamic = [
            self.title,
            self.ax_forward.yaxis,
            self.ax_backward.yaxis,
            self.mc_line,
            self.theory_line,
            self.grad_line,
            self.grad_theory_line,
            self.forward_note,
            self.backward_note,
            *self.hist_steps,
            *self.hist_notes,
            *(ax.title for ax in self.ax_hists),
        ]
        for artist in self._dynamic:
            artist.set_animated(True)
        self._backgrounds: dict[int, object] = {}
        self._xmax = 0

    @property
    def axes(self) -> list:
        """The five axes: forward, backward and the three histograms."""
        return [self.ax_forward, self.ax_backward, *self.ax_hists]

    @staticmethod
    def _log_axis(ax) -> None:
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10.0, numticks=5))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(FuncFormatter(_power_label))  # plain text, no mathtext
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        ax.tick_params(labelsize=8)

    def __repr__(self) -> str:
        state = None if self.view is None else self.view.state
        return f"ExplorerFigure(state={state})"

    def update(self, view: ExplorerView) -> None:
        """Put ``view``'s numbers into the existing artists (nothing is re-created)."""
        self.view = view
        depth = view.state.depth
        self.title.set_text(view.verdict)
        self.title.set_color(_COLORS.get(view.status, "k"))

        std, theory = _positive(view.rms_z), _positive(view.theory_std)
        self.mc_line.set_data(view.layers, std)
        self.theory_line.set_data(view.layers, theory)
        # the depth axis snaps to a few lengths, each with its own saved background
        self._xmax = next(n for n in _DEPTH_AXIS if n >= depth)
        self.ax_forward.set_xlim(-0.02 * self._xmax - 0.5, 1.02 * self._xmax - 0.5)
        self.ax_forward.set_ylim(*_log_limits(std, theory))
        self.forward_note.set_text(_missing_note(view))

        grad, grad_theory = _positive(view.grad_var), _positive(view.grad_theory)
        grad_layers = np.arange(depth + 1)
        self.grad_line.set_data(grad_layers, grad)
        self.grad_theory_line.set_data(grad_layers, grad_theory)
        self.ax_backward.set_xlim(-0.02 * self._xmax, 1.02 * self._xmax)
        self.ax_backward.set_ylim(*_log_limits(grad, grad_theory))
        gone = np.count_nonzero(np.isnan(grad))
        self.backward_note.set_text("" if gone == 0 else f"{gone} layers: gradient 0 or not finite")

        for i, ax in enumerate(self.ax_hists):
            density = view.hist_density[i]
            self.hist_steps[i].set_data(density)
            top = float(density.max())
            ax.set_ylim(0.0, 1.15 * top if top > 0 else 1.0)
            h, rms, zf = view.hist_layers[i], view.hist_rms[i], view.hist_zero_fraction[i]
            ax.set_title(f"layer {h}: rms {_sci(rms)}", fontsize=9)
            note = ""
            if not (math.isfinite(rms) and rms > 0):
                note = "overflow" if not math.isfinite(rms) else "all exactly 0"
            elif zf > 0:
                note = f"{zf:.0%} zeros"
            self.hist_notes[i].set_text(note)
            self.hist_notes[i].set_position((0.5, 0.5) if top == 0 else (0.22, 0.8))

    def render(self) -> np.ndarray:
        """Draw the figure and return its RGBA pixels, shape ``(height, width, 4)``.

        The static part is drawn once and kept; each call restores it and draws
        only the artists :meth:`update` changes. ``figure.savefig`` still draws
        everything and gives the same picture.
        """
        canvas = self.figure.canvas
        background = self._backgrounds.get(self._xmax)
        if background is None:
            canvas.draw()  # animated artists are left out of this one
            self._backgrounds[self._xmax] = canvas.copy_from_bbox(self.figure.bbox)
        else:
            canvas.restore_region(background)
        for artist in self._dynamic:
            self.figure.draw_artist(artist)
        return np.asarray(canvas.buffer_rgba())

    def to_png(self) -> bytes:
        """The current figure as PNG bytes (:meth:`render`, then a fast zlib setting)."""
        pixels = self.render()
        buf = io.BytesIO()
        Image.fromarray(pixels[..., :3]).save(buf, format="png", compress_level=1)
        return buf.getvalue()

    def savefig_png(self) -> bytes:
        """PNG bytes from a full ``figure.savefig`` (slower; the reference for :meth:`to_png`)."""
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
        return buf.getvalue()


def _power_label(value: float, _pos: int) -> str:
    """Tick label ``1e-12`` for a power of ten (plain text renders faster than mathtext)."""
    return f"1e{round(math.log10(value))}" if value > 0 else ""


def _missing_note(view: ExplorerView) -> str:
    """Words for the layers a log-scale plot cannot show."""
    if view.overflow_layer is not None:
        return f"values beyond float64 from layer {view.overflow_layer}: not plotted"
    if view.underflow_layer is not None:
        return f"all activations are 0 from layer {view.underflow_layer}: log scale stops there"
    return ""
