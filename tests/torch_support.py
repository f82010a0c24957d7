"""PyTorch for the comparison tests: skip with a message when it is missing, unless CI requires it.

``.ci/run`` installs the CPU build (the ``torch`` extra) and sets
``KAIMING_LAB_REQUIRE_TORCH=1``, so in CI a missing PyTorch fails the run
instead of silently skipping the comparisons with ``torch.nn.init``.
"""

from __future__ import annotations

import importlib
import os

import pytest

SKIP_MESSAGE = (
    "PyTorch is optional and not installed: the comparisons with torch.nn.init are skipped "
    "(install them with: .venv/bin/python -m pip install -e '.[torch]')"
)


def require_torch():
    """Return the ``torch`` module, or skip (fail when ``KAIMING_LAB_REQUIRE_TORCH=1``)."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        if os.environ.get("KAIMING_LAB_REQUIRE_TORCH") == "1":
            pytest.fail("KAIMING_LAB_REQUIRE_TORCH=1 but PyTorch is not installed")
        pytest.skip(SKIP_MESSAGE)
