"""The explorer in a real browser: JupyterLab and Voila, driven by headless Chromium.

Needs Debian's Chromium at /usr/bin/chromium and the ``playwright`` Python
package (no ``playwright install``: the system browser is used). Without them
these tests skip and say how to install them. Servers listen on 127.0.0.1 on a
free port and are always terminated.
"""

from __future__ import annotations

import json
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

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "06_explorer.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
BIN = Path(sys.executable).parent
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
TOKEN = "kaiming-lab-browser-test"


def _require_browser():
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
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


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
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


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def _copy_without_outputs(directory: Path) -> Path:
    """The notebook with outputs and saved widget state removed (so only live widgets show)."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    nb["metadata"].pop("widgets", None)
    target = directory / NOTEBOOK.name
    target.write_text(json.dumps(nb), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def browser() -> Iterator:
    sync_playwright = _require_browser()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    # only localhost: anything else (fonts, telemetry) is refused
    context.route(
        re.compile(r"^https?://(?!(127\.0\.0\.1|localhost)[:/])"),
        lambda route: route.abort(),
    )
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def jupyterlab(tmp_path) -> Iterator[str]:
    _require_browser()
    _copy_without_outputs(tmp_path)
    port = _free_port()
    proc = subprocess.Popen(
        [
            str(BIN / "jupyter"),
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            f"--ServerApp.token={TOKEN}",
            f"--ServerApp.root_dir={tmp_path}",
            "--ServerApp.allow_root=True",  # CI containers run as root
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/api/status?token={TOKEN}", proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)


@pytest.fixture
def voila(tmp_path) -> Iterator[str]:
    _require_browser()
    notebook = _copy_without_outputs(tmp_path)
    port = _free_port()
    proc = subprocess.Popen(
        [
            str(BIN / "voila"),
            str(notebook),
            "--no-browser",
            "--Voila.ip=127.0.0.1",
            f"--port={port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    try:
        _wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)


def _move_slider_and_check(page) -> None:
    verdict = page.locator(".kaiming-verdict").first
    figure = page.locator("img.kaiming-figure").first
    verdict.wait_for(state="attached", timeout=90_000)
    verdict.scroll_into_view_if_needed()  # JupyterLab may have scrolled to the last cell
    page.wait_for_function(
        "() => { const e = document.querySelector('.kaiming-verdict');"
        " return e && e.innerText.trim().length > 0; }",
        timeout=30_000,
    )
    before_text = verdict.inner_text()
    before_src = figure.get_attribute("src")
    assert before_text.startswith("stable"), before_text

    handle = page.locator(".kaiming-multiplier .noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    for key in ["ArrowRight"] * 3 + ["PageUp"] * 4 + ["ArrowLeft"]:
        handle.press(key)
    # 3 x (+0.02) + 4 x (+0.1) - 0.02 decades: Var(W) x2.8, which explodes at depth 50
    page.wait_for_function(
        "() => { const e = document.querySelector('.kaiming-verdict');"
        " return e && e.innerText.startsWith('exploding'); }",
        timeout=30_000,
    )
    after_text = verdict.inner_text()
    assert after_text != before_text
    page.wait_for_function(
        "(old) => { const e = document.querySelector('img.kaiming-figure');"
        " return e && e.getAttribute('src') !== old; }",
        arg=before_src,
        timeout=30_000,
    )
    assert figure.get_attribute("src") != before_src


@pytest.mark.slow
def test_explorer_in_jupyterlab(jupyterlab, page):
    page.goto(f"{jupyterlab}/lab/tree/06_explorer.ipynb?token={TOKEN}")
    page.locator(".jp-Notebook").first.wait_for(state="visible", timeout=60_000)
    # wait for the kernel, then Run > Run All Cells
    page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle")).first.wait_for(timeout=60_000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    _move_slider_and_check(page)


@pytest.mark.slow
def test_explorer_in_voila(voila, page):
    page.goto(voila)
    _move_slider_and_check(page)


def test_browser_requirements_are_reported():
    """Either both are present, or the skip message names the install command."""
    if CHROMIUM.exists() and shutil.which(str(CHROMIUM)):
        _require_browser()
    else:
        with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
            _require_browser()
