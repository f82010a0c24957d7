"""The static edition's explorer data (``site/build.py``'s ``static_data``): one run at m = 1."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from _scripts import load_script

from kaiming_lab.explorer.simulation import ExplorerModel
from kaiming_lab.explorer.state import ExplorerState

static_data = load_script("site/build.py", "site_build").static_data

# --- the static edition's data: one run at m = 1 gives every variance ---------------


@pytest.mark.parametrize(
    "activation, multiplier, depth",
    [("relu", 1.7, 30), ("leaky_relu", 0.6, 12), ("linear", 1.3, 9)],
)
def test_static_data_rescaled_equals_the_explorer(activation, multiplier, depth):
    """The page's rule, in Python: mean(z^2) x m^(h+1) and gradients x m^(depth-h)."""
    state = ExplorerState(width=16, batch=128, activation=activation, depth=depth)
    data = static_data(state, model=ExplorerModel())
    assert data["rescalable"]
    h = np.arange(depth)
    rms = np.sqrt(np.array(data["mean_sq_z"][:depth]) * multiplier ** (h + 1.0))
    grad = np.array(data["grad"][depth - 1]) * multiplier ** (depth - np.arange(depth + 1.0))
    view = ExplorerModel().compute(dataclasses.replace(state, multiplier=multiplier))
    np.testing.assert_allclose(rms, view.rms_z, rtol=1e-10)
    np.testing.assert_allclose(grad, view.mean_sq_grad, rtol=1e-10)
    json.dumps(data)  # plain JSON: the page reads it as is


def test_static_data_of_tanh_or_a_bias_holds_its_own_view_only():
    for state in (
        ExplorerState(width=16, batch=128, depth=6, activation="tanh"),
        ExplorerState(width=16, batch=128, depth=6, bias_variance=0.1),
    ):
        data = static_data(state, model=ExplorerModel())
        assert not data["rescalable"] and "grad" not in data
        assert data["view"]["status"] in {"stable", "exploding", "vanishing"}
        assert len(data["view"]["rms_z"]) == 6
