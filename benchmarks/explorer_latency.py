"""How long a slider move in the explorer takes, against a naive re-simulate-and-redraw.

Settings (the explorer's defaults): depth 50, width 256, 512 inputs, ReLU,
Kaiming's variance, seed 0. A fixed sequence of 28 moves (variance, depth,
presets, activation switches, seeds) is replayed twice:

* explorer: set the widget's ``.value`` on the box ``kaiming_lab.explorer.widgets.explorer()``
  returns; the time runs until its handler has recomputed the view, updated
  the figure in place and put the PNG bytes into the ``Image`` widget (the
  notebook's path, minus the websocket).
* naive: for the same control values, ``simulate_forward(..., backward=True)``,
  the theory, a brand-new ``ExplorerFigure`` and a full ``savefig`` to PNG. It
  leaves the histograms empty (``simulate_forward`` does not return
  activations), so it does less work than the explorer.

Prints both medians and 90th percentiles and their ratio; the last line is one
JSON object. Usage::

    .venv/bin/python benchmarks/explorer_latency.py [--blas-threads N]
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

from kaiming_lab import predicted_gradient_variances, predicted_variances
from kaiming_lab.explorer.model import (
    HIST_BINS,
    HIST_LIMIT,
    ExplorerFigure,
    ExplorerState,
    ExplorerView,
    histogram_layers,
    simulate_state,
    verdict,
)
from kaiming_lab.explorer.widgets import explorer

DEFAULTS = {"depth": 50, "width": 256, "batch": 512, "activation": "relu", "seed": 0}

MOVES: list[tuple[str, object]] = [
    *(("multiplier", m) for m in (1.12, 1.26, 1.58, 2.0, 3.16, 10.0, 0.79, 0.5, 0.32, 0.1, 1.0)),
    *(("depth", d) for d in (60, 70, 80, 100, 40, 20, 50)),
    ("preset", "xavier"),
    ("preset", "pytorch_default"),
    ("preset", "kaiming"),
    ("activation", "leaky_relu"),
    ("activation", "relu"),
    ("activation", "linear"),
    ("activation", "relu"),
    ("seed", 1),
    ("seed", 2),
    ("seed", 0),
]


def naive_view(state: ExplorerState) -> ExplorerView:
    """Everything from scratch: ``simulate_forward`` with the backward pass, then the theory."""
    act = state.get_activation()
    result = simulate_state(state, backward=True)
    theory_var = predicted_variances(
        state.depth,
        sigma_w2=state.sigma_w2,
        sigma_b2=state.bias_variance,
        activation=act,
        input_second_moment=result.input_second_moment,
    )
    grad_theory = predicted_gradient_variances(
        list(result.widths),
        sigma_w2=state.sigma_w2,
        activation=act,
        forward_variances=theory_var,
        output_gradient_variance=float(result.grad_var[-1]),
    )
    rms_z, theory_std = np.sqrt(result.mean_sq_z), np.sqrt(theory_var)
    status, text = verdict(
        rms_z,
        width=state.width,
        theory_std=theory_std,
        overflow_layer=result.overflow_layer,
        underflow_layer=result.underflow_layer,
    )
    empty = np.zeros((3, HIST_BINS))
    return ExplorerView(
        state=state,
        rms_z=rms_z,
        theory_std=theory_std,
        grad_var=result.grad_var,
        grad_theory=grad_theory,
        hist_layers=histogram_layers(state.depth),
        hist_edges=np.linspace(-HIST_LIMIT, HIST_LIMIT, HIST_BINS + 1),
        hist_density=empty,
        hist_rms=np.full(3, np.nan),
        hist_zero_fraction=np.zeros(3),
        status=status,
        verdict=text,
        overflow_layer=result.overflow_layer,
        underflow_layer=result.underflow_layer,
    )


def run(rounds: int = 2) -> dict:
    app = explorer(**DEFAULTS)
    fast, slow, kinds = [], [], []
    for _ in range(rounds):
        for name, value in MOVES:
            start = time.perf_counter()
            app.controls[name].value = value  # the handler runs synchronously
            png = bytes(app.image.value)
            fast.append(time.perf_counter() - start)
            assert png.startswith(b"\x89PNG")
            kinds.append(name)

            state = app.state()
            start = time.perf_counter()
            figure = ExplorerFigure()
            figure.update(naive_view(state))
            png = figure.savefig_png()
            slow.append(time.perf_counter() - start)
            assert png.startswith(b"\x89PNG")
    fast_ms, slow_ms = np.array(fast) * 1e3, np.array(slow) * 1e3
    by_kind = {
        k: round(float(np.median(fast_ms[np.array(kinds) == k])), 1) for k in dict.fromkeys(kinds)
    }
    return {
        "benchmark": "explorer_latency",
        "settings": {**DEFAULTS, "moves_per_round": len(MOVES), "rounds": rounds},
        "explorer_ms": {
            "median": round(float(np.median(fast_ms)), 1),
            "p90": round(float(np.percentile(fast_ms, 90)), 1),
            "median_by_control": by_kind,
        },
        "naive_ms": {
            "median": round(float(np.median(slow_ms)), 1),
            "p90": round(float(np.percentile(slow_ms, 90)), 1),
        },
        "speedup_median": round(float(np.median(slow_ms) / np.median(fast_ms)), 1),
        "speedup_p90": round(float(np.percentile(slow_ms, 90) / np.percentile(fast_ms, 90)), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blas-threads", type=int, default=None, help="limit BLAS threads")
    parser.add_argument("--rounds", type=int, default=2, help="times the move sequence is played")
    args = parser.parse_args()
    if args.blas_threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.blas_threads, user_api="blas")
    report = run(args.rounds)
    report["blas_threads"] = args.blas_threads or "default"
    report["python"] = platform.python_version()
    e, n = report["explorer_ms"], report["naive_ms"]
    print(f"explorer: median {e['median']} ms, p90 {e['p90']} ms  ({e['median_by_control']})")
    print(f"naive:    median {n['median']} ms, p90 {n['p90']} ms")
    print(f"speed-up: x{report['speedup_median']} (median), x{report['speedup_p90']} (p90)")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
