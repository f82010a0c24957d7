"""Peak memory of one student's kernel, per notebook: what a class server must provide.

Each notebook under ``notebooks/`` is executed top to bottom in a fresh kernel
(nbclient, one BLAS thread as ``make`` sets it), and a last cell appended in
memory reads the kernel's own peak resident set size (``VmHWM`` in
``/proc/self/status``; ``ru_maxrss`` would also count the process it was
forked from). The baseline, measured in the same run, is a kernel that only
imports numpy, scipy, matplotlib and kaiming_lab: what any notebook costs
before it computes anything. Widgets are built but not driven (the explorer's
moves are measured by ``explorer_latency.py``).

It also times ``import kaiming_lab.explorer`` (what opening the dashboard
costs before the app draws) in fresh kernels, the median of ``--import-repeats``,
and lists which heavy libraries that import pulled in: the explorer needs
neither scipy nor matplotlib, so neither should be there.

Prints one line per notebook, then a JSON line with every number (MB = 2^20 bytes)
and the load average (timings on a busy machine are inflated).
Linux only (reads /proc).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
_PEAK = 'print(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])'
_BASELINE = "import numpy, scipy, matplotlib.pyplot, kaiming_lab"
_HEAVY = ("scipy", "scipy.stats", "scipy.special", "matplotlib", "matplotlib.pyplot", "sklearn")
_IMPORT = (
    "import sys, time\n"
    "_t = time.perf_counter()\n"
    "import kaiming_lab.explorer\n"
    f"print(time.perf_counter() - _t, *[m for m in {_HEAVY!r} if m in sys.modules])"
)


def explorer_import(repeats: int) -> tuple[float, list[str]]:
    """Median seconds of ``import kaiming_lab.explorer`` in fresh kernels, and the heavy modules."""
    times, heavy = [], []
    for _ in range(repeats):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(_IMPORT)])
        NotebookClient(nb, timeout=600, kernel_name="python3").execute()
        seconds, *heavy = nb.cells[0].outputs[0]["text"].split()
        times.append(float(seconds))
    return round(sorted(times)[len(times) // 2], 3), heavy


def kernel_peak_mb(nb: nbformat.NotebookNode, directory: Path) -> tuple[float, float]:
    """Execute ``nb`` in a fresh kernel; return (peak resident MB, seconds)."""
    nb.cells.append(nbformat.v4.new_code_cell(_PEAK))
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(directory)}}
    ).execute()
    seconds = time.perf_counter() - start
    kib = int("".join(o.get("text", "") for o in nb.cells[-1].outputs).split()[0])
    return round(kib / 1024, 1), round(seconds, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook file names (default: all)")
    parser.add_argument("--import-repeats", type=int, default=5, help="fresh kernels to time")
    args = parser.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    paths = [NOTEBOOKS / n for n in args.names] or sorted(NOTEBOOKS.glob("*.ipynb"))

    baseline = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(_BASELINE)])
    base_mb, _ = kernel_peak_mb(baseline, NOTEBOOKS)
    print(f"{'baseline (imports only)':<40} {base_mb:>7.1f} MB")
    report: dict = {
        "benchmark": "kernel_memory",
        "python": platform.python_version(),
        "baseline_mb": base_mb,
        "notebooks": {},
    }
    for path in paths:
        peak, seconds = kernel_peak_mb(nbformat.read(path, as_version=4), path.parent)
        report["notebooks"][path.name] = {"peak_mb": peak, "execute_s": seconds}
        print(f"{path.name:<40} {peak:>7.1f} MB   (+{peak - base_mb:.0f} MB, {seconds:.1f} s)")
    peaks = [v["peak_mb"] for v in report["notebooks"].values()]
    report["max_peak_mb"] = max(peaks)
    report["median_peak_mb"] = sorted(peaks)[len(peaks) // 2]
    seconds, heavy = explorer_import(args.import_repeats)
    print(f"{'import kaiming_lab.explorer':<40} {seconds:>7.3f} s   (pulls in: {heavy or 'none'})")
    report["explorer_import_s_median"] = seconds
    report["explorer_import_heavy_modules"] = heavy
    report["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report))


if __name__ == "__main__":
    main()
