"""The numbers the static edition's explorer needs to redraw itself with no kernel.

For a bias-free ReLU, leaky ReLU or linear network, scaling every weight by
``sqrt(m)`` scales ``z^(h)`` by ``m^((h+1)/2)`` and ``dL/dx^(h)`` of a
``depth``-layer view by ``m^((depth-h)/2)``. So :func:`static_data` stores one
run at ``m = 1`` (``mean(z^2)`` up to depth 100, the gradients for every depth);
``site/static_explorer.js`` rescales it, runs the variance recursion and words
the verdict as :mod:`.verdict` does (``tests/browser/test_site.py`` compares).
Any other setting stores its own view; moving it needs a live kernel.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .simulation import ExplorerModel
from .state import RANGES, ExplorerState


def _floats(values: np.ndarray) -> list[float | None]:
    """JSON-ready floats; ``nan`` and ``inf`` become ``None`` (JSON has neither)."""
    return [float(v) if math.isfinite(v) else None for v in np.asarray(values, dtype=float)]


def static_data(state: ExplorerState, *, model: ExplorerModel | None = None) -> dict:
    """Everything the page needs to show ``state`` and, if it can, to move variance and depth.

    Keys: ``state`` (the fields of ``state``), ``rescalable``; if rescalable,
    ``mean_sq_z`` (``mean(z^(h)^2)`` at ``m = 1``, ``h = 0 .. 99``; ``None``
    after an overflow), ``grad`` (``grad[d - 1]`` is the mean square of
    ``dL/dx^(h)``, ``h = 0 .. d``, of the ``d``-layer view at ``m = 1``),
    ``input_second_moment``, ``ratio`` (``E[phi(z)^2] / q``, which for these
    positively homogeneous activations is also ``E[phi'(z)^2]``: ``(1 + a^2) / 2``),
    ``overflow_layer``, ``underflow_layer``;
    otherwise ``view`` (the numbers and verdict of ``state`` alone).
    """
    model = ExplorerModel() if model is None else model
    out: dict = {"state": dataclasses.asdict(state), "rescalable": state.rescalable}
    if not out["rescalable"]:
        view = model.compute(state)
        out["view"] = {
            "rms_z": _floats(view.rms_z),
            "theory_std": _floats(view.theory_std),
            "mean_sq_grad": _floats(view.mean_sq_grad),
            "grad_theory": _floats(view.grad_theory),
            "status": view.status,
            "headline": view.assessment.headline,
            "detail": view.assessment.detail,
        }
        return out
    depths = range(RANGES["depth"][0], RANGES["depth"][1] + 1)
    views = [model.compute(dataclasses.replace(state, depth=d, multiplier=1.0)) for d in depths]
    deepest = views[-1]
    out.update(
        mean_sq_z=_floats(deepest.rms_z**2),
        grad=[_floats(v.mean_sq_grad) for v in views],
        input_second_moment=deepest.input_second_moment,
        ratio=float(state.get_activation().second_moment_ratio),
        overflow_layer=deepest.overflow_layer,
        underflow_layer=deepest.underflow_layer,
    )
    return out
