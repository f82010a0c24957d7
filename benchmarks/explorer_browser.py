"""The explorer in real Chromium: key press to redrawn plot, in JupyterLab and in Voila.

Serves ``notebooks/explorer_dashboard.ipynb`` (outputs stripped) with
JupyterLab and with Voila, opens it in Debian's Chromium (headless, 1366x768,
only 127.0.0.1 reachable) and times, inside the page, from the input event
(``keydown`` / ``change``) to the last DOM change of ``.kaiming-figure`` (the
plot has finished when nothing changed for 250 ms after that):

* ``variance``: arrow-key presses on the variance slider at the defaults
  (depth 50, width 256, ReLU), up and back down;
* the other controls (vector route only), at depth 50: width down to 128,
  up to 512 and back to 256, three activations, two seeds; then depth to
  100, to 1 and to 11 (``other_controls_p90`` is over these 12 moves);
* the heaviest move, on its own: at depth 100, width up to 512 and back.

Two routes are compared in the same run:

* ``vector``: the app as shipped, bqplot panels drawn by the browser from the
  numbers;
* ``raster``: the same app, but the two panels drawn by matplotlib and sent
  as a PNG at device pixel ratio 2 (the crisp-raster alternative; the previous
  version sent a 72 dpi PNG).

Also: time from opening the page (Voila) or from Run All (JupyterLab) to the
first plot, cold and, for Voila, with one pre-heated kernel (``make
explorer``). The last line is one JSON object. Usage::

    .venv/bin/python benchmarks/explorer_browser.py [--presses N]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import ipywidgets as widgets
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import _servers as S  # noqa: E402

DASHBOARD = ROOT / "notebooks" / "explorer_dashboard.ipynb"
RASTER_CELL = (
    f"import sys\nsys.path.insert(0, {str(ROOT / 'benchmarks')!r})\n"
    "from explorer_browser import raster_explorer\n\nraster_explorer()"
)


def raster_explorer():
    """The explorer with its two panels sent as a PNG at device pixel ratio 2 (the baseline)."""
    from explorer_latency import raster_png

    from kaiming_lab.explorer import ExplorerApp

    class RasterApp(ExplorerApp):
        def __init__(self) -> None:
            self.image = widgets.Image(format="png", layout=widgets.Layout(width="880px"))
            super().__init__()
            self.figure.update = lambda view, histograms=True: None
            self.figure.main.remove_class("kaiming-figure")
            self.image.add_class("kaiming-figure")
            children = list(self.children)
            children[children.index(self.figure.main)] = self.image
            self.children = children
            self.image.value = raster_png(self.view, 2.0)

        def refresh(self):
            before = self.view
            view = super().refresh()
            if view is not before and hasattr(self, "children") and self.image in self.children:
                self.image.value = raster_png(view, 2.0)
            return view

    return RasterApp()


PLOTTED = (
    "() => { const f = document.querySelector('.kaiming-figure'); if (!f) return false;"
    " if (f.tagName === 'IMG') return !!f.getAttribute('src');"
    " return f.querySelectorAll('.dot').length > 0; }"
)


def _summary(values: list[float]) -> dict:
    a = np.asarray(values)
    return {
        "median": round(float(np.median(a)), 1),
        "p90": round(float(np.percentile(a, 90)), 1),
        "n": len(values),
    }


def _press(page, selector: str, key: str):
    handle = page.locator(f"{selector} .noUi-handle").first
    return lambda: handle.press(key)


def measure(page, presses: int, others: bool) -> dict:
    page.locator(".kaiming-multiplier .noUi-handle").first.scroll_into_view_if_needed()
    page.locator(".kaiming-multiplier .noUi-handle").first.focus()
    keys = ["ArrowRight"] * (presses // 2) + ["ArrowLeft"] * (presses - presses // 2)
    variance = [S.timed(page, _press(page, ".kaiming-multiplier", k)) for k in keys]
    out = {"variance": _summary(variance)}
    if not others:
        return out
    times: dict[str, list[float]] = {"depth": [], "width": [], "activation": [], "seed": []}
    for key in ("ArrowLeft", "ArrowRight", "ArrowRight", "ArrowLeft"):  # 128, 256, 512, 256
        times["width"].append(S.timed(page, _press(page, ".kaiming-width", key)))
    select = page.locator(".kaiming-activation select").first
    for label in ("tanh", "leaky ReLU", "ReLU"):
        times["activation"].append(S.timed(page, lambda v=label: select.select_option(label=v)))
    seed = page.locator(".kaiming-seed input").first
    for value in ("1", "0"):
        seed.fill(value)
        times["seed"].append(S.timed(page, lambda: seed.press("Enter")))
    for key in ("End", "Home", "PageUp"):  # depth 100, 1, 11 (PageUp: +10)
        times["depth"].append(S.timed(page, _press(page, ".kaiming-depth", key)))
    out.update({k: _summary(v) for k, v in times.items()})
    out["other_controls_p90"] = round(
        float(np.percentile([t for v in times.values() for t in v], 90)), 1
    )
    # the heaviest move, reported on its own: at depth 100, width 256 -> 512 (a new
    # network of 100 layers of 512 x 512) and back
    S.timed(page, _press(page, ".kaiming-depth", "End"))
    heavy = [S.timed(page, _press(page, ".kaiming-width", k)) for k in ("ArrowRight", "ArrowLeft")]
    out["depth_100_width_512_then_256_ms"] = [round(t, 1) for t in heavy]
    return out


def run_voila(browser, notebook: Path, presses: int, others: bool, preheat: bool = False):
    with S.voila(notebook, preheat=preheat) as url:
        if preheat:
            time.sleep(25)  # let the pool execute the notebook
        page = S.new_page(browser)
        start = time.monotonic()
        page.goto(url)
        page.wait_for_function(PLOTTED, timeout=120_000)
        first = time.monotonic() - start
        result = {"first_plot_s": round(first, 2)}
        if presses:
            result.update(measure(page, presses, others))
        page.context.close()
    return result


def run_lab(browser, directory: Path, names: list[str], presses: int) -> dict:
    results = {}
    with S.jupyterlab(directory) as url:
        for name in names:
            page = S.new_page(browser)
            S.open_in_jupyterlab(page, url, name, run=False)
            start = time.monotonic()
            S.run_all(page)
            page.wait_for_function(PLOTTED, timeout=120_000)
            result = {"first_plot_s": round(time.monotonic() - start, 2)}
            result.update(measure(page, presses, others=name == DASHBOARD.name))
            results[name] = result
            page.context.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=16, help="variance key presses per run")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    report: dict = {"benchmark": "explorer_browser", "viewport": "1366x768"}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        tmp = Path(tmp)
        browser = pw.chromium.launch(executable_path=str(S.CHROMIUM), args=S.CHROMIUM_ARGS)
        vector = S.copy_without_outputs(DASHBOARD, tmp)
        raster_dir = tmp / "raster"
        raster_dir.mkdir()
        raster = S.copy_without_outputs(DASHBOARD, raster_dir, source=RASTER_CELL)
        raster = raster.rename(tmp / "explorer_dashboard_raster.ipynb")
        report["voila"] = {
            "vector": run_voila(browser, vector, args.presses, others=True),
            "raster": run_voila(browser, raster, args.presses, others=False),
            "preheated_first_plot_s": run_voila(browser, vector, 0, False, preheat=True)[
                "first_plot_s"
            ],
        }
        print("voila:", report["voila"], flush=True)
        lab = run_lab(browser, tmp, [vector.name, raster.name], args.presses)
        report["jupyterlab"] = {"vector": lab[vector.name], "raster": lab[raster.name]}
        print("jupyterlab:", report["jupyterlab"], flush=True)
        browser.close()
    report["variance_median_ms"] = {
        where: report[where]["vector"]["variance"]["median"] for where in ("jupyterlab", "voila")
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
