"""The first cell of ``notebooks/11_kaiming_in_pytorch.ipynb``: is PyTorch there?

This module does not import PyTorch, so the notebook can say how to install
the CPU build and stop cleanly when it is missing (every other notebook runs
without PyTorch).
"""

from __future__ import annotations

import importlib.util

__all__ = ["INSTALL_MESSAGE", "TorchMissing", "require_torch"]

#: How to install PyTorch's CPU-only build. On Linux a plain ``pip install
#: torch`` takes the default wheel, which pulls in several GB of CUDA
#: libraries; the CPU wheel index (or conda-forge's ``pytorch-cpu``) gives
#: the small build, about 0.2 GB to download.
INSTALL_MESSAGE = """\
Notebook 11 needs PyTorch, which is not installed in this kernel's environment.
Install the CPU-only build (no CUDA libraries), then restart the kernel:

    pip install torch --index-url https://download.pytorch.org/whl/cpu
    # or, inside this repository's .venv (the torch extra, the same CPU build):
    .venv/bin/python -m pip install -e '.[torch]' --extra-index-url https://download.pytorch.org/whl/cpu
    # or, with conda:
    conda install -c conda-forge pytorch-cpu

A plain `pip install torch` on Linux installs the default build, which brings
several GB of CUDA libraries this notebook does not use.
The other notebooks (00-10) do not need PyTorch."""


class TorchMissing(Exception):
    """Raised by :func:`require_torch` to stop a notebook without a traceback.

    IPython calls ``_render_traceback_`` to show an exception; an empty list
    shows nothing, while the cell still counts as failed, so "Run All" stops.
    """

    def _render_traceback_(self) -> list[str]:
        return []


def require_torch(*, available: bool | None = None) -> None:
    """Do nothing when PyTorch can be imported; else print how to install it and stop.

    ``available`` overrides the look-up (for tests).
    """
    if available is None:
        try:
            available = importlib.util.find_spec("torch") is not None
        except (ImportError, ValueError):  # a broken or blocked installation
            available = False
    if not available:
        print(INSTALL_MESSAGE)
        raise TorchMissing("PyTorch is not installed; see the message above")
