"""How long one training epoch of the notebook's 30-layer net takes, in numpy and in PyTorch.

Configuration (notebook 07's): digits training set (1,438 images, 64
standardised pixels), widths ``[64] + [64] * 29 + [10]``, Kaiming init, SGD
with momentum 0.9, learning rate 0.002, mini-batches of 32, float64, seed 0.

* numpy: ``kaiming_lab.training.run_epoch`` (forward, hand-written backward,
  momentum step, per-layer update-to-data ratios), the code the notebook runs.
* torch (only if ``import torch`` works): the same weights copied into an
  ``nn.Sequential`` of ``Linear`` + ``ReLU`` in float64, ``F.cross_entropy``,
  ``torch.optim.SGD(momentum=0.9)`` (the same update rule), the same batches
  in the same order, on CPU. It skips the update-to-data ratios, so it does
  slightly less work.

Every run starts from the same weights; the first run of each is a warm-up
and is not counted. After one epoch the two sets of weights are compared (they
should agree to rounding error). Prints the medians and their ratio; the last
line is one JSON object. Usage::

    .venv/bin/python benchmarks/train_step.py [--runs N] [--torch-threads N]

numpy's side runs BLAS on one thread (``run_epoch`` does that itself: the
matrices are too small for threads to pay off).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import numpy as np

from kaiming_lab.data import load_digits_split
from kaiming_lab.mlp import Params, plain_widths
from kaiming_lab.training import run_epoch, starting_params

CONFIG = {"depth": 30, "width": 64, "lr": 0.002, "momentum": 0.9, "batch_size": 32, "seed": 0}


def numpy_epoch(params: Params, X: np.ndarray, y: np.ndarray, order_seed: int) -> Params:
    """One epoch with the package's trainer, from ``params`` and zero momentum."""
    velocity = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
    new_params, _, ratios = run_epoch(
        params,
        velocity,
        X,
        y,
        lr=CONFIG["lr"],
        momentum=CONFIG["momentum"],
        batch_size=CONFIG["batch_size"],
        rng=np.random.default_rng(order_seed),
    )
    if ratios is None:
        raise RuntimeError("the benchmark epoch diverged")
    return new_params


def torch_epoch(torch, params: Params, X: np.ndarray, y: np.ndarray, order_seed: int) -> Params:
    """The same epoch in PyTorch: same weights, same batch order, float64, CPU."""
    layers = []
    for h, (W, b) in enumerate(params):
        linear = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if h < len(params) - 1:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    optimiser = torch.optim.SGD(model.parameters(), lr=CONFIG["lr"], momentum=CONFIG["momentum"])
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    order = np.random.default_rng(order_seed).permutation(len(y))
    for begin in range(0, len(y), CONFIG["batch_size"]):
        idx = torch.from_numpy(order[begin : begin + CONFIG["batch_size"]])
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X_t[idx]), y_t[idx])
        loss.backward()
        optimiser.step()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    return [(m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy()) for m in linears]


def time_runs(epoch, runs: int) -> tuple[list[float], Params]:
    """Wall-clock seconds of ``runs`` calls of ``epoch()`` after one warm-up call."""
    result = epoch()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = epoch()
        times.append(time.perf_counter() - start)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed epochs per implementation")
    parser.add_argument(
        "--torch-threads", type=int, default=None, help="torch.set_num_threads (default: torch's)"
    )
    args = parser.parse_args()

    data = load_digits_split(test_fraction=0.2, seed=CONFIG["seed"])
    widths = plain_widths(CONFIG["depth"], CONFIG["width"], data.n_features, data.n_classes)
    params = starting_params(widths, init="kaiming", seed=CONFIG["seed"])
    X, y = data.X_train, data.y_train

    np_times, np_result = time_runs(lambda: numpy_epoch(params, X, y, 1), args.runs)
    np_median = statistics.median(np_times)
    print(f"numpy: median {np_median:.3f} s per epoch over {args.runs} runs")

    try:
        import torch
    except ImportError:
        torch = None
    torch_median = ratio = max_diff = None
    if torch is None:
        print("torch: not installed, skipped")
    else:
        if args.torch_threads is not None:
            torch.set_num_threads(args.torch_threads)
        torch_times, torch_result = time_runs(
            lambda: torch_epoch(torch, params, X, y, 1), args.runs
        )
        torch_median = statistics.median(torch_times)
        ratio = np_median / torch_median
        max_diff = max(
            float(np.max(np.abs(a - b)))
            for pa, pb in zip(np_result, torch_result, strict=True)
            for a, b in zip(pa, pb, strict=True)
        )
        print(
            f"torch {torch.__version__}: median {torch_median:.3f} s per epoch "
            f"({torch.get_num_threads()} threads); numpy / torch = {ratio:.2f}"
        )
        print(f"largest weight difference after one epoch: {max_diff:.2g}")

    report = {
        "benchmark": "train_step",
        "config": {**CONFIG, "samples": len(y), "dtype": "float64"},
        "numpy_epoch_median_s": round(np_median, 4),
        "torch_epoch_median_s": None if torch_median is None else round(torch_median, 4),
        "ratio": None if ratio is None else round(ratio, 3),
        "max_weight_diff": max_diff,
        "runs": args.runs,
        "numpy": np.__version__,
        "torch": None if torch is None else torch.__version__,
        "torch_threads": None if torch is None else torch.get_num_threads(),
        "numpy_blas_threads": 1,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
