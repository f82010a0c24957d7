"""Importing or using the explorer pulls in neither scipy nor matplotlib (a cheaper kernel).

The dashboard's kernel imports ``kaiming_lab.explorer`` and nothing else of
weight: scipy.stats alone costs about a second of import and tens of MB.
Each check runs in a fresh interpreter, since this test session has imported
everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("scipy", "scipy.stats", "scipy.special", "scipy.optimize", "matplotlib", "sklearn")


def imported_after(statement: str) -> list[str]:
    """Which of ``HEAVY`` are in ``sys.modules`` after ``statement`` in a fresh interpreter."""
    listing = f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    code = f"import json, sys\n{statement}\n{listing}"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize("statement", ["import kaiming_lab.explorer", "import kaiming_lab"])
def test_import_needs_no_scipy_or_matplotlib(statement):
    assert imported_after(statement) == []


#: Build the app and move its controls: every module the dashboard runs is then
#: imported and every update path (simulation, verdict, figure, histograms) has run.
USE_THE_EXPLORER = """
from kaiming_lab.explorer import explorer
app = explorer(width=16, depth=12)
for name, value in [("multiplier", 1.3), ("activation", "tanh"), ("bias_variance", 0.1),
                    ("width", 32), ("depth", 40), ("preset", "xavier")]:
    app.controls[name].value = value
app.show_histograms.value = True
app.refresh()
"""


def test_using_the_explorer_needs_no_scipy_or_matplotlib():
    """The app draws in the browser: nothing it runs imports matplotlib (or scipy), not even
    inside a function, so the dashboard's kernel never pays for them."""
    assert imported_after(USE_THE_EXPLORER) == []


def test_the_check_sees_an_import():
    """The check can fail: a function that needs scipy.stats still gets it when called."""
    after = imported_after("import kaiming_lab\nkaiming_lab.he_truncated_normal((3, 4), rng=0)")
    assert "scipy.stats" in after and "matplotlib" not in after
