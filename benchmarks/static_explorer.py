"""The static edition's explorer in Chromium: key press to redrawn panels, with no kernel.

Builds the site (``site/build.py``, needs ``make site``'s ``site/node_modules``),
opens ``explorer_dashboard.html`` from ``file://`` in Debian's Chromium
(headless, 1366x768, every request off the machine refused) and times, inside
the page, from the ``keydown`` of an arrow key on the variance slider to the
next animation frame after the panels' SVG changed: the redraw the reader sees.
20 presses (10 up, 10 down) for the variance, 20 for the depth.

Baseline in the same run: the same presses on a slider that redraws nothing
(the browser's own cost of a key press and one frame). The last line is one
JSON object with medians in milliseconds and the load average. Usage::

    .venv/bin/python benchmarks/static_explorer.py [--presses N]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import _servers as S  # noqa: E402

#: JavaScript: arm a timer on the next keydown; resolve at the first frame after the SVG changes.
ARM = """() => { window.__klPending = new Promise((resolve) => {
  const root = document.querySelector('.kl-explorer');
  let start = null;
  const observer = new MutationObserver(() => {
    if (start === null) return;
    observer.disconnect();
    const drawn = performance.now() - start;
    requestAnimationFrame(() => resolve([drawn, performance.now() - start]));
  });
  observer.observe(root.querySelector('.kl-panels'), {subtree: true, childList: true});
  document.addEventListener(
    'keydown', () => { start = performance.now(); }, {once: true, capture: true});
}); }"""
#: JavaScript: the baseline: a keydown and the next frame, nothing redrawn.
BASELINE = """() => { window.__klPending = new Promise((resolve) => {
  document.addEventListener('keydown', () => {
    const start = performance.now();
    requestAnimationFrame(() => resolve([0, performance.now() - start]));
  }, {once: true, capture: true});
}); }"""


def _presses(page, selector: str, n: int, script: str) -> list[list[float]]:
    """``[ms to the SVG's change, ms to the next frame after it]`` for each of ``n`` presses."""
    page.locator(selector).first.focus()
    times = []
    for i in range(n):
        key = "ArrowRight" if i < n // 2 else "ArrowLeft"
        page.evaluate(script)
        page.keyboard.press(key)
        times.append(page.evaluate("() => window.__klPending"))
    return times


def _median(times: list[list[float]], i: int) -> float:
    return round(statistics.median(t[i] for t in times), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=20)
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("site_build", ROOT / "site" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    out = Path(tempfile.mkdtemp(prefix="kaiming-site-"))
    build.build(out)
    sync_playwright = S.require_browser()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(S.CHROMIUM), args=S.CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        context.route(re.compile(r"^(?!(file|data|blob):)"), lambda route: route.abort())
        page = context.new_page()
        page.goto((out / "explorer_dashboard.html").as_uri())
        page.wait_for_selector(".kl-explorer .kl-dot")
        variance = _presses(page, "input.kl-multiplier", args.presses, ARM)
        depth = _presses(page, "input.kl-depth", args.presses, ARM)
        # baseline: a range input that redraws nothing
        page.evaluate(
            "() => { const i = document.createElement('input'); i.type = 'range';"
            " i.id = 'kl-bench-baseline'; document.body.prepend(i); }"
        )
        baseline = _presses(page, "#kl-bench-baseline", args.presses, BASELINE)
        browser.close()
    report = {
        "benchmark": "static_explorer",
        "presses": args.presses,
        # keydown to the SVG's change (the page's own work: rescale, theory, verdict, SVG)
        "variance_redraw_median_ms": _median(variance, 0),
        "depth_redraw_median_ms": _median(depth, 0),
        "variance_redraw_max_ms": round(max(t[0] for t in variance), 2),
        # keydown to the next frame after it (what the reader sees), and the same with nothing
        # redrawn: the frame clock's own wait
        "variance_to_frame_median_ms": _median(variance, 1),
        "baseline_keypress_to_frame_median_ms": _median(baseline, 1),
        "frame_budget_ms": 16.7,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
