"""Notebook 01's exercises (the two coding ones and the value checks) and its standard-error figure.

``check_he_normal`` and ``check_he_uniform`` take the student's function. The
right answers (written here from the formulas, not taken from the module) must
pass; every known slip must get its own hint; a stub that returns ``None`` or
raises ``NotImplementedError`` is "not answered yet", not an error; and no
message may contain the expected numbers.
"""

from __future__ import annotations

import math
import re

import exercise_contract as contract
import matplotlib.pyplot as plt
import numpy as np
import pytest

from kaiming_lab import kaiming_normal, kaiming_uniform
from kaiming_lab.ensembles import simulate_networks
from kaiming_lab.lessons import nb01_network
from kaiming_lab.lessons.nb01_network import (
    CHECK_SHAPES,
    check_he_normal,
    check_he_uniform,
    plot_rms_by_layer,
)


def fan_in(shape):
    return math.prod(shape[1:])


def fan_out(shape):
    return shape[0] * math.prod(shape[2:])


def normal(std_of_shape):
    return lambda shape, rng: rng.standard_normal(shape) * std_of_shape(shape)


def uniform(bound_of_shape):
    return lambda shape, rng: rng.uniform(-bound_of_shape(shape), bound_of_shape(shape), shape)


def stub_none(shape, rng):
    return None


def stub_raises(shape, rng):
    raise NotImplementedError


HE_NORMAL_RIGHT = [
    normal(lambda s: math.sqrt(2 / fan_in(s))),
    lambda shape, rng: rng.normal(0.0, math.sqrt(2 / fan_in(shape)), size=shape),
    lambda shape, rng: kaiming_normal(shape, rng=rng),
]

HE_NORMAL_SLIPS = [
    (normal(lambda s: 2 / fan_in(s)), "used the variance as the std"),
    (normal(lambda s: math.sqrt(1 / fan_in(s))), "factor 2"),
    (normal(lambda s: math.sqrt(2 / fan_out(s))), "divided by fan_out"),
    (normal(lambda s: math.sqrt(1 / fan_out(s))), "Two slips"),
    (normal(lambda s: math.sqrt(2 / s[1])), "kernel"),
    (normal(lambda s: 1.0), "variance 1"),
    (normal(lambda s: math.sqrt(2 / (fan_in(s) + fan_out(s)))), "Xavier"),
    (
        lambda s, rng: rng.standard_normal(s[::-1]) * math.sqrt(2 / fan_in(s)),
        "transposed",
    ),
    (lambda s, rng: rng.standard_normal(s[:2]) * math.sqrt(2 / fan_in(s)), "whole shape"),
    (lambda s, rng: kaiming_uniform(s, rng=rng), "uniformly distributed"),
    (
        lambda s, rng: np.random.default_rng().standard_normal(s) * math.sqrt(2 / fan_in(s)),
        "same seed",
    ),
    (
        lambda s, rng: rng.standard_normal(s) * math.sqrt(2 / fan_in(s)) + 0.05,
        "not centred",
    ),
    (normal(lambda s: math.sqrt(2.3 / fan_in(s))), "too large"),
    (normal(lambda s: math.sqrt(1.7 / fan_in(s))), "too small"),
    (lambda s, rng: 1 / 0, "ZeroDivisionError"),
    (lambda s, rng: "weights", "numpy array"),
]

HE_UNIFORM_RIGHT = [
    uniform(lambda s: math.sqrt(6 / fan_in(s))),
    uniform(lambda s: math.sqrt(3) * math.sqrt(2 / fan_in(s))),
    lambda shape, rng: kaiming_uniform(shape, rng=rng),
]

HE_UNIFORM_SLIPS = [
    (uniform(lambda s: math.sqrt(2 / fan_in(s))), "normal's std as the bound"),
    (uniform(lambda s: 2 / fan_in(s)), "variance 2/fan_in as the bound"),
    (uniform(lambda s: math.sqrt(3 / fan_in(s))), "factor 2"),
    (uniform(lambda s: math.sqrt(6 / fan_out(s))), "divided by fan_out"),
    (uniform(lambda s: math.sqrt(6 / s[1])), "kernel"),
    (uniform(lambda s: 1.0), "U(-1, 1)"),
    (lambda s, rng: rng.uniform(0.0, math.sqrt(6 / fan_in(s)), s), "not centred"),
    (lambda s, rng: kaiming_normal(s, rng=rng), "normally distributed"),
    (lambda s, rng: kaiming_uniform(s[::-1], rng=rng), "transposed"),
    (uniform(lambda s: math.sqrt(7 / fan_in(s))), "too large"),
]

CASES = [
    (check_he_normal, HE_NORMAL_RIGHT, HE_NORMAL_SLIPS),
    (check_he_uniform, HE_UNIFORM_RIGHT, HE_UNIFORM_SLIPS),
]
IDS = ["he_normal", "he_uniform"]


@pytest.mark.parametrize(("check", "right", "slips"), CASES, ids=IDS)
def test_right_answers_pass(check, right, slips) -> None:
    for func in right:
        result = check(func)
        assert result.correct and result.answered, result.message
        assert result.message == "Correct."


@pytest.mark.parametrize(("check", "right", "slips"), CASES, ids=IDS)
def test_each_slip_gets_its_hint(check, right, slips) -> None:
    for func, words in slips:
        result = check(func)
        assert not result and result.answered
        assert result.message.startswith("Not yet"), result.message
        assert words in result.message, (words, result.message)


@pytest.mark.parametrize("check", [check_he_normal, check_he_uniform], ids=IDS)
def test_stubs_are_not_answered_yet(check) -> None:
    for stub in (None, stub_none, stub_raises):
        result = check(stub)
        assert not result and not result.answered
        assert "Not answered yet" in result.message


@pytest.mark.parametrize("check", [check_he_normal, check_he_uniform], ids=IDS)
def test_a_called_function_is_named(check) -> None:
    result = check(np.zeros((2, 2)))
    assert not result and result.answered and "without calling it" in result.message


def _answer_digits() -> set[str]:
    """The numbers a message must not give away: std, variance and bound for every shape."""
    digits = set()
    for shape in CHECK_SHAPES:
        variance = 2 / fan_in(shape)
        for value in (variance, math.sqrt(variance), math.sqrt(3 * variance)):
            digits.add(f"{value:.3g}")
            digits.add(f"{value:.2e}".split("e")[0].replace(".", ""))
    return digits


@pytest.mark.parametrize(("check", "right", "slips"), CASES, ids=IDS)
def test_messages_never_contain_the_answer(check, right, slips) -> None:
    digits = _answer_digits()
    for func, _ in slips:
        message = re.sub(r"\s", "", check(func).message)
        for d in digits:
            assert d not in message, (d, message)
        assert "sqrt(6" not in message and "sqrt(3)*" not in message


def test_the_checks_repeat_themselves() -> None:
    func = normal(lambda s: math.sqrt(1 / fan_in(s)))
    assert check_he_normal(func).message == check_he_normal(func).message


def test_check_shapes_tell_fan_in_from_fan_out() -> None:
    assert all(fan_in(s) != fan_out(s) for s in CHECK_SHAPES)
    # the conv shape separates "forgot the kernel" from the matrices
    assert any(len(s) == 4 for s in CHECK_SHAPES)
    # fan_out / fan_in never equals 2 or 1/2, so "fan_out" and "no factor 2" differ
    assert all(fan_out(s) / fan_in(s) not in (0.5, 2.0) for s in CHECK_SHAPES)


def test_plot_rms_by_layer_labels_each_line_at_its_end_on_a_log_axis() -> None:
    rms = {"m = 0.5": 2.0 ** -np.arange(10), "m = 2": 2.0 ** np.arange(10)}
    ax = plot_rms_by_layer(rms)
    assert ax.get_yscale() == "log"
    assert len(ax.get_lines()) == 3  # two curves and the reference line
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["m = 0.5", "m = 2"]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), 2.0 ** np.arange(10))
    ax.figure.canvas.draw()
    plt.close("all")


def test_plot_rms_by_layer_draws_the_reference_at_the_named_setting_start() -> None:
    rms = {"m = 0.5": 2.0 ** -np.arange(10), "m = 1": np.full(10, 3.0)}
    ax = plot_rms_by_layer(rms, reference="m = 1")
    assert ax.get_lines()[-1].get_ydata()[0] == 3.0
    with pytest.raises(ValueError, match="reference='m = 4'"):
        plot_rms_by_layer(rms, reference="m = 4")
    plt.close("all")


def test_pooling_over_sixteen_inputs_narrows_the_wander_to_about_two_thirds() -> None:
    # notebook 01, exercise 6's solution: Var(log mean_sq_z) grows by about 5/n per layer for
    # one input, by about two thirds of that for mean_sq_z pooled over 16 inputs. Each
    # variance over 1,000 networks has a relative SE of about sqrt(2/1000) (4.5 %, more with
    # heavy tails); the band allows about 4 SE of the ratio of the two fitted slopes.
    def slope(batch: int) -> float:
        ensemble = simulate_networks(1000, depth=12, width=64, batch=batch, seed=3)
        spread = np.log(ensemble.values("mean_sq_z")).var(axis=0, ddof=1)
        return float(np.polyfit(np.arange(12), spread, 1)[0])

    one, pooled = slope(1), slope(16)
    assert abs(one - 5 / 64) <= 0.25 * 5 / 64
    assert 0.45 < pooled / one < 0.85


# --------------------------------------------------------------------------- value checks
# the contract every value exercise check keeps: tests/exercise_contract.py


def test_every_value_check_is_tested() -> None:
    function_checks = {"check_he_normal", "check_he_uniform"}
    assert contract.value_checks(nb01_network, function_checks) == {
        "check_kaiming_std",
        "check_weight_shape",
    }


def test_kaiming_std_check() -> None:
    """std of N(0, 2/fan_in) for fan_in = 288; the variance 2/288 is the named slip."""
    check = nb01_network.check_kaiming_std
    contract.assert_numeric_check(check, math.sqrt(2 / 288), slips=[2 / 288, math.sqrt(1 / 288)])
    assert "variance" in check(2 / 288).message


def test_weight_shape_check_names_the_transpose() -> None:
    check = nb01_network.check_weight_shape
    contract.assert_value_check(check, (300, 784), [(784, 300), (300, 300), (1, 2, 3), [300, 784]])
    result = check((784, 300))
    assert not result and "transpose" in result.message
    assert check([300, 784])
