"""The interactive explorer app (notebook 06 and the Voila dashboard).

Its public door is ``__all__`` below: the arguments are checked there, once.
The modules behind it trust each other's values:

- ``state``: the controls' values, their ranges and the initialiser presets.
- ``simulation``: the network behind the controls, run by the library's loops,
  and the model that turns a state into the view the figure draws.
- ``verdict``: what the explorer says, decided by the theory.
- ``figure``: the forward and backward panels (bqplot, drawn in the browser).
- ``widgets``: the ipywidgets front end, a thin layer over the rest.
- ``a11y``: accessible names for the controls and a live verdict (a small anywidget).
"""

from .simulation import ExplorerModel, simulate_state
from .state import ExplorerState, preset_multiplier
from .widgets import ExplorerApp, explorer

__all__ = [
    "ExplorerApp",
    "ExplorerModel",
    "ExplorerState",
    "explorer",
    "preset_multiplier",
    "simulate_state",
]
