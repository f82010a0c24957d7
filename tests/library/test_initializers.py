"""Initialisers: distributions, variances, fans and gains against closed forms."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from scipy import stats

import kaiming_lab as kl
from kaiming_lab import initializers
from kaiming_lab.montecarlo import DEFAULT_K_SE as K_SE
from kaiming_lab.montecarlo import estimate_variance

SHAPE = (300, 400)  # (fan_out, fan_in): 120,000 draws per sample


def expected_std(gain: float, fan: int) -> float:
    return gain / math.sqrt(fan)


@pytest.mark.parametrize(
    ("kwargs", "gain", "fan"),
    [
        ({}, math.sqrt(2.0), 400),
        ({"mode": "fan_out"}, math.sqrt(2.0), 300),
        ({"a": 0.2}, math.sqrt(2.0 / 1.04), 400),
        ({"nonlinearity": "relu"}, math.sqrt(2.0), 400),
        ({"nonlinearity": "tanh"}, 5.0 / 3.0, 400),
        ({"nonlinearity": "linear", "mode": "fan_out"}, 1.0, 300),
    ],
)
@pytest.mark.parametrize("draw", [kl.kaiming_normal, kl.kaiming_uniform])
def test_kaiming_variance_matches_gain_over_fan(draw, kwargs, gain, fan):
    w = draw(SHAPE, rng=1, **kwargs)
    assert w.shape == SHAPE
    assert w.dtype == np.float64
    est = estimate_variance(w, mean=0.0)
    assert est.agrees_with(expected_std(gain, fan) ** 2, K_SE), est
    assert abs(w.mean()) <= K_SE * w.std() / math.sqrt(w.size)


def test_kaiming_uniform_range_is_gain_times_sqrt_3_over_fan():
    w = kl.kaiming_uniform(SHAPE, rng=2)
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 400)
    assert np.all(np.abs(w) <= bound)
    # P(all 120,000 draws inside 0.999 * bound) = 0.999**120000, about 1e-52
    assert np.abs(w).max() > 0.999 * bound


def test_kaiming_normal_is_normal_by_kolmogorov_smirnov():
    w = kl.kaiming_normal(SHAPE, rng=3)
    result = stats.kstest(w.ravel(), stats.norm(0.0, math.sqrt(2.0 / 400)).cdf)
    assert result.pvalue > 1e-4  # a significance level of 1e-4, seed fixed


def test_uniform_and_normal_differ_in_shape_not_variance():
    normal = kl.kaiming_normal(SHAPE, rng=4).ravel()
    uniform = kl.kaiming_uniform(SHAPE, rng=4).ravel()
    # excess kurtosis: 0 for a normal, -1.2 for a uniform; the SE is about sqrt(24 / n) = 0.014
    assert abs(stats.kurtosis(normal)) < K_SE * math.sqrt(24 / normal.size)
    assert abs(stats.kurtosis(uniform) + 1.2) < K_SE * math.sqrt(24 / uniform.size)


@pytest.mark.parametrize("gain", [1.0, 5.0 / 3.0, 0.5])
def test_xavier_variances(gain):
    fan_in, fan_out = 400, 300
    normal = kl.xavier_normal(SHAPE, gain=gain, rng=5)
    uniform = kl.xavier_uniform(SHAPE, gain=gain, rng=6)
    var = gain**2 * 2.0 / (fan_in + fan_out)
    assert estimate_variance(normal, mean=0.0).agrees_with(var, K_SE)
    assert estimate_variance(uniform, mean=0.0).agrees_with(var, K_SE)
    assert np.all(np.abs(uniform) <= gain * math.sqrt(6.0 / (fan_in + fan_out)))


def test_pytorch_default_is_one_sixth_of_kaiming():
    w = kl.pytorch_linear_default(SHAPE, rng=7)
    assert np.all(np.abs(w) <= 1.0 / math.sqrt(400))
    assert estimate_variance(w, mean=0.0).agrees_with(1.0 / (3 * 400), K_SE)
    assert kl.kaiming_std(SHAPE) ** 2 / (1.0 / (3 * 400)) == pytest.approx(6.0)


def test_fans_follow_fan_out_fan_in_layout():
    assert kl.compute_fans((10, 20)) == (20, 10)
    assert kl.compute_fans((16, 8, 3, 3)) == (72, 144)
    assert kl.kaiming_std((16, 8, 3, 3)) == pytest.approx(math.sqrt(2.0 / 72))
    assert kl.kaiming_std((16, 8, 3, 3), mode="fan_out") == pytest.approx(math.sqrt(2.0 / 144))


@pytest.mark.parametrize(
    ("name", "param", "expected"),
    [
        ("linear", None, 1.0),
        ("conv2d", None, 1.0),
        ("conv_transpose3d", None, 1.0),
        ("sigmoid", None, 1.0),
        ("tanh", None, 5.0 / 3.0),
        ("relu", None, math.sqrt(2.0)),
        ("selu", None, 0.75),
        ("leaky_relu", None, math.sqrt(2.0 / (1.0 + 0.01**2))),
        ("leaky_relu", 0.2, math.sqrt(2.0 / 1.04)),
        ("leaky_relu", 0.0, math.sqrt(2.0)),
        ("leaky_relu", 1.0, 1.0),
        ("LEAKY_RELU", math.sqrt(5.0), 1.0 / math.sqrt(3.0)),
    ],
)
def test_calculate_gain_table(name, param, expected):
    assert kl.calculate_gain(name, param) == pytest.approx(expected, rel=1e-15)


def test_seeds_and_generators_reproduce():
    a = kl.kaiming_normal((5, 7), rng=11)
    b = kl.kaiming_normal((5, 7), rng=np.random.default_rng(11))
    assert np.array_equal(a, b)
    gen = np.random.default_rng(12)
    first, second = kl.xavier_uniform((5, 7), rng=gen), kl.xavier_uniform((5, 7), rng=gen)
    assert not np.array_equal(first, second)


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match=r"mode must be one of \['fan_in', 'fan_out'\]"):
        kl.kaiming_normal((3, 3), mode="fan_avg")
    with pytest.raises(ValueError, match="nonlinearity must be one of .*'tanh'"):
        kl.kaiming_normal((3, 3), nonlinearity="swish")
    with pytest.raises(ValueError, match=r"shape must have at least 2 dimensions .*\(5,\)"):
        kl.kaiming_uniform((5,))
    with pytest.raises(ValueError, match=r"shape\[1\] must be an integer >= 1, got 0"):
        kl.xavier_normal((5, 0))
    with pytest.raises(TypeError, match=r"shape\[0\] must be an integer"):
        kl.xavier_normal((5.0, 3))
    with pytest.raises(ValueError, match="a must be finite, got nan"):
        kl.kaiming_normal((3, 3), a=float("nan"))
    with pytest.raises(ValueError, match="gain must be >= 0"):
        kl.xavier_uniform((3, 3), gain=-1.0)
    with pytest.raises(TypeError, match="rng must be None, a non-negative integer seed"):
        kl.kaiming_normal((3, 3), rng="seed")
    with pytest.raises(ValueError, match="param is only used with nonlinearity='leaky_relu'"):
        kl.calculate_gain("tanh", 0.1)


def test_gain_names_are_exported():
    assert "leaky_relu" in initializers.GAINS
    assert set(initializers.GAINS) >= {"linear", "sigmoid", "tanh", "relu", "selu"}


def test_truncated_normal_std_is_the_keras_constant():
    assert initializers.truncated_normal_std() == pytest.approx(0.87962566103423978, abs=1e-15)


def test_he_truncated_normal_has_variance_2_over_fan_in():
    w = initializers.he_truncated_normal(SHAPE, rng=8)
    assert w.shape == SHAPE
    assert w.dtype == np.float64
    pre_std = math.sqrt(2.0 / 400) / 0.87962566103423978  # std of the normal before cutting
    assert np.all(np.abs(w) <= 2.0 * pre_std)
    # 120,000 independent draws; the SE of the mean of w^2 is std(w^2) / sqrt(n),
    # estimated from the draws themselves (about 0.3% of 2/fan_in), and we allow 4 SE
    assert estimate_variance(w, mean=0.0).agrees_with(2.0 / 400, K_SE)


def test_he_truncated_normal_without_correction_loses_23_percent():
    w = initializers.he_truncated_normal(SHAPE, corrected=False, rng=9)
    assert np.all(np.abs(w) <= 2.0 * math.sqrt(2.0 / 400))
    lost = 0.87962566103423978**2 * 2.0 / 400  # 0.774 of 2/fan_in
    est = estimate_variance(w, mean=0.0)
    assert est.agrees_with(lost, K_SE)
    assert not est.agrees_with(2.0 / 400, K_SE)


def test_truncated_normal_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="cut must be > 0"):
        initializers.truncated_normal_std(0.0)
    with pytest.raises(TypeError, match="cut must be"):
        initializers.truncated_normal_std("2")
    with pytest.raises(ValueError, match=r"shape must have at least 2 dimensions"):
        initializers.he_truncated_normal((5,))
    with pytest.raises(TypeError, match="corrected must be True or False"):
        initializers.he_truncated_normal((3, 3), corrected=1)
    with pytest.raises(TypeError, match="rng must be None"):
        initializers.he_truncated_normal((3, 3), rng="seed")


def reference_std(cut: float) -> float:
    """The std of N(0, 1) cut at +-c by quadrature in 30-digit arithmetic (mpmath).

    Independent of all three formulas the library uses: with x = c t,
    ``Var = c^2 int_0^1 t^2 exp(-c^2 t^2 / 2) dt / int_0^1 exp(-c^2 t^2 / 2) dt``,
    both integrals of size about 1 whatever c is (no underflow at c = 1e-300),
    split at t = k / c so the quadrature sees the bump when c is large. The
    result is exact to about 1e-25, far below float64's rounding.
    """
    with mpmath.workdps(30):
        c = mpmath.mpf(cut)
        points = [0] + [k / c for k in (1, 2, 4, 8, 16, 32) if k < c] + [1]
        m2 = mpmath.quad(lambda t: t * t * mpmath.exp(-c * c * t * t / 2), points)
        m0 = mpmath.quad(lambda t: mpmath.exp(-c * c * t * t / 2), points)
        return float(c * mpmath.sqrt(m2 / m0))


#: float64's precision argument for the tolerance. The worst of the three branches
#: is ``P(3/2, y) / P(1/2, y)``: scipy's gammainc (Cephes igam) has a documented peak
#: relative error of 3.6e-14 = 162 eps for arguments in [0, 30]; a ratio of two
#: such values is off by at most twice that, and the square root halves it again:
#: 162 eps, plus a few eps from the roundings around it. The series branch (four
#: rounded operations, the dropped c^4 term below 1e-16 at c < 1e-4) and the erf
#: branch (1 - r with r <= 0.71, which multiplies erf's error by at most 2.5) stay
#: well inside. So 200 eps on the std (4.4e-14); the values seen are within 10 ulps.
STD_RTOL = 200 * np.finfo(np.float64).eps


#: The branch points of ``truncated_normal_std`` (series / gammainc / erf / 1.0).
BRANCH_POINTS = (1e-4, 1.0, 40.0)
ACROSS_BRANCHES = [x for edge in BRANCH_POINTS for x in (float(np.nextafter(edge, 0.0)), edge)]


@pytest.mark.parametrize(
    "cut",
    [
        1e-300,
        1e-200,
        1e-10,
        1e-8,
        1e-6,
        1e-5,
        9.9e-5,
        1e-3,
        0.01,
        0.3,
        0.5,
        1.5,
        2.0,
        3.0,
        6.0,
        20.0,
    ],
)
def test_truncated_normal_std_matches_high_precision_quadrature(cut):
    """Every regime against the quadrature. The old formula gave 8e-4 at c = 1e-10 (the
    value is 5.8e-11), 2.8% too little at 1e-5 and NaN below 1e-8."""
    assert initializers.truncated_normal_std(cut) == pytest.approx(
        reference_std(cut), rel=STD_RTOL, abs=0.0
    )


@pytest.mark.parametrize("cut", ACROSS_BRANCHES)
def test_truncated_normal_std_is_continuous_across_its_branch_points(cut):
    """One ulp below each branch point and at it: two formulas, both on the same exact curve
    (the true values at the two cuts differ by about one ulp, far inside the tolerance)."""
    assert initializers.truncated_normal_std(cut) == pytest.approx(
        reference_std(cut), rel=STD_RTOL, abs=0.0
    )


@pytest.mark.parametrize("cut", [40.0, 1e3, 1e154, 1e200, 1.7e308])
def test_truncated_normal_std_for_huge_cuts_is_one_without_warnings(cut):
    assert initializers.truncated_normal_std(cut) == 1.0
