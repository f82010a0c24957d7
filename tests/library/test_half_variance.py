"""``kaiming_lab.half_variance``: E[ReLU(z)^2] against closed forms and sampling, at any scale."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import kaiming_lab as kl
from kaiming_lab.montecarlo import DEFAULT_K_SE as K_SE
from kaiming_lab.montecarlo import estimate_mean

SYMMETRIC = {
    "normal": stats.norm(0.0, 1.7),
    "laplace": stats.laplace(0.0, 0.8),
    "uniform": stats.uniform(-2.0, 4.0),
    "logistic": stats.logistic(0.0, 1.3),
    "student_t_3": stats.t(3),
    "student_t_7": stats.t(7, scale=0.5),
}


@pytest.mark.parametrize("name", SYMMETRIC)
def test_half_variance_identity_for_symmetric_distributions(name):
    dist = SYMMETRIC[name]
    result = kl.half_variance_integral(dist)
    assert result.half_variance == pytest.approx(dist.var() / 2, rel=1e-12)
    # quad reports its own error bound; allow it plus a relative 1e-9 for the closed-form variance
    assert abs(result.difference) <= result.abserr + 1e-9 * result.half_variance
    assert "Var(z)/2" in str(result)


@pytest.mark.parametrize("name", ["normal", "laplace", "uniform", "logistic"])
def test_integral_agrees_with_monte_carlo(name, rng):
    dist = SYMMETRIC[name]
    z = dist.rvs(size=200_000, random_state=rng)
    est = estimate_mean(np.maximum(z, 0.0) ** 2)
    assert est.agrees_with(kl.half_variance_integral(dist).integral, K_SE)


@pytest.mark.parametrize(("mu", "sigma"), [(1.0, 1.0), (-0.5, 2.0), (0.3, 0.1)])
def test_shifted_normal_breaks_the_identity(mu, sigma):
    dist = stats.norm(mu, sigma)
    value, _ = kl.relu_second_moment(dist)
    # closed form for N(mu, sigma^2): (mu^2 + sigma^2) Phi(mu/sigma) + mu sigma phi(mu/sigma)
    t = mu / sigma
    exact = (mu**2 + sigma**2) * stats.norm.cdf(t) + mu * sigma * stats.norm.pdf(t)
    assert value == pytest.approx(exact, rel=1e-8)
    assert abs(value - sigma**2 / 2) > 1e-3
    with pytest.raises(ValueError, match="must be symmetric about 0"):
        kl.half_variance_integral(dist)


def test_skewed_distribution_is_rejected_and_differs():
    dist = stats.skewnorm(4.0, loc=-stats.skewnorm(4.0).mean())  # mean 0 but skewed
    assert dist.mean() == pytest.approx(0.0, abs=1e-12)
    value, err = kl.relu_second_moment(dist)
    z = dist.rvs(size=200_000, random_state=np.random.default_rng(5))
    assert estimate_mean(np.maximum(z, 0.0) ** 2).agrees_with(value, K_SE)
    # the right tail is longer, so more than half of the variance sits above 0
    assert value - dist.var() / 2 > 1000 * err
    with pytest.raises(ValueError, match="symmetric"):
        kl.half_variance_integral(dist)


def test_infinite_variance_and_non_distributions_are_rejected():
    with pytest.raises(ValueError, match="finite variance .*df > 2"):
        kl.half_variance_integral(stats.t(2))
    with pytest.raises(TypeError, match="frozen continuous scipy.stats distribution"):
        kl.half_variance_integral("normal")
    with pytest.raises(TypeError, match="frozen continuous"):
        kl.relu_second_moment(stats.norm)


# ------------------------------------------------- integrals at any location and scale


def _normal_relu_m2(mu: float, sigma: float) -> float:
    """Closed form for N(mu, sigma^2): (mu^2 + sigma^2) Phi(mu/sigma) + mu sigma phi(mu/sigma)."""
    t = mu / sigma
    return (mu**2 + sigma**2) * stats.norm.cdf(t) + mu * sigma * stats.norm.pdf(t)


def _laplace_relu_m2(mu: float, b: float) -> float:
    """Closed form for Laplace(mu, b): mu^2 + 2b^2 - b^2 e^(-mu/b) if mu >= 0, else b^2 e^(mu/b)."""
    if mu >= 0:
        return mu**2 + 2 * b**2 - b**2 * math.exp(-mu / b)
    return b**2 * math.exp(mu / b)


def _uniform_relu_m2(lo: float, width: float) -> float:
    """Closed form for U(lo, lo + width): (hi^3 - max(lo, 0)^3) / (3 width) above 0."""
    hi = lo + width
    if hi <= 0:
        return 0.0
    if lo >= 0:  # all of z is above 0: E[z^2] = lo^2 + lo w + w^2 / 3, free of cancellation
        return lo**2 + lo * width + width**2 / 3
    return hi**3 / (3 * width)


def test_the_reported_silent_failures_are_exact_now():
    value, err = kl.relu_second_moment(stats.norm(3, 0.01))
    assert value == pytest.approx(9.0001, rel=1e-12) and err < 1e-9
    value, _ = kl.relu_second_moment(stats.norm(37, 1))
    assert value == pytest.approx(1370.0, rel=1e-12)


locs = st.floats(-1e3, 1e3)
log_scales = st.floats(-8.0, 8.0)
closed_forms = settings(max_examples=25, deadline=None)
#: Probabilities below this are subnormal-prone in float64 (the smallest normal is 2.2e-308).
SUBNORMAL_MASS = 1e-300


@closed_forms
@given(loc=locs, log_scale=log_scales)
def test_normal_at_any_location_and_scale(loc, log_scale):
    scale = 10.0**log_scale
    value, err = kl.relu_second_moment(stats.norm(loc, scale))
    exact = _normal_relu_m2(loc, scale)
    # relative 1e-9 of the larger of the value and the scale^2 the integral is measured in
    assert abs(value - exact) <= err + 1e-9 * max(exact, scale**2 * 1e-300)


@closed_forms
@given(loc=locs, log_scale=log_scales)
def test_laplace_at_any_location_and_scale(loc, log_scale):
    scale = 10.0**log_scale
    dist = stats.laplace(loc, scale)
    exact = _laplace_relu_m2(loc, scale)
    try:
        value, err = kl.relu_second_moment(dist)
    except ValueError as error:
        # refused only where the mass above 0 is subnormal-prone, and the message says why
        assert dist.sf(0.0) < SUBNORMAL_MASS, error
        assert "could not be computed reliably" in str(error)
        return
    assert abs(value - exact) <= err + 1e-9 * exact


@closed_forms
@given(loc=locs, log_scale=log_scales)
def test_uniform_at_any_location_and_scale(loc, log_scale):
    width = 10.0**log_scale
    value, err = kl.relu_second_moment(stats.uniform(loc, width))
    exact = _uniform_relu_m2(loc, width)
    assert abs(value - exact) <= err + 1e-9 * exact


SYMMETRIC_FAMILIES = {
    "normal": lambda s: stats.norm(0, s),
    "laplace": lambda s: stats.laplace(0, s),
    "logistic": lambda s: stats.logistic(0, s),
    "student_t_3": lambda s: stats.t(3, scale=s),
    "student_t_2.5": lambda s: stats.t(2.5, scale=s),
    "uniform": lambda s: stats.uniform(-s, 2 * s),
    "hypsecant": lambda s: stats.hypsecant(scale=s),
    "gennorm_0.2": lambda s: stats.gennorm(0.2, scale=s),
}


@pytest.mark.parametrize("family", SYMMETRIC_FAMILIES)
@pytest.mark.parametrize("scale", [1e-8, 1e-4, 1.0, 1e4, 1e5, 1e6, 1e8])
def test_half_variance_at_every_scale_without_warnings(family, scale):
    """Var(z)/2 is each family's closed form (scipy's var()); filterwarnings=error catches leaks."""
    dist = SYMMETRIC_FAMILIES[family](scale)
    result = kl.half_variance_integral(dist)
    assert result.integral > 0
    assert abs(result.difference) <= result.abserr + 1e-9 * result.half_variance


class _WrongQuantiles(stats.rv_continuous):
    """A normal whose quantile function is ten percent too wide: the two methods disagree."""

    def _pdf(self, x):
        return stats.norm.pdf(x)

    def _cdf(self, x):
        return stats.norm.cdf(x)

    def _ppf(self, q):
        return 1.1 * stats.norm.ppf(q)

    def _isf(self, q):
        return 1.1 * stats.norm.isf(q)


def test_disagreeing_methods_raise_instead_of_answering():
    with pytest.raises(ValueError, match=r"dist .* could not be computed reliably"):
        kl.relu_second_moment(_WrongQuantiles(name="wrong")())


def test_integral_errors_name_dist():
    with pytest.raises(ValueError, match="dist must have scale > 0"):
        kl.relu_second_moment(stats.norm(0, -1))
    with pytest.raises(ValueError, match="dist must have one finite loc"):
        kl.relu_second_moment(stats.norm(np.array([0.0, 1.0]), 1.0))
    with pytest.raises(ValueError, match="dist must have a finite variance"):
        kl.half_variance_integral(stats.cauchy())
