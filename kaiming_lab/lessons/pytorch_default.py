"""PyTorch's default ``nn.Linear`` stack in numpy, shared by notebooks 06 and 09.

- :func:`linear_default_stack`: a ReLU stack of ``nn.Linear(width, width)``
  layers drawn as PyTorch draws them, with or without the bias;
- :func:`bias_floor`: where the bias holds the signal once the weights have
  forgotten the input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["DefaultStack", "bias_floor", "linear_default_stack"]


@dataclass(frozen=True)
class DefaultStack:
    """Per-layer root mean squares from :func:`linear_default_stack`.

    ``rms[h]`` is the root mean square of ``z^(h)`` over units and inputs;
    ``input_rms[h]`` that of ``z^(h)`` minus its mean over the inputs: the part
    of the signal that depends on the input (with a bias it bottoms out at
    float64's rounding level, about ``1e-16`` times the floor).
    """

    width: int
    bias: bool
    rms: np.ndarray
    input_rms: np.ndarray


def linear_default_stack(
    *, depth: int = 50, width: int = 256, batch: int = 64, bias: bool = True, seed: int = 0
) -> DefaultStack:
    """A ReLU stack of PyTorch-default ``nn.Linear(width, width)`` layers, in numpy.

    ``z^(h) = W^(h) x^(h) + b^(h)``, ``x^(h+1) = ReLU(z^(h))``, ``x^(0) ~ N(0, I)``
    (``batch`` inputs), one generator from ``seed``. Weights and bias are drawn as
    ``nn.Linear`` draws them (``kaiming_uniform(a=sqrt(5))``):
    ``U(-1/sqrt(width), 1/sqrt(width))``, so ``Var(W) = Var(b) = 1/(3 width)``.
    With ``bias=False`` the bias is left out (``nn.Linear(..., bias=False)``) and each
    layer keeps 1/6 of the mean square; with it the mean square settles at
    ``q* = 2/(5 width)`` (:func:`bias_floor`) while the input-dependent part keeps shrinking.
    """
    rng = np.random.default_rng(seed)
    bound = 1.0 / math.sqrt(width)
    x = rng.standard_normal((batch, width))
    rms, input_rms = np.empty(depth), np.empty(depth)
    with np.errstate(under="ignore"):
        for h in range(depth):
            z = x @ rng.uniform(-bound, bound, (width, width)).T
            if bias:
                z = z + rng.uniform(-bound, bound, width)
            rms[h] = math.sqrt(np.mean(z * z))
            input_rms[h] = math.sqrt(np.mean((z - z.mean(axis=0)) ** 2))
            x = np.maximum(z, 0.0)
    return DefaultStack(width, bias, rms, input_rms)


def bias_floor(width: int) -> float:
    """The root of the fixed point ``q* = 2/(5 width)`` of ``q -> q/6 + 1/(3 width)``.

    The length map of a ReLU layer with ``Var(W) = Var(b) = 1/(3 width)``
    (``nn.Linear``'s default): ``q' = width Var(W) q/2 + Var(b)``.
    """
    return math.sqrt(2.0 / (5.0 * width))
