"""Notebook 04: the coding exercise (the Monte Carlo estimator of E[phi(z)^2] and its check), the
value checks, and the ReLU second-moment table."""

from __future__ import annotations

import math
import re

import exercise_contract as contract
import numpy as np
import pytest
from scipy import stats

from kaiming_lab.lessons import nb04_relu_moments
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


def test_symmetric_rows_have_ratio_one(rng: np.random.Generator) -> None:
    rows = relu_moment_rows({"laplace": stats.laplace(0, 2), "t7": stats.t(7)}, rng=rng)
    for row in rows:
        assert row.ratio == pytest.approx(1.0, abs=1e-7)
        assert abs(row.z_score) <= 4
    assert "laplace" in format_rows(rows)


def test_shifted_normal_against_closed_form(rng: np.random.Generator) -> None:
    # E[ReLU(z)^2] for z ~ N(m, 1): (m^2 + 1) Phi(m) + m phi(m)
    m = 0.7
    exact = (m * m + 1) * stats.norm.cdf(m) + m * stats.norm.pdf(m)
    (row,) = relu_moment_rows({"shifted": stats.norm(m, 1)}, rng=rng)
    assert row.integral == pytest.approx(exact, rel=1e-8)
    assert row.monte_carlo.agrees_with(exact)
    assert row.ratio > 1.5


# --------------------------------------------------------------------------- value checks
# the contract every value exercise check keeps: tests/exercise_contract.py


def test_every_value_check_is_tested() -> None:
    assert contract.value_checks(nb04_relu_moments, {"check_second_moment_mc"}) == {
        "check_leaky_second_moment",
        "check_relu_mean",
        "check_relu_variance",
    }


def test_relu_mean_check() -> None:
    """E[ReLU(z)] for z ~ N(0, 9): 3 / sqrt(2 pi)."""
    contract.assert_numeric_check(nb04_relu_moments.check_relu_mean, 3 / math.sqrt(2 * math.pi))


def test_relu_variance_check() -> None:
    """Var(ReLU(z)) for z ~ N(0, 4): E[x^2] - E[x]^2 = 2 - 2/pi; E[x^2] = 2 is the named slip."""
    check = nb04_relu_moments.check_relu_variance
    contract.assert_numeric_check(check, 2 - 2 / math.pi, slips=[2.0])
    assert "E[x²]" in check(2.0).message


def test_leaky_second_moment_check() -> None:
    """E[LeakyReLU_a(z)^2] = (1 + a^2) Var(z) / 2, for a = 0.3 and Var(z) = 5."""
    check = nb04_relu_moments.check_leaky_second_moment
    contract.assert_numeric_check(check, (1 + 0.3**2) / 2 * 5)
