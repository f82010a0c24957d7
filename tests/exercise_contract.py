"""What every value exercise check of notebooks 01-05 promises (used by tests/lessons/test_nbNN.py).

A value check takes the student's answer (a number, a shape, a layer index)
and returns a ``CheckResult``: the right answer passes with "Correct.", ``None``
means not answered, and no message gives the answer away. A numeric answer is
judged with a relative tolerance of 1 in 1,000; within 1 % it is told to give
more digits, and three significant figures are never called wrong. Each
notebook's test file recomputes its answers from the formulas in the exercise
texts (not copied from the module), so a wrong constant in a lesson fails.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from types import ModuleType

#: Numbers no exercise has as its answer.
WRONG_GUESSES = (0.0, 1.0, -3.0, 0.5, 2.0, 17.0, 1e6, 1e-6)


def value_checks(module: ModuleType, function_checks: Iterable[str] = ()) -> set[str]:
    """Names of the module's exercise checks that take a value (not the student's function)."""
    skip = set(function_checks)
    return {n for n in module.__all__ if n.startswith("check_") and n not in skip}


def _digits(value: object) -> list[str]:
    """Digit strings that would give the answer away (3 significant digits, no leading zeros)."""
    if isinstance(value, tuple):
        return [str(v) for v in value]
    if isinstance(value, int):
        return [str(value)]
    mantissa = f"{abs(value):.2e}".split("e")[0].replace(".", "")
    return [mantissa, f"{value:.3g}"]


def _round_sig(value: float, digits: int) -> float:
    return float(f"{value:.{digits - 1}e}")


def assert_value_check(check: Callable, answer: object, guesses: Iterable[object] = ()) -> None:
    """Right answer passes, ``None`` is not answered, and no message (for the ``guesses``
    and a few malformed answers) contains the answer's digits."""
    right = check(answer)
    assert right.correct and right.answered and bool(right)
    assert right.message == "Correct."
    unanswered = check(None)
    assert not unanswered and not unanswered.answered
    assert "Not answered yet" in repr(unanswered)
    for guess in [None, "abc", math.nan, True, *guesses]:
        message = re.sub(r"\s", "", check(guess).message)
        for digits in _digits(answer):
            assert digits not in message, (guess, message)


def assert_numeric_check(check: Callable, answer: float, slips: Iterable[float] = ()) -> None:
    """:func:`assert_value_check`, plus the tolerance and the messages near the answer."""
    scaled = [answer * f for f in (2.0, 0.5, 1.1, 0.9, 10.0)]
    assert_value_check(check, answer, [*scaled, *WRONG_GUESSES, *slips])
    for factor in (1.5, 0.7):
        wrong = check(answer * factor)
        assert not wrong and wrong.answered and wrong.message.startswith("Not yet")
    assert check(answer * (1 + 5e-4))
    assert not check(answer * (1 + 5e-3))
    rounded = check(_round_sig(answer, 3))
    assert rounded.correct or "more digits" in rounded.message, rounded.message
    for offset in (-9e-3, -2e-3, 2e-3, 9e-3):
        near = check(answer * (1 + offset))
        assert not near and near.answered
        assert "more digits" in near.message and "Hint" not in near.message
