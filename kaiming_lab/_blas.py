"""One BLAS thread for the small matrix products of the explorer and the trainer.

The matrices here are small (a batch times at most 512 x 512 weights), so
splitting a product across threads gains little, while starting and
synchronising them costs a lot on a busy machine: an epoch of the trainer ran
five times slower on two threads than on one, and an explorer update about
seven times slower, while other programs shared the two cores. Results are
identical either way.
"""

from __future__ import annotations

import contextlib
from functools import lru_cache

from threadpoolctl import ThreadpoolController

__all__ = ["one_blas_thread"]


@lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    # inspecting the loaded BLAS libraries takes milliseconds: do it once
    return ThreadpoolController()


def one_blas_thread() -> contextlib.AbstractContextManager:
    """Context manager: BLAS runs on one thread inside the ``with`` block, as before after it."""
    return _controller().limit(limits=1, user_api="blas")
