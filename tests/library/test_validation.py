"""Bad input: every public entry point names the parameter, the value and what is allowed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import kaiming_lab as kl

not_a_positive_int = st.one_of(
    st.integers(max_value=0),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=3),
    st.none(),
)
bad_variance = st.one_of(
    st.floats(max_value=-1e-300, allow_infinity=True),
    st.just(math.nan),
    st.just(math.inf),
)
fast = settings(max_examples=40, deadline=None)


@fast
@given(depth=not_a_positive_int)
def test_depth(depth):
    with pytest.raises((TypeError, ValueError), match="depth must be an integer") as info:
        kl.simulate_forward(depth, 4)
    assert repr(depth) in str(info.value) or str(depth) in str(info.value)


@fast
@given(width=not_a_positive_int.filter(lambda w: w is not None))
def test_width(width):
    with pytest.raises((TypeError, ValueError), match="width must be an integer"):
        kl.simulate_forward(3, width)


@fast
@given(value=bad_variance)
def test_variances(value):
    for name in ("variance_factor", "bias_variance"):
        with pytest.raises(ValueError, match=f"{name} must be (finite|>= 0.0), got"):
            kl.simulate_forward(3, 4, **{name: value})
    with pytest.raises(ValueError, match="sigma_w2 must be finite and >= 0"):
        kl.predicted_variances(3, sigma_w2=value)
    with pytest.raises(ValueError, match="sigma_b2 must be"):
        kl.predicted_variances(3, sigma_b2=value)


@fast
@given(name=st.text(min_size=1, max_size=12).filter(lambda s: s.lower() not in kl.ACTIVATIONS))
def test_unknown_activation_lists_known_names(name):
    with pytest.raises(ValueError, match=r"activation must be one of \[.*'relu'.*\], got"):
        kl.simulate_forward(2, 4, activation=name)
    with pytest.raises(ValueError, match=r"activation must be one of"):
        kl.predicted_variances(2, activation=name)


@fast
@given(name=st.text(min_size=1, max_size=12).filter(lambda s: s.lower() not in kl.INITS))
def test_unknown_init_lists_known_names(name):
    with pytest.raises(ValueError, match=r"init must be one of \[.*'kaiming'.*'xavier'.*\]"):
        kl.simulate_forward(2, 4, init=name)


@fast
@given(shape=st.lists(st.integers(1, 5), max_size=1))
def test_shapes_need_two_dimensions(shape):
    for draw in (kl.kaiming_normal, kl.kaiming_uniform, kl.xavier_normal, kl.xavier_uniform):
        with pytest.raises(ValueError, match="shape must have at least 2 dimensions"):
            draw(tuple(shape))


@fast
@given(shape=st.tuples(st.integers(-3, 0), st.integers(1, 4)))
def test_shape_entries_must_be_positive(shape):
    with pytest.raises(ValueError, match=r"shape\[0\] must be an integer >= 1"):
        kl.kaiming_normal(shape)


@fast
@given(loc=st.floats(0.01, 10.0) | st.floats(-10.0, -0.01), scale=st.floats(0.1, 5.0))
def test_non_symmetric_distribution(loc, scale):
    with pytest.raises(ValueError, match="must be symmetric about 0"):
        kl.half_variance_integral(stats.norm(loc, scale))


def test_widths_sequence_must_match_depth():
    with pytest.raises(ValueError, match=r"widths must have depth \+ 1 = 4 entries"):
        kl.simulate_forward(3, widths=[4, 4, 4])
    with pytest.raises(ValueError, match=r"widths\[1\] must be an integer >= 1, got 0"):
        kl.simulate_forward(2, widths=[4, 0, 4])
    with pytest.raises(TypeError, match="either width .* or widths"):
        kl.simulate_forward(2, None)


def test_input_array_checks():
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 4\)"):
        kl.simulate_forward(2, 4, x=np.zeros((3, 5)))
    with pytest.raises(ValueError, match="x must contain only finite numbers"):
        kl.simulate_forward(2, 4, x=np.full((3, 4), np.nan))
    with pytest.raises(ValueError, match=r"weights\[1\] must have shape \(fan_out, 4\)"):
        kl.propagate(np.zeros((2, 3)), [np.zeros((4, 3)), np.zeros((2, 5))])
    with pytest.raises(TypeError, match="seed must be None, a non-negative integer seed"):
        kl.simulate_forward(2, 4, seed=1.5)


def test_propagate_rejects_bad_arrays_by_name():
    x, weights = np.ones((2, 3)), kl.draw_weights([3, 4, 2], rng=0)
    with pytest.raises(ValueError, match=r"x must contain only finite numbers"):
        kl.propagate(np.full((2, 3), np.nan), weights)  # was reported as "overflow at layer 0"
    with pytest.raises(ValueError, match=r"weights\[1\] must contain only finite numbers"):
        kl.propagate(x, [weights[0], np.full((2, 4), np.inf)])
    with pytest.raises(TypeError, match="weights must be a list of 2-D arrays"):
        kl.propagate(x, None)
    with pytest.raises(ValueError, match="weights must hold at least one matrix"):
        kl.propagate(x, [])
    with pytest.raises(ValueError, match=r"biases\[0\] must be a 1-D array"):
        kl.propagate(x, weights, biases=[np.zeros((1, 4)), np.zeros(2)])
    with pytest.raises(ValueError, match=r"biases must hold 2 vectors"):
        kl.propagate(x, weights, biases=[np.zeros(4)])
    with pytest.raises(TypeError, match="backward must be True or False, got 'no'"):
        kl.propagate(x, weights, backward="no")
    # a list of lists is a valid matrix
    assert kl.propagate(x.tolist(), [w.tolist() for w in weights]).depth == 2


def test_simulate_forward_backward_must_be_a_bool():
    with pytest.raises(TypeError, match="backward must be True or False, got 'no'"):
        kl.simulate_forward(2, 4, backward="no")
    with pytest.raises(TypeError, match="backward must be True or False, got 1"):
        kl.simulate_forward(2, 4, backward=1)
