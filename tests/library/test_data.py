"""Tests for kaiming_lab.data: the digits split is stratified, disjoint, seeded and standardised."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

from kaiming_lab.data import load_digits_split, stratified_split


@pytest.fixture(scope="module")
def split():
    return load_digits_split(test_fraction=0.2, seed=0)


def test_sizes_and_classes(split):
    assert split.X_train.shape == (1438, 64)
    assert split.X_test.shape == (359, 64)
    assert split.n_classes == 10
    assert repr(split) == "DigitsSplit(train 1438 x 64, test 359 x 64, 10 classes)"


def test_every_class_keeps_its_share():
    """Each class of n_c images puts round(0.2 n_c) of them in the test set."""
    y = load_digits().target
    train, test = stratified_split(y, 0.2, np.random.default_rng(0))
    for c in range(10):
        n_c = int(np.sum(y == c))
        assert np.sum(y[test] == c) == round(0.2 * n_c)
        assert np.sum(y[train] == c) == n_c - round(0.2 * n_c)


def test_split_is_a_partition():
    y = load_digits().target
    train, test = stratified_split(y, 0.25, 3)
    assert np.intersect1d(train, test).size == 0
    np.testing.assert_array_equal(np.union1d(train, test), np.arange(len(y)))


def test_same_seed_same_split_other_seed_differs(split):
    again = load_digits_split(test_fraction=0.2, seed=0)
    other = load_digits_split(test_fraction=0.2, seed=1)
    np.testing.assert_array_equal(split.X_train, again.X_train)
    np.testing.assert_array_equal(split.y_test, again.y_test)
    assert not np.array_equal(split.X_train, other.X_train)


def test_standardised_with_training_statistics(split):
    """Training pixels have mean 0 and std 1 (or are all 0 if constant); the test
    set is transformed with the same mean and scale, recomputed here from raw pixels."""
    mean = split.X_train.mean(axis=0)
    std = split.X_train.std(axis=0)
    constant = split.scale == 1.0
    np.testing.assert_allclose(mean, 0.0, atol=1e-12)
    np.testing.assert_allclose(std[~constant], 1.0, rtol=1e-12)
    raw = load_digits()
    test_rows = split.X_test * split.scale + split.mean
    assert np.all(np.isin(np.round(test_rows, 9), np.arange(17)))
    assert np.all(split.X_train[:, constant] == 0.0)
    assert raw.data.shape[0] == split.X_train.shape[0] + split.X_test.shape[0]


def test_arrays_are_in_train_order(split):
    expected = (split.X_train, split.y_train, split.X_test, split.y_test)
    assert all(a is b for a, b in zip(split.arrays, expected, strict=True))


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_bad_test_fraction(fraction):
    with pytest.raises(ValueError, match="test_fraction must be"):
        load_digits_split(test_fraction=fraction)


def test_bad_seed():
    with pytest.raises(ValueError, match="seed must be an integer >= 0, got -3"):
        load_digits_split(seed=-3)


@pytest.mark.parametrize("fraction", [0.001, 0.999])
def test_fractions_that_would_empty_a_class_are_refused(fraction):
    with pytest.raises(ValueError, match=rf"test_fraction must leave every class .* {fraction}"):
        load_digits_split(test_fraction=fraction)
