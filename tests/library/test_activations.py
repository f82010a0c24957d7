"""Activations: values against independent formulas, derivatives against finite differences."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from kaiming_lab import ACTIVATIONS, get_activation
from kaiming_lab.activations import SELU_ALPHA, SELU_SCALE


def reference(name: str, z: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """Textbook formulas, written independently of the package."""
    if name == "relu":
        return np.array([max(0.0, v) for v in z])
    if name == "leaky_relu":
        return np.array([v if v > 0 else slope * v for v in z])
    if name == "linear":
        return z
    if name == "tanh":
        return np.array([math.tanh(v) for v in z])
    if name == "sigmoid":
        return np.array([1.0 / (1.0 + math.exp(-v)) for v in z])
    if name == "gelu":
        return z * stats.norm.cdf(z)
    if name == "selu":
        return np.array([SELU_SCALE * (v if v > 0 else SELU_ALPHA * (math.exp(v) - 1)) for v in z])
    raise AssertionError(name)


Z = np.linspace(-6.0, 6.0, 241) + 0.013  # avoids the kink at exactly 0


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_forward_matches_reference(name):
    act = get_activation(name)
    np.testing.assert_allclose(act(Z), reference(name, Z), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_derivative_matches_central_difference(name):
    act = get_activation(name)
    h = 1e-6
    numeric = (act(Z + h) - act(Z - h)) / (2 * h)
    # truncation error h^2 |f'''| / 6 <= 1e-12 here; rounding error about eps / h = 2e-10
    np.testing.assert_allclose(act.derivative(Z), numeric, rtol=0, atol=1e-8)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_extreme_inputs_raise_no_warnings(name):
    act = get_activation(name)
    z = np.array([-1e300, -1e10, -800.0, 0.0, 800.0, 1e10, 1e300])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values, slopes = act(z), act.derivative(z)
    assert np.all(np.isfinite(values)) and np.all(np.isfinite(slopes))


@given(
    z=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=20),
    c=st.floats(1e-3, 1e3),
    slope=st.floats(0.0, 1.0),
)
def test_homogeneous_activations_commute_with_positive_scaling(z, c, slope):
    z = np.array(z)
    for name in ("relu", "leaky_relu", "linear"):
        act = get_activation(name, slope=slope)
        assert act.homogeneous
        np.testing.assert_allclose(act(c * z), c * act(z), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize(("name", "slope"), [("relu", 0.0), ("leaky_relu", 0.3), ("linear", 1.0)])
def test_second_moment_ratio_by_quadrature(name, slope):
    act = get_activation(name, slope=slope)
    value, _ = integrate.quad(lambda z: act(np.array([z]))[0] ** 2 * stats.norm.pdf(z), -40, 40)
    assert act.second_moment_ratio == pytest.approx(value, rel=1e-9)
    assert act.second_moment_ratio == pytest.approx((1 + slope**2) / 2)


def test_non_homogeneous_have_no_ratio():
    for name in ("tanh", "sigmoid", "gelu", "selu"):
        assert not get_activation(name).homogeneous


def test_lookup_errors_list_the_known_names():
    with pytest.raises(ValueError, match=r"name must be one of \['gelu', 'leaky_relu'"):
        get_activation("swish")
    with pytest.raises(TypeError, match="name must be a string"):
        get_activation(3)
    with pytest.raises(ValueError, match="slope must be <= 1.0, got 2.0"):
        get_activation("leaky_relu", slope=2.0)
    assert repr(get_activation("leaky_relu", slope=0.2)) == "Activation('leaky_relu', slope=0.2)"
