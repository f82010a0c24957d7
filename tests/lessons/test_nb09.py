"""Notebook 09's scaffolding: tanh network, depth profiles, figures, exercise checks."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import special

from kaiming_lab import gains
from kaiming_lab.activations import get_activation
from kaiming_lab.lessons.nb09_gains import (
    MC_DRAWS,
    SATURATION_LEVEL,
    bias_floor,
    check_leaky_gain,
    check_preserving_gain,
    format_gain_table,
    linear_default_stack,
    plot_chi_against_gain,
    plot_default_stack,
    plot_depth_profiles,
    plot_gain_against_q,
    plot_tanh_runs,
    plot_tanh_saturation,
    preserving_tolerance,
    relu_depth_profile,
    run_tanh_net,
    saturation_prediction,
    tanh_predictions,
    truncated_normal,
    unstable_zero_edge,
)

# ------------------------------------------------------------------------- exercise 1


def _digits(value: float) -> list[str]:
    """Ways the expected number could leak into a message."""
    return [f"{value:.3f}", f"{value:.4f}", f"{value:.2f}"]


LEAKY_SLIPS = [
    (lambda a: 2 / (1 + a * a), "square root"),
    (lambda a: math.sqrt(2 / (1 + a)), "enters squared"),
    (lambda a: 2 / (1 + a), "enters squared"),
    (lambda a: math.sqrt(2) * a, "not a factor on the weights"),
    (lambda a: math.sqrt(2) / a, "not a factor on the weights"),
    (lambda a: a * math.sqrt(2 / (1 + a * a)), "not a factor on the weights"),
    (lambda a: math.sqrt((1 + a * a) / 2), "Upside down"),
    (lambda a: math.sqrt(2), "plain ReLU"),
    (lambda a: math.sqrt(1 / (1 + a * a)), "factor 2 is missing"),
    (lambda a: math.sqrt(2 / (1 - a * a)), "plus sign"),
]


def test_leaky_gain_right_answer():
    result = check_leaky_gain(lambda a: np.sqrt(2 / (1 + a**2)))
    assert result.correct and result.answered


@pytest.mark.parametrize(("slip", "words"), LEAKY_SLIPS)
def test_leaky_gain_slips_get_their_hint_without_the_answer(slip, words):
    result = check_leaky_gain(slip)
    assert not result.correct and result.answered
    assert words in result.message, result.message
    for a in (0.3, 0.6, 0.05):
        for leak in _digits(math.sqrt(2 / (1 + a * a))):
            assert leak not in result.message


def test_leaky_gain_unanswered_and_failures():
    assert not check_leaky_gain(lambda a: None).answered

    def not_implemented(a):
        raise NotImplementedError

    assert not check_leaky_gain(not_implemented).answered
    assert "ZeroDivisionError" in check_leaky_gain(lambda a: 1 / 0).message
    assert "Not a finite number" in check_leaky_gain(lambda a: np.ones(3)).message
    unknown = check_leaky_gain(lambda a: 1.234)
    assert unknown.answered and "too small" in unknown.message


# ------------------------------------------------------------------------- exercise 2


def _hermite_mean(f, n=80):
    t, w = np.polynomial.hermite_e.hermegauss(n)
    return np.sum(w * f(t)) / np.sqrt(2 * np.pi)


def right_preserving(phi, q):
    return np.sqrt(q / _hermite_mean(lambda t: phi(np.sqrt(q) * t) ** 2))


def _physicists(phi, q):
    t, w = np.polynomial.hermite.hermgauss(80)
    return np.sqrt(q / (np.sum(w * phi(np.sqrt(q) * t) ** 2) / np.sqrt(np.pi)))


def _unnormalised(phi, q):
    t, w = np.polynomial.hermite_e.hermegauss(80)
    return np.sqrt(q / np.sum(w * phi(np.sqrt(q) * t) ** 2))


def _variance(phi, q):
    m2 = _hermite_mean(lambda t: phi(np.sqrt(q) * t) ** 2)
    m1 = _hermite_mean(lambda t: phi(np.sqrt(q) * t))
    return np.sqrt(q / (m2 - m1**2))


PRESERVING_SLIPS = [
    (lambda phi, q: right_preserving(phi, q) ** 2, "square root"),
    (lambda phi, q: np.sqrt(q / _hermite_mean(lambda t: phi(q * t) ** 2)), "names the variance"),
    (_physicists, "physicists'"),
    (lambda phi, q: np.sqrt(1 / _hermite_mean(lambda t: phi(np.sqrt(q) * t) ** 2)), "target"),
    (lambda phi, q: 1 / right_preserving(phi, q), "Upside down"),
    (_unnormalised, "sqrt(2π)"),
    (_variance, "Var(φ(z))"),
    (
        lambda phi, q: np.sqrt(q / _hermite_mean(lambda t: phi(np.sqrt(q) * t)) ** 2),
        "squared mean",
    ),
]


def test_preserving_gain_right_answer():
    result = check_preserving_gain(right_preserving)
    assert result.correct and result.answered


@pytest.mark.parametrize(("slip", "words"), PRESERVING_SLIPS)
def test_preserving_gain_slips_get_their_hint_without_the_answer(slip, words):
    result = check_preserving_gain(slip)
    assert not result.correct and result.answered
    assert words in result.message, result.message
    for name, q in (("sigmoid", 0.3), ("tanh", 2.0), ("relu", 3.0)):
        for leak in _digits(gains.variance_preserving_gain(name, q)):
            assert leak not in result.message


def test_preserving_gain_unanswered_and_failures():
    assert not check_preserving_gain(lambda phi, q: None).answered
    assert "TypeError" in check_preserving_gain(lambda phi, q: phi("x")).message
    unknown = check_preserving_gain(lambda phi, q: 100.0)
    assert unknown.answered and "too large" in unknown.message


def _monte_carlo(draws: int, seed: int):
    def preserving_gain(phi, q):
        u = np.random.default_rng(seed).standard_normal(draws)
        return np.sqrt(q / np.mean(phi(np.sqrt(q) * u) ** 2))

    return preserving_gain


@pytest.mark.parametrize("seed", range(5))
def test_preserving_gain_accepts_monte_carlo_with_two_million_draws(seed):
    result = check_preserving_gain(_monte_carlo(2_000_000, seed))
    assert result.correct, result.message


def test_preserving_gain_tolerance_is_four_se_of_a_million_draws():
    for phi, q in ((np.tanh, 2.0), (lambda z: np.maximum(z, 0), 3.0)):
        u = np.random.default_rng(0).standard_normal(MC_DRAWS)
        m2 = np.mean(phi(np.sqrt(q) * u) ** 2)
        rel_se = 0.5 * np.std(phi(np.sqrt(q) * u) ** 2) / m2 / np.sqrt(MC_DRAWS)
        assert preserving_tolerance(phi, q) == pytest.approx(4 * rel_se, rel=0.05)


@pytest.mark.parametrize("digits", [3, 4])
def test_rounded_answer_within_one_percent_is_never_called_wrong(digits):
    def rounded(phi, q):
        g = right_preserving(phi, q)
        return float(f"{g:.{digits}g}")

    result = check_preserving_gain(rounded)
    if not result.correct:
        assert result.message.startswith("Close") and "too" not in result.message
        assert "digits" in result.message


@pytest.mark.parametrize("factor", [0.995, 1.005, 0.991, 1.009])
def test_answer_within_one_percent_is_told_it_is_close(factor):
    # outside every case's tolerance (at most 0.45 %), inside 1 %, far from every slip
    result = check_preserving_gain(lambda phi, q: factor * right_preserving(phi, q))
    assert not result.correct and result.message.startswith("Close"), result.message
    assert "too" not in result.message


def test_answer_beyond_one_percent_gets_the_direction():
    result = check_preserving_gain(lambda phi, q: 1.03 * right_preserving(phi, q))
    assert "too large" in result.message


def test_check_cases_match_the_library():
    for name, q in (("sigmoid", 0.3), ("tanh", 2.0), ("relu", 3.0)):
        phi = get_activation(name).forward
        assert right_preserving(phi, q) == pytest.approx(
            gains.variance_preserving_gain(name, q), rel=1e-5
        )


# ------------------------------------------------------------------------- exercise 3


@pytest.mark.parametrize(("bias", "gain", "q_star"), [(0.05, 1.33, 0.57), (0.1, 1.41, 0.81)])
def test_exercise_3_numbers(bias, gain, q_star):
    g = gains.edge_of_chaos_gain("tanh", bias_variance=bias)
    q = gains.fixed_point("tanh", g, bias_variance=bias)
    assert round(g, 2) == gain and round(q, 2) == q_star
    assert gains.chi1("tanh", g, q) == pytest.approx(1.0, abs=1e-6)


def test_exercise_4_loop_with_bias_stays_near_its_fixed_point():
    # the solution's loop, as printed in notebook 09's exercise 4
    g = gains.edge_of_chaos_gain("tanh", bias_variance=0.05)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, 400))
    for _ in range(50):
        W = g / np.sqrt(400) * rng.standard_normal((400, 400))
        b = rng.normal(0, np.sqrt(0.05), 400)
        z = x @ W.T + b
        x = np.tanh(z)
    q_star = gains.fixed_point("tanh", g, bias_variance=0.05)
    assert round(float(np.mean(z**2)), 2) == 0.63  # the value the solution prints
    assert abs(np.log(np.mean(z**2) / q_star)) < 0.25  # section 4's band for one network


# ------------------------------------------------------------------------- simulations


def test_tanh_run_matches_predictions_and_is_deterministic():
    run = run_tanh_net(1.5, depth=20, width=300, batch=50, seed=3)
    again = run_tanh_net(1.5, depth=20, width=300, batch=50, seed=3)
    assert np.array_equal(run.mean_sq_z, again.mean_sq_z)
    q, grad = tanh_predictions(1.5, 20)
    assert q.shape == (20,) and grad.shape == (21,) and grad[-1] == 1.0
    assert np.all(np.abs(np.log(run.mean_sq_z / q)) < 0.2)
    assert abs(np.log(run.gradient_growth / grad[0])) < 0.3
    assert run.depth == 20 and run.last_x.shape == (300 * 50,)
    assert np.all(np.abs(run.saturated - saturation_prediction(q)) < 0.02)


def test_tanh_predictions_at_the_fixed_point():
    g = gains.variance_preserving_gain("tanh", 1.0)
    q, grad = tanh_predictions(g, 5)
    # the input has mean square 1, so layer 0 has g^2; later layers approach q* = 1
    assert q[0] == pytest.approx(g**2)
    chi = [gains.chi1("tanh", g, qk) for qk in q]
    assert grad[0] == pytest.approx(np.prod(chi))


def test_saturation_prediction():
    q = 1.3
    expected = 2 * special.ndtr(-math.atanh(SATURATION_LEVEL) / math.sqrt(q))
    assert saturation_prediction(q) == pytest.approx(expected)
    assert saturation_prediction(np.array([0.0, 1e6]))[0] == 0.0


def test_truncated_normal():
    w = truncated_normal((400, 500), 0.5, 1)
    assert np.abs(w).max() <= 1.0
    assert w.var() == pytest.approx(0.25 * 0.87962566103423978**2, rel=0.02)


def test_relu_depth_profile_is_flat_for_kaiming_and_shrinks_by_six_for_the_default():
    def kaiming(shape, r):
        return np.sqrt(2 / shape[1]) * r.standard_normal(shape)

    def default(shape, r):
        return r.uniform(-1, 1, shape) / np.sqrt(shape[1])

    flat = relu_depth_profile(kaiming, depth=6, width=512, batch=32, seed=1)
    shrinking = relu_depth_profile(default, depth=6, width=512, batch=32, seed=1)
    assert np.all(np.abs(np.log(flat / 2)) < 0.5)
    assert np.allclose(shrinking[1:] / shrinking[:-1], 1 / 6, rtol=0.3)


# ------------------------------------------------------------------------- table and figures


def test_format_gain_table():
    text = format_gain_table(gains.gain_table())
    lines = text.splitlines()
    assert len(lines) == 8
    assert "derived" in lines[1] and "convention" in lines[4] and "no entry" in lines[6]
    assert "1.5925" in lines[4] and "2.0000" in lines[6] and "unstable" in lines[6]


# ------------------------------------------------------------------------- the notebook's claims


def test_gain_ends_quoted_in_section_2():
    ends = {
        name: [gains.variance_preserving_gain(name, q) for q in (0.01, 100.0)]
        for name in ("tanh", "gelu")
    }
    assert ends["tanh"][0] < 1.02 and 10 < ends["tanh"][1] < 11
    assert 1.95 < ends["gelu"][0] < 2 and abs(ends["gelu"][1] - np.sqrt(2)) < 0.01
    assert gains.variance_preserving_gain("selu", 1.0) == pytest.approx(1.0)


def test_gain_table_numbers_quoted_in_section_5():
    table = {row.label: row for row in gains.gain_table()}
    derived = [label for label, row in table.items() if row.derived]
    assert derived == ["relu", "leaky_relu(0.01)", "leaky_relu(0.2)"]
    tanh, sigmoid, gelu, selu = (table[k] for k in ("tanh", "sigmoid", "gelu", "selu"))
    assert round(tanh.variance_preserving, 4) == 1.5925 and tanh.edge_of_chaos == pytest.approx(1)
    assert round(sigmoid.variance_preserving, 2) == 1.85 and sigmoid.pytorch == 1
    assert round(sigmoid.edge_of_chaos, 1) == 10.1 and round(sigmoid.edge_q_star) == 46
    assert round(gelu.variance_preserving, 2) == 1.53 and np.isnan(gelu.edge_of_chaos)
    assert gains.fixed_point("gelu", 0.99 * gelu.variance_preserving) == 0
    assert gains.fixed_point("gelu", 1.01 * gelu.variance_preserving) == np.inf
    q_selu = gains.fixed_point("selu", 0.75)
    assert round(q_selu, 3) == 0.023 and round(gains.chi1("selu", 0.75, q_selu), 3) == 1.004
    assert round(selu.edge_of_chaos, 2) == 0.69 and selu.edge_q_star == 0
    assert 0.25 / gains.length_map("sigmoid", 1.0, 1.0) > 0.8  # the mean's share of E[phi^2]
    assert gains.variance_preserving_gain("linear", 3.0) == pytest.approx(1.0)
    # 5/3 preserves its own fixed point, not q = 1
    q53 = gains.fixed_point("tanh", 5 / 3)
    assert round(q53, 2) == 1.18 and gains.length_map("tanh", 1.0, 5 / 3) > 1.05


def test_gelu_edge_at_zero_is_unstable():
    assert unstable_zero_edge("gelu") == pytest.approx(2.0)
    assert gains.chi1("gelu", 2.0, 0.0) == pytest.approx(1.0)
    for q in (1e-4, 1e-3):  # q -> q + 6 q^2 / pi + O(q^3)
        excess = gains.length_map("gelu", q, 2.0) - q
        assert excess == pytest.approx(6 * q * q / np.pi, rel=10 * q)
    for name in ("tanh", "selu", "sigmoid", "relu"):
        assert unstable_zero_edge(name) is None


def test_linear_default_stack_floor_and_vanishing_input():
    floors, inputs, bare = [], [], []
    for seed in range(8):
        with_bias = linear_default_stack(depth=40, width=128, batch=16, seed=seed)
        floors.extend(with_bias.rms[10:] ** 2)
        inputs.append(with_bias.input_rms[-1])
        bare.append(linear_default_stack(depth=40, width=128, batch=16, bias=False, seed=seed))
    # layers 10..39 sit at the floor; successive layers share 1/6 of their deviation,
    # so the standard error of the mean is inflated by sqrt((1 + 1/6)/(1 - 1/6)) < 1.2
    floors = np.array(floors)
    se = 1.2 * floors.std(ddof=1) / np.sqrt(floors.size)
    assert abs(floors.mean() - bias_floor(128) ** 2) < 4 * se
    assert max(inputs) < 1e-12 and max(r.rms[-1] for r in bare) < 1e-13
    assert bias_floor(256) == pytest.approx(np.sqrt(2 / (5 * 256)))
    assert round(bias_floor(256), 3) == 0.040
    again = linear_default_stack(depth=40, width=128, batch=16, seed=7)
    assert np.array_equal(again.rms, with_bias.rms)


def test_figures_are_projector_sized():
    runs = [run_tanh_net(g, depth=5, width=50, batch=10, seed=0) for g in (1.0, 1.5)]
    predictions = [tanh_predictions(r.gain, r.depth) for r in runs]
    profiles = {"a": np.full(4, 2.0), "b": 2.0 / 6.0 ** np.arange(4)}
    figures = [
        plot_tanh_runs(runs, predictions),
        plot_tanh_saturation(runs),
        plot_depth_profiles(profiles, linear=["a"]),
        plot_gain_against_q(qs=np.geomspace(0.1, 10, 5)).figure,
        plot_chi_against_gain(marks={"1": 1.0}).figure,
        plot_default_stack(
            [linear_default_stack(depth=4, width=16, batch=4, bias=b) for b in (False, True)]
        ),
    ]
    for fig in figures:
        width, height = fig.get_size_inches()
        assert 7 <= width <= 8 and width / height <= 2.5
        plt.close(fig)
