"""The explorer's network (``kaiming_lab.explorer.network``): its histograms, its draws."""

from __future__ import annotations

import numpy as np
import pytest

from kaiming_lab.explorer.network import HIST_BINS, activation_histogram


def test_histogram_is_scale_free_and_drops_zeros():
    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal((64, 32)), 0.0)
    counts, rms, zero_fraction = activation_histogram(x)
    assert counts.shape == (HIST_BINS,)
    assert counts.sum() == np.count_nonzero(x)
    assert zero_fraction == pytest.approx(np.mean(x == 0))
    assert rms == pytest.approx(np.sqrt(np.mean(x**2)), rel=1e-15)
    # powers of two scale exactly, so the counts are identical
    for c in (2.0**-40, 2.0**30):
        scaled, scaled_rms, _ = activation_histogram(c * x)
        np.testing.assert_array_equal(scaled, counts)
        assert scaled_rms == pytest.approx(c * rms, rel=1e-15)


def test_histogram_clips_into_end_bins_and_handles_zeros():
    x = np.concatenate([[-1000.0, 1000.0, 0.0], np.full(97, 0.5)])  # rms ~ 140
    counts, _, zero_fraction = activation_histogram(x)
    assert counts[0] == 1 and counts[-1] == 1 and counts.sum() == 99
    assert zero_fraction == 0.01
    counts, rms, zero_fraction = activation_histogram(np.zeros(10))
    assert counts.sum() == 0 and rms == 0.0 and zero_fraction == 1.0
