"""Peak memory of one student's kernel, per notebook: what a class server must provide.

Each notebook under ``notebooks/`` is executed top to bottom in a fresh kernel
(nbclient, one BLAS thread as ``make`` sets it), and a last cell appended in
memory reads the kernel's own peak resident set size (``VmHWM`` in
``/proc/self/status``; ``ru_maxrss`` would also count the process it was
forked from). The baseline, measured in the same run, is a kernel that only
imports numpy, scipy, matplotlib and kaiming_lab: what any notebook costs
before it computes anything. Widgets are built but not driven (the explorer's
moves are measured by ``explorer_latency.py``).

Prints one line per notebook, then a JSON line with every number (MB = 2^20 bytes).
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
    print(json.dumps(report))


if __name__ == "__main__":
    main()
