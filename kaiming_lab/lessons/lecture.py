"""Scaffolding for ``notebooks/lecture_50_minutes.ipynb``, the 50-minute lecture deck.

The deck keeps its code cells at six lines or fewer; what would not fit lives
here, each function small enough to show on a slide if a student asks:

- :func:`forward_rms`: a deep ReLU net's signal size per layer, in plain numpy;
- :func:`plot_rms_by_layer`: those curves on a log axis, labelled at their ends;
  :func:`show_rms_by_layer` shows them with a text alternative computed from the
  curves (:func:`describe_rms_by_layer`);
- :func:`saved_figure`: one of the two saved figures, read from the package's
  ``data/`` folder, with its text alternative from :data:`SAVED_FIGURE_ALT`;
- :func:`var_z_over_networks`: ``Var(z_i^(h))`` over many random networks for
  one fixed input, the quantity of Proposition 1.1;
- :func:`weight_gradient_rms`: one backward pass, the size of every layer's
  weight gradient (why Xavier's ReLU net does not learn);
- :func:`plot_training_result` and :func:`main`: the deck's two saved training
  figures (the opening puzzle, ``data/training_30_layers_xavier.png``, and the
  four runs, ``data/training_22_30_layers.png``, shipped inside the package so an
  ordinary install has them), recomputed by ``python -m kaiming_lab.lessons.lecture``
  with notebook 07's recipe.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .. import style
from ..training import TrainingHistory
from . import plots

__all__ = [
    "FIGURES",
    "PUZZLE_FIGURE",
    "SAVED_FIGURE_ALT",
    "TRAINING_CONFIG",
    "TRAINING_FIGURE",
    "describe_rms_by_layer",
    "forward_rms",
    "main",
    "plot_rms_by_layer",
    "plot_training_result",
    "saved_figure",
    "show_rms_by_layer",
    "train_22_and_30_layers",
    "var_z_over_networks",
    "weight_gradient_rms",
]

#: The deck's saved figures: package data (``kaiming_lab/lessons/data/``, declared in
#: ``pyproject.toml``), so they come with every install, editable or not.
FIGURES = resources.files("kaiming_lab.lessons").joinpath("data")
#: The four training runs of the deck's training slide.
TRAINING_FIGURE = FIGURES.joinpath("training_22_30_layers.png")
#: The deck's opening puzzle: the 30-layer net from Xavier's start, alone.
PUZZLE_FIGURE = FIGURES.joinpath("training_30_layers_xavier.png")
#: Notebook 07's recipe: SGD with momentum, mini-batches of 32, 20 epochs, seed 0.
TRAINING_CONFIG = {"lr": 0.002, "momentum": 0.9, "batch_size": 32, "epochs": 20, "seed": 0}


def forward_rms(
    multiplier: float, *, depth: int = 100, width: int = 512, batch: int = 64, seed: int = 0
) -> np.ndarray:
    """Root mean square of ``z^(h)`` at every layer of one random bias-free ReLU net.

    ``W^(h)_ij ~ N(0, multiplier * 2 / width)`` (``multiplier = 1`` is Kaiming),
    ``z^(h) = W^(h) x^(h)``, ``x^(h+1) = ReLU(z^(h))``; ``batch`` standard normal
    inputs. Returns ``sqrt(mean(z^(h)^2))`` over units and inputs, shape ``(depth,)``.
    For the same ``seed`` every multiplier uses the same standard normal draws.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((width, batch))
    std = np.sqrt(multiplier * 2.0 / width)
    rms = np.empty(depth)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for h in range(depth):
            z = (rng.standard_normal((width, width)) * std) @ x
            rms[h] = np.sqrt(np.mean(z**2))
            x = np.maximum(z, 0.0)
    return rms


def plot_rms_by_layer(curves: Mapping[str, np.ndarray], ax: Axes | None = None) -> Axes:
    """Each curve of ``curves`` (label -> per-layer rms) on a log axis, labelled at its end,
    with the dotted line at 1 (:func:`.plots.plot_rms_by_layer`).

    A new figure is 7 x 2.7 inches: low enough to share a 683x512 slide (150 % zoom) with its code.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 2.7))
    plots.plot_rms_by_layer(curves, reference=1.0, ylabel="root mean square of $z^{(h)}$", ax=ax)
    ax.margins(x=0.02)
    return ax


def describe_rms_by_layer(curves: Mapping[str, np.ndarray]) -> str:
    """One sentence for :func:`plot_rms_by_layer`'s figure: each curve's end over its start."""
    if not curves:
        raise ValueError("curves must name at least one per-layer rms curve, got none")
    depth = max(len(rms) for rms in curves.values())
    parts = [
        f"{label} ends at {float(rms[-1] / rms[0]):.2g} times its start"
        for label, rms in curves.items()
    ]
    return (
        f"Root mean square of z^(h) on a log axis over {depth} layers, one line per setting: "
        + "; ".join(parts)
        + "."
    )


def show_rms_by_layer(curves: Mapping[str, np.ndarray]) -> None:
    """:func:`plot_rms_by_layer`'s figure, shown with :func:`describe_rms_by_layer` as alt."""
    ax = plot_rms_by_layer(curves)
    style.show(ax.figure, describe_rms_by_layer(curves))


def saved_figure(name: str, width: int) -> object:
    """``IPython.display.Image`` of the saved figure ``name`` (a file of :data:`FIGURES`),
    ``width`` pixels wide, with its text alternative from :data:`SAVED_FIGURE_ALT`."""
    from IPython.display import Image

    if name not in SAVED_FIGURE_ALT:
        raise ValueError(
            f"name must be one of the deck's saved figures {sorted(SAVED_FIGURE_ALT)}, got {name!r}"
        )
    data = FIGURES.joinpath(name).read_bytes()
    return Image(data=data, format="png", width=width, alt=SAVED_FIGURE_ALT[name])


#: Text alternatives of the deck's saved figures (files of :data:`FIGURES`), by file name.
SAVED_FIGURE_ALT = {
    "training_30_layers_xavier.png": (
        "Test accuracy of a 30-layer plain ReLU net, 64 wide, on the digits under Xavier "
        "initialisation, epochs 0 to 20: the line stays on the 10 % chance line throughout."
    ),
    "training_22_30_layers.png": (
        "Test accuracy over 20 epochs on the digits, 64 units wide: Kaiming reaches about 0.9 at "
        "22 and at 30 layers; Xavier at 22 layers creeps to about 0.3, and at 30 layers stays at "
        "the 10 % chance line."
    ),
}


def var_z_over_networks(
    x: np.ndarray, depth: int, n_networks: int, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``Var(z_i^(h))`` over random Kaiming networks for one fixed input ``x``, per layer.

    Each network draws ``W^(h)_ij ~ N(0, 2/d)`` (square layers of width
    ``d = len(x)``, no biases). ``E[z_i^(h)] = 0``, so the variance is the mean of
    ``z_i^(h)^2`` over networks and units. Returns ``(variance, standard_error)``,
    each of shape ``(depth,)``; the standard error is over the networks (units of
    one network are not independent of each other).
    """
    d = len(x)
    rng = np.random.default_rng(seed)
    per_net = np.empty((n_networks, depth))
    for n in range(n_networks):
        h_in = np.asarray(x, dtype=float)
        for h in range(depth):
            z = (rng.standard_normal((d, d)) * np.sqrt(2.0 / d)) @ h_in
            per_net[n, h] = np.mean(z**2)
            h_in = np.maximum(z, 0.0)
    return per_net.mean(axis=0), per_net.std(axis=0, ddof=1) / np.sqrt(n_networks)


def weight_gradient_rms(
    multiplier: float, *, depth: int = 30, width: int = 256, batch: int = 64, seed: int = 0
) -> np.ndarray:
    """Root mean square of every layer's weight gradient ``dL/dW^(h)`` at initialisation.

    The network of :func:`forward_rms` (``W^(h)_ij ~ N(0, multiplier * 2 / width)``,
    square, bias-free, no ReLU after the last layer) with ``batch`` standard normal
    inputs. The gradient arriving at the output, ``dL/dz^(depth-1)``, is standard
    normal too (a stand-in for the loss's, which at initialisation barely depends
    on the weights). Backward: ``dL/dW^(h) = delta^(h) x^(h)T / batch`` and
    ``delta^(h-1) = (W^(h)T delta^(h)) * [z^(h-1) > 0]``. Returns shape ``(depth,)``.

    For the same ``seed`` every multiplier uses the same draws, so (ReLU being
    positively homogeneous) multiplier ``m`` scales every layer's weight gradient
    by exactly ``m^((depth - 1) / 2)``: the forward signal into layer h and the
    gradient coming back to it shrink together.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((width, batch))
    std = np.sqrt(multiplier * 2.0 / width)
    weights, inputs = [], []
    for _ in range(depth):
        weights.append(rng.standard_normal((width, width)) * std)
        inputs.append(x)
        x = np.maximum(weights[-1] @ x, 0.0)
    delta = rng.standard_normal((width, batch))
    rms = np.empty(depth)
    for h in range(depth - 1, -1, -1):
        rms[h] = np.sqrt(np.mean((delta @ inputs[h].T / batch) ** 2))
        if h:
            delta = (weights[h].T @ delta) * (inputs[h] > 0)
    return rms


def train_22_and_30_layers(config: Mapping | None = None) -> list[TrainingHistory]:
    """Notebook 07's four runs: 22 and 30 layers of 64 ReLU units, Kaiming and Xavier, on digits."""
    from ..data import load_digits_split
    from ..mlp import plain_widths
    from ..training import train

    config = dict(TRAINING_CONFIG if config is None else config)
    data = load_digits_split(test_fraction=0.2, seed=0)
    runs = []
    for depth in (22, 30):
        widths = plain_widths(depth, 64, data.n_features, data.n_classes)
        for init in ("kaiming", "xavier"):
            runs.append(train(widths, *data.arrays, init=init, **config))
    return runs


def plot_training_result(
    runs: Iterable[TrainingHistory],
    title: str = "digits, 64 units wide: test accuracy while training",
) -> Figure:
    """Test accuracy per epoch of the runs, one panel sized for a 1024x768 slide."""
    from .nb07_plots import plot_accuracy_curves

    with style.context():
        fig, ax = plt.subplots(figsize=(8.0, 4.2))
        plot_accuracy_curves(runs, ax=ax)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title)
    return fig


def main(argv: list[str] | None = None) -> list[Path]:
    """Recompute the four runs and write the deck's two training figures (about half a minute)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    # defaults: the package's own copies (a file-system install, as a source checkout is)
    parser.add_argument("--output", type=Path, default=Path(str(TRAINING_FIGURE)))
    parser.add_argument("--puzzle-output", type=Path, default=Path(str(PUZZLE_FIGURE)))
    args = parser.parse_args(argv)
    runs = train_22_and_30_layers()
    puzzle = [r for r in runs if r.depth == 30 and r.init == "xavier"]
    figures = [
        (plot_training_result(runs), args.output),
        (
            plot_training_result(puzzle, "30 plain ReLU layers, 64 wide, on digits"),
            args.puzzle_output,
        ),
    ]
    for fig, path in figures:
        fig.savefig(path, dpi=2 * style.DPI, metadata={"Software": None})
        plt.close(fig)
        print(f"wrote {path}")
    return [path for _, path in figures]


if __name__ == "__main__":  # pragma: no cover - exercised by running the module
    main()
