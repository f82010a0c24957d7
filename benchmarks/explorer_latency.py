"""The explorer's kernel side: CPU time per move, and the peak memory of a kernel that runs it.

1. CPU per move. A fixed sequence of moves (variance steps of one arrow-key
   press, then depth, width, presets, activations, seeds) is applied to the
   app ``explorer()`` returns by setting the controls' ``.value``; each move's
   handler recomputes the view and sends its numbers to the bqplot panels.
   The kernel's CPU time (``time.process_time``) and wall time per move are
   recorded. Baseline in the same run: the raster route, i.e. drawing the same
   two panels with matplotlib and encoding a PNG, at device pixel ratio 1 and
   2 (what a crisp raster on a high-density screen or projector costs).
2. Peak memory. ``notebooks/explorer_dashboard.ipynb`` and
   ``notebooks/06_explorer.ipynb`` are executed in fresh kernels (nbclient);
   each kernel then replays the move sequence and reports its own peak
   resident set size (``VmHWM`` in ``/proc/self/status``; ``ru_maxrss`` would
   also count the benchmark process the kernel was forked from).

The last line is one JSON object. Usage::

    .venv/bin/python benchmarks/explorer_latency.py [--rounds N] [--no-kernels]
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import time
from pathlib import Path

import numpy as np

from kaiming_lab.explorer import explorer
from kaiming_lab.explorer.simulation import ExplorerView

ROOT = Path(__file__).resolve().parent.parent
DEFAULTS = {"depth": 50, "width": 256, "activation": "relu", "seed": 0}
#: One arrow-key press on the variance slider: x10^0.02.
STEP = 0.02

MOVES: list[tuple[str, object]] = [
    *(("multiplier", 10 ** (STEP * k)) for k in (1, 2, 3, 4, 5, 4, 3, 2, 1, 0, -1, -2, -3, -2, -1)),
    *(("multiplier", 10 ** (STEP * k)) for k in (0, 1, 2, 3, 2, 1, 0)),
    *(("depth", d) for d in (60, 80, 100, 40, 50)),
    *(("width", w) for w in (128, 64, 512, 256)),
    ("preset", "xavier"),
    ("preset", "pytorch_default"),
    ("preset", "kaiming"),
    ("activation", "leaky_relu"),
    ("activation", "tanh"),
    ("activation", "linear"),
    ("activation", "relu"),
    ("seed", 1),
    ("seed", 2),
    ("seed", 0),
]


def raster_png(view: ExplorerView, pixel_ratio: float) -> bytes:
    """The two main panels drawn by matplotlib (Agg) and encoded as PNG at ``pixel_ratio``.

    880 x 290 CSS pixels, the size of the bqplot panels, with the course's
    fonts: what the raster route would have to send on every move.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11.0, 3.625), dpi=80 * pixel_ratio)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    depth = view.state.depth
    for ax, x, data, theory in (
        (axes[0], np.arange(depth), view.rms_z, view.theory_std),
        (axes[1], np.arange(depth + 1), view.mean_sq_grad, view.grad_theory),
    ):
        ax.plot(x, theory, "--", color="#D55E00", lw=2.2)
        ax.plot(x, data, "o", color="#0072B2", ms=4)
        ax.set_yscale("log")
        ax.set_xlabel("layer h", fontsize=14)
        ax.tick_params(labelsize=12.5)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def _stats(values_ms: list[float]) -> dict:
    a = np.asarray(values_ms)
    return {"median": round(float(np.median(a)), 2), "p90": round(float(np.percentile(a, 90)), 2)}


def cpu_per_move(rounds: int) -> dict:
    app = explorer(**DEFAULTS)
    cpu, wall, kinds, raster1, raster2 = [], [], [], [], []
    for _ in range(rounds):
        for name, value in MOVES:
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            app.controls[name].value = value  # the handler runs synchronously
            cpu.append((time.process_time() - start_cpu) * 1e3)
            wall.append((time.perf_counter() - start_wall) * 1e3)
            kinds.append(name)
            if name == "multiplier":
                for ratio, out in ((1.0, raster1), (2.0, raster2)):
                    start = time.process_time()
                    raster_png(app.view, ratio)
                    out.append((time.process_time() - start) * 1e3)
    kinds_a = np.array(kinds)
    variance = [c for c, k in zip(cpu, kinds, strict=True) if k == "multiplier"]
    return {
        "moves": len(cpu),
        "variance_move_cpu_ms": _stats(variance),
        "all_moves_cpu_ms": _stats(cpu),
        "wall_ms_by_control": {
            k: _stats(list(np.asarray(wall)[kinds_a == k])) for k in dict.fromkeys(kinds)
        },
        "raster_baseline_cpu_ms": {"dpr1": _stats(raster1), "dpr2": _stats(raster2)},
    }


_KERNEL_MOVES = """
import time
_app = [o for o in globals().values() if type(o).__name__ == "ExplorerApp"]
_app = _app[0] if _app else __import__("kaiming_lab.explorer").explorer.explorer()
_cpu = []
for _name, _value in {moves!r}:
    _t = time.process_time()
    _app.controls[_name].value = _value
    _cpu.append(time.process_time() - _t)
# VmHWM: this process's own peak (ru_maxrss would also count the parent it was forked from)
_hwm = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
print(_hwm, sorted(_cpu)[len(_cpu) // 2])
"""


def kernel_peak(notebook: Path) -> dict:
    """Execute ``notebook`` in a fresh kernel, replay the moves there, read its peak RSS."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_KERNEL_MOVES.format(moves=MOVES)))
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
    ).execute()
    seconds = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    kib, median_cpu = text.split()
    return {
        "peak_rss_mb": round(int(kib) / 1024, 1),
        "variance_and_other_moves_cpu_median_ms": round(float(median_cpu) * 1e3, 2),
        "execute_s": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="times the move sequence is played")
    parser.add_argument("--no-kernels", action="store_true", help="skip the peak-memory kernels")
    args = parser.parse_args()
    report = {
        "benchmark": "explorer_latency",
        "settings": DEFAULTS,
        "python": platform.python_version(),
    }
    report["in_process"] = cpu_per_move(args.rounds)
    p = report["in_process"]
    print(f"CPU per variance move: {p['variance_move_cpu_ms']} ms")
    print(f"raster baseline (matplotlib + PNG): {p['raster_baseline_cpu_ms']} ms")
    print(f"wall time by control: {p['wall_ms_by_control']}")
    if not args.no_kernels:
        report["kernels"] = {}
        for name in ("explorer_dashboard.ipynb", "06_explorer.ipynb"):
            report["kernels"][name] = kernel_peak(ROOT / "notebooks" / name)
            print(f"{name}: {report['kernels'][name]}")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
