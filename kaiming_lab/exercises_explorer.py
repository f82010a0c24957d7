"""Self-checks for the exercises of notebook 06 (the explorer).

Each check prints whether the answer is right and, if not, what is off, in
words that point the way without giving the number away; it returns ``True``
for a right answer.
"""

from __future__ import annotations

from ._validation import check_float
from .theory import predicted_variances

__all__ = ["check_leaky_multiplier", "check_tanh_edge"]

_DEPTH = 100


def _tanh_last_over_first(multiplier: float) -> float:
    q = predicted_variances(_DEPTH, sigma_w2=2.0 * multiplier, activation="tanh")
    return float(q[-1] / q[0])


def check_tanh_edge(multiplier: float) -> bool:
    """Exercise 1: the smallest multiplier at which a tanh net's variance stops collapsing.

    Right within 5% of the answer. Uses the wide-network theory
    (:func:`~kaiming_lab.theory.predicted_variances`) at depth 100.
    """
    m = check_float("multiplier", multiplier, minimum=0.0, strict_minimum=True)
    edge = 0.5  # sigma_w^2 = 1: the slope of tanh at 0 is 1
    ratio = _tanh_last_over_first(m)
    if abs(m / edge - 1.0) <= 0.05:
        print(
            f"Right: at {m:g} the variance no longer dies off geometrically "
            f"(Var(z) at layer 99 is ×{ratio:.2g} of layer 0: a slow, power-law decline)."
        )
        return True
    if m < edge:
        print(
            f"Not yet: at {m:g} Var(z) at layer 99 is ×{ratio:.2g} of layer 0 and still "
            "shrinking by a fixed factor per layer. Move the multiplier up."
        )
    else:
        print(
            f"Not the smallest: at {m:g} the variance settles at a non-zero level "
            f"(×{ratio:.2g} of layer 0 by layer 99). Look lower for where that stops."
        )
    return False


def check_leaky_multiplier(slope: float, multiplier: float) -> bool:
    """Exercise 2: the multiplier of ``2 / fan_in`` that keeps a leaky ReLU net flat.

    Right within 1%; the check uses the closed form ``Var`` ratio per layer,
    ``2 m (1 + a^2) / 2``.
    """
    a = check_float("slope", slope, minimum=0.0, maximum=1.0)
    m = check_float("multiplier", multiplier, minimum=0.0, strict_minimum=True)
    per_layer = m * (1.0 + a * a)  # sigma_w^2 E[phi(z)^2] / Var(z) = 2m (1 + a^2) / 2
    over_100 = per_layer**99
    if abs(per_layer - 1.0) <= 0.01:
        print(f"Right: each layer multiplies Var(z) by {per_layer:.4f}; flat for slope {a:g}.")
        return True
    direction = "grows" if per_layer > 1 else "shrinks"
    print(
        f"Not yet: with slope {a:g} each layer multiplies Var(z) by {per_layer:.3g}, so it "
        f"{direction} ×{over_100:.2g} over 100 layers. Which part of the leaky ReLU's output "
        "did the factor 2 in Kaiming's rule leave out?"
    )
    return False
