"""Notebook 03's coding exercise: ``check_var_of_sum`` on the right answer and known slips."""

from __future__ import annotations

import numpy as np
import pytest

from kaiming_lab.lessons.nb03_sums import check_var_of_sum, draw_sums, pair_estimate


def right(x, var_w):
    return x.shape[1] * var_w * np.mean(x**2)


@pytest.mark.parametrize("seed", range(5))
def test_right_answer_passes(seed: int) -> None:
    result = check_var_of_sum(right, seed=seed)
    assert result.correct and result.answered and result.message == "Correct."
    # the same formula written per unit and then averaged is just as right
    per_unit = check_var_of_sum(lambda x, v: float(np.sum(v * np.mean(x**2, axis=0))), seed=seed)
    assert per_unit


SLIPS = [
    (lambda x, v: x.shape[1] * v * x.var(), "Var(x)"),
    (lambda x, v: x.shape[1] * v * x.var(ddof=1), "Var(x)"),
    (lambda x, v: v * np.mean(x**2), "sums d of them"),
    (lambda x, v: x.shape[0] * v * np.mean(x**2), "number of draws"),
    (lambda x, v: np.sqrt(right(x, v)), "standard deviation"),
    (lambda x, v: x.shape[1] * v**2 * np.mean(x**2), "already is the variance"),
    (lambda x, v: x.shape[1] * np.sqrt(v) * np.mean(x**2), "already is the variance"),
    (lambda x, v: x.shape[1] * v * np.mean(x) ** 2, "squared mean"),
    (lambda x, v: x.shape[1] * v * np.mean(x**2, axis=0), "single number"),
]


@pytest.mark.parametrize(("slip", "words"), SLIPS)
@pytest.mark.parametrize("seed", range(3))
def test_each_slip_gets_its_hint(slip, words: str, seed: int) -> None:
    result = check_var_of_sum(slip, seed=seed)
    assert not result and result.answered and words in result.message


def test_untouched_stub_is_not_answered_and_not_an_error() -> None:
    def stub(x, var_w):
        raise NotImplementedError

    for fn in (stub, lambda x, v: None):
        result = check_var_of_sum(fn)
        assert not result and not result.answered and "Not answered yet" in repr(result)


def test_broken_and_other_answers() -> None:
    result = check_var_of_sum(lambda x, v: x @ x)
    assert not result and result.answered and "ValueError" in result.message
    assert check_var_of_sum(lambda x, v: 1e6).message.startswith("Not yet: your value is too large")
    assert not check_var_of_sum(lambda x, v: "abc")


def test_messages_never_give_the_numbers_away() -> None:
    rng = np.random.default_rng(543)
    x = np.maximum(rng.normal(0.5, 1.0, size=(300, 24)), 0.0)
    answer = right(x, 0.05)
    digits = [f"{answer:.3g}", f"{answer:.2e}".split("e")[0].replace(".", "")]
    for fn, _ in [*SLIPS, (lambda x, v: 1e6, "")]:
        message = check_var_of_sum(fn).message
        assert not any(d in message.replace(" ", "") for d in digits), message


def test_exercise_5_numbers_wide_input_hides_the_dependence_of_the_terms() -> None:
    # notebook 03, exercise 5's solution: at d0 = 64 with seed 7 the SE of Cov(T_j^2, T_k^2)
    # is about 5.2e-5, the effect about 2.4 SE, and a 7-SE effect needs 165,000-185,000 draws
    wide = draw_sums(20_000, 64, 32, rng=np.random.default_rng(7))
    se = pair_estimate(wide.terms**2).se
    effect = (2 / 32) ** 2 * 2 / 64
    assert 5.0e-5 < se < 5.4e-5
    assert 2.2 < effect / se < 2.5
    assert 160_000 < 20_000 * (7 * se / effect) ** 2 < 185_000
