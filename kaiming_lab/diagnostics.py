"""Per-layer diagnostics of a forward pass, in the spirit of micrograd's printout.

:class:`~kaiming_lab.propagation.PropagationResult` stores pooled moments;
these helpers turn them into the quantities people look at first: the
standard deviation of the pre-activations ``z``, the mean and standard
deviation of the activations ``x`` and the share of ``x`` that ReLU set to
zero, and print them side by side for several settings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ._validation import check_choice, check_float, check_int
from .propagation import PropagationResult

__all__ = ["layer_statistic", "predicted_break_layer", "relu_growth_factor", "stats_table"]

#: Statistics :func:`layer_statistic` knows, with a short label for tables and axes.
STATISTICS: dict[str, str] = {
    "rms_z": "rms(z)",
    "mean_x": "mean(x)",
    "std_x": "std(x)",
    "zero_fraction": "zero fraction",
    "max_abs_z": "max |z|",
}


def _check_result(label: str, result: object) -> None:
    if not isinstance(result, PropagationResult):
        raise TypeError(
            f"{label} must be a PropagationResult (from simulate_forward or propagate), "
            f"got {type(result).__name__}"
        )


def layer_statistic(result: PropagationResult, name: str) -> np.ndarray:
    """One statistic per layer ``h = 0 .. H-1``.

    ``rms_z`` is the root mean square of ``z`` (``z`` has mean 0 over random
    weights), finite for as long as ``z`` is; ``std_x = sqrt(E[x^2] - mean(x)^2)``
    (ReLU outputs are not centred).
    """
    _check_result("result", result)
    name = check_choice("name", name, STATISTICS)
    with np.errstate(all="ignore"):
        if name == "std_x":
            return np.sqrt(np.maximum(result.second_moment_x - result.mean_x**2, 0.0))
        return np.asarray(getattr(result, name), dtype=float).copy()


def relu_growth_factor(width: int, weight_std: float) -> float:
    """Factor by which one ReLU layer multiplies ``Var(z)``: ``d Var(W) / 2``.

    Kaiming's ``Var(W) = 2/d`` makes it exactly 1; after ``h`` layers the
    expected variance is this factor to the power ``h``.
    """
    width = check_int("width", width, minimum=1)
    weight_std = check_float("weight_std", weight_std, minimum=0.0, maximum=1e150)
    return width * weight_std**2 / 2.0


def predicted_break_layer(growth_factor: float, start_std: float, limit: float) -> int:
    """First layer ``h`` at which ``start_std * sqrt(growth_factor)^h`` passes ``limit``.

    ``growth_factor`` is what one layer multiplies ``Var(z)`` by
    (:func:`relu_growth_factor`; for ReLU it is the lecture's ``m``).

    Use ``limit = numpy.finfo(float).max`` for overflow (growth_factor > 1) and the
    smallest subnormal ``5e-324`` for underflow (growth_factor < 1). This follows
    the typical size of ``z``; the largest of many units gets there a few
    layers earlier (overflow) or later (underflow).
    """
    growth_factor = check_float("growth_factor", growth_factor, minimum=0.0, strict_minimum=True)
    if growth_factor == 1.0:
        raise ValueError("growth_factor must differ from 1 (at 1 the std never changes), got 1.0")
    start_std = check_float("start_std", start_std, minimum=0.0, strict_minimum=True)
    limit = check_float("limit", limit, minimum=0.0, strict_minimum=True)
    steps = (math.log(limit) - math.log(start_std)) / (0.5 * math.log(growth_factor))
    return math.ceil(steps)


def stats_table(
    results: Mapping[str, PropagationResult],
    name: str = "rms_z",
    *,
    every: int = 10,
    digits: int = 3,
) -> str:
    """One column per setting, one row every ``every`` layers (the last layer included)."""
    every = check_int("every", every, minimum=1)
    digits = check_int("digits", digits, minimum=1, maximum=17)
    name = check_choice("name", name, STATISTICS)
    if not isinstance(results, Mapping) or not results:
        raise TypeError(
            "results must be a non-empty mapping {label: PropagationResult}, "
            f"got {type(results).__name__}" + (" (empty)" if isinstance(results, Mapping) else "")
        )
    for label, r in results.items():
        if not isinstance(label, str):
            raise TypeError(f"results keys must be string labels, got {label!r}")
        _check_result(f"results[{label!r}]", r)
    cols = {label: layer_statistic(r, name) for label, r in results.items()}
    depth = min(len(c) for c in cols.values())
    width = max(12, *(len(label) + 2 for label in cols))
    lines = [f"{STATISTICS[name]:<14}" + "".join(f"{label:>{width}}" for label in cols)]
    for h in sorted({*range(0, depth, every), depth - 1}):
        cells = "".join(f"{c[h]:>{width}.{digits}g}" for c in cols.values())
        lines.append(f"{'layer ' + str(h):<14}" + cells)
    return "\n".join(lines)
