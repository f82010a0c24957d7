"""``kaiming_lab.fan_modes``: closed forms, the library's own theory, simulation and PyTorch.

Statistical comparisons accept ``|mean - exact| <= k SE`` over independent
networks, ``k = 4`` for a single comparison and ``k = 4.5`` where a test makes
up to about 30 at once (conftest explains the rule).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from kaiming_lab import fan_modes as fm
from kaiming_lab._validation import check_widths
from kaiming_lab.initializers import compute_fans, kaiming_normal, kaiming_std
from kaiming_lab.variance import predicted_gradient_variances, predicted_variances

PROFILES = [[64, 512, 64], [1024, 256, 64, 16], [16, 64, 256], [8, 8], [100, 30, 70, 5, 40]]


@pytest.mark.parametrize("widths", PROFILES)
@pytest.mark.parametrize("mode", fm.MODES)
def test_weight_variances_are_kaimings(widths: list[int], mode: str) -> None:
    var = fm.weight_variances(widths, mode)
    for h, v in enumerate(var):
        shape = (widths[h + 1], widths[h])
        assert v == pytest.approx(kaiming_std(shape, mode=mode) ** 2, rel=1e-12)
    assert fm.weight_variances(widths, mode, gain=1.0) == pytest.approx(var / 2)


@pytest.mark.parametrize("widths", PROFILES)
def test_closed_forms(widths: list[int]) -> None:
    d = np.array(widths, dtype=float)
    m2, v = 1.7, 0.3
    fwd_in = fm.forward_variances(widths, "fan_in", input_second_moment=m2)
    fwd_out = fm.forward_variances(widths, "fan_out", input_second_moment=m2)
    bwd_in = fm.backward_variances(widths, "fan_in", output_gradient_variance=v)
    bwd_out = fm.backward_variances(widths, "fan_out", output_gradient_variance=v)
    np.testing.assert_allclose(fwd_in, 2 * m2, rtol=1e-12)
    np.testing.assert_allclose(fwd_out, 2 * m2 * d[0] / d[1:], rtol=1e-12)
    np.testing.assert_allclose(bwd_out[:-1], 2 * v, rtol=1e-12)
    np.testing.assert_allclose(bwd_in[:-1], 2 * v * d[-1] / d[:-1], rtol=1e-12)
    assert bwd_in[-1] == bwd_out[-1] == v
    assert fwd_out[-1] / (2 * m2) == pytest.approx(fm.other_pass_factor(widths, "fan_out"))
    assert bwd_in[0] / (2 * v) == pytest.approx(fm.other_pass_factor(widths, "fan_in"))


@pytest.mark.parametrize("widths", PROFILES)
@pytest.mark.parametrize("mode", fm.MODES)
def test_agrees_with_the_theory_module(widths: list[int], mode: str) -> None:
    var = fm.weight_variances(widths, mode)
    sigma_w2 = np.array(widths[:-1]) * var  # theory's sigma_w^2 = fan_in Var(W)
    depth = len(widths) - 1
    np.testing.assert_allclose(
        fm.forward_variances(widths, mode), predicted_variances(depth, sigma_w2=sigma_w2)
    )
    # the theory module puts a ReLU after the last layer too: its last step has the 1/2
    theirs = predicted_gradient_variances(widths, sigma_w2=sigma_w2)
    np.testing.assert_allclose(fm.backward_variances(widths, mode)[:-1], 2 * theirs[:-1])
    np.testing.assert_allclose(
        fm.forward_variances(widths, var_w=var), fm.forward_variances(widths, mode)
    )


@pytest.mark.parametrize("widths", PROFILES)
def test_layer_factors_telescope(widths: list[int]) -> None:
    d = widths
    fwd = fm.layer_factors(d, "fan_out", "forward")
    bwd = fm.layer_factors(d, "fan_in", "backward")
    assert fwd[0] == pytest.approx(2 * d[0] / d[1])
    assert np.prod(fwd[1:]) == pytest.approx(d[1] / d[-1])  # He et al.'s c_2 / d_L
    assert bwd[-1] == pytest.approx(2 * d[-1] / d[-2])
    assert np.prod(bwd[:-1]) == pytest.approx(d[-2] / d[0])
    np.testing.assert_allclose(fm.layer_factors(d, "fan_in", "forward")[1:], 1.0)
    np.testing.assert_allclose(fm.layer_factors(d, "fan_out", "backward")[:-1], 1.0)
    assert np.prod(fwd) == pytest.approx(fm.forward_variances(d, "fan_out")[-1])


def test_width_profile() -> None:
    assert fm.width_profile((1024, 16), 3) == [1024, 256, 64, 16]
    assert fm.width_profile((64, 512, 64), 2) == [64, 512, 64]
    assert fm.width_profile((256, 256), 5) == [256] * 6
    assert fm.width_profile((64, 512, 64), 4) == [64, 181, 512, 181, 64]


def test_layout_fans() -> None:
    for shape in [(256, 1024), (32, 16, 3, 3), (5, 7, 2)]:
        assert fm.layout_fans(shape, "torch") == compute_fans(shape)
    assert fm.layout_fans((256, 1024), "keras") == (256, 1024)
    assert fm.layout_fans((256, 1024), "torch") == (1024, 256)
    # the same convolution stored both ways has the same fans
    assert fm.layout_fans((3, 3, 16, 32), "keras") == fm.layout_fans((32, 16, 3, 3), "torch")
    assert fm.layout_fans((3, 3, 16, 32), "keras") == (144, 288)


@pytest.mark.parametrize("widths", [[64, 512, 64], [256, 64, 16], [16, 64, 32, 128]])
@pytest.mark.parametrize("mode", fm.MODES)
def test_simulation_agrees_within_se(widths: list[int], mode: str) -> None:
    sim = fm.simulate_passes(widths, mode, n_networks=300, batch=16, seed=sum(widths))
    pairs = [
        *zip(sim.forward_estimates(), fm.forward_variances(widths, mode), strict=True),
        *zip(sim.backward_estimates(), fm.backward_variances(widths, mode), strict=True),
    ]
    for est, exact in pairs:  # up to 9 comparisons per test, 54 over the grid
        assert est.agrees_with(exact, k=4.5), (widths, mode, est, exact)


def test_simulation_shapes_and_determinism() -> None:
    a = fm.simulate_passes([8, 16, 4], "fan_out", n_networks=5, batch=3, seed=7)
    b = fm.simulate_passes([8, 16, 4], "fan_out", n_networks=5, batch=3, seed=7)
    assert a.forward.shape == (5, 2) and a.backward.shape == (5, 3)
    np.testing.assert_array_equal(a.forward, b.forward)
    np.testing.assert_array_equal(a.backward, b.backward)
    assert a.widths == (8, 16, 4) and a.mode == "fan_out"


def test_bad_input_names_the_parameter() -> None:
    with pytest.raises(TypeError, match="widths"):
        fm.forward_variances("64,512", "fan_in")
    with pytest.raises(ValueError, match="widths"):
        fm.forward_variances([64], "fan_in")
    with pytest.raises(ValueError, match=r"widths\[1\]"):
        fm.backward_variances([64, 0, 3], "fan_in")
    with pytest.raises(TypeError, match=r"widths\[0\]"):
        fm.weight_variances([64.0, 3], "fan_in")
    with pytest.raises(ValueError, match="mode"):
        fm.weight_variances([4, 4], "fan_avg")
    with pytest.raises(TypeError, match="mode"):
        fm.forward_variances([4, 4])
    with pytest.raises(TypeError, match="var_w"):
        fm.forward_variances([4, 4], "fan_in", var_w=[0.5])
    with pytest.raises(ValueError, match="var_w"):
        fm.backward_variances([4, 4, 4], var_w=[0.5])
    with pytest.raises(ValueError, match="direction"):
        fm.layer_factors([4, 4], "fan_in", "sideways")
    with pytest.raises(ValueError, match="layout"):
        fm.layout_fans((3, 4), "numpy")
    with pytest.raises(ValueError, match="n_networks"):
        fm.simulate_passes([4, 4], n_networks=1)
    with pytest.raises(ValueError, match="depth"):
        fm.width_profile((4, 4), 0)
    assert check_widths("widths", np.array([3, 4])) == [3, 4]


def test_pytorch_fan_out_matches_when_installed() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is optional; not installed")
    torch.manual_seed(0)
    shape = (300, 500)  # (out, in): fan_out = 300
    w = torch.nn.init.kaiming_normal_(
        torch.empty(shape, dtype=torch.float64), mode="fan_out", nonlinearity="relu"
    ).numpy()
    exact = fm.weight_variances([shape[1], shape[0]], "fan_out")[0]
    n = w.size  # SE of a sample variance of normals: Var * sqrt(2 / (n - 1))
    assert abs(w.var() - exact) <= 4 * exact * math.sqrt(2 / (n - 1))
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(32, 16, 3, 3))
    assert fm.layout_fans((32, 16, 3, 3), "torch") == (fan_in, fan_out)


def test_numpy_fan_out_draw_has_the_predicted_variance() -> None:
    shape = (300, 500)
    w = kaiming_normal(shape, mode="fan_out", rng=3)
    exact = fm.weight_variances([500, 300], "fan_out")[0]
    assert abs(w.var() - exact) <= 4 * exact * math.sqrt(2 / (w.size - 1))
