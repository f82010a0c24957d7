"""kaiming_lab.gains against closed forms, scipy quad and brentq, published values, torch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _references import NON_HOMOGENEOUS, quad_expectation
from scipy import optimize

from kaiming_lab import gains
from kaiming_lab.activations import SELU_ALPHA, SELU_SCALE, get_activation
from kaiming_lab.initializers import calculate_gain

# closed forms --------------------------------------------------------------------------


@pytest.mark.parametrize("slope", [0.0, 0.01, 0.2, 0.5, 1.0])
@pytest.mark.parametrize("q", [0.1, 1.0, 7.5])
def test_leaky_relu_closed_forms(slope, q):
    name = "relu" if slope == 0.0 else "leaky_relu"
    factor = (1 + slope**2) / 2
    gain = 1.3
    assert gains.length_map(name, q, gain, slope=slope) == pytest.approx(gain**2 * factor * q)
    assert gains.length_map(name, q, gain, bias_variance=0.3, slope=slope) == pytest.approx(
        gain**2 * factor * q + 0.3
    )
    expected = math.sqrt(2 / (1 + slope**2))
    assert gains.variance_preserving_gain(name, q, slope=slope) == pytest.approx(expected)
    assert gains.edge_of_chaos_gain(name, slope=slope) == pytest.approx(expected)
    assert gains.chi1(name, expected, q, slope=slope) == pytest.approx(1.0)


def test_slope_one_is_the_linear_rule():
    assert gains.variance_preserving_gain("leaky_relu", slope=1.0) == pytest.approx(1.0)
    assert gains.variance_preserving_gain("linear", 3.0) == pytest.approx(1.0)
    assert gains.edge_of_chaos_gain("linear") == pytest.approx(1.0)
    assert gains.length_map("linear", 2.0, 1.5, bias_variance=0.1) == pytest.approx(4.6)


def test_homogeneous_fixed_points():
    # s = g^2 (1 + a^2)/2 < 1: q* = sigma_b^2 / (1 - s)
    assert gains.fixed_point("relu", 1.0, bias_variance=0.5) == pytest.approx(1.0)
    assert gains.fixed_point("relu", 1.0) == 0.0
    # s = 1: every q is a fixed point without bias, none with
    assert gains.fixed_point("relu", math.sqrt(2), q0=3.7) == 3.7
    assert gains.fixed_point("relu", math.sqrt(2), bias_variance=0.1) == math.inf
    assert gains.fixed_point("relu", 1.5) == math.inf


def test_fixed_point_gains():
    assert gains.fixed_point_gain("relu") == pytest.approx(math.sqrt(2))
    assert gains.fixed_point_gain("leaky_relu", slope=0.5) == pytest.approx(math.sqrt(2 / 1.25))
    assert gains.fixed_point_gain("linear", 3.0) == pytest.approx(1.0)
    # tanh is linear near 0, so its gain tends to 1 for tiny variances and grows with q
    assert gains.fixed_point_gain("tanh", 1e-8) == pytest.approx(1.0, rel=1e-6)
    assert gains.fixed_point_gain("tanh", 1.0) > 1.2


# quadrature ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", NON_HOMOGENEOUS)
@pytest.mark.parametrize("q", [0.3, 1.0, 4.0])
def test_length_map_and_chi1_match_quad(name, q):
    act = get_activation(name)
    gain = 1.7
    by_quad = gain**2 * quad_expectation(lambda z: act.forward(z) ** 2, q) + 0.2
    assert gains.length_map(name, q, gain, bias_variance=0.2) == pytest.approx(by_quad, rel=1e-9)
    d2 = quad_expectation(lambda z: act.derivative(z) ** 2, q)
    assert gains.chi1(name, gain, q) == pytest.approx(gain**2 * d2, rel=1e-9)


@pytest.mark.parametrize("name", NON_HOMOGENEOUS)
def test_variance_preserving_gain_matches_quad(name):
    act = get_activation(name)
    for q in (0.25, 1.0, 9.0):
        m2 = quad_expectation(lambda z: act.forward(z) ** 2, q)
        g = gains.variance_preserving_gain(name, q)
        assert g == pytest.approx(math.sqrt(q / m2), rel=1e-9)
        assert gains.fixed_point_gain(name, q) == pytest.approx(math.sqrt(q / m2), rel=1e-9)
        assert gains.length_map(name, q, g) == pytest.approx(q, rel=1e-9)
    with_bias = gains.variance_preserving_gain(name, 1.0, bias_variance=0.2)
    assert gains.length_map(name, 1.0, with_bias, bias_variance=0.2) == pytest.approx(1.0)


@pytest.mark.parametrize("name", NON_HOMOGENEOUS)
def test_not_homogeneous_gain_depends_on_q(name):
    small, large = (gains.variance_preserving_gain(name, q) for q in (0.1, 10.0))
    assert abs(small - large) > 0.3


@pytest.mark.parametrize(("name", "gain"), [("tanh", 1.5), ("sigmoid", 2.0), ("selu", 1.0)])
def test_fixed_point_is_a_fixed_point_and_the_limit_of_iterates(name, gain):
    q_star = gains.fixed_point(name, gain)
    assert gains.length_map(name, q_star, gain) == pytest.approx(q_star, rel=1e-10)
    for q0 in (0.2, 5.0):
        assert gains.iterate_length_map(name, q0, gain, 400)[-1] == pytest.approx(q_star, rel=1e-8)


def test_fixed_point_below_the_floor_held_up_by_a_tiny_bias():
    # the search passes Q_FLOOR with map(0) = sigma_b^2 > 0 and brackets [0, Q_FLOOR]; at
    # gain 1, tanh(x)^2 = x^2 - 2 x^4 / 3 + ... gives 2 q^2 (1 + O(q)) = sigma_b^2, so
    # q* = sqrt(sigma_b^2 / 2) up to a relative O(q*) = 1e-10
    assert gains.fixed_point("tanh", 1.0, bias_variance=2e-20) == pytest.approx(1e-10, rel=1e-6)
    assert gains.fixed_point("tanh", 1.0) == 0.0


def test_iterate_length_map_relu_and_overflow():
    q = gains.iterate_length_map("relu", 2.0, math.sqrt(2), 5)
    assert q.shape == (6,) and np.allclose(q, 2.0)
    big = gains.iterate_length_map("relu", 1.0, 100.0, 200)
    assert big[-1] == math.inf


# published values the course quotes (gains, fixed points, edge of chaos) -----------------


@pytest.mark.parametrize(
    ("gain", "q_star", "chi"),
    [(0.9, 0.0, 0.81), (1.0, 0.0, 1.00), (1.2, None, 1.03), (5 / 3, 1.18, 1.21), (2.0, 2.12, 1.36)],
)
def test_tanh_fixed_points_and_chi1(gain, q_star, chi):
    q = gains.fixed_point("tanh", gain)
    if q_star is not None:
        assert round(q, 2) == q_star
    assert round(gains.chi1("tanh", gain, q), 2) == chi


def test_tanh_gains():
    assert round(gains.variance_preserving_gain("tanh", 1.0), 4) == 1.5925
    assert gains.edge_of_chaos_gain("tanh") == pytest.approx(1.0, abs=1e-9)


def test_selu():
    # Klambauer et al.'s constants make q = 1 a fixed point at gain 1
    assert gains.variance_preserving_gain("selu", 1.0) == pytest.approx(1.0, abs=1e-9)
    q_34 = gains.fixed_point("selu", 0.75)
    assert 0.01 < q_34 < 0.05 and 1.0 < gains.chi1("selu", 0.75, q_34) < 1.01
    # at q = 0 the limit of the one-sided derivatives, not phi'(0)^2
    limit = SELU_SCALE**2 * (1 + SELU_ALPHA**2) / 2
    assert gains.edge_of_chaos_gain("selu") == pytest.approx(1 / math.sqrt(limit), rel=1e-6)


def test_sigmoid_edge():
    g = gains.edge_of_chaos_gain("sigmoid")
    q = gains.fixed_point("sigmoid", g)
    assert 9.0 < g < 11.0 and gains.chi1("sigmoid", g, q) == pytest.approx(1.0, abs=1e-6)


def test_gelu_has_no_edge_without_bias():
    with pytest.raises(ValueError, match="gelu has no edge of chaos"):
        gains.edge_of_chaos_gain("gelu")
    g = gains.variance_preserving_gain("gelu", 1.0)
    assert gains.fixed_point("gelu", 0.99 * g) == 0.0
    assert gains.fixed_point("gelu", 1.01 * g) == math.inf


def test_no_crossing_in_range():
    with pytest.raises(ValueError, match="stays below 1"):
        gains.edge_of_chaos_gain("sigmoid", gain_range=(0.5, 2.0))


# the table ---------------------------------------------------------------------------


def test_gain_table():
    rows = {row.label: row for row in gains.gain_table()}
    assert list(rows) == [
        "relu",
        "leaky_relu(0.01)",
        "leaky_relu(0.2)",
        "tanh",
        "sigmoid",
        "gelu",
        "selu",
    ]
    for label in ("relu", "leaky_relu(0.01)", "leaky_relu(0.2)"):
        assert rows[label].derived
    for label in ("tanh", "sigmoid", "gelu", "selu"):
        assert not rows[label].derived
    assert math.isnan(rows["gelu"].pytorch) and math.isnan(rows["gelu"].edge_of_chaos)
    assert rows["tanh"].pytorch == pytest.approx(5 / 3)
    assert rows["selu"].pytorch == pytest.approx(3 / 4)
    assert rows["leaky_relu(0.2)"].pytorch == pytest.approx(calculate_gain("leaky_relu", 0.2))


# input checks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: gains.length_map("tanh", -1.0, 1.0), ValueError, "q"),
        (lambda: gains.length_map("tanh", 1.0, -1.0), ValueError, "gain"),
        (lambda: gains.length_map("tanh", 1.0, "1"), TypeError, "gain"),
        (lambda: gains.length_map("tanh", 1.0, 1.0, bias_variance=-0.1), ValueError, "bias"),
        (lambda: gains.length_map("swish", 1.0, 1.0), ValueError, "activation"),
        (lambda: gains.length_map(3, 1.0, 1.0), TypeError, "activation"),
        (lambda: gains.length_map("leaky_relu", 1.0, 1.0, slope=2.0), ValueError, "slope"),
        (lambda: gains.iterate_length_map("tanh", 1.0, 1.0, -1), ValueError, "steps"),
        (lambda: gains.iterate_length_map("tanh", 1.0, 1.0, 2.5), TypeError, "steps"),
        (lambda: gains.fixed_point("tanh", 1.0, q0=0.0), ValueError, "q0"),
        (lambda: gains.fixed_point("tanh", math.nan), ValueError, "gain"),
        (lambda: gains.chi1("tanh", 1.0, math.inf), ValueError, "q"),
        (lambda: gains.variance_preserving_gain("tanh", 0.0), ValueError, "q"),
        (
            lambda: gains.variance_preserving_gain("tanh", 1.0, bias_variance=1.0),
            ValueError,
            "bias_variance",
        ),
        (lambda: gains.edge_of_chaos_gain("tanh", gain_range=(2.0, 1.0)), ValueError, "gain_range"),
        (lambda: gains.edge_of_chaos_gain("tanh", gain_range=3.0), TypeError, "gain_range"),
        (lambda: gains.gain_table([("tanh",)]), TypeError, "entries"),
    ],
)
def test_bad_input_names_the_parameter(call, error, name):
    with pytest.raises(error, match=name):
        call()


# torch, where installed ---------------------------------------------------------------


def test_against_torch():
    torch = pytest.importorskip(
        "torch", reason="torch is not installed: the comparison with torch.nn.init is skipped"
    )
    for row in gains.gain_table():
        if row.name == "gelu":
            continue
        param = row.slope if row.name == "leaky_relu" else None
        expected = torch.nn.init.calculate_gain(row.name, param)
        assert row.pytorch == pytest.approx(expected, rel=1e-12)
        if row.homogeneous:
            assert row.variance_preserving == pytest.approx(expected, rel=1e-12)
            assert row.edge_of_chaos == pytest.approx(expected, rel=1e-12)
    generator = torch.Generator().manual_seed(0)
    weight = torch.empty(512, 400, dtype=torch.float64)
    torch.nn.init.kaiming_normal_(weight, a=0.2, generator=generator)
    expected_std = gains.variance_preserving_gain("leaky_relu", slope=0.2) / math.sqrt(400)
    assert float(weight.std()) == pytest.approx(expected_std, rel=0.01)


# ------------------------------------------------------------------------- phase diagram


def _tanh_fixed_point_by_quad(w2: float, b2: float) -> float:
    """q* = w2 E[tanh(sqrt(q) u)^2] + b2 by brentq over scipy's quad (q* <= w2 + b2)."""

    def excess(q: float) -> float:
        return w2 * quad_expectation(lambda z: np.tanh(z) ** 2, q) + b2 - q

    if excess(1e-12) <= 0.0:
        return 0.0
    return optimize.brentq(excess, 1e-12, w2 + b2 + 1.0, xtol=1e-15, rtol=1e-13)


def _tanh_chi1_by_quad(w2: float, q: float) -> float:
    return w2 * quad_expectation(lambda z: (1.0 - np.tanh(z) ** 2) ** 2, q) if q > 0 else w2


def test_grid_against_quad():
    w2 = np.array([0.8, 1.5, 25 / 9, 3.5])
    b2 = np.array([0.0, 0.05, 0.3])
    q, chi = gains.chi1_grid("tanh", w2[None, :], b2[:, None])
    assert np.array_equal(q, gains.fixed_point_grid("tanh", w2[None, :], b2[:, None]))
    for i, b in enumerate(b2):
        for j, w in enumerate(w2):
            q_ref = _tanh_fixed_point_by_quad(w, b)
            assert q[i, j] == pytest.approx(q_ref, rel=1e-8, abs=1e-12)
            assert chi[i, j] == pytest.approx(_tanh_chi1_by_quad(w, q_ref), rel=1e-8)
    q53, chi53 = gains.chi1_grid("tanh", 25 / 9, 0.0)
    assert round(float(q53), 2) == 1.18 and round(float(chi53), 2) == 1.21


def test_grid_relu_closed_forms():
    q, chi = gains.chi1_grid("relu", np.array([1.8, 2.5]), 0.1)
    assert q[0] == pytest.approx(1.0, rel=1e-9) and chi[0] == pytest.approx(0.9, rel=1e-6)
    assert q[1] == np.inf and chi[1] == np.inf
    assert gains.fixed_point_grid("tanh", 0.9, 0.0) == 0.0


def _tanh_edge_by_quad(b2: float) -> float:
    """The sigma_w^2 with chi_1 = 1 at q*: solve for q* first, sigma_w^2 = 1 / E[tanh'^2]."""

    def w2_of(q: float) -> float:
        return 1.0 / quad_expectation(lambda z: (1.0 - np.tanh(z) ** 2) ** 2, q)

    def excess(q: float) -> float:
        return w2_of(q) * quad_expectation(lambda z: np.tanh(z) ** 2, q) + b2 - q

    return w2_of(optimize.brentq(excess, 1e-9, 20.0, xtol=1e-14, rtol=1e-13))


def test_edge_curve_against_quad_and_the_gain_search():
    b2 = np.array([0.0, 0.05, 0.1, 0.3])
    curve = gains.edge_of_chaos_curve("tanh", b2)
    assert curve[0] == pytest.approx(1.0, abs=1e-6)
    for b, w in zip(b2[1:], curve[1:], strict=True):
        assert w == pytest.approx(_tanh_edge_by_quad(b), rel=1e-6)
        # the scalar search (a scan for the first crossing) finds the same edge
        assert w == pytest.approx(gains.edge_of_chaos_gain("tanh", bias_variance=b) ** 2, rel=1e-6)
    assert np.all(np.diff(curve) > 0)
    assert isinstance(gains.edge_of_chaos_curve("tanh", 0.2), float)


def test_phase_functions_reject_bad_input():
    with pytest.raises(ValueError, match="sigma_b2"):
        gains.fixed_point_grid("tanh", 1.0, -0.1)
    with pytest.raises(ValueError, match="sigma_w2"):
        gains.chi1_grid("tanh", np.array([1.0, -1.0]), 0.0)
    with pytest.raises(ValueError, match="broadcast"):
        gains.fixed_point_grid("tanh", np.ones(3), np.zeros(2))
    with pytest.raises(ValueError, match="does not cross 1"):
        gains.edge_of_chaos_curve("tanh", 0.3, sigma_w2_range=(0.5, 1.5))
    with pytest.raises(TypeError, match="sigma_w2_range"):
        gains.edge_of_chaos_curve("tanh", 0.3, sigma_w2_range=2.0)


def test_grids_check_their_arguments_once(monkeypatch):
    """A grid of 900 points and a 50-step bisection: the checks run at the door, not per point."""
    calls = []
    for name in ("check_float", "check_array"):
        real = getattr(gains, name)

        def counting(*args, _real=real, **kwargs):
            calls.append(args[0])
            return _real(*args, **kwargs)

        monkeypatch.setattr(gains, name, counting)
    w2, b2 = np.linspace(0.5, 4.0, 30), np.linspace(0.0, 0.5, 30)
    gains.chi1_grid("tanh", w2[None, :], b2[:, None])
    gains.edge_of_chaos_curve("tanh", b2)
    assert len(calls) <= 10, calls
