"""Notebook 03: the coding exercise ``check_var_of_sum`` on the right answer and known slips, the
value checks, and the variance-of-a-sum Monte Carlo against its exact moments (k = 4 SE, see
conftest)."""

from __future__ import annotations

import math

import exercise_contract as contract
import numpy as np
import pytest
from scipy import integrate, stats

from kaiming_lab import estimate_variance
from kaiming_lab.lessons import nb03_sums
from kaiming_lab.lessons.nb03_sums import (
    check_var_of_sum,
    draw_sums,
    exact_sum_variance,
    first_layer_moments,
    pair_estimate,
    product_variance,
)
from kaiming_lab.montecarlo import DEFAULT_K_SE


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


def test_product_variance_matches_simulation(rng: np.random.Generator) -> None:
    w = rng.normal(0.3, 0.5, size=400_000)
    x = rng.exponential(2.0, size=400_000)
    est = estimate_variance(w * x)
    assert est.agrees_with(product_variance(0.3, 0.25, 2.0, 4.0), k=DEFAULT_K_SE)


def test_first_layer_mean_matches_quadrature() -> None:
    # E[sqrt(v)] with v = (2/d0) chi2_d0, integrated numerically
    d0 = 3
    chi2 = stats.chi2(d0)
    mean_sqrt, _ = integrate.quad(lambda t: math.sqrt(2 * t / d0) * chi2.pdf(t), 0, np.inf)
    assert first_layer_moments(d0).mean == pytest.approx(mean_sqrt / math.sqrt(2 * math.pi))


@pytest.mark.parametrize("mu", [0.0, 0.08])
def test_sum_variance_and_covariances(rng: np.random.Generator, mu: float) -> None:
    d0, d1 = 3, 16
    draws = draw_sums(40_000, d0, d1, weight_mean=mu, rng=rng)
    exact = first_layer_moments(d0)
    assert estimate_variance(draws.z).agrees_with(exact_sum_variance(d0, d1, mu))
    assert draws.unit_average(draws.x**2).agrees_with(exact.second_moment)
    assert draws.unit_average(draws.x).agrees_with(exact.mean)
    pairs = pair_estimate(draws.x**2)
    assert pairs.agrees_with(exact.second_moment**2 + exact.cov_squares)
    terms = pair_estimate(draws.terms)
    assert terms.agrees_with(mu**2 * (exact.cov + exact.mean**2))


def test_exact_variance_is_two_for_zero_mean() -> None:
    assert exact_sum_variance(5, 40) == pytest.approx(2.0)
    assert exact_sum_variance(5, 40, 0.1) > 2.0


def test_pair_estimate_needs_two_units() -> None:
    with pytest.raises(ValueError, match="at least 2 units"):
        pair_estimate(np.ones((5, 1)))


def test_draw_sums_in_blocks_keeps_shapes_and_moments(monkeypatch: pytest.MonkeyPatch) -> None:
    from kaiming_lab.lessons import nb03_sums as sums

    monkeypatch.setattr(sums, "_MAX_BLOCK_WEIGHTS", 4 * 8 * 1000)  # blocks of 1000 draws
    d0, d1 = 4, 8
    draws = draw_sums(20_500, d0, d1, rng=np.random.default_rng(5))
    assert draws.x.shape == draws.w.shape == (20_500, d1)
    assert not np.array_equal(draws.w[:1000], draws.w[1000:2000])  # blocks are fresh draws
    assert estimate_variance(draws.z).agrees_with(exact_sum_variance(d0, d1))
    assert pair_estimate(draws.x**2).agrees_with(1.0 + first_layer_moments(d0).cov_squares)


def test_fixed_input_layer_one_is_independent_layer_two_is_not() -> None:
    from kaiming_lab.lessons.nb03_sums import fixed_input_layers, layer2_cov_squares

    x0 = np.array([1.0, -2.0, 0.5, 1.5])
    v0 = 2 / 4 * np.sum(x0**2)
    x1, x2 = fixed_input_layers(x0, 16, 16, 40_000, rng=np.random.default_rng(3))
    assert x1.shape == (40_000, 16) and x2.shape == (40_000, 16)
    # E[x^2] = v0 / 2 at both layers; the squares' covariance is 0 at layer 1
    assert estimate_mean_of(x1**2).agrees_with(v0 / 2, k=DEFAULT_K_SE)
    assert estimate_mean_of(x2**2).agrees_with(v0 / 2, k=DEFAULT_K_SE)
    p1, p2 = pair_estimate(x1**2), pair_estimate(x2**2)
    assert abs(p1.value - (v0 / 2) ** 2) <= DEFAULT_K_SE * p1.se
    exact = layer2_cov_squares(x0, 16)
    assert math.isclose(exact, 5 * v0**2 / 64)
    assert abs(p2.value - (v0 / 2) ** 2 - exact) <= DEFAULT_K_SE * p2.se
    assert exact > 2 * DEFAULT_K_SE * p2.se  # the test could tell it from 0


def test_fixed_input_layers_rejects_bad_input() -> None:
    from kaiming_lab.lessons.nb03_sums import fixed_input_layers

    with pytest.raises(ValueError, match="x0"):
        fixed_input_layers(np.ones((2, 2)), 4, 4, 10)


def estimate_mean_of(values: np.ndarray):
    """Mean over draws of the per-draw average over units (one value per draw)."""
    from kaiming_lab import estimate_mean

    return estimate_mean(values.mean(axis=1))


# --------------------------------------------------------------------------- value checks
# the contract every value exercise check keeps: tests/exercise_contract.py


def test_every_value_check_is_tested() -> None:
    assert contract.value_checks(nb03_sums, {"check_var_of_sum"}) == {
        "check_product_variance",
        "check_sum_variance",
    }


def test_sum_variance_check() -> None:
    """400 terms, Var(W) = 0.005, E[x^2] = 0.75; using Var(x) = 0.5 is the named slip."""
    check = nb03_sums.check_sum_variance
    contract.assert_numeric_check(check, 400 * 0.005 * 0.75, slips=[400 * 0.005 * 0.5])
    assert "Var(x)" in check(400 * 0.005 * 0.5).message


def test_product_variance_answer_and_slips_lie_more_than_five_percent_apart() -> None:
    """Var(WX) = Var(W)Var(X) + E[W]^2 Var(X) + Var(W) E[X]^2; each dropped term is a slip,
    more than 5 % from the others, so a rounded answer is never within 1 % of two of them."""
    check = nb03_sums.check_product_variance
    mw, vw, mx, vx = 0.4, 0.09, 0.6, 0.64
    a, b, c = vw * vx, mw**2 * vx, vw * mx**2
    contract.assert_numeric_check(check, a + b + c, slips=[a, a + c, a + b, b + c])
    candidates = [a + b + c, a, a + c, a + b, b + c]
    gaps = [abs(p - q) / max(p, q) for i, p in enumerate(candidates) for q in candidates[i + 1 :]]
    assert min(gaps) > 0.05
    assert "dropped Var(W)Var(X)" in check(round(b + c, 3)).message
    assert "Only Var(W)Var(X)" in check(round(a, 3)).message
    assert check(round(a + b + c, 4)).correct
    assert "too small" in check((a + a + c) / 2).message
