"""Every notebook as a student opens it in JupyterLab: nothing to save, nothing broken.

JupyterLab rewrites a notebook's metadata when it differs from what the
running kernel reports (the kernelspec's display name, for instance) and then
marks the tab as modified, so a student who only read the page is asked to
save it. ``tests/test_notebook_quality.py`` checks every notebook's metadata
against what ipykernel reports; this test checks in a real JupyterLab that
such a notebook opens unmodified (the start page, the longest notebook and
the lecture deck), that no output shows an error, and, as a control, that a
copy with the old kernelspec does open modified. Headless Chromium, as in
``tests/test_browser.py``.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator

import _servers as S
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOKS = ["00_start_here.ipynb", "07_training_deep_nets.ipynb", "lecture_50_minutes.ipynb"]
#: A copy of 00 with the kernelspec that JupyterLab rewrites on opening.
CONTROL = "control_old_kernelspec.ipynb"
_ERRORS = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[str]:
    S.require_browser()
    directory = tmp_path_factory.mktemp("notebooks")
    for name in NOTEBOOKS:
        shutil.copy(S.NOTEBOOKS / name, directory / name)
    nb = json.loads((S.NOTEBOOKS / NOTEBOOKS[0]).read_text(encoding="utf-8"))
    nb["metadata"]["kernelspec"]["display_name"] = "Python 3"
    (directory / CONTROL).write_text(json.dumps(nb), encoding="utf-8")
    with S.jupyterlab(directory) as base:
        yield base


def _opens_modified(browser, base: str, name: str) -> bool:
    page = S.new_page(browser)
    try:
        S.open_in_jupyterlab(page, base, name, run=False)
        time.sleep(1.5)  # the metadata update, when there is one, follows the kernel's reply
        assert page.locator(_ERRORS).count() == 0, f"{name} shows error output"
        tab = page.locator(".lm-TabBar-tab.jp-mod-current").first
        return "jp-mod-dirty" in (tab.get_attribute("class") or "")
    finally:
        page.context.close()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_opening_a_notebook_leaves_it_unmodified(lab, browser, name):
    assert not _opens_modified(browser, lab, name), f"{name} opens modified"


def test_the_check_sees_a_notebook_jupyterlab_rewrites(lab, browser):
    assert _opens_modified(browser, lab, CONTROL)
