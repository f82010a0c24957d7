"""The initialisers against ``torch.nn.init``: gains, fans, every initialiser and mode.

Each statistical comparison draws 120,000 weights (or more) and accepts
``|estimate - exact| <= k SE`` with the SE estimated from the draws
themselves. The module makes about 120 such comparisons, so it uses the
Bonferroni ``k = 4.5`` of ``conftest.py`` (a normal exceeds 4.5 SE with
probability 6.8e-6, so a correct formula fails the module with probability
below 1e-3); the seeds are fixed, so each test always passes or always fails.
The module skips with a message when PyTorch is missing (and fails instead
under ``.ci/run``, which installs it).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from torch_support import require_torch

import kaiming_lab as kl
from kaiming_lab import initializers
from kaiming_lab.montecarlo import estimate_variance

K_SE = 4.5  # Bonferroni over about 120 comparisons, see the module docstring
SHAPE = (300, 400)  # (fan_out, fan_in)


@pytest.fixture(scope="module")
def torch():
    return require_torch()


def torch_draw(torch, fill, shape, seed, **kwargs) -> np.ndarray:
    torch.manual_seed(seed)
    return fill(torch.empty(shape, dtype=torch.float64), **kwargs).numpy()


@pytest.mark.parametrize(
    ("name", "param"),
    [
        ("linear", None),
        ("conv1d", None),
        ("conv2d", None),
        ("conv3d", None),
        ("conv_transpose1d", None),
        ("conv_transpose2d", None),
        ("conv_transpose3d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("selu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.0),
        ("leaky_relu", 0.3),
        ("leaky_relu", 1.0),
        ("leaky_relu", math.sqrt(5.0)),
    ],
)
def test_every_gain_matches_calculate_gain(torch, name, param):
    expected = torch.nn.init.calculate_gain(name, param)
    assert kl.calculate_gain(name, param) == pytest.approx(expected, rel=1e-15)
    # names ignore case here (PyTorch's do not)
    assert kl.calculate_gain(name.upper(), param) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    "shape",
    [(10, 20), (16, 8, 3), (16, 8, 3, 5), (4, 6, 3, 2, 2), (7, 1, 1, 1, 1)],
    ids=["linear", "conv1d", "conv2d", "conv3d", "conv3d-1x1x1"],
)
def test_fans_of_linear_and_conv_weights(torch, shape):
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert kl.compute_fans(shape) == (fan_in, fan_out)


KAIMING_SETTINGS = [
    {},
    {"mode": "fan_out"},
    {"a": 0.3},
    {"a": 0.3, "mode": "fan_out"},
    {"a": math.sqrt(5.0)},
    {"nonlinearity": "relu"},
    {"nonlinearity": "relu", "mode": "fan_out"},
    {"nonlinearity": "tanh"},
    {"nonlinearity": "linear"},
    {"nonlinearity": "sigmoid", "mode": "fan_out"},
    {"nonlinearity": "selu"},
]


@pytest.mark.parametrize("kwargs", KAIMING_SETTINGS, ids=str)
@pytest.mark.parametrize("shape", [SHAPE, (40, 30, 5, 5)], ids=["linear", "conv2d"])
def test_kaiming_normal_has_torch_variance(torch, kwargs, shape):
    theirs = torch_draw(torch, torch.nn.init.kaiming_normal_, shape, 0, **kwargs)
    ours = kl.kaiming_normal(shape, rng=1, **kwargs)
    var = kl.kaiming_std(shape, **kwargs) ** 2
    assert estimate_variance(theirs, mean=0.0).agrees_with(var, K_SE)
    assert estimate_variance(ours, mean=0.0).agrees_with(var, K_SE)


@pytest.mark.parametrize("kwargs", KAIMING_SETTINGS, ids=str)
@pytest.mark.parametrize("shape", [SHAPE, (40, 30, 5, 5)], ids=["linear", "conv2d"])
def test_kaiming_uniform_has_torch_bound(torch, kwargs, shape):
    theirs = torch_draw(torch, torch.nn.init.kaiming_uniform_, shape, 0, **kwargs)
    ours = kl.kaiming_uniform(shape, rng=1, **kwargs)
    bound = math.sqrt(3.0) * kl.kaiming_std(shape, **kwargs)
    # the largest of 120,000 uniform draws lies within 0.1% of the bound with probability
    # 1 - 0.999**120000, i.e. all but 1e-52
    for w in (theirs, ours):
        assert 0.999 * bound < np.abs(w).max() <= bound * (1 + 1e-12)


@pytest.mark.parametrize("gain", [1.0, 5.0 / 3.0, 0.5])
@pytest.mark.parametrize("shape", [SHAPE, (40, 30, 5, 5)], ids=["linear", "conv2d"])
def test_xavier_matches_torch(torch, gain, shape):
    fan_in, fan_out = kl.compute_fans(shape)
    var = gain**2 * 2.0 / (fan_in + fan_out)
    normal = torch_draw(torch, torch.nn.init.xavier_normal_, shape, 2, gain=gain)
    assert estimate_variance(normal, mean=0.0).agrees_with(var, K_SE)
    assert estimate_variance(kl.xavier_normal(shape, gain=gain, rng=3), mean=0.0).agrees_with(
        var, K_SE
    )
    uniform = torch_draw(torch, torch.nn.init.xavier_uniform_, shape, 4, gain=gain)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    assert 0.999 * bound < np.abs(uniform).max() <= bound * (1 + 1e-12)
    assert np.abs(kl.xavier_uniform(shape, gain=gain, rng=5)).max() <= bound


def test_nn_linear_default_is_pytorch_linear_default(torch):
    torch.manual_seed(6)
    layer = torch.nn.Linear(400, 300, dtype=torch.float64)
    theirs = layer.weight.detach().numpy()
    ours = kl.pytorch_linear_default(SHAPE, rng=7)
    assert theirs.shape == ours.shape == SHAPE
    bound = 1.0 / math.sqrt(400)
    for w in (theirs, ours):
        assert 0.999 * bound < np.abs(w).max() <= bound * (1 + 1e-12)
        assert estimate_variance(w, mean=0.0).agrees_with(1.0 / (3 * 400), K_SE)


def test_mixed_case_leaky_relu_keeps_the_slope(torch):
    """The slope ``a`` must not fall back to 0.01 because the name is spelt ``Leaky_ReLU``."""
    theirs = torch_draw(
        torch, torch.nn.init.kaiming_normal_, (64, 100), 8, a=1, nonlinearity="leaky_relu"
    )
    std = kl.kaiming_std((64, 100), nonlinearity="Leaky_ReLU", a=1)
    assert std == pytest.approx(0.1, rel=1e-15)  # gain 1, fan_in 100
    assert estimate_variance(theirs, mean=0.0).agrees_with(std**2, K_SE)
    ours = kl.kaiming_normal((64, 100), nonlinearity="Leaky_ReLU", a=1, rng=9)
    assert estimate_variance(ours, mean=0.0).agrees_with(0.01, K_SE)
    # and the gap the bug left (0.1414 instead of 0.1) is far outside 4 SE
    assert not estimate_variance(theirs, mean=0.0).agrees_with(2.0 / 100, K_SE)


def test_truncated_normal_constant_matches_torch(torch):
    """``trunc_normal_`` cut at +-2: the std of what it draws is 0.8796 of the normal's."""
    w = torch_draw(torch, torch.nn.init.trunc_normal_, (600, 400), 10, a=-2.0, b=2.0)
    est = estimate_variance(w, mean=0.0)
    assert est.agrees_with(initializers.truncated_normal_std(2.0) ** 2, K_SE)
