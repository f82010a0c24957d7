"""kaiming_lab.lessons.checks, the common ground of every notebook's self-checks."""

from __future__ import annotations

from kaiming_lab.lessons import checks
from kaiming_lab.lessons.checks import judge_number


def test_slip_windows_are_narrower_than_the_gaps_between_slips() -> None:
    windows = checks.slip_tolerances(1.0, [0.5, 0.503, 2.0])
    assert windows[2] == checks.MISTAKE_TOL  # far from everything: the widest window
    gap = (0.503 - 0.5) / 0.503
    assert windows[0] <= gap / 3 and windows[1] <= gap / 3


def test_judge_number_names_a_slip_before_saying_close_and_close_before_direction():
    slips = [(1.005, "You used the slip.")]
    kwargs = {"where": "here", "hint": "think", "rel": 1e-3, "near": (0.01, "more digits.")}
    assert judge_number(1.0004, 1.0, slips, **kwargs) is None
    assert judge_number(1.005, 1.0, slips, **kwargs).message == "Not yet (here). You used the slip."
    assert judge_number(0.995, 1.0, slips, **kwargs).message == "Close (here): more digits."
    assert "too small" in judge_number(0.9, 1.0, slips, **kwargs).message
    assert "too small" in judge_number(0.995, 1.0, slips, where="here", hint="h").message
