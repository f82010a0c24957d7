"""The explorer's network and one run of the library's loops over it.

:class:`Network` holds one ``(seed, width, batch)``: the inputs and the standard
normal matrices ``G^(h)`` behind the weights, from the streams of
:class:`~kaiming_lab.streams.NetworkStreams` (``W^(h) = sqrt(sigma_w^2 / width) G^(h)``,
as ``simulate_forward(init="kaiming", seed=seed)`` draws them). The first
matrices, up to :data:`KEEP_BYTES`, are kept; the others are drawn again, the
next :data:`DRAW_AHEAD` in one worker thread the model owns while the loop
multiplies (for the target "other controls, browser p90 <= 400 ms": a width
move to 512 draws 50 matrices). :class:`Run` is that network at one
``sigma_w^2``, pushed through :func:`kaiming_lab.propagation`'s forward loop
as deep as a view asks, and sent back through its backward loop per depth.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from ..propagation import _backward, _propagate
from ..streams import NetworkStreams
from .state import BACKWARD_SAMPLES, DEPTH_RANGE

__all__ = [
    "DRAW_AHEAD",
    "HIST_BINS",
    "HIST_LIMIT",
    "KEEP_BYTES",
    "LayerWeights",
    "Network",
    "Run",
    "activation_histogram",
]

#: Histogram bins over ``[-HIST_LIMIT, HIST_LIMIT]`` in units of ``rms(x)``.
HIST_BINS = 40
HIST_LIMIT = 4.0
#: Bytes of standard normal weights a network keeps; the rest are drawn again from their streams.
KEEP_BYTES = 56 * 2**20
#: Layers drawn ahead of the one being multiplied, in the model's one worker thread.
DRAW_AHEAD = 2
_DEEPEST = DEPTH_RANGE[1]


def activation_histogram(
    x: np.ndarray, *, bins: int = HIST_BINS, limit: float = HIST_LIMIT
) -> tuple[np.ndarray, float, float]:
    """Histogram of the non-zero entries of ``x`` in units of ``rms(x) = sqrt(mean(x^2))``.

    Returns ``(counts, rms, zero_fraction)``: ``bins`` counts over ``[-limit, limit]``,
    values beyond in the end bins, exact zeros (dead ReLU units) left out and
    reported as ``zero_fraction``. ``c * x`` has the same counts for any ``c > 0``.
    """
    x = np.asarray(x, dtype=float)
    counts = np.zeros(bins, dtype=np.int64)
    if x.size == 0:
        return counts, 0.0, 0.0
    with np.errstate(all="ignore"):
        rms = float(np.sqrt(np.mean(x * x)))
    zeros = int(np.count_nonzero(x == 0.0))
    if not (math.isfinite(rms) and rms > 0.0):
        return counts, rms, zeros / x.size
    idx = np.floor(x.ravel() * (bins / (2.0 * limit * rms)) + bins / 2.0)
    np.clip(idx, 0, bins - 1, out=idx)
    counts = np.bincount(idx.astype(np.intp), minlength=bins)
    counts[bins // 2] -= zeros  # zeros land in the bin that starts at 0
    return counts, rms, zeros / x.size


class Network:
    """Inputs and standard normal weights ``G^(h)`` of one ``(seed, width, batch)``.

    ``G^(h)`` comes from ``NetworkStreams(seed).weights(h)``; the first ones
    (up to :data:`KEEP_BYTES`) are kept once drawn, the others drawn again.
    """

    def __init__(self, seed: int, width: int, batch: int, pool: ThreadPoolExecutor) -> None:
        self.streams = NetworkStreams(seed)
        self.width, self.pool = width, pool
        self.x = self.streams.inputs().standard_normal((batch, width))
        self.keep = min(_DEEPEST, KEEP_BYTES // (8 * width * width))
        self._g: list[np.ndarray] = []
        self._b: list[np.ndarray] | None = None
        self._ahead: dict[int, Future] = {}

    def _draw(self, h: int, out: np.ndarray) -> np.ndarray:
        return self.streams.weights(h).standard_normal(out=out)

    def gaussian(self, h: int, then: Iterable[int] = ()) -> np.ndarray:
        """``G^(h)``; the layers ``then`` (the loop's next ones) are drawn meanwhile in the pool.

        numpy releases the GIL while it draws, so the pool's thread draws while
        this one multiplies; each layer has its own stream, so the numbers do not
        depend on which thread draws them. Arrays are allocated by this thread.
        """
        shape = (self.width, self.width)
        for k in then:
            if k >= len(self._g) and k not in self._ahead:
                self._ahead[k] = self.pool.submit(self._draw, k, np.empty(shape))
        if h < len(self._g):
            return self._g[h]
        ahead = self._ahead.pop(h, None)
        g = self._draw(h, np.empty(shape)) if ahead is None else ahead.result()
        if h == len(self._g) < self.keep:
            self._g.append(g)
        return g

    def drop_ahead(self) -> None:
        """Forget draws the loop did not reach (it stopped early)."""
        for future in self._ahead.values():
            future.cancel()
        self._ahead.clear()

    def biases(self) -> list[np.ndarray]:
        if self._b is None:
            self._b = [self.streams.biases(h).standard_normal(self.width) for h in range(_DEEPEST)]
        return self._b


class LayerWeights(Sequence):
    """``W^(h) = std * G^(h)``, ``h`` in ``range(start, stop)``, made as the loop reaches them."""

    def __init__(self, net: Network, start: int, stop: int, std: float) -> None:
        self.net, self.start, self.stop, self.std = net, start, stop, std
        self.last = -1

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, i):
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        step = -1 if i <= self.last else 1  # the forward loop goes up, the backward one down
        self.last = i
        ahead = range(i + step, i + step * (DRAW_AHEAD + 1), step)
        then = [self.start + j for j in ahead if 0 <= j < len(self)]
        return self.std * self.net.gaussian(self.start + i, then)


class Run:
    """One network at one ``sigma_w^2``: forward statistics per layer, extended on demand.

    Per layer it keeps ``mean(z^2)`` over the batch, the histogram of
    ``x^(h+1)`` over the first :data:`BACKWARD_SAMPLES` inputs and what the
    backward loop needs of their ``z``: its sign (one byte an entry) when
    ``phi'`` depends on the sign alone, else ``z`` itself.
    """

    def __init__(self, net: Network, act, sigma_w2: float, bias_variance: float) -> None:
        self.net, self.act = net, act
        self.std = math.sqrt(sigma_w2 / net.width)
        self.bias_std = math.sqrt(bias_variance)
        self.mean_sq_z = np.full(_DEEPEST, np.nan)
        self.hist = np.zeros((_DEEPEST, HIST_BINS))
        self.rms, self.zeros = np.full(_DEEPEST, np.nan), np.zeros(_DEEPEST)
        self.zs: list[np.ndarray] = []
        self.x, self.done = net.x, 0
        self.overflow_layer: int | None = None
        self.underflow_layer: int | None = None
        self.grads: dict[int, np.ndarray] = {}
        with np.errstate(all="ignore"):
            self.input_second_moment = float(np.mean(net.x * net.x))

    def _record(self, h: int, z: np.ndarray, x: np.ndarray) -> None:
        h += self.done
        rows = z[:BACKWARD_SAMPLES]
        self.zs.append(np.sign(rows).astype(np.int8) if self.act.homogeneous else rows.copy())
        self.hist[h], self.rms[h], self.zeros[h] = activation_histogram(x[:BACKWARD_SAMPLES])
        self.x = x

    def extend(self, depth: int) -> None:
        """Run the loop from the last layer computed down to layer ``depth - 1``."""
        if self.done >= depth:
            return
        start, bias = self.done, self.bias_std
        biases = None if bias == 0.0 else [bias * b for b in self.net.biases()[start:depth]]
        layers = LayerWeights(self.net, start, depth, self.std)
        widths = [self.net.width] * (depth - start + 1)
        nan = np.full(depth - start, np.nan)
        res = _propagate(
            self.x, layers, self.act, biases, False, None, nan, bias, widths, self._record
        )
        self.net.drop_ahead()
        self.mean_sq_z[start:depth] = res.mean_sq_z
        self.done = depth
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

        Over the first :data:`BACKWARD_SAMPLES` inputs, with the output gradient
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
                grad = _backward(zs, layers, self.act, depth, BACKWARD_SAMPLES, gen)
            self.net.drop_ahead()
            self.grads[depth] = grad
        return self.grads[depth]
