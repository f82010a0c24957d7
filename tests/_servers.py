"""JupyterLab, Voila and Debian's Chromium for the browser tests and the browser benchmark.

Servers listen on 127.0.0.1 on a free port, serve a temporary copy of a
notebook without its outputs (so only live widgets show) and are always
terminated. Chromium is the system one at /usr/bin/chromium, launched through
Playwright without ``playwright install``; every request that does not go to
127.0.0.1 is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CHROMIUM = Path("/usr/bin/chromium")
BIN = Path(sys.executable).parent
TOKEN = "kaiming-lab-browser-test"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"no answer from {url} within {timeout} s")


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Wait until something listens on ``port`` (Voila's pages start a kernel when fetched)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before listening")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} within {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def copy_without_outputs(notebook: Path, directory: Path, source: str | None = None) -> Path:
    """``notebook`` in ``directory`` with outputs and saved widget state removed.

    ``source`` replaces the code of every code cell that calls ``explorer(``
    (the benchmark swaps in another front end that way).
    """
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
            if source is not None and "explorer(" in "".join(cell["source"]):
                cell["source"] = source
    nb["metadata"].pop("widgets", None)
    target = directory / notebook.name
    target.write_text(json.dumps(nb), encoding="utf-8")
    return target


def require_browser():
    """Playwright's ``sync_playwright``, or skip the test saying what to install."""
    if not CHROMIUM.exists():
        pytest.skip(
            "browser tests need Chromium at /usr/bin/chromium: install it with "
            "`apt-get install chromium` (Debian/Ubuntu)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(
            "browser tests need the playwright Python package: "
            "`pip install -e .[browser]` (and `apt-get install chromium`)"
        )
    return sync_playwright


@contextlib.contextmanager
def jupyterlab(
    directory: Path, *, root: Path | None = None, settings: Path | None = None
) -> Iterator[str]:
    """JupyterLab serving ``root`` (default ``directory``); yields its URL (token: ``TOKEN``).

    Its user settings and workspaces live under ``directory`` only, starting
    from a copy of ``settings`` when given (``make slides`` does the same), so
    a layout saved by another JupyterLab on this machine changes nothing here.
    """
    port = free_port()
    settings_dir = directory / ".lab-settings"
    if settings is not None:
        shutil.copytree(settings, settings_dir, dirs_exist_ok=True)
    # no "get notified about Jupyter news?" toast over the page
    news = settings_dir / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True, exist_ok=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(settings_dir),
        "JUPYTERLAB_WORKSPACES_DIR": str(directory / ".lab-workspaces"),
    }
    proc = subprocess.Popen(
        [
            str(BIN / "jupyter"),
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            f"--ServerApp.token={TOKEN}",
            f"--ServerApp.root_dir={root or directory}",
            "--ServerApp.allow_root=True",  # CI containers run as root
            f"--LabApp.user_settings_dir={settings_dir}",
            f"--LabApp.workspaces_dir={directory / '.lab-workspaces'}",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=directory,
        env=env,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/api/status?token={TOKEN}", proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@contextlib.contextmanager
def voila(notebook: Path, *, preheat: bool = False) -> Iterator[str]:
    """Voila serving ``notebook`` alone; yields its URL.

    ``preheat`` keeps one kernel that has run the notebook ready (as ``make explorer`` does).
    """
    port = free_port()
    extra = ["--preheat_kernel=True", "--pool_size=1"] if preheat else []
    proc = subprocess.Popen(
        [
            str(BIN / "voila"),
            str(notebook),
            "--no-browser",
            "--Voila.ip=127.0.0.1",
            f"--port={port}",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=notebook.parent,
    )
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def new_page(browser, *, width: int = 1366, height: int = 768, scale: float = 1.0):
    """A page of ``width x height`` CSS pixels, ``scale`` device pixels each (a fresh context)."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=scale
    )
    # only localhost: anything else (fonts, telemetry) is refused
    context.route(
        re.compile(r"^https?://(?!(127\.0\.0\.1|localhost)[:/])"),
        lambda route: route.abort(),
    )
    return context.new_page()


def open_in_jupyterlab(page, base: str, name: str, *, run: bool = True) -> None:
    """Open notebook ``name``, wait for the kernel and (``run``) run all cells.

    Each notebook opens in a workspace of its own, so no other notebook's tab comes back.
    """
    page.goto(f"{base}/lab/workspaces/{Path(name).stem}/tree/{name}?token={TOKEN}")
    page.locator(".jp-Notebook").first.wait_for(state="visible", timeout=60_000)
    page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle")).first.wait_for(timeout=60_000)
    if run:
        run_all(page)


def run_all(page) -> None:
    """Run > Run All Cells."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


#: JavaScript: true once the forward panel has drawn its dots.
PLOTTED = (
    "() => { const f = document.querySelector('.kaiming-figure');"
    " return !!f && f.querySelectorAll('.dot').length > 0; }"
)
#: JavaScript: a string that changes whenever the main panels are redrawn.
FIGURE_SIGNATURE = (
    "() => { const f = document.querySelector('.kaiming-figure'); if (!f) return '';"
    " return Array.from(f.querySelectorAll('path.line, .dot, .tick text'))"
    ".map(e => (e.getAttribute('d') || '') + (e.getAttribute('transform') || '')"
    " + (e.textContent || '')).join('|'); }"
)

#: JavaScript installed in the page: times from an input event to the last change of the plot.
#: ``__kaimingReset()`` starts a measurement; keydown / change / input events set its start
#: (the first after the reset); every DOM change inside ``.kaiming-figure`` sets its end.
TIMER = """() => {
  if (window.__kaimingTimer) return;
  const t = window.__kaimingTimer = {start: null, last: null, count: 0, armed: false};
  window.__kaimingReset = () => { t.start = null; t.last = null; t.count = 0; t.armed = true; };
  const begin = () => { if (t.armed && t.start === null) t.start = performance.now(); };
  for (const kind of ['keydown', 'change', 'input']) document.addEventListener(kind, begin, true);
  const figure = document.querySelector('.kaiming-figure');
  const seen = () => { if (t.start !== null) { t.last = performance.now(); t.count += 1; } };
  new MutationObserver(seen).observe(
    figure, {subtree: true, childList: true, attributes: true, characterData: true});
}"""
#: JavaScript: the measurement so far (``ms`` is null until the plot changed).
TIMER_READ = """() => { const t = window.__kaimingTimer;
  return {ms: t.last === null ? null : t.last - t.start, count: t.count,
          quiet: t.last === null ? null : performance.now() - t.last}; }"""


def timed(page, action, *, settle_ms: float = 250.0, timeout_s: float = 30.0) -> float:
    """Milliseconds from ``action()``'s input event to the plot's last change.

    The plot has finished when ``.kaiming-figure`` has changed and then stayed
    unchanged for ``settle_ms``.
    """
    page.evaluate(TIMER)
    page.evaluate("() => window.__kaimingReset()")
    action()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = page.evaluate(TIMER_READ)
        if state["ms"] is not None and state["quiet"] > settle_ms:
            return float(state["ms"])
        time.sleep(0.03)
    raise TimeoutError(f"the plot did not change within {timeout_s} s of the input")
