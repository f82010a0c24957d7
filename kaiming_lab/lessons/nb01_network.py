"""Scaffolding for ``notebooks/01_the_network.ipynb``: its exercise checks (its figure,
:func:`~kaiming_lab.lessons.plots.plot_rms_by_layer`, is shared with the deck and re-exported).

Each ``check_*(answer)`` returns a :class:`~kaiming_lab.lessons.checks.CheckResult`.
``check_he_normal`` and ``check_he_uniform`` take the student's *function*
``f(shape, rng)``: they call it on fresh shapes and seeds, estimate the
variance of what comes back, and name the slip it matches (a std passed as a
variance, the missing factor 2, fan_out for fan_in, a transposed shape, ...)
without printing the expected number.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .checks import UNANSWERED, CheckResult, check_number
from .plots import plot_rms_by_layer

__all__ = [
    "CHECK_SHAPES",
    "check_he_normal",
    "check_he_uniform",
    "check_kaiming_std",
    "check_weight_shape",
    "plot_rms_by_layer",
]

#: The shapes the initialiser checks try: two non-square ``(fan_out, fan_in)``
#: weights, one the transpose of the other, and a conv weight
#: ``(c_out, c_in, k, k)`` with fan_in = 16 * 3 * 3 and fan_out = 64 * 3 * 3.
CHECK_SHAPES: tuple[tuple[int, ...], ...] = ((128, 512), (512, 128), (64, 16, 3, 3))

#: An estimate "matches" a candidate variance when within this many standard errors.
_K_SE = 5.0
#: Kurtosis E[w^4] / E[w^2]^2 is 3 for a normal and 1.8 for a uniform; split halfway.
_KURTOSIS_SPLIT = 2.4


def check_weight_shape(answer: object) -> CheckResult:
    """Exercise (notebook 01): the shape of ``W^(h)`` for ``d_h = 784`` and ``d_{h+1} = 300``."""
    if answer is None:
        return UNANSWERED
    try:
        shape = tuple(int(s) for s in answer)
    except (TypeError, ValueError):
        return CheckResult(False, True, "Give the shape as a tuple of two ints: (rows, columns).")
    if shape == (300, 784):
        return CheckResult(True, True, "Correct.")
    if shape == (784, 300):
        return CheckResult(
            False,
            True,
            "Not yet: that is the transpose. z = W x must have one row per output unit, "
            "so the rows count fan_out and the columns count fan_in.",
        )
    return CheckResult(
        False,
        True,
        "Not yet. Hint: W^(h) maps a vector with d_h entries to one with d_{h+1} entries.",
    )


def check_kaiming_std(answer: object) -> CheckResult:
    """Exercise (notebook 01): ``scale`` for ``rng.normal`` giving Kaiming weights, d_h = 288."""
    d = 288
    return check_number(
        answer,
        math.sqrt(2.0 / d),
        mistakes=[
            (2.0 / d, "That is the variance 2/d_h. numpy's `scale` is a standard deviation."),
            (math.sqrt(1.0 / d), "That is the linear (Xavier-style) scale: ReLU needs the 2."),
            (1.0 / d, "Two slips: the factor 2 is missing, and `scale` wants a std."),
        ],
        hint="N(0, v) in the lecture names the variance v; rng.normal wants its square root.",
    )


# --- the initialiser exercises ---------------------------------------------------------


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


@dataclass(frozen=True)
class _Slip:
    """A wrong answer: the variance it gives, as a function of the shape, and what to say."""

    variance: Callable[[tuple[int, ...]], float]
    message: str


_NOT_ANSWERED = (NotImplementedError,)
#: What an untouched stub (``return None`` or ``raise NotImplementedError``) gets.
_UNWRITTEN = CheckResult(
    False, False, "Not answered yet: write the body of the function, then run the cell again."
)


class _Unanswered(Exception):
    pass


class _Problem(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _call(func: Callable, shape: tuple[int, ...], seed: int) -> np.ndarray:
    try:
        out = func(shape, np.random.default_rng(seed))
    except _NOT_ANSWERED as err:
        raise _Unanswered from err
    except Exception as err:  # the student's code failed: say how, as Python would
        raise _Problem(f"Not yet: your function raised {type(err).__name__}: {err}") from err
    if out is None:
        raise _Unanswered
    try:
        w = np.asarray(out, dtype=float)
    except (TypeError, ValueError) as err:
        raise _Problem("Not yet: return a numpy array of weights.") from err
    if w.shape != shape:
        if len(shape) == 2 and w.shape == shape[::-1]:
            raise _Problem(
                f"Not yet: for shape={shape} your array is transposed. Return an array of "
                "exactly the shape you are given, (fan_out, fan_in): one row per output unit."
            )
        raise _Problem(
            f"Not yet: for shape={shape} your function returned shape {w.shape}. "
            "Pass the whole shape tuple to the draw (size=shape)."
        )
    if not np.all(np.isfinite(w)):
        raise _Problem("Not yet: your weights contain NaN or infinite values.")
    return w


def _second_moment(w: np.ndarray) -> tuple[float, float]:
    squares = w.ravel() ** 2
    return float(squares.mean()), float(squares.std(ddof=1) / math.sqrt(squares.size))


def _check_initializer(
    func: object,
    *,
    target: Callable[[tuple[int, ...]], float],
    slips: Sequence[_Slip],
    uniform: bool,
    hint: str,
) -> CheckResult:
    """Call ``func(shape, rng)`` on :data:`CHECK_SHAPES`, compare its variance with ``target``."""
    if func is None:
        return _UNWRITTEN
    if not callable(func):
        return CheckResult(False, True, "Pass your function itself, without calling it.")
    try:
        draws = [_call(func, shape, seed) for seed, shape in enumerate(CHECK_SHAPES, start=11)]
        again = _call(func, CHECK_SHAPES[0], 11)
    except _Unanswered:
        return _UNWRITTEN
    except _Problem as problem:
        return CheckResult(False, True, problem.message)
    if not np.array_equal(draws[0], again):
        return CheckResult(
            False,
            True,
            "Not yet: two calls with the same seed gave different weights. "
            "Draw every number from the `rng` argument, so that a seed reproduces them.",
        )
    moments = [_second_moment(w) for w in draws]

    def matches(variance: Callable[[tuple[int, ...]], float]) -> bool:
        return all(
            abs(value - variance(shape)) <= _K_SE * se
            for (value, se), shape in zip(moments, CHECK_SHAPES, strict=True)
        )

    def matches_one(moment: tuple[float, float], shape: tuple[int, ...]) -> bool:
        return abs(moment[0] - target(shape)) <= _K_SE * moment[1]

    for w, shape in zip(draws, CHECK_SHAPES, strict=True):
        if abs(w.mean()) > _K_SE * w.std() / math.sqrt(w.size):
            return CheckResult(
                False,
                True,
                f"Not yet: for shape={shape} your weights are not centred on 0. "
                "The draw must be symmetric about 0.",
            )
    if matches(target):
        pooled = np.concatenate(
            [(w / math.sqrt(target(s))).ravel() for w, s in zip(draws, CHECK_SHAPES, strict=True)]
        )
        kurtosis = float(np.mean(pooled**4) / np.mean(pooled**2) ** 2)
        if uniform and kurtosis > _KURTOSIS_SPLIT:
            return CheckResult(
                False,
                True,
                "Not yet: the variance is right, but the values look normally distributed. "
                "This exercise asks for a uniform draw: use rng.uniform.",
            )
        if not uniform and kurtosis < _KURTOSIS_SPLIT:
            return CheckResult(
                False,
                True,
                "Not yet: the variance is right, but the values look uniformly distributed. "
                "This exercise asks for a normal draw: use rng.standard_normal.",
            )
        return CheckResult(True, True, "Correct.")
    for slip in slips:
        if matches(slip.variance):
            return CheckResult(False, True, f"Not yet. {slip.message}")
    # the target did not match, so at least one shape is more than _K_SE standard errors off
    (value, _), shape = next(
        (m, s) for m, s in zip(moments, CHECK_SHAPES, strict=True) if not matches_one(m, s)
    )
    direction = "too large" if value > target(shape) else "too small"
    return CheckResult(
        False,
        True,
        f"Not yet: for shape={shape} the variance of your weights is {direction}. Hint: {hint}",
    )


def _kaiming_variance(shape: tuple[int, ...]) -> float:
    return 2.0 / _fans(shape)[0]


_FAN_OUT = (
    "You divided by fan_out, the number of output units. The forward rule divides by "
    "fan_in: the number of inputs each unit sums over (shape[1], times the kernel size "
    "for a convolution)."
)
_KERNEL = (
    "Right for the matrices, wrong for the convolution: there fan_in is c_in times "
    "the kernel's k * k, the number of inputs one output sums over."
)


def check_he_normal(func: object) -> CheckResult:
    """Exercise (notebook 01): ``he_normal(shape, rng)``, Kaiming normal weights from ``rng``.

    The right answer draws ``N(0, 2 / fan_in)`` with ``fan_in = prod(shape[1:])``.
    Recognised slips: the std used as the variance (variance ``(2/fan_in)^2``),
    the missing factor 2 (``1/fan_in``), ``fan_out`` for ``fan_in``, both, the
    conv kernel left out of the fan, an unscaled ``standard_normal``, Xavier's
    ``2 / (fan_in + fan_out)``, a transposed or wrong shape, a uniform draw,
    ignoring ``rng``.
    """

    slips = [
        _Slip(
            lambda s: (2.0 / _fans(s)[0]) ** 2,
            "Your weights have variance (2/fan_in)^2: you used the variance as the std. "
            "N(0, v) names the variance v, and standard_normal must be multiplied by a std.",
        ),
        _Slip(
            lambda s: 1.0 / _fans(s)[0],
            "Your variance is half of Kaiming's: that is the linear 1/fan_in. "
            "A ReLU layer needs the factor 2.",
        ),
        _Slip(lambda s: 2.0 / _fans(s)[1], _FAN_OUT),
        _Slip(lambda s: 1.0 / _fans(s)[1], "Two slips: fan_out for fan_in, and the factor 2."),
        _Slip(lambda s: 2.0 / s[1], _KERNEL),
        _Slip(
            lambda s: 1.0,
            "Your weights have variance 1: standard_normal draws N(0, 1), so scale it.",
        ),
        _Slip(
            lambda s: 2.0 / (_fans(s)[0] + _fans(s)[1]),
            "That is Xavier's variance, which averages fan_in and fan_out. "
            "Kaiming's forward rule uses fan_in only.",
        ),
    ]
    return _check_initializer(
        func,
        target=_kaiming_variance,
        slips=slips,
        uniform=False,
        hint="Var(W) = 2/fan_in, and the factor multiplying standard_normal is a std.",
    )


def check_he_uniform(func: object) -> CheckResult:
    """Exercise (notebook 01): ``he_uniform(shape, rng)``, Kaiming uniform weights from ``rng``.

    The right answer draws ``U(-bound, bound)`` with ``Var = bound^2 / 3 = 2 / fan_in``.
    Recognised slips: the bound set to the normal's std ``sqrt(2/fan_in)``
    (variance a third of the target), the bound set to the variance ``2/fan_in``,
    the missing factor 2, ``fan_out`` for ``fan_in``, the conv kernel left out,
    an unscaled ``uniform(-1, 1)``, a one-sided ``uniform(0, bound)``, a normal
    draw, a transposed or wrong shape, ignoring ``rng``.
    """

    slips = [
        _Slip(
            lambda s: 2.0 / _fans(s)[0] / 3.0,
            "You used the normal's std as the bound. A uniform U(-s, s) has variance "
            "s^2 / 3, so its std is smaller than s: the bound is not the std.",
        ),
        _Slip(
            lambda s: (2.0 / _fans(s)[0]) ** 2 / 3.0,
            "You used the variance 2/fan_in as the bound. The bound is a distance on the "
            "weights' own scale, like a std: find the s for which U(-s, s) has variance 2/fan_in.",
        ),
        _Slip(
            lambda s: 1.0 / _fans(s)[0],
            "Your variance is half of Kaiming's: the factor 2 of the ReLU rule is missing.",
        ),
        _Slip(lambda s: 2.0 / _fans(s)[1], _FAN_OUT),
        _Slip(lambda s: 2.0 / s[1], _KERNEL),
        _Slip(
            lambda s: 1.0 / 3.0,
            "Your weights are U(-1, 1): the bound has to depend on fan_in.",
        ),
    ]
    return _check_initializer(
        func,
        target=_kaiming_variance,
        slips=slips,
        uniform=True,
        hint="U(-s, s) has variance s^2 / 3; choose s so that this equals 2/fan_in.",
    )
