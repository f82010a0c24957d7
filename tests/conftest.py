"""Shared fixtures and the tolerance rule used by the statistical tests.

Statistical tests compare a Monte Carlo estimate with an exact value and
accept ``|estimate - exact| <= k * standard_error`` with
``k = kaiming_lab.montecarlo.DEFAULT_K_SE = 4``, which fails a
correct formula with probability about 6e-5 per comparison; the seeds are
fixed, so a test either always passes or always fails for a given code base.
Tests that make many comparisons at once say so and use a wider ``k``
(Bonferroni: ``k = 4.5`` keeps 32 comparisons at a joint 2e-4).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import _servers as S
import numpy as np
import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (a fixed seed per test, no example
# database), so, like the seeded Monte Carlo tests, each passes always or fails always.
settings.register_profile("kaiming-lab", derandomize=True, database=None)
settings.load_profile("kaiming-lab")

# Figures are drawn off screen in every test; set before any test imports matplotlib.
os.environ["MPLBACKEND"] = "Agg"


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh generator with a fixed seed for each test."""
    return np.random.default_rng(20150206)


@pytest.fixture
def toy_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Three Gaussian blobs in 4-D, well separated: a net that learns reaches high accuracy."""
    rng = np.random.default_rng(7)
    centres = 3.0 * rng.normal(size=(3, 4))
    y = rng.permutation(np.repeat(np.arange(3), 40))
    X = centres[y] + rng.normal(size=(120, 4))
    return X[:90], y[:90], X[90:], y[90:]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Debian's Chromium, headless, through Playwright (the test skips when either is missing)."""
    sync_playwright = S.require_browser()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(S.CHROMIUM), args=S.CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
