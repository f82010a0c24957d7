"""Monte Carlo estimates: the standard errors they report are the right size."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kaiming_lab.montecarlo import Estimate, estimate_mean, estimate_variance


def test_mean_and_se_formulas(rng):
    x = rng.normal(3.0, 2.0, size=1000)
    est = estimate_mean(x)
    assert est.value == pytest.approx(np.mean(x), rel=1e-15)
    assert est.se == pytest.approx(np.std(x, ddof=1) / math.sqrt(1000), rel=1e-15)
    assert est.n == 1000


def test_reported_se_covers_the_truth_at_the_normal_rate(rng):
    # 4000 independent estimates of a known mean: the share inside 1.96 SE is 0.95, with a
    # binomial SE of sqrt(0.95 * 0.05 / 4000) = 0.0034; allow 4 of those.
    hits = [
        estimate_mean(rng.exponential(1.0, size=400)).agrees_with(1.0, 1.96) for _ in range(4000)
    ]
    assert abs(np.mean(hits) - 0.95) <= 4 * math.sqrt(0.95 * 0.05 / 4000)


def test_variance_estimate_is_unbiased_with_a_sensible_se(rng):
    values = [estimate_variance(rng.normal(0.0, 3.0, size=20)) for _ in range(3000)]
    means = np.array([v.value for v in values])
    assert abs(means.mean() - 9.0) <= 4 * means.std(ddof=1) / math.sqrt(means.size)
    # a known-mean estimate of a normal's variance has SE sigma^2 sqrt(2 / n)
    known = estimate_variance(rng.normal(0.0, 3.0, size=200_000), mean=0.0)
    assert known.se == pytest.approx(9.0 * math.sqrt(2 / 200_000), rel=0.02)


def test_z_score_and_formatting():
    est = Estimate(1.03, 0.01, 100)
    assert est.z_score(1.0) == pytest.approx(3.0)
    assert est.agrees_with(1.0) and not est.agrees_with(1.0, k=2.0)
    assert str(est) == "1.03 ± 0.01"
    assert Estimate(1.0, 0.0016, 10).format(4) == "1.000 ± 0.0016"
    assert Estimate(2.0, 0.0, 5).z_score(2.0) == 0.0
    assert Estimate(2.0, 0.0, 5).z_score(1.0) == math.inf


def test_bad_samples_are_rejected():
    with pytest.raises(ValueError, match="at least 2 values, got 1"):
        estimate_mean([1.0])
    with pytest.raises(ValueError, match="samples must contain only finite numbers"):
        estimate_mean([1.0, np.nan])
    with pytest.raises(ValueError, match="k must be > 0.0"):
        Estimate(1.0, 0.1, 5).agrees_with(1.0, k=0)


def test_finite_samples_near_the_float_limit_do_not_overflow():
    x = np.array([1e308, 1.5e308, 1.7e308, 1.2e308])
    est = estimate_mean(x)
    assert est.value == pytest.approx(np.mean(x / 1e308) * 1e308, rel=1e-15)
    assert est.se == pytest.approx(np.std(x / 1e308, ddof=1) / 2 * 1e308, rel=1e-15)
    assert estimate_variance(np.array([1e308, 1e308, 1e308])).value == 0.0
    with pytest.raises(ValueError, match="samples: squared deviations exceed the float64 range"):
        estimate_variance(np.array([1e308, -1e308]))


def test_ordinary_samples_keep_numpys_exact_results(rng):
    x = rng.normal(2.0, 3.0, size=101)
    est = estimate_mean(x)
    assert est.value == float(x.mean()) and est.se == float(x.std(ddof=1) / math.sqrt(101))


def test_bad_samples_name_the_parameter_without_warnings():
    for bad, error in [
        ([], ValueError),
        ("abc", TypeError),
        (None, TypeError),
        ([1j, 2j], TypeError),
    ]:
        for func in (estimate_mean, estimate_variance):
            with pytest.raises(error, match="samples"):
                func(bad)
    with pytest.raises(ValueError, match="digits must be an integer between 1 and 17, got 0"):
        Estimate(1.0, 0.1, 5).format(0)
    with pytest.raises(ValueError, match="exact must be finite, got nan"):
        Estimate(1.0, 0.1, 5).agrees_with(float("nan"))
    with pytest.raises(ValueError, match="se must be >= 0.0, got -1.0"):
        Estimate(1.0, -1.0, 5)
