"""Many independent random networks, and averages over them.

Proposition 1.1 is about ``Var(z_i^(h))`` over the *random weights* (and
input), not about the units of one fixed network. To check it, simulate many
networks with independent weights, take one number per network (e.g. the
pooled ``mean_sq_z[h]`` of :class:`~kaiming_lab.propagation.PropagationResult`)
and average across networks; the standard error then comes from the spread
across networks, which are independent draws.

For ReLU, zero bias and ``Var(W) = 2 / d_h`` the expectation over networks of
``mean_sq_z[h]`` equals the theory exactly at every finite width; a single
network drifts away from it because, with ``n`` units per layer, the log of
each layer's ratio ``||x^(h+1)||^2 / ||x^(h)||^2`` has variance about
``5 / n`` and these steps add up like a random walk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import (
    MAX_DEPTH,
    as_generator,
    check_array,
    check_choice,
    check_int,
    check_memory,
)
from .montecarlo import Estimate, estimate_mean, estimate_variance
from .propagation import PropagationResult, simulate_forward
from .variance import predicted_variances

__all__ = ["NetworkEnsemble", "log_drift_prediction", "simulate_networks"]

_STATISTICS = ("mean_sq_z", "mean_x", "second_moment_x", "zero_fraction", "max_abs_z")


def log_drift_prediction(width: int, layers: np.ndarray | int) -> np.ndarray:
    """Approximate ``Var(log(mean_sq_z[h] / mean_sq_z[0]))`` across networks: ``5 h / n``.

    Each ReLU layer of width ``n`` with Gaussian He weights multiplies
    ``||z||^2`` by a factor with mean 1 and variance ``5 / n``
    (``Var(ReLU(g)^2) = 5/4`` for ``g ~ N(0, 1)``); for large ``n`` the log of
    the product is a random walk whose variance grows by ``5 / n`` per layer.
    """
    width = check_int("width", width, minimum=1)
    if isinstance(layers, (bool, np.bool_)):
        raise TypeError(f"layers must be a layer index or an array of them, got {layers!r}")
    layers = check_array("layers", layers)
    if np.any(layers < 0):
        raise ValueError(f"layers must be >= 0, got {layers!r}")
    return 5.0 * layers / width


@dataclass(frozen=True)
class NetworkEnsemble:
    """Per-layer statistics of ``n_networks`` independently drawn networks.

    ``input_second_moment`` is ``E[x^2]`` of the input per coordinate
    (``||x||^2 / d_0`` for a fixed input, 1 for ``x ~ N(0, I)``).
    """

    results: tuple[PropagationResult, ...]
    input_second_moment: float

    @property
    def n_networks(self) -> int:
        """Number of independent networks."""
        return len(self.results)

    @property
    def depth(self) -> int:
        """Number of weight layers ``H``."""
        return self.results[0].depth

    @property
    def width(self) -> int:
        """Width of the first hidden layer ``d_1``."""
        return self.results[0].widths[1]

    def values(self, statistic: str = "mean_sq_z") -> np.ndarray:
        """Array ``(n_networks, depth)``: one row per network."""
        return self._values(check_choice("statistic", statistic, _STATISTICS))

    def _values(self, statistic: str) -> np.ndarray:
        """:meth:`values` without the argument check."""
        return np.stack([getattr(r, statistic) for r in self.results])

    def layer_estimates(self, statistic: str = "mean_sq_z") -> list[Estimate]:
        """Mean over networks at each layer, with the SE across networks."""
        return self._layer_estimates(check_choice("statistic", statistic, _STATISTICS))

    def _layer_estimates(self, statistic: str) -> list[Estimate]:
        """:meth:`layer_estimates` without the argument check."""
        vals = self._values(statistic)
        return [estimate_mean(vals[:, h]) for h in range(self.depth)]

    def means_and_ses(self, statistic: str = "mean_sq_z") -> tuple[np.ndarray, np.ndarray]:
        """The layer estimates as two arrays ``(mean, se)``."""
        est = self.layer_estimates(statistic)
        return np.array([e.value for e in est]), np.array([e.se for e in est])

    def theory(self) -> np.ndarray:
        """Predicted ``Var(z^(h))`` from :func:`kaiming_lab.variance.predicted_variances`."""
        first = self.results[0]
        return predicted_variances(
            self.depth,
            sigma_w2=first.sigma_w2,
            sigma_b2=first.bias_variance,
            activation=first.activation,
            input_second_moment=self.input_second_moment,
        )

    def z_scores(self, statistic: str = "mean_sq_z", exact: np.ndarray | None = None) -> np.ndarray:
        """``(mean - exact) / se`` per layer; ``exact`` defaults to :meth:`theory`."""
        mean, se = self.means_and_ses(statistic)
        if exact is None:
            target = self.theory()
        else:
            target = check_array("exact", exact, ndim=(0, 1))
            if target.ndim == 1 and target.shape != (self.depth,):
                raise ValueError(
                    f"exact must hold one value per layer ({self.depth}), got {target.shape[0]}"
                )
        return (mean - target) / se

    def table(self, *, every: int = 5, n_single: int = 3, digits: int = 3) -> str:
        """Plain-text table: ``mean_sq_z`` of a few single networks, the mean ± SE, the theory."""
        every = check_int("every", every, minimum=1)
        digits = check_int("digits", digits, minimum=1, maximum=17)
        n_single = min(check_int("n_single", n_single, minimum=0), self.n_networks)
        values = self._values("mean_sq_z")
        estimates = self._layer_estimates("mean_sq_z")
        theory = self.theory()
        mean_head = f"mean of {self.n_networks} ± SE"
        head = f"{'layer':>5}" + "".join(f"{'net ' + str(k + 1):>10}" for k in range(n_single))
        lines = [head + f"{mean_head:>22}{'theory':>10}"]
        for h in sorted({*range(0, self.depth, every), self.depth - 1}):
            cells = "".join(f"{values[k, h]:>10.{digits}g}" for k in range(n_single))
            mean = estimates[h]._format(digits)
            lines.append(f"{h:>5}{cells}{mean:>22}{theory[h]:>10.{digits}g}")
        return "\n".join(lines)

    def log_drift(self) -> list[Estimate]:
        """Variance across networks of ``log(mean_sq_z[h] / mean_sq_z[0])``, with its SE, per layer.

        Raises ``ValueError`` when a network died (a layer with ``mean_sq_z = 0``,
        possible for very narrow layers): its log is undefined.
        """
        values = self._values("mean_sq_z")
        dead = np.flatnonzero(~np.all(values > 0, axis=1))
        if dead.size:
            raise ValueError(
                f"log_drift needs mean_sq_z > 0 in every layer; network(s) {dead[:5].tolist()} "
                f"have a layer that is all zero (narrow layers can die): use more width"
            )
        logs = np.log(values)
        rel = logs - logs[:, :1]
        out = [Estimate(0.0, 0.0, self.n_networks)]
        return out + [estimate_variance(rel[:, h]) for h in range(1, self.depth)]


def simulate_networks(
    n_networks: int,
    depth: int,
    width: int = 64,
    *,
    seed: int | np.random.Generator | None = 0,
    x: np.ndarray | None = None,
    **kwargs,
) -> NetworkEnsemble:
    """Simulate ``n_networks`` independent networks with :func:`simulate_forward`.

    Each network gets its own generator spawned from ``seed``, so the
    networks are independent and the whole ensemble is reproducible. With
    ``x`` given, every network sees the same input batch (randomness only in
    the weights); otherwise each draws its own ``x ~ N(0, I)``. Other keyword
    arguments (``init``, ``variance_factor``, ``batch``, ``activation``, ...) go to
    :func:`simulate_forward`.
    """
    n_networks = check_int("n_networks", n_networks, minimum=2)
    parent = as_generator(seed, "seed")
    if x is not None:
        x = check_array("x", x, ndim=2, shape_hint=" of shape (batch, width)")
    depth = check_int("depth", depth, minimum=1, maximum=MAX_DEPTH)
    # each network keeps a result of about 2 KiB plus 8 arrays of depth floats
    check_memory(
        f"n_networks={n_networks}, depth={depth}",
        n_networks * (2048.0 + 64.0 * depth),
        kwargs.get("memory_budget"),
    )
    children = parent.spawn(n_networks)
    results = tuple(simulate_forward(depth, width, seed=child, x=x, **kwargs) for child in children)
    if x is None:
        m2 = 1.0
    else:
        arr = np.asarray(x, dtype=float)
        m2 = float(np.mean(arr * arr))
    return NetworkEnsemble(results=results, input_second_moment=m2)
