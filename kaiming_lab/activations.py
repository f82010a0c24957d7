"""Activation functions with their derivatives, looked up by name.

``get_activation("leaky_relu", slope=0.1)`` returns an :class:`Activation`
whose ``forward`` and ``derivative`` work element-wise on numpy arrays
without emitting overflow warnings (sigmoid and SELU use the numerically
stable forms).

An activation is *positively homogeneous* when ``phi(c z) = c phi(z)`` for
every ``c > 0`` (ReLU, leaky ReLU, linear). For those the ratio
``E[phi(z)^2] / Var(z)`` is the same constant for every symmetric ``z``,
which is what makes Kaiming's rule a closed form.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._validation import check_choice, check_float

__all__ = ["ACTIVATIONS", "Activation", "get_activation"]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """An element-wise nonlinearity ``phi`` with its derivative ``phi'``.

    ``second_moment_ratio`` is ``E[phi(z)^2] / E[z^2]`` for any ``z``
    symmetric about 0 when ``phi`` is positively homogeneous (``(1 + a^2)/2``
    for a leaky ReLU of slope ``a``), and ``None`` otherwise.
    """

    name: str
    forward: Callable[[Array], Array]
    derivative: Callable[[Array], Array]
    slope: float | None = None
    second_moment_ratio: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string, got {self.name!r}")
        for label in ("forward", "derivative"):
            if not callable(getattr(self, label)):
                raise TypeError(
                    f"{label} must be a callable acting on numpy arrays, "
                    f"got {getattr(self, label)!r}"
                )
        if self.slope is not None:
            object.__setattr__(self, "slope", check_float("slope", self.slope, minimum=0.0))
        if self.second_moment_ratio is not None:
            ratio = check_float("second_moment_ratio", self.second_moment_ratio, minimum=0.0)
            object.__setattr__(self, "second_moment_ratio", ratio)

    @property
    def homogeneous(self) -> bool:
        """True when ``phi(c z) = c phi(z)`` for all ``c > 0``."""
        return self.second_moment_ratio is not None

    def __call__(self, z: Array) -> Array:
        return self.forward(z)

    def __repr__(self) -> str:
        extra = "" if self.slope is None else f", slope={self.slope:g}"
        return f"Activation({self.name!r}{extra})"


def _leaky(slope: float) -> Activation:
    def forward(z: Array) -> Array:
        z = np.asarray(z, dtype=float)
        if slope == 0.0:
            return np.maximum(z, 0.0)
        return np.where(z > 0, z, slope * z)

    def derivative(z: Array) -> Array:
        z = np.asarray(z, dtype=float)
        return np.where(z > 0, 1.0, slope)

    name = "relu" if slope == 0.0 else "leaky_relu"
    return Activation(
        name, forward, derivative, slope=slope, second_moment_ratio=(1.0 + slope**2) / 2.0
    )


def _linear(z: Array) -> Array:
    return np.asarray(z, dtype=float).copy()


def _ones(z: Array) -> Array:
    return np.ones_like(np.asarray(z, dtype=float))


def _tanh_derivative(z: Array) -> Array:
    return 1.0 - np.tanh(np.asarray(z, dtype=float)) ** 2


def _sigmoid(z: Array) -> Array:
    from scipy import special  # imported here: the explorer's kernel never needs scipy

    return special.expit(z)


def _sigmoid_derivative(z: Array) -> Array:
    s = _sigmoid(np.asarray(z, dtype=float))
    return s * (1.0 - s)


def _gelu(z: Array) -> Array:
    from scipy import special

    z = np.asarray(z, dtype=float)
    return z * special.ndtr(z)


def _gelu_derivative(z: Array) -> Array:
    from scipy import special

    z = np.asarray(z, dtype=float)
    with np.errstate(over="ignore", under="ignore"):
        # for large |z| the density term z * phi(z) is 0, not inf * 0
        density = np.exp(-0.5 * np.square(np.clip(z, -40.0, 40.0)))
    return special.ndtr(z) + z * density / math.sqrt(2 * math.pi)


def _selu(z: Array) -> Array:
    z = np.asarray(z, dtype=float)
    return SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0.0)))


def _selu_derivative(z: Array) -> Array:
    z = np.asarray(z, dtype=float)
    return SELU_SCALE * np.where(z > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(z, 0.0)))


_FIXED: dict[str, Activation] = {
    "linear": Activation("linear", _linear, _ones, second_moment_ratio=1.0),
    "tanh": Activation("tanh", np.tanh, _tanh_derivative),
    "sigmoid": Activation("sigmoid", _sigmoid, _sigmoid_derivative),
    "gelu": Activation("gelu", _gelu, _gelu_derivative),
    "selu": Activation("selu", _selu, _selu_derivative),
}

#: Names accepted by :func:`get_activation`.
ACTIVATIONS: tuple[str, ...] = tuple(sorted([*_FIXED, "relu", "leaky_relu"]))


def get_activation(name: str | Activation, *, slope: float = 0.01) -> Activation:
    """Look up an activation by name (``slope`` is used only by ``leaky_relu``).

    ``relu`` is ``max(0, z)``; ``leaky_relu`` is ``z`` for ``z > 0`` and
    ``slope * z`` otherwise; ``gelu`` is the exact ``z * Phi(z)``; ``selu``
    uses Klambauer et al.'s constants. Passing an :class:`Activation` returns it.
    Names ignore case (``"ReLU"``); ``slope`` must be a number in ``[0, 1]``
    whichever activation is asked for, so a typo never passes unnoticed.
    """
    return _resolve(name, slope, "name")


def _resolve(value: str | Activation, slope: object, parameter: str) -> Activation:
    """:func:`get_activation`, with errors naming ``parameter`` (``activation`` for callers)."""
    if isinstance(value, Activation):
        return value
    key = check_choice(parameter, value, ACTIVATIONS)
    slope = check_float("slope", slope, minimum=0.0, maximum=1.0)
    if key == "relu":
        return _leaky(0.0)
    if key == "leaky_relu":
        return _leaky(slope)
    return _FIXED[key]


def activation_argument(value: str | Activation, *, slope: float = 0.01) -> Activation:
    """:func:`get_activation` for an ``activation`` argument: its errors name ``activation``."""
    return _resolve(value, slope, "activation")
