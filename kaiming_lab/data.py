"""The 8x8 handwritten digits that ship with scikit-learn, split and standardised.

``sklearn.datasets.load_digits`` reads 1,797 images (64 pixels, grey levels
0..16, classes 0..9, about 180 per class) from a file inside the scikit-learn
package, so nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import as_generator, check_float, check_int

__all__ = ["DigitsSplit", "load_digits_split", "stratified_split"]


@dataclass(frozen=True)
class DigitsSplit:
    """Standardised train/test arrays plus the training statistics used to standardise them.

    ``X_* = (pixels - mean) / scale``, with ``mean`` and ``scale`` computed
    on the training images only (so the test set does not leak into them).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    @property
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(X_train, y_train, X_test, y_test)``: the order in which ``train`` takes them."""
        return self.X_train, self.y_train, self.X_test, self.y_test

    @property
    def n_features(self) -> int:
        """Pixels per image (64)."""
        return self.X_train.shape[1]

    @property
    def n_classes(self) -> int:
        """Number of digit classes (10)."""
        return int(max(self.y_train.max(), self.y_test.max())) + 1

    def __repr__(self) -> str:
        return (
            f"DigitsSplit(train {self.X_train.shape[0]} x {self.n_features}, "
            f"test {self.X_test.shape[0]} x {self.n_features}, {self.n_classes} classes)"
        )


def stratified_split(
    y: np.ndarray,
    test_fraction: float,
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted train and test indices with ``round(test_fraction * n_c)`` test samples per class.

    Each class ``c`` with ``n_c`` samples is shuffled with ``rng`` and its
    first ``round(test_fraction * n_c)`` indices go to the test set, so every
    class keeps (up to rounding) the same share in both parts. ``ValueError``
    (naming ``test_fraction`` and the range that works for these labels) is
    raised when some class would have no sample in one of the two parts.
    """
    test_fraction = _check_fraction(test_fraction)
    rng = as_generator(rng)
    if y is None or isinstance(y, (str, bytes)):
        raise TypeError(f"y must be a 1-D array of integer class labels, got {y!r}")
    y = np.asarray(y)
    if y.dtype.kind not in "iu" or y.ndim != 1:
        raise TypeError(
            f"y must be a 1-D array of integer class labels, got dtype {y.dtype} "
            f"and shape {y.shape}"
        )
    return _stratified_split(y, test_fraction, rng)


def _check_fraction(test_fraction: object) -> float:
    """``test_fraction`` as a float in ``(0, 1)``."""
    test_fraction = check_float("test_fraction", test_fraction, minimum=0.0, strict_minimum=True)
    if test_fraction >= 1.0:
        raise ValueError(f"test_fraction must be < 1, got {test_fraction}")
    return test_fraction


def _stratified_split(
    y: np.ndarray, test_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`stratified_split` of checked labels; refuses a fraction that empties a class."""
    classes, counts = np.unique(y, return_counts=True)
    if classes.size == 0:
        raise ValueError("y must hold at least one label, got an empty array")
    n_test = [round(test_fraction * n) for n in counts]
    if min(n_test) < 1 or any(k >= n for k, n in zip(n_test, counts, strict=True)):
        smallest = int(counts.min())
        if smallest < 2:
            raise ValueError(
                f"y: class {classes[np.argmin(counts)]} has a single sample, so it cannot be in "
                f"both the training and the test part"
            )
        low, high = 0.5 / smallest, 1.0 - 0.5 / smallest
        raise ValueError(
            f"test_fraction must leave every class at least one sample in each part: with "
            f"{smallest} samples in the smallest class it must lie roughly between "
            f"{low:.3g} and {high:.3g}, got {test_fraction}"
        )
    test_parts = []
    for c in classes:
        members = rng.permutation(np.flatnonzero(y == c))
        test_parts.append(members[: round(test_fraction * len(members))])
    test = np.sort(np.concatenate(test_parts))
    train = np.setdiff1d(np.arange(len(y)), test)
    return train, test


def load_digits_split(test_fraction: float = 0.2, seed: int = 0) -> DigitsSplit:
    """Load scikit-learn's digits, split them stratified by class and standardise each pixel.

    The split is :func:`stratified_split` with ``numpy.random.default_rng(seed)``,
    so the same seed gives the same split on every machine. Standardisation
    uses the training set's per-pixel mean and standard deviation (``ddof=0``);
    pixels that are constant over the training images (a few always-blank
    corner pixels) get scale 1, so they become 0 instead of 0/0. Every class
    keeps at least one image in each part (about ``0.003 <= test_fraction <= 0.997``
    for the 174 to 183 images per class); other fractions raise ``ValueError``.
    """
    from sklearn.datasets import load_digits

    seed = check_int("seed", seed, minimum=0)
    test_fraction = _check_fraction(test_fraction)
    digits = load_digits()
    X = digits.data.astype(np.float64)
    y = digits.target.astype(np.int64)
    train, test = _stratified_split(y, test_fraction, np.random.default_rng(seed))
    mean = X[train].mean(axis=0)
    std = X[train].std(axis=0)
    scale = np.where(std > 0.0, std, 1.0)
    return DigitsSplit(
        X_train=(X[train] - mean) / scale,
        y_train=y[train],
        X_test=(X[test] - mean) / scale,
        y_test=y[test],
        mean=mean,
        scale=scale,
    )
