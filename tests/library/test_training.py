"""Tests for kaiming_lab.training: the loop with SGD and Adam, its history, divergence,
progress, and the argument checks of train."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import threadpoolctl

from kaiming_lab.optimizers import OPTIMIZERS
from kaiming_lab.training import gradient_norms_at_init, print_progress, train


def test_training_learns_separable_blobs(toy_data):
    X_train, y_train, X_test, y_test = toy_data
    history = train(
        [4, 16, 16, 3], X_train, y_train, X_test, y_test, lr=0.05, epochs=20, batch_size=10
    )
    assert history.diverged_at_epoch is None
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert history.test_accuracy[-1] >= 0.9
    assert history.update_ratio.shape == (20, 3)
    assert np.all(history.update_ratio > 0)
    assert history.train_loss.shape == history.test_accuracy.shape == (21,)


def test_same_seed_same_history_other_seed_differs(toy_data):
    kwargs = dict(init="kaiming", lr=0.05, epochs=3, batch_size=8)
    a = train([4, 8, 8, 3], *toy_data, seed=11, **kwargs)
    b = train([4, 8, 8, 3], *toy_data, seed=11, **kwargs)
    c = train([4, 8, 8, 3], *toy_data, seed=12, **kwargs)
    for name in ("train_loss", "test_accuracy", "grad_norms_init", "update_ratio"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.diverged_at_epoch is b.diverged_at_epoch is None
    assert not np.array_equal(a.train_loss, c.train_loss)


def test_history_records_gradient_norms_at_init(toy_data):
    X_train, y_train, X_test, y_test = toy_data
    history = train([4, 8, 8, 3], X_train, y_train, X_test, y_test, init="xavier", epochs=1)
    expected = gradient_norms_at_init([4, 8, 8, 3], X_train, y_train, init="xavier", seed=0)
    np.testing.assert_array_equal(history.grad_norms_init, expected)
    assert expected.shape == (3,)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_huge_learning_rate_diverges_quietly(toy_data, seed):
    """lr = 1e10 on 5 layers: one step scales each weight by ~1e10, the logits by ~1e50,
    and the next gradients overflow float64. Training must stop in epoch 1, warning-free.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = train([4, 16, 16, 16, 16, 3], *toy_data, lr=1e10, epochs=5, seed=seed)
    assert history.diverged_at_epoch == 1
    assert history.epochs_completed == 0
    assert np.all(np.isfinite(history.train_loss))
    assert history.update_ratio.shape == (0, 5)
    assert "diverged in epoch 1" in repr(history)


def test_progress_is_called_once_per_epoch(toy_data):
    calls = []
    train([4, 8, 3], *toy_data, epochs=3, progress=lambda *args: calls.append(args))
    assert [c[:2] for c in calls] == [(1, 3), (2, 3), (3, 3)]


def test_print_progress_rewrites_one_line(capsys):
    report = print_progress("run")
    report(1, 2, 2.302585, 0.1)
    report(2, 2, 0.5, 0.93)
    out = capsys.readouterr().out
    assert out.count("\r") == 1
    assert out.endswith("\n")
    assert "run: epoch 2/2, loss 0.5, test accuracy 0.93" in out


def _good_args(toy_data) -> dict:
    X_train, y_train, X_test, y_test = toy_data
    return dict(
        widths=[4, 8, 3],
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        init="kaiming",
        lr=0.1,
        momentum=0.9,
        batch_size=8,
        epochs=1,
        seed=0,
    )


@pytest.mark.parametrize(
    ("name", "value", "error", "fragment"),
    [
        ("lr", 0.0, ValueError, "lr must be > 0.0, got 0.0"),
        ("lr", -1.0, ValueError, "lr must be > 0.0, got -1.0"),
        ("lr", math.inf, ValueError, "lr must be finite, got inf"),
        ("lr", math.nan, ValueError, "lr must be finite, got nan"),
        ("lr", "0.1", TypeError, "lr must be a real number, got '0.1'"),
        ("momentum", 1.5, ValueError, "momentum must be <= 1.0, got 1.5"),
        ("batch_size", 0, ValueError, "batch_size must be an integer >= 1, got 0"),
        ("batch_size", 8.0, TypeError, "batch_size must be an integer >= 1, got 8.0"),
        ("epochs", 0, ValueError, "epochs must be an integer >= 1, got 0"),
        ("seed", -1, ValueError, "seed must be an integer >= 0, got -1"),
        ("init", "he", ValueError, "init must be one of ['kaiming', 'kaiming_fan_out', 'xavier']"),
        ("widths", [4], ValueError, "widths must have at least 2 entries"),
        ("widths", [4, 0, 3], ValueError, "widths[1] must be an integer >= 1, got 0"),
        ("widths", "4,8,3", TypeError, "widths must be a sequence"),
        ("widths", [5, 8, 3], ValueError, "X_train must have 5 columns (widths[0] = 5)"),
        ("widths", [4, 8, 2], ValueError, "y_train must hold labels in 0..1"),
        ("progress", 3, TypeError, "progress must be None or a callable, got 3"),
    ],
)
def test_bad_arguments_name_parameter_and_value(toy_data, name, value, error, fragment):
    args = _good_args(toy_data)
    args[name] = value
    with pytest.raises(error) as info:
        train(**args)
    assert fragment in str(info.value)


def test_labels_out_of_range_are_reported(toy_data):
    args = _good_args(toy_data)
    args["y_test"] = args["y_test"].copy()
    args["y_test"][0] = 7
    with pytest.raises(ValueError, match=r"y_test must hold labels in 0\.\.2 .* to 7"):
        train(**args)
    args["y_test"][0] = -1
    with pytest.raises(ValueError, match=r"y_test must hold labels in 0\.\.2 .* from -1"):
        train(**args)


def test_float_labels_are_rejected(toy_data):
    args = _good_args(toy_data)
    args["y_train"] = args["y_train"].astype(float)
    with pytest.raises(
        TypeError, match="y_train must hold integer class labels, got dtype float64"
    ):
        train(**args)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_features_are_reported(toy_data, bad):
    args = _good_args(toy_data)
    args["X_train"] = args["X_train"].copy()
    args["X_train"][3, 2] = bad
    with pytest.raises(
        ValueError, match=r"X_train must contain only finite numbers, got 1 NaN/inf"
    ):
        train(**args)


def test_mismatched_lengths_and_shapes_are_reported(toy_data):
    args = _good_args(toy_data)
    args["y_train"] = args["y_train"][:-1]
    with pytest.raises(ValueError, match=r"y_train must be a 1-D array with one label per sample"):
        train(**args)
    args = _good_args(toy_data)
    args["X_test"] = args["X_test"][0]
    with pytest.raises(ValueError, match=r"X_test must be a 2-D array .* got shape \(4,\)"):
        train(**args)


def test_training_restores_the_blas_thread_setting(toy_data):
    before = [p["num_threads"] for p in threadpoolctl.threadpool_info()]
    train([4, 8, 3], *toy_data, epochs=1)
    assert [p["num_threads"] for p in threadpoolctl.threadpool_info()] == before


def test_a_loss_far_above_its_start_is_divergence(toy_data):
    """At lr = 1e3 a one-layer softmax stays finite but its loss jumps ~100-fold: flagged."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lenient = train([4, 3], *toy_data, lr=1e3, epochs=3, divergence_factor=1e300)
        history = train([4, 3], *toy_data, lr=1e3, epochs=3)
    jump = lenient.train_loss[1] / max(lenient.train_loss[0], math.log(3))
    assert lenient.diverged_at_epoch is None and jump > 100  # the old behaviour, for contrast
    assert history.diverged_at_epoch == 1
    assert "more than 100 times the starting loss" in history.divergence
    assert history.epochs_completed == 0


def test_normal_training_is_not_flagged(toy_data):
    history = train([4, 16, 3], *toy_data, lr=0.05, epochs=5)
    assert history.diverged_at_epoch is None and history.divergence is None
    with pytest.raises(ValueError, match="divergence_factor must be > 1.0, got 1.0"):
        train([4, 16, 3], *toy_data, divergence_factor=1.0)


def test_train_with_adam_learns_and_says_so(toy_data):
    history = train([4, 8, 8, 3], *toy_data, optimizer="adam", lr=0.01, epochs=15, seed=0)
    assert history.optimizer == "adam" and history.label.endswith(", Adam")
    assert history.train_loss[-1] < 0.3 * history.train_loss[0]
    assert history.test_accuracy[-1] > 2 / 3  # twice chance (1/3)
    sgd = train([4, 8, 8, 3], *toy_data, lr=0.01, epochs=1, seed=0)
    assert sgd.optimizer == "sgd" and "Adam" not in sgd.label


def test_train_rejects_an_unknown_optimizer(toy_data):
    assert OPTIMIZERS == ("sgd", "adam")
    with pytest.raises(ValueError, match="optimizer must be one of"):
        train([4, 8, 3], *toy_data, optimizer="rmsprop")
