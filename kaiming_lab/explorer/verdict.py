"""The explorer's verdict: the theory decides, this one network is reported beside it.

The rule
--------
The theory's predicted change of ``rms(z)`` over the shown layers (last over
first; ``m^((L-1)/2)`` for ReLU without bias at multiplier ``m``) and of the
gradient's root mean square from the output back to the input (``m^(L/2)``
for ReLU) decide. If either is beyond :data:`THRESHOLD` (x2) either way the
setting is ``"exploding"`` or ``"vanishing"`` (the forward panel first),
otherwise ``"stable"``.

What this one network did is a separate, labelled fact: its measured changes,
and the range :data:`SPREAD_SDS` standard deviations around the theory that
networks like it (same width and depth, other seeds) reach. A single network
drifting inside or outside that range never changes the verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: A predicted change of rms beyond this factor, up or down, is exploding / vanishing.
THRESHOLD = 2.0
#: Half-width of the "networks like it" range, in standard deviations of log rms.
SPREAD_SDS = 2.0


@dataclass(frozen=True)
class Verdict:
    """What the explorer says about a setting.

    ``status`` (``"exploding"``, ``"vanishing"`` or ``"stable"``) and
    ``headline`` come from the theory; ``detail`` reports this network's
    measurement and the range of networks like it. ``forward`` and
    ``backward`` are the predicted factors (``nan`` when not given).
    """

    status: str
    headline: str
    detail: str
    forward: float
    backward: float

    @property
    def text(self) -> str:
        """Headline and detail in one string (starts with the status word)."""
        return f"{self.headline}. {self.detail}"


def _sci(value: float) -> str:
    """``3.2e+12`` -> ``3.2e12``; three digits between 0.01 and 1000."""
    if value == 0.0 or not math.isfinite(value):
        return "beyond float64" if value == math.inf else f"{value:g}"
    if 0.01 <= abs(value) < 1000:
        return f"{value:.3g}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def network_range(steps, width: int, activation: str = "relu") -> tuple[np.ndarray, np.ndarray]:
    """Factors ``(lo, hi)`` around the theory that most networks like this one land between.

    Each layer multiplies the mean square by a random factor with mean 1 and
    variance about ``c / width``: ``c = 5`` for ReLU with Gaussian weights
    (exactly, from ``Var(ReLU(g)^2) = 5/4``; notebooks 05 and 10), ``c = 2`` for
    linear layers (``Var(g^2) = 2``), ``c = 5`` as a rough stand-in for leaky ReLU
    and tanh. Over ``steps`` layers (a number or an array) ``log`` of the rms ratio
    is then roughly normal with mean ``-c steps / (4 width)`` (the mean square
    stays on the theory, so the typical network sits a little below it) and
    standard deviation ``0.5 sqrt(c steps / width)``; the range is the mean plus
    and minus :data:`SPREAD_SDS` of them (about 95 % of networks): how far one
    network may stray, not a test.
    """
    c = 2.0 if activation == "linear" else 5.0
    centre = -c * np.asarray(steps) / (4.0 * width)
    half = SPREAD_SDS * 0.5 * np.sqrt(c * np.asarray(steps) / width)
    return np.exp(centre - half), np.exp(centre + half)


def _ratio(last: float, first: float) -> float:
    with np.errstate(all="ignore"):
        if not (math.isfinite(first) and first > 0) or math.isnan(last):
            return math.nan
        return last / first


def _word(factor: float) -> str:
    if not factor == factor:  # nan: no prediction
        return "stable"
    if factor > THRESHOLD:
        return "exploding"
    if factor < 1.0 / THRESHOLD:
        return "vanishing"
    return "stable"


def assess(
    rms_z,
    width: int,
    theory_std,
    mean_sq_grad=None,
    grad_theory=None,
    overflow_layer: int | None = None,
    underflow_layer: int | None = None,
    activation: str = "relu",
) -> Verdict:
    """The :class:`Verdict` for one view (see the module's docstring for the rule).

    ``rms_z`` and ``theory_std`` hold ``rms(z^(h))`` of this network and the
    theory's ``sqrt(Var z^(h))`` for ``h = 0 .. L-1``; ``mean_sq_grad`` and
    ``grad_theory`` (optional, together) the mean square of ``dL/dx^(h)`` for
    ``h = 0 .. L``. ``nan`` in the measurements marks layers lost to overflow.
    """
    depth = len(rms_z)
    forward = _ratio(float(theory_std[-1]), float(theory_std[0]))
    backward = math.nan
    if grad_theory is not None:
        backward = math.sqrt(_ratio(float(grad_theory[0]), float(grad_theory[-1])))
    f_word, b_word = _word(forward), _word(backward)
    if f_word != "stable":
        status = f_word
        label = f_word if b_word in ("stable", f_word) else f"{f_word} forward, {b_word} gradients"
    else:
        status = b_word
        label = b_word if b_word == "stable" else f"{b_word} gradients"
    layers = "layer" if depth == 1 else "layers"
    headline = f"{label}: theory predicts rms(z) ×{_sci(forward)} over {depth} {layers}"
    if grad_theory is not None and not math.isnan(backward):
        headline += f", gradients ×{_sci(backward)} back to the input"
    headline += f" ({'within' if status == 'stable' else 'beyond'} ×{THRESHOLD:g})"

    if overflow_layer is not None:
        detail = f"This network: z^2 beyond float64 (~1.8e308) from layer {overflow_layer}"
    elif underflow_layer is not None:
        detail = f"This network: every activation is exactly 0 from layer {underflow_layer}"
    else:
        measured = _ratio(float(rms_z[-1]), float(rms_z[0]))
        detail = f"This network: rms(z) ×{_sci(measured)}"
        if mean_sq_grad is not None:
            g = math.sqrt(_ratio(float(mean_sq_grad[0]), float(mean_sq_grad[-1])))
            detail += f", gradients ×{_sci(g)}" if math.isfinite(g) else ", gradients not finite"
        if depth > 1 and math.isfinite(forward) and forward > 0:
            lo, hi = (forward * r for r in network_range(depth - 1, width, activation))
            detail += f"; networks like it: rms(z) ×{_sci(lo)} to ×{_sci(hi)}"
    return Verdict(status, headline, detail, forward, backward)
