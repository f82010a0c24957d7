"""The interactive explorer app (notebook 06 and the Voila dashboard).

- ``model``: the state of the controls, the cached simulation behind them, the
  verdict and the figure; pure functions and plain classes, tested without a
  browser.
- ``widgets``: the ipywidgets front end, a thin layer over ``model``.

``explorer(**settings)`` builds the app.
"""

from .model import ExplorerModel, ExplorerState, preset_multiplier, simulate_state, verdict
from .widgets import ExplorerApp, explorer

__all__ = [
    "ExplorerApp",
    "ExplorerModel",
    "ExplorerState",
    "explorer",
    "preset_multiplier",
    "simulate_state",
    "verdict",
]
