"""Optimisers for :mod:`kaiming_lab.mlp`'s parameters: SGD with momentum and Adam.

Both return new parameters and a new optimiser state and leave their inputs
untouched. The public steps check their arguments once; ``_sgd_momentum_step``
and ``_adam_step`` do the same update unchecked, for
:mod:`kaiming_lab.training`'s loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._validation import check_float
from .mlp import Params, _check_params

__all__ = ["OPTIMIZERS", "AdamState", "adam_step", "sgd_momentum_step"]

#: Optimisers accepted by :func:`kaiming_lab.training.train`.
OPTIMIZERS: tuple[str, ...] = ("sgd", "adam")


def _check_lr(lr: object) -> float:
    return check_float("lr", lr, minimum=0.0, strict_minimum=True)


def _check_momentum(momentum: object) -> float:
    return check_float("momentum", momentum, minimum=0.0, maximum=1.0)


def _check_same_shapes(params: Params, others: dict[str, Params]) -> None:
    """Raise a ValueError naming the first of ``others`` whose layer shapes are not ``params``'s."""
    expected = [(W.shape, b.shape) for W, b in params]
    for name, other in others.items():
        try:
            shapes = [(np.shape(W), np.shape(b)) for W, b in other]
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must be a list of (W, b) pairs shaped like params, got {other!r:.60}"
            ) from None
        if shapes != expected:
            raise ValueError(f"{name} must have the same layer shapes as params, got {shapes}")


def sgd_momentum_step(
    params: Params,
    grads: Params,
    velocity: Params,
    *,
    lr: float,
    momentum: float,
) -> tuple[Params, Params]:
    """One step of SGD with momentum; returns new ``(params, velocity)`` (inputs untouched).

    PyTorch's form, for every weight and bias ``p`` with gradient ``g``:

        v <- momentum * v + g,        p <- p - lr * v.

    With a constant ``lr`` it is the same as ``v <- momentum v - lr g; p <- p + v``.
    Start with ``velocity`` all zeros.
    """
    lr = _check_lr(lr)
    momentum = _check_momentum(momentum)
    params = _check_params(params)
    _check_same_shapes(params, {"grads": grads, "velocity": velocity})
    return _sgd_momentum_step(params, grads, velocity, lr, momentum)


@dataclass(frozen=True, eq=False)
class AdamState:
    """Adam's running averages: ``first`` (of ``g``) and ``second`` (of ``g**2``), per
    weight and bias, and ``step``, the number of steps taken. Start from :meth:`zeros`."""

    first: Params
    second: Params
    step: int = 0

    @classmethod
    def zeros(cls, params: Params) -> AdamState:
        """The state before the first step: all averages zero, ``step = 0``."""
        zeros = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
        return cls(first=zeros, second=[(W.copy(), b.copy()) for W, b in zeros], step=0)


def adam_step(
    params: Params,
    grads: Params,
    state: AdamState,
    *,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> tuple[Params, AdamState]:
    """One Adam step (Kingma and Ba 2015, PyTorch's form); returns new ``(params, state)``.

    For every weight and bias ``p`` with gradient ``g``, at step ``t = state.step + 1``:

        m <- b1 m + (1 - b1) g,      v <- b2 v + (1 - b2) g**2,
        p <- p - lr * (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps).

    The step divides by the gradient's own running size, so multiplying every
    gradient by a constant ``c`` changes it only through ``eps`` (the first
    step is ``lr * g / (|g| + eps)``, about ``lr`` per entry). Inputs are untouched.
    """
    lr = _check_lr(lr)
    if not (isinstance(betas, Sequence) and len(betas) == 2):
        raise TypeError(f"betas must be a pair (b1, b2), got {betas!r}")
    b1 = check_float("betas[0]", betas[0], minimum=0.0, maximum=1.0)
    b2 = check_float("betas[1]", betas[1], minimum=0.0, maximum=1.0)
    if b1 >= 1.0 or b2 >= 1.0:
        raise ValueError(f"betas must each be in [0, 1), got {betas!r}")
    eps = check_float("eps", eps, minimum=0.0, strict_minimum=True)
    params = _check_params(params)
    if not isinstance(state, AdamState):
        raise TypeError(f"state must be an AdamState (AdamState.zeros(params)), got {state!r}")
    others = {"grads": grads, "state.first": state.first, "state.second": state.second}
    _check_same_shapes(params, others)
    return _adam_step(params, grads, state, lr, b1, b2, eps)


def _adam_step(
    params: Params,
    grads: Params,
    state: AdamState,
    lr: float,
    b1: float,
    b2: float,
    eps: float,
) -> tuple[Params, AdamState]:
    """:func:`adam_step` without the argument checks."""
    t = state.step + 1
    c1, c2 = 1.0 - b1**t, 1.0 - b2**t
    new_params: Params = []
    first: Params = []
    second: Params = []
    for p_pair, g_pair, m_pair, v_pair in zip(
        params, grads, state.first, state.second, strict=True
    ):
        new_p, new_m, new_v = [], [], []
        for p, g, m, v in zip(p_pair, g_pair, m_pair, v_pair, strict=True):
            m = b1 * m + (1.0 - b1) * g
            v = b2 * v + (1.0 - b2) * g * g
            new_p.append(p - lr * (m / c1) / (np.sqrt(v / c2) + eps))
            new_m.append(m)
            new_v.append(v)
        new_params.append((new_p[0], new_p[1]))
        first.append((new_m[0], new_m[1]))
        second.append((new_v[0], new_v[1]))
    return new_params, AdamState(first=first, second=second, step=t)


def _sgd_momentum_step(
    params: Params, grads: Params, velocity: Params, lr: float, momentum: float
) -> tuple[Params, Params]:
    """:func:`sgd_momentum_step` without the argument checks."""
    new_params: Params = []
    new_velocity: Params = []
    for (W, b), (gW, gb), (vW, vb) in zip(params, grads, velocity, strict=True):
        vW = momentum * vW + gW
        vb = momentum * vb + gb
        new_velocity.append((vW, vb))
        new_params.append((W - lr * vW, b - lr * vb))
    return new_params, new_velocity
