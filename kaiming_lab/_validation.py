"""Argument checks shared by the public functions.

Each check raises ``TypeError`` when the value has the wrong type and
``ValueError`` when the type is right but the value is not allowed. Every
message names the parameter, repeats the value received and says what is
allowed, so a student reading a traceback knows what to change.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import numpy as np


def check_int(name: str, value: object, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` if it is an integer in ``[minimum, maximum]``.

    Booleans and floats are rejected even when they equal a whole number,
    since ``depth=True`` or ``width=64.0`` almost always hides a mistake.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer >= {minimum}, got {value!r} of type {type(value).__name__}"
        )
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        allowed = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise ValueError(f"{name} must be an integer {allowed}, got {value}")
    return value


def check_float(
    name: str,
    value: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict_minimum: bool = False,
) -> float:
    """Return ``value`` as a finite ``float`` within the given bounds.

    ``strict_minimum=True`` excludes the minimum itself (for "must be > 0").
    NaN and infinities are always rejected.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {value!r} of type {type(value).__name__}"
        )
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None:
        if strict_minimum and value <= minimum:
            raise ValueError(f"{name} must be > {minimum}, got {value}")
        if not strict_minimum and value < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices`` (case-insensitive), lower-cased."""
    options = sorted(choices)
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be a string, one of {options}, got {value!r} "
            f"of type {type(value).__name__}"
        )
    key = value.lower()
    if key not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return key


def check_shape(name: str, shape: object) -> tuple[int, ...]:
    """Return ``shape`` as a tuple of positive ints with at least two entries.

    Weight shapes follow ``(fan_out, fan_in, *receptive_field)``.
    """
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence):
        raise TypeError(
            f"{name} must be a tuple of at least 2 positive integers such as (fan_out, fan_in), "
            f"got {shape!r}"
        )
    if len(shape) < 2:
        raise ValueError(
            f"{name} must have at least 2 dimensions (fan_out, fan_in), got {tuple(shape)!r} "
            f"with {len(shape)}"
        )
    return tuple(check_int(f"{name}[{i}]", s, minimum=1) for i, s in enumerate(shape))


def as_generator(rng: object, name: str = "rng") -> np.random.Generator:
    """Turn ``None``, an integer seed or a ``Generator`` into a ``Generator``.

    ``None`` gives fresh OS entropy, as ``numpy.random.default_rng()`` does;
    notebooks and tests always pass a seed.
    """
    if rng is None or isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng)
    if isinstance(rng, bool) or not isinstance(rng, numbers.Integral):
        raise TypeError(
            f"{name} must be None, a non-negative integer seed or a numpy.random.Generator, "
            f"got {rng!r} of type {type(rng).__name__}"
        )
    if rng < 0:
        raise ValueError(f"{name} seed must be a non-negative integer, got {rng}")
    return np.random.default_rng(int(rng))
