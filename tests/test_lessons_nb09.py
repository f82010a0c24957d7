"""Notebook 09's scaffolding: tanh network, depth profiles, figures, exercise checks."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import special

from kaiming_lab import gains
from kaiming_lab.activations import get_activation
from kaiming_lab.lessons.nb09_gains import (
    SATURATION_LEVEL,
    check_leaky_gain,
    check_preserving_gain,
    format_gain_table,
    plot_chi_against_gain,
    plot_depth_profiles,
    plot_gain_against_q,
    plot_tanh_runs,
    plot_tanh_saturation,
    relu_depth_profile,
    run_tanh_net,
    saturation_prediction,
    tanh_predictions,
    truncated_normal,
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


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: run_tanh_net(0.0), ValueError, "gain"),
        (lambda: run_tanh_net(1.0, depth=0), ValueError, "depth"),
        (lambda: run_tanh_net(1.0, width=2.5), TypeError, "width"),
        (
            lambda: relu_depth_profile(lambda s, r: r.standard_normal(s), batch=0),
            ValueError,
            "batch",
        ),
    ],
)
def test_bad_input_names_the_parameter(call, error, name):
    with pytest.raises(error, match=name):
        call()


# ------------------------------------------------------------------------- table and figures


def test_format_gain_table():
    text = format_gain_table(gains.gain_table())
    lines = text.splitlines()
    assert len(lines) == 8
    assert "derived" in lines[1] and "convention" in lines[4] and "no entry" in lines[6]
    assert "1.5925" in lines[4] and "none" in lines[6]


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
    ]
    for fig in figures:
        width, height = fig.get_size_inches()
        assert 7 <= width <= 8 and width / height <= 2.5
        plt.close(fig)
