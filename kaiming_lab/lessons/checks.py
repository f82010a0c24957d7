"""The common ground of every notebook's self-checks.

Each ``check_<name>(answer)`` returns a :class:`CheckResult`: truthy when the
answer is right, and displayed in a notebook as a short message. A wrong
answer gets a hint aimed at the most likely slip (variance for standard
deviation, ``Var(x)`` for ``E[x^2]``, a transposed shape, ...) but never the
answer itself: no message contains the digits of the expected value, and the
student's own value is not echoed back. ``None`` means "not answered yet".
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "NOT_WRITTEN",
    "UNANSWERED",
    "CheckResult",
    "as_number",
    "call_student",
    "check_number",
    "close",
    "judge_number",
    "slip_tolerances",
]

REL_TOL = 1e-3
#: Within this relative distance of the exact value an answer is "close: more digits".
NEAR_TOL = 1e-2
#: The widest relative window a slip is matched in (narrower when slips lie close together).
MISTAKE_TOL = 1e-2


@dataclass(frozen=True)
class CheckResult:
    """Outcome of a self-check: ``correct``, whether anything was ``answered``, and a message."""

    correct: bool
    answered: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message


UNANSWERED = CheckResult(
    False, False, "Not answered yet: replace None with your answer and run the cell again."
)
#: What a function exercise reports while its stub is untouched (not an error).
NOT_WRITTEN = CheckResult(
    False, False, "Not answered yet: write the body of the function and run the cell again."
)


def call_student(
    func: Callable[..., object],
    *args: object,
    explain: Callable[[Exception], str | None] | None = None,
) -> tuple[object, CheckResult | None]:
    """Call the student's function ``func(*args)`` without letting it crash the notebook.

    Returns ``(value, None)`` when it returned something, and ``(None, result)``
    otherwise: :data:`NOT_WRITTEN` for an untouched stub (it raised
    ``NotImplementedError`` or returned ``None``), or a wrong answer naming the
    exception it raised, as Python would. ``explain(err)`` may turn a
    recognised exception into a more helpful message (``None``: the default).
    numpy's floating-point warnings are silenced while the student's code runs:
    the check reports what went wrong in words.
    """
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = func(*args)
    except NotImplementedError:
        return None, NOT_WRITTEN
    except Exception as err:  # the student's code: report any failure in words, never raise
        message = explain(err) if explain is not None else None
        if message is None:
            message = f"Not yet: your function raised {type(err).__name__}: {err}"
        return None, CheckResult(False, True, message)
    if value is None:
        return None, NOT_WRITTEN
    return value, None


def judge_number(
    value: object,
    exact: float,
    slips: Sequence[tuple[float, str]],
    *,
    where: str,
    hint: str,
    rel: float = 1e-9,
    slip_rel: float | None = None,
    near: tuple[float, str] | None = None,
) -> CheckResult | None:
    """``None`` when ``value`` equals ``exact`` (relative ``rel``); else the reason it does not.

    The reason names the first slip in ``slips`` (``(wrong value, why)``,
    compared with relative tolerance ``slip_rel``, default ``rel``) that the
    value matches; else, with ``near = (near_rel, advice)``, a value within
    ``near_rel`` of ``exact`` is told it is close, with ``advice``; else it says
    whether the value is too large or too small and gives the ``hint``. ``where``
    says which of the check's inputs the value is for ("at a = 0.3"). Messages
    never contain the exact value.
    """
    number = as_number(value)
    if number is None:
        return CheckResult(
            False, True, f"Not a finite number ({where}): return a single float, not an array."
        )
    if math.isclose(number, exact, rel_tol=rel, abs_tol=1e-15):
        return None
    slip_rel = rel if slip_rel is None else slip_rel
    for wrong, why in slips:
        if math.isfinite(wrong) and math.isclose(number, wrong, rel_tol=slip_rel, abs_tol=1e-15):
            return CheckResult(False, True, f"Not yet ({where}). {why}")
    if near is not None and math.isclose(number, exact, rel_tol=near[0]):
        return CheckResult(False, True, f"Close ({where}): {near[1]}")
    direction = "too large" if number > exact else "too small"
    return CheckResult(False, True, f"Not yet ({where}): your value is {direction}. Hint: {hint}")


def as_number(answer: object) -> float | None:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return None
    value = float(answer)
    return value if math.isfinite(value) else None


def close(a: float, b: float, rel: float) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-15)


def _relative_distance(a: float, b: float) -> float:
    scale = max(abs(a), abs(b))
    return abs(a - b) / scale if scale > 0 else 0.0


def slip_tolerances(exact: float, slips: Sequence[float]) -> list[float]:
    """The relative window each slip is matched in: ``min(MISTAKE_TOL, d / 3)``.

    ``d`` is the relative distance from the slip to the nearest other candidate
    (``exact`` or another slip), so windows never overlap and a value is
    never diagnosed as a slip it is farther from than from another one.
    """
    candidates = [exact, *slips]
    windows = []
    for i, slip in enumerate(slips, start=1):
        others = [_relative_distance(slip, c) for j, c in enumerate(candidates) if j != i]
        windows.append(min([MISTAKE_TOL, *(d / 3 for d in others)]))
    return windows


def check_number(
    answer: object,
    exact: float,
    *,
    mistakes: Sequence[tuple[float, str]] = (),
    hint: str,
    rel: float = REL_TOL,
) -> CheckResult:
    """Compare a numeric answer with ``exact`` by the module's rule (see the module docstring).

    Correct within relative ``rel``; within :data:`NEAR_TOL` (1 %) of ``exact``
    the message asks for more digits; a value matching one of ``mistakes``
    (``(wrong value, why)``, within :func:`slip_tolerances`) gets that slip's
    message; anything else is called too large or too small, with ``hint``.
    """
    if answer is None:
        return UNANSWERED
    value = as_number(answer)
    if value is None:
        return CheckResult(
            False, True, "Not a finite number: the answer should be a single float such as 1.0."
        )
    if close(value, exact, rel):
        return CheckResult(True, True, "Correct.")
    if close(value, exact, NEAR_TOL):
        return CheckResult(
            False,
            True,
            "Close, within 1 %: the method looks right. Give more digits "
            "(at least four significant figures), or let Python compute the number.",
        )
    windows = slip_tolerances(exact, [wrong for wrong, _ in mistakes])
    for (wrong, why), window in zip(mistakes, windows, strict=True):
        if close(value, wrong, window):
            return CheckResult(False, True, f"Not yet. {why}")
    direction = "too large" if value > exact else "too small"
    return CheckResult(False, True, f"Not yet: your value is {direction}. Hint: {hint}")
