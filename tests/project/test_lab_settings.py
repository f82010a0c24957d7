"""`make lab` and `make slides` open without JupyterLab's "get notified about Jupyter news?" prompt.

JupyterLab asks while its ``fetchNews`` setting is ``"none"`` (its own
default). The tests start the real make targets on a free port, as a student
with no settings of their own, and read the setting the page will get.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from _servers import free_port

ROOT = Path(__file__).resolve().parents[2]
NOTIFICATION = "@jupyterlab/apputils-extension:notification"

pytestmark = pytest.mark.slow


def _effective(settings: dict, key: str):
    """The value the page uses: the user's setting, else the schema default (with overrides)."""
    return settings["settings"].get(key, settings["schema"]["properties"][key]["default"])


def _served_setting(target: str, tmp_path: Path) -> dict:
    port = free_port()
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "user-settings")}
    proc = subprocess.Popen(
        # this environment's JupyterLab, as installed: -o keeps make from reinstalling it
        # (make test-newest runs this test in .venv-newest, which must keep its versions)
        [
            "make",
            "--no-print-directory",
            target,
            f"PORT={port}",
            f"VENV={sys.prefix}",
            "-o",
            f"{sys.prefix}/.lab",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # make, its shell and JupyterLab: stopped together below
    )
    try:
        token = None
        deadline = time.monotonic() + 60
        while token is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                raise RuntimeError(f"make {target} exited with code {proc.returncode}")
            found = re.search(r"token=([0-9a-f]+)", line)
            token = found.group(1) if found else None
        assert token, f"make {target} printed no URL with a token"
        url = f"http://127.0.0.1:{port}/lab/api/settings/{NOTIFICATION}?token={token}"
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    return json.loads(response.read())
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        proc.stdout.close()


@pytest.mark.parametrize("target", ["lab", "slides"])
def test_make_target_does_not_ask_about_news(target, tmp_path):
    settings = _served_setting(target, tmp_path)
    assert _effective(settings, "fetchNews") == "false"


def test_jupyterlab_would_ask_without_the_override():
    """The check above can fail: JupyterLab's own default is "none", which asks."""
    schemas = Path(sys.prefix, "share", "jupyter", "lab", "schemas", "@jupyterlab")
    schema_file = schemas / "apputils-extension" / "notification.json"
    schema = json.loads(schema_file.read_text())
    assert schema["properties"]["fetchNews"]["default"] == "none"
