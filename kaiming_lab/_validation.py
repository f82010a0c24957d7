"""Argument checks shared by the public functions.

Each check raises ``TypeError`` when the value has the wrong type and
``ValueError`` when the type is right but the value is not allowed. Every
message names the parameter, repeats the value received and says what is
allowed, so a student reading a traceback knows what to change.

numpy scalars (``np.int64``, ``np.float32``, ``np.bool_``) are accepted
wherever Python ints, floats and bools are. Names (activations, initialisers,
modes, statistics) all go through :func:`normalize_name`: matching ignores
case and surrounding spaces.

Memory: requests that would need more than :data:`MEMORY_BUDGET_BYTES`
(2 GiB unless changed; most functions that allocate also take a
``memory_budget`` keyword) are refused by :func:`check_memory` *before*
anything is allocated.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import numpy as np

#: Default memory budget (bytes) for one call: 2 GiB. Pass ``memory_budget=`` to change it.
MEMORY_BUDGET_BYTES: int = 2 * 1024**3

#: Largest number of layers a simulation or a prediction accepts (a width-1 net of this
#: depth is simulated in seconds; deeper requests are refused rather than left running).
MAX_DEPTH: int = 100_000

#: Largest number of elements a shape may have (numpy's limit on a 64-bit machine).
MAX_ELEMENTS: int = np.iinfo(np.intp).max


def _show(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, so a huge array does not flood the message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _type_name(value: object) -> str:
    return type(value).__name__


def normalize_name(value: str) -> str:
    """The one place where names are normalised: strip surrounding spaces, lower-case.

    ``"ReLU"``, ``" relu "`` and ``"RELU"`` all become ``"relu"``.
    """
    return value.strip().lower()


def check_int(name: str, value: object, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` if it is an integer in ``[minimum, maximum]``.

    Booleans and floats are rejected even when they equal a whole number,
    since ``depth=True`` or ``width=64.0`` almost always hides a mistake.
    """
    allowed = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer {allowed}, got {_show(value)} of type {_type_name(value)}"
        )
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
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
    NaN and infinities are always rejected; so are booleans and strings.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {_show(value)} of type {_type_name(value)}"
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


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` as a ``bool`` if it is ``True`` or ``False`` (``np.bool_`` included).

    Strings such as ``"no"`` and numbers such as ``1`` are rejected: both are
    truthy in Python and would silently mean ``True``.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"{name} must be True or False, got {_show(value)} of type {_type_name(value)}"
        )
    return bool(value)


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Return ``value`` normalised by :func:`normalize_name` if it is one of ``choices``."""
    options = sorted(choices)
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be a string, one of {options}, got {_show(value)} "
            f"of type {_type_name(value)}"
        )
    key = normalize_name(value)
    if key not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return key


def check_shape(name: str, shape: object) -> tuple[int, ...]:
    """Return ``shape`` as a tuple of positive ints with at least two entries.

    Weight shapes follow ``(fan_out, fan_in, *receptive_field)``. A shape whose
    number of elements does not fit numpy's index type (``2**63 - 1``) is refused.
    """
    if isinstance(shape, (str, bytes)) or not isinstance(shape, (Sequence, np.ndarray)):
        raise TypeError(
            f"{name} must be a tuple of at least 2 positive integers such as (fan_out, fan_in), "
            f"got {_show(shape)} of type {_type_name(shape)}"
        )
    if isinstance(shape, np.ndarray) and shape.ndim != 1:
        raise ValueError(f"{name} must be a flat tuple of integers, got an array of {shape.shape}")
    if len(shape) < 2:
        raise ValueError(
            f"{name} must have at least 2 dimensions (fan_out, fan_in), got {tuple(shape)!r} "
            f"with {len(shape)}"
        )
    dims = tuple(check_int(f"{name}[{i}]", s, minimum=1) for i, s in enumerate(shape))
    size = math.prod(dims)
    if size > MAX_ELEMENTS:
        raise ValueError(
            f"{name} {_show(dims)} has about 10^{len(str(size)) - 1} elements, more than an "
            f"array can hold ({MAX_ELEMENTS:.3g}); use smaller dimensions"
        )
    return dims


def check_widths(name: str, widths: object, *, minimum_length: int = 2) -> list[int]:
    """Return ``widths`` as a list of at least ``minimum_length`` positive ints."""
    if isinstance(widths, (str, bytes)) or not isinstance(widths, (Sequence, np.ndarray)):
        raise TypeError(
            f"{name} must be a sequence of at least {minimum_length} positive integers such as "
            f"[64, 128, 10], got {_show(widths)} of type {_type_name(widths)}"
        )
    if isinstance(widths, np.ndarray) and widths.ndim != 1:
        raise ValueError(
            f"{name} must be a flat sequence of integers, got an array of shape {widths.shape}"
        )
    if len(widths) < minimum_length:
        raise ValueError(
            f"{name} must have at least {minimum_length} entries (d_0 .. d_H), "
            f"got {_show(list(widths))} with {len(widths)}"
        )
    return [check_int(f"{name}[{i}]", w, minimum=1) for i, w in enumerate(widths)]


def check_array(
    name: str,
    value: object,
    *,
    ndim: int | tuple[int, ...] | None = None,
    shape_hint: str = "",
    finite: bool = True,
    min_size: int = 0,
) -> np.ndarray:
    """Return ``value`` as a float64 array after checking type, dimensions and finiteness.

    Accepts numpy arrays and nested lists of real numbers (booleans count as
    0/1 only inside arrays of dtype bool). ``None``, strings, complex and
    object arrays raise ``TypeError``; the wrong number of dimensions, too few
    entries or NaN / infinite entries raise ``ValueError`` naming ``name``.
    """
    if value is None or isinstance(value, (str, bytes, bool, np.bool_)):
        raise TypeError(
            f"{name} must be an array of real numbers{shape_hint}, got {_show(value)} "
            f"of type {_type_name(value)}"
        )
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as err:  # ragged nested lists
        raise ValueError(
            f"{name} must be a rectangular array of real numbers, got {_show(value)}: {err}"
        ) from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must hold real numbers{shape_hint}, got dtype {arr.dtype} ({_show(value)})"
        )
    arr = arr.astype(np.float64, copy=False)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be a {want} array{shape_hint}, got shape {arr.shape}")
    if arr.size < min_size:
        raise ValueError(f"{name} must hold at least {min_size} values, got {arr.size}")
    if finite:
        bad = ~np.isfinite(arr)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0]) if arr.ndim else ()
            raise ValueError(
                f"{name} must contain only finite numbers, got {int(bad.sum())} NaN/inf "
                f"entries (first at index {where}: {arr[where]})"
            )
    return arr


def check_memory_budget(value: object) -> int:
    """Return a memory budget in bytes: ``None`` means :data:`MEMORY_BUDGET_BYTES`."""
    if value is None:
        return MEMORY_BUDGET_BYTES
    return check_int("memory_budget", value, minimum=1)


def format_bytes(nbytes: float) -> str:
    """``1.5 GB``-style size (powers of 1024)."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if nbytes < 1024 or unit == "TiB":
            return f"{nbytes:.3g} {unit}"
        nbytes /= 1024
    return f"{nbytes:.3g} TiB"  # pragma: no cover


def check_memory(what: str, nbytes: float, budget: object = None) -> None:
    """Refuse a request needing ``nbytes`` bytes when it exceeds ``budget``.

    ``what`` names the parameters and their values, e.g. ``"depth=100000,
    width=256, batch=256"``; the message repeats it with the estimate and the
    budget, and says how to raise the budget.
    """
    limit = check_memory_budget(budget)
    if nbytes > limit:
        raise ValueError(
            f"{what} would need about {format_bytes(nbytes)} of memory, more than the budget of "
            f"{format_bytes(limit)}; use smaller sizes, or pass memory_budget=<bytes> to allow more"
        )


def check_seed(rng: object, name: str = "rng") -> int | np.random.Generator | None:
    """``None``, a ``Generator`` (both returned as they are) or a non-negative integer seed."""
    if rng is None or isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (bool, np.bool_)) or not isinstance(rng, numbers.Integral):
        raise TypeError(
            f"{name} must be None, a non-negative integer seed or a numpy.random.Generator, "
            f"got {_show(rng)} of type {_type_name(rng)}"
        )
    if rng < 0:
        raise ValueError(f"{name} seed must be a non-negative integer, got {rng}")
    return int(rng)


def as_generator(rng: object, name: str = "rng") -> np.random.Generator:
    """Turn ``None``, an integer seed or a ``Generator`` into a ``Generator``.

    ``None`` gives fresh OS entropy, as ``numpy.random.default_rng()`` does;
    notebooks and tests always pass a seed.
    """
    return np.random.default_rng(check_seed(rng, name))
