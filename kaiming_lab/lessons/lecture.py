"""Scaffolding for ``notebooks/lecture_50_minutes.ipynb``, the 50-minute lecture deck.

The deck keeps its code cells at six lines or fewer; what would not fit lives
here, each function small enough to show on a slide if a student asks:

- :func:`forward_rms`: a deep ReLU net's signal size per layer, in plain numpy;
- :func:`plot_rms_by_layer`: those curves on a log axis, labelled at their ends;
- :func:`var_z_over_networks`: ``Var(z_i^(h))`` over many random networks for
  one fixed input, the quantity of Proposition 1.1;
- :func:`plot_training_result` and :func:`main`: the saved training figure of
  the deck (``docs/training_22_30_layers.png``), recomputed by
  ``python -m kaiming_lab.lessons.lecture`` with notebook 07's recipe.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .. import style
from ..training import TrainingHistory

__all__ = [
    "TRAINING_CONFIG",
    "TRAINING_FIGURE",
    "forward_rms",
    "main",
    "plot_rms_by_layer",
    "plot_training_result",
    "train_22_and_30_layers",
    "var_z_over_networks",
]

#: Where the deck's training figure lives in the repository.
TRAINING_FIGURE = Path(__file__).resolve().parents[2] / "docs" / "training_22_30_layers.png"
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
    """Each curve of ``curves`` (label -> per-layer rms) on a log axis, labelled at its end.

    A new figure is 7 x 3.5 inches: low enough to share a 1024x768 slide with its code.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 3.5))
    for label, rms in curves.items():
        layers = np.arange(len(rms))
        line = ax.plot(layers, rms)[0]
        ax.annotate(
            label,
            (layers[-1], rms[-1]),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            color=line.get_color(),
        )
    style.log_axis(ax, "y")
    style.reference_line(ax, 1.0)
    ax.set_xlabel("layer h")
    ax.set_ylabel("root mean square of $z^{(h)}$")
    ax.margins(x=0.02)
    return ax


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


def train_22_and_30_layers(config: Mapping | None = None) -> list[TrainingHistory]:
    """Notebook 07's four runs: 22 and 30 layers of 64 ReLU units, Kaiming and Xavier, on digits."""
    from ..data import load_digits_split
    from ..training import plain_widths, train

    config = dict(TRAINING_CONFIG if config is None else config)
    data = load_digits_split(test_fraction=0.2, seed=0)
    runs = []
    for depth in (22, 30):
        widths = plain_widths(depth, 64, data.n_features, data.n_classes)
        for init in ("kaiming", "xavier"):
            runs.append(train(widths, *data.arrays, init=init, **config))
    return runs


def plot_training_result(runs: Iterable[TrainingHistory]) -> Figure:
    """Test accuracy per epoch of the runs, one panel sized for a 1024x768 slide."""
    from .nb07_plots import plot_accuracy_curves

    with style.context():
        fig, ax = plt.subplots(figsize=(8.0, 4.2))
        plot_accuracy_curves(runs, ax=ax)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title("digits, 64 units wide: test accuracy while training")
    return fig


def main(argv: list[str] | None = None) -> Path:
    """Recompute the four runs and write the deck's training figure (about half a minute)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--output", type=Path, default=TRAINING_FIGURE)
    args = parser.parse_args(argv)
    fig = plot_training_result(train_22_and_30_layers())
    fig.savefig(args.output, dpi=2 * style.DPI, metadata={"Software": None})
    plt.close(fig)
    print(f"wrote {args.output}")
    return args.output


if __name__ == "__main__":  # pragma: no cover - exercised by running the module
    main()
