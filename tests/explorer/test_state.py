"""The explorer's controls, ranges and presets (``kaiming_lab.explorer.state``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kaiming_lab.explorer.state import (
    RANGES,
    WIDTH_CHOICES,
    ExplorerState,
    default_batch,
    fraction_label,
    preset_multiplier,
)

MAX_DEPTH = RANGES["depth"][1]


# ---------------------------------------------------------------------------
# presets


def test_presets_for_square_layers():
    assert preset_multiplier("kaiming", "relu") == 1.0
    assert preset_multiplier("xavier", "relu", fan_in=64) == 0.5
    assert preset_multiplier("pytorch_default", "relu") == pytest.approx(1 / 6, rel=1e-15)
    assert preset_multiplier("kaiming", "leaky_relu", slope=0.3) == pytest.approx(1 / 1.09)
    assert preset_multiplier("kaiming", "tanh") == 1.0
    assert preset_multiplier("kaiming", "linear") == 1.0
    assert preset_multiplier("xavier", "tanh", fan_in=7) == 0.5


def test_presets_for_unequal_fans():
    assert preset_multiplier("xavier", "relu", fan_in=100, fan_out=300) == pytest.approx(0.25)
    assert preset_multiplier("pytorch_default", "relu", fan_in=100, fan_out=300) == pytest.approx(
        1 / 6
    )


def test_custom_and_unknown_presets_raise():
    with pytest.raises(ValueError, match="custom"):
        preset_multiplier("custom")
    with pytest.raises(ValueError, match="preset"):
        preset_multiplier("lecun")


def test_preset_readouts_are_fractions():
    assert fraction_label(preset_multiplier("xavier", "relu")) == "1/2"
    assert fraction_label(preset_multiplier("pytorch_default", "relu")) == "1/6"
    assert fraction_label(1.0) == "1"
    assert fraction_label(1 / 1.09) == "100/109" or fraction_label(1 / 1.09) == "0.917"
    assert fraction_label(1.047128548) == "1.05"


# ---------------------------------------------------------------------------
# bad input: a clear error naming the parameter, the value and the allowed range


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("depth", 0, "between 1 and 100"),
        ("depth", MAX_DEPTH + 1, "between 1 and 100"),
        ("multiplier", 0.0, "must be >= 0.1, got 0.0"),
        ("multiplier", 100, "must be <= 10.0, got 100.0"),
        ("multiplier", 1e308, "must be <= 10.0"),
        ("multiplier", math.nan, "multiplier"),
        ("multiplier", math.inf, "multiplier"),
        ("width", 6000, "between 1 and 512, got 6000"),
        ("width", 0, "width"),
        ("slope", 1.5, "slope"),
        ("bias_variance", -0.1, "bias_variance"),
        ("bias_variance", 2.0, "must be <= 1.0, got 2.0"),
        ("seed", -1, "seed"),
        ("batch", 64, "batch"),
        ("activation", "softplus", "['leaky_relu', 'linear', 'relu', 'tanh'], got 'softplus'"),
    ],
)
def test_state_refuses_out_of_range_values(field, value, words):
    with pytest.raises(ValueError, match=field) as info:
        ExplorerState(**{field: value})
    assert words in str(info.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("depth", 50.0),
        ("depth", True),
        ("depth", np.bool_(True)),
        ("multiplier", "1"),
        ("multiplier", None),
        ("width", "256"),
        ("activation", 3),
        ("seed", 1.5),
    ],
)
def test_state_refuses_wrong_types(field, value):
    with pytest.raises(TypeError, match=field):
        ExplorerState(**{field: value})


def test_state_accepts_numpy_scalars_and_mixed_case():
    state = ExplorerState(
        depth=np.int64(30),
        multiplier=np.float32(0.5),
        width=np.int32(64),
        activation="ReLU",
        slope=np.float64(0.2),
        seed=np.uint8(3),
    )
    assert state == ExplorerState(depth=30, multiplier=0.5, width=64, slope=0.2, seed=3)
    assert type(state.depth) is int and type(state.multiplier) is float
    assert state.activation == "relu"


def test_huge_width_is_refused_at_the_door():
    with pytest.raises(ValueError, match="width"):
        ExplorerState(width=6000)


def test_default_batch_keeps_the_work_per_layer_flat():
    assert default_batch(2) == 512 and default_batch(256) == 512 and default_batch(512) == 128
    widest = [w for w in WIDTH_CHOICES if w >= 256]
    assert all(default_batch(w) * w**2 <= 2**25 for w in widest)
    assert ExplorerState(width=512).batch == 128
    assert ExplorerState(width=512, batch=512).batch == 512
