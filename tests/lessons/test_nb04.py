"""Notebook 04's coding exercise: the Monte Carlo estimator of E[phi(z)^2] and its check."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import stats

from kaiming_lab.lessons.nb04_relu_moments import (
    ReluMomentRow,
    check_second_moment_mc,
    format_rows,
    leaky_relu,
    relu_moment_rows,
)


def right(z, a):
    return np.mean(np.where(z > 0, z, a * z) ** 2)


def stub(z, a):
    return None


def not_implemented(z, a):
    raise NotImplementedError


#: A wrong estimator, and words its message must contain.
SLIPS = [
    (lambda z, a: np.var(np.where(z > 0, z, a * z)), "not centred"),
    (lambda z, a: np.var(np.where(z > 0, z, a * z), ddof=1), "not centred"),
    (lambda z, a: np.mean(np.where(z > 0, z, a * z)) ** 2, "squared mean"),
    (lambda z, a: np.mean(z**2), "factor 1/2"),
    (lambda z, a: (1 + a * a) * np.var(z), "factor 1/2 is missing"),
    (lambda z, a: np.mean(np.where(z > 0, z**2, a * z**2)), "a²·z²"),
    (lambda z, a: np.mean((a * np.maximum(z, 0)) ** 2), "not a factor on the output"),
    (lambda z, a: np.mean((a * z) ** 2), "not a factor on the output"),
    (lambda z, a: np.mean(np.where(z > 0, a * z, z) ** 2), "negative side"),
    (lambda z, a: np.mean(np.maximum(z, 0) ** 2), "plain ReLU"),
    (lambda z, a: (1 + a * a) / 2 * np.var(z), "symmetric about 0"),
]


def test_right_estimator_passes() -> None:
    result = check_second_moment_mc(right)
    assert result and result.answered and result.message.startswith("Correct")
    # an equivalent way of writing it passes too
    assert check_second_moment_mc(lambda z, a: float(np.sum(leaky_relu(z, a) ** 2) / z.size))


@pytest.mark.parametrize("student", [stub, not_implemented])
def test_unanswered_is_not_an_error(student) -> None:
    result = check_second_moment_mc(student)
    assert not result and not result.answered
    assert "Not answered yet" in result.message


@pytest.mark.parametrize(("student", "words"), SLIPS)
def test_known_slips_are_named(student, words: str) -> None:
    result = check_second_moment_mc(student)
    assert not result and result.answered
    assert result.message.startswith("Not yet")
    assert words in result.message, result.message


def test_other_failures_are_reported_in_words() -> None:
    array = check_second_moment_mc(lambda z, a: np.where(z > 0, z, a * z) ** 2)
    assert not array and "single float" in array.message
    crash = check_second_moment_mc(lambda z, a: z.nonexistent)
    assert not crash and "AttributeError" in crash.message
    off = check_second_moment_mc(lambda z, a: 1.1 * right(z, a))
    assert not off and "too large" in off.message


def test_messages_never_contain_the_expected_values() -> None:
    rng = np.random.default_rng(404)
    samples = [
        (stats.norm(0, 1.5).rvs(size=2_000, random_state=rng), 0.0),
        (stats.laplace(0, 1.2).rvs(size=2_000, random_state=rng), 0.2),
        (stats.gamma(2, loc=-2).rvs(size=2_000, random_state=rng), 0.1),
    ]
    expected = [right(z, a) for z, a in samples]
    students = [s for s, _ in SLIPS] + [lambda z, a: 1.1 * right(z, a), stub]
    for student in students:
        message = re.sub(r"\s", "", check_second_moment_mc(student).message)
        for value in expected:
            assert f"{value:.3g}" not in message and f"{value:.2e}"[:4] not in message


def test_an_in_place_estimator_passes() -> None:
    # the student's function gets a copy: changing it does not change the expected value
    def in_place(z, a):
        z[z < 0] *= a
        return np.mean(z**2)

    assert check_second_moment_mc(in_place)


def test_table_column_is_not_called_z(rng: np.random.Generator) -> None:
    rows = relu_moment_rows({"normal": stats.norm(0, 1)}, n_samples=1_000, rng=rng)
    head = format_rows(rows).splitlines()[0]
    assert head.split()[-2:] == ["SEs", "off"]
    assert isinstance(rows[0], ReluMomentRow)


def test_leaky_relu() -> None:
    z = np.array([-2.0, 0.0, 3.0])
    assert np.array_equal(leaky_relu(z, 0.1), [-0.2, 0.0, 3.0])
    assert np.array_equal(leaky_relu(z, 0.0), [0.0, 0.0, 3.0])
