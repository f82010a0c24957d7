"""Notebook 05: the first-layer coding exercise, the log-step variance, exercise 3's numbers,
the value check."""

from __future__ import annotations

import math
import re

import exercise_contract as contract
import numpy as np
import pytest

from kaiming_lab.ensembles import simulate_networks
from kaiming_lab.lessons import nb05_proposition
from kaiming_lab.lessons.nb05_proposition import (
    _FIRST_LAYER_INPUTS,
    check_first_layer_variance,
    check_xavier_shrink,
    log_step_variance,
)
from kaiming_lab.montecarlo import estimate_variance


def right(x):
    return 2 / x.size * np.sum(x**2)


def stub(x):
    return None


def not_implemented(x):
    raise NotImplementedError


#: A wrong formula for Var(z^(0)_i), and words its message must contain.
SLIPS = [
    (lambda x: np.sum(x**2) / x.size, "1/d_0"),
    (lambda x: 2 / x.size * np.sum(x**2) / 2, "no ReLU in front of layer 0"),
    (lambda x: 2 / x.size * np.mean(x**2), "mean square"),
    (lambda x: 2 * np.sum(x**2), "divide by the number of inputs"),
    (lambda x: 2 / x.size * np.linalg.norm(x), "squared norm"),
    (lambda x: np.sqrt(2 / x.size * np.sum(x**2)), "standard deviation"),
    (lambda x: 2 / x.size * np.sum(x) ** 2, "cross terms"),
    (lambda x: 2 * np.var(x), "x is fixed"),
    (lambda x: 2 * np.var(x, ddof=1), "x is fixed"),
    (lambda x: 2 / x.size * np.sum(np.maximum(x, 0) ** 2), "negative entries"),
]


def test_right_formula_passes() -> None:
    result = check_first_layer_variance(right)
    assert result and result.answered and result.message.startswith("Correct")
    assert check_first_layer_variance(lambda x: 2 * float(x @ x) / len(x))


@pytest.mark.parametrize("student", [stub, not_implemented])
def test_unanswered_is_not_an_error(student) -> None:
    result = check_first_layer_variance(student)
    assert not result and not result.answered
    assert "Not answered yet" in result.message


@pytest.mark.parametrize(("student", "words"), SLIPS)
def test_known_slips_are_named(student, words: str) -> None:
    result = check_first_layer_variance(student)
    assert not result and result.answered and result.message.startswith("Not yet")
    assert words in result.message, result.message


def test_a_constant_fails_on_another_length() -> None:
    # right for x = (1, -2, 3, 4) only: the check tries other lengths
    result = check_first_layer_variance(lambda x: 15.0)
    assert not result and "length 9" in result.message


def test_every_input_has_negative_entries_so_a_relu_on_the_input_fails() -> None:
    relu_first = check_first_layer_variance(lambda x: 2 / x.size * np.sum(np.maximum(x, 0) ** 2))
    assert not relu_first and "negative entries" in relu_first.message
    assert all((x < 0).any() for x in _FIRST_LAYER_INPUTS)


@pytest.mark.parametrize("factor", [0.991, 1.009])
def test_within_one_percent_is_never_called_wrong(factor: float) -> None:
    assert check_first_layer_variance(lambda x: factor * right(x))
    assert not check_first_layer_variance(lambda x: (1 + 2 * (factor - 1) / 0.9) * right(x))
    close = check_xavier_shrink(factor * 2.0**-12)
    assert not close and close.message.startswith("Close") and "digits" in close.message
    assert check_xavier_shrink(2.44e-4)  # three significant figures
    far = check_xavier_shrink((1 + 2 * (factor - 1) / 0.9) * 2.0**-12)
    assert far.message.startswith("Not yet")


def test_other_failures_are_reported_in_words() -> None:
    array = check_first_layer_variance(lambda x: 2 / x.size * x**2)
    assert not array and "single float" in array.message
    crash = check_first_layer_variance(lambda x: x.nonexistent)
    assert not crash and "AttributeError" in crash.message


def test_messages_never_contain_the_expected_values() -> None:
    expected = [right(x) for x in _FIRST_LAYER_INPUTS]
    for student in [s for s, _ in SLIPS] + [lambda x: 1.3 * right(x), lambda x: 15.0]:
        message = re.sub(r"\s", "", check_first_layer_variance(student).message)
        for value in expected:
            assert f"{value:.3g}" not in message


def test_the_first_layer_formula_by_simulation() -> None:
    x = np.array([[1.0, -2, 3, 4]])
    ens = simulate_networks(400, depth=1, width=4, x=x, seed=0)
    assert ens.layer_estimates()[0].agrees_with(right(x[0]))


def test_log_step_variance_against_monte_carlo() -> None:
    # R = (2/n) * sum ReLU(g_i)^2 for n = 16, drawn directly; Var(log R) given R > 0
    n = 16
    g = np.random.default_rng(5).standard_normal((200_000, n))
    r = 2 / n * np.sum(np.maximum(g, 0) ** 2, axis=1)
    r = r[r > 0]
    assert estimate_variance(np.log(r)).agrees_with(log_step_variance(n))
    # leading order 5/n, and from above
    for n in (64, 256, 1024):
        assert 5 / n < log_step_variance(n) < 5 / n * (1 + 40 / n)
    # one unit, active (K = 1 given K >= 1): Var(log chi^2_1) = psi'(1/2) = pi^2 / 2
    assert log_step_variance(1) == pytest.approx(math.pi**2 / 2)


@pytest.fixture(scope="module")
def narrow() -> dict[int, np.ndarray]:
    """Exercise 3 of notebook 05: section 2's ensemble at width 16, seeds 10, 11, 12."""
    x16 = 1.5 * np.random.default_rng(1502).standard_normal((1, 16))
    return {
        seed: simulate_networks(400, depth=16, width=16, x=x16, seed=seed) for seed in (10, 11, 12)
    }


def test_exercise_3_numbers(narrow) -> None:
    ens = narrow[10]
    drift = ens.log_drift()[15]
    assert f"{drift.value:.1f} ± {drift.se:.1f}" == "6.7 ± 0.5"
    assert round(5 * 15 / 16, 1) == 4.7
    assert round(log_step_variance(16), 2) == 0.42
    assert round(15 * log_step_variance(16), 1) == 6.3
    last = ens.values()[:, -1]
    theory = ens.theory()[-1]
    assert round(float(np.median(last)) / theory, 2) == 0.12
    assert round(np.sort(last)[-4:].sum() / last.sum(), 2) == 0.41
    ratios = {seed: e.values()[:, -1].mean() / e.theory()[-1] for seed, e in narrow.items()}
    assert [round(ratios[s], 2) for s in (10, 11, 12)] == [1.70, 0.73, 1.02]
    assert round(5 * 15 / 256, 2) == 0.29


# --------------------------------------------------------------------------- value checks
# the contract every value exercise check keeps: tests/exercise_contract.py


def test_every_value_check_is_tested() -> None:
    function_checks = {"check_first_layer_variance"}
    assert contract.value_checks(nb05_proposition, function_checks) == {"check_xavier_shrink"}


def test_xavier_shrink_check() -> None:
    """Xavier on square ReLU layers halves the variance per layer: 2^-12 after 12 layers."""
    check = nb05_proposition.check_xavier_shrink
    contract.assert_numeric_check(check, 2.0**-12, slips=[2.0**-24])
    assert "variances" in check(2.0**-24).message
