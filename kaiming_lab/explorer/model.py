"""The explorer's model without widgets, under the name earlier versions used.

The pieces live in modules named by concept: :mod:`.state` (controls,
ranges, presets), :mod:`.simulation` (the cached network and its views),
:mod:`.verdict` (what the explorer says) and :mod:`.figure` (the panels).
Everything notebooks imported from ``kaiming_lab.explorer.model`` is still
importable from here.
"""

from .simulation import (
    HIST_BINS,
    HIST_LIMIT,
    ExplorerModel,
    ExplorerView,
    activation_histogram,
    gradient_rng,
    histogram_layers,
    simulate_multiplier,
    simulate_state,
)
from .state import (
    ACTIVATION_CHOICES,
    BACKWARD_SAMPLES,
    MAX_DEPTH,
    MAX_WIDTH,
    MULTIPLIER_RANGE,
    PRESETS,
    WIDTH_CHOICES,
    ExplorerState,
    preset_multiplier,
)
from .verdict import Verdict, assess, verdict

__all__ = [
    "ACTIVATION_CHOICES",
    "BACKWARD_SAMPLES",
    "HIST_BINS",
    "HIST_LIMIT",
    "MAX_DEPTH",
    "MAX_WIDTH",
    "MULTIPLIER_RANGE",
    "PRESETS",
    "WIDTH_CHOICES",
    "ExplorerModel",
    "ExplorerState",
    "ExplorerView",
    "Verdict",
    "activation_histogram",
    "assess",
    "gradient_rng",
    "histogram_layers",
    "preset_multiplier",
    "simulate_multiplier",
    "simulate_state",
    "verdict",
]
