"""``kaiming_lab.weight_draws``: each initialiser's sigma_w^2 against its formula and its draws.

The sample variance of ``n`` independent weights with variance ``v`` has
standard error ``sqrt(Var(w^2) / n)``: ``v sqrt(2/n)`` for a normal draw and
``v sqrt(0.8/n)`` for a uniform one (fourth moment ``9 v^2 / 5``). Estimates
must fall within 4 of them (tests/conftest.py).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from kaiming_lab.montecarlo import DEFAULT_K_SE as K_SE
from kaiming_lab.weight_draws import INITS, draw_weights, resolve_widths, weight_variance_scale

FAN_IN, FAN_OUT = 300, 200
#: Var(w^2) / Var(w)^2 of a zero-mean draw: 2 for a normal, 4/5 for a uniform.
EXCESS = {"kaiming_uniform": 0.8, "xavier_uniform": 0.8, "pytorch_default": 0.8}


@pytest.mark.parametrize(
    "init, expected",
    [
        ("kaiming", 2.0),
        ("kaiming_uniform", 2.0),
        ("kaiming_fan_out", 2.0 * FAN_IN / FAN_OUT),
        ("xavier", 2.0 * FAN_IN / (FAN_IN + FAN_OUT)),
        ("xavier_uniform", 2.0 * FAN_IN / (FAN_IN + FAN_OUT)),
        ("pytorch_default", 1.0 / 3.0),
    ],
)
def test_sigma_w2_of_each_initialiser(init, expected):
    assert weight_variance_scale(init, FAN_IN, FAN_OUT, "relu") == pytest.approx(expected)


def test_leaky_relu_divides_kaimings_factor_by_one_plus_a_squared():
    assert weight_variance_scale("kaiming", 10, 10, "leaky_relu") == pytest.approx(2 / 1.0001)


@pytest.mark.parametrize("init", sorted(INITS))
def test_draws_have_the_layout_and_the_variance_the_scale_promises(init):
    (w,) = draw_weights([FAN_IN, FAN_OUT], init=init, rng=11)
    assert w.shape == (FAN_OUT, FAN_IN)  # (fan_out, fan_in)
    exact = weight_variance_scale(init, FAN_IN, FAN_OUT, "relu") / FAN_IN
    se = exact * math.sqrt(EXCESS.get(init, 2.0) / w.size)
    assert abs(float(np.mean(w * w)) - exact) <= K_SE * se


def test_resolve_widths_takes_width_or_widths():
    assert resolve_widths(3, 5, None) == [5, 5, 5, 5]
    assert resolve_widths(2, None, [4, 3, 2]) == [4, 3, 2]
    with pytest.raises(ValueError, match="widths must have depth \\+ 1 = 3 entries"):
        resolve_widths(2, None, [4, 3])
    with pytest.raises(TypeError, match="give either width"):
        resolve_widths(2, None, None)
