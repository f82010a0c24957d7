"""Tests for kaiming_lab.training: gradients, loss, optimiser, input checks, divergence."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
import threadpoolctl
from scipy.special import logsumexp
from torch_support import require_torch

from kaiming_lab.training import (
    INITS,
    accuracy,
    forward,
    gradient_norms,
    gradient_norms_at_init,
    init_mlp,
    loss_and_grads,
    plain_widths,
    print_progress,
    sgd_momentum_step,
    softmax_cross_entropy,
    train,
)

WIDTHS = [5, 4, 4, 3]


@pytest.fixture
def small_problem() -> tuple[list, np.ndarray, np.ndarray]:
    """A 3-layer net (5 -> 4 -> 4 -> 3) with non-zero biases, 7 samples."""
    rng = np.random.default_rng(1234)
    params = [(W, rng.normal(0.0, 0.1, size=b.shape)) for W, b in init_mlp(WIDTHS, "kaiming", rng)]
    X = rng.normal(size=(7, WIDTHS[0]))
    y = rng.integers(0, WIDTHS[-1], size=7)
    return params, X, y


def _pre_activations(params: list, X: np.ndarray) -> list[np.ndarray]:
    zs, x = [], X
    for W, b in params[:-1]:
        z = x @ W.T + b
        zs.append(z)
        x = np.maximum(z, 0.0)
    return zs


def test_gradients_match_central_differences(small_problem):
    """Every weight and bias derivative agrees with (L(p + h) - L(p - h)) / 2h.

    Error budget for float64 with h = 1e-5 and L ~ 1: truncation
    h^2 |L'''| / 6 ~ 1e-11 and rounding ~ eps |L| / h ~ 2e-11, so the finite
    difference is good to ~1e-10 absolute. We allow |num - ana| <= 1e-7 (|num| + |ana|)
    + 1e-8: still a thousand times tighter than any real bug (a missing 1/n,
    a transposed delta or a wrong ReLU mask changes a gradient by ~1e-2 or more).
    Central differences are only valid where L is smooth, so the test first
    checks that no pre-activation is within 1e-3 of ReLU's kink.
    """
    params, X, y = small_problem
    assert min(np.abs(z).min() for z in _pre_activations(params, X)) > 1e-3
    _, grads = loss_and_grads(params, X, y)
    h = 1e-5
    checked = 0
    for layer in range(len(params)):
        for slot in (0, 1):
            analytic = grads[layer][slot]
            flat = params[layer][slot].ravel()
            for k in range(flat.size):
                values = []
                for sign in (1.0, -1.0):
                    bumped = [(W.copy(), b.copy()) for W, b in params]
                    bumped[layer][slot].ravel()[k] = flat[k] + sign * h
                    values.append(loss_and_grads(bumped, X, y)[0])
                numeric = (values[0] - values[1]) / (2 * h)
                ana = analytic.ravel()[k]
                assert abs(numeric - ana) <= 1e-7 * (abs(numeric) + abs(ana)) + 1e-8, (
                    f"layer {layer} slot {slot} index {k}: numeric {numeric}, analytic {ana}"
                )
                checked += 1
    assert checked == sum(W.size + b.size for W, b in params)


def test_cross_entropy_matches_scipy_logsumexp():
    rng = np.random.default_rng(3)
    logits = rng.normal(0.0, 3.0, size=(20, 10))
    y = rng.integers(0, 10, size=20)
    expected = np.mean(logsumexp(logits, axis=1) - logits[np.arange(20), y])
    assert softmax_cross_entropy(logits, y) == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_by_hand_and_for_huge_logits():
    """Two classes, logits (0, ln 3): p = (1/4, 3/4), so the loss of label 0 is ln 4.

    Adding 1000 to every logit must not change it (exp(1000) overflows if not
    shifted), and equal logits give ln(n_classes).
    """
    logits = np.array([[0.0, math.log(3.0)]])
    assert softmax_cross_entropy(logits, np.array([0])) == pytest.approx(math.log(4.0), rel=1e-14)
    assert softmax_cross_entropy(logits + 1000.0, np.array([0])) == pytest.approx(
        math.log(4.0), rel=1e-12
    )
    assert softmax_cross_entropy(np.zeros((3, 10)), np.array([0, 5, 9])) == pytest.approx(
        math.log(10.0), rel=1e-14
    )


def test_loss_from_loss_and_grads_is_the_cross_entropy_of_forward(small_problem):
    params, X, y = small_problem
    loss, _ = loss_and_grads(params, X, y)
    assert loss == softmax_cross_entropy(forward(params, X), y)


def test_momentum_step_by_hand():
    """One scalar weight, lr 0.1, momentum 0.5, gradients 2 then -1:

    v1 = 2, w1 = 1 - 0.1 * 2 = 0.8; v2 = 0.5 * 2 - 1 = 0, w2 = 0.8; the bias
    (gradient 1 then 1): v = 1, 1.5 and b = -0.1, -0.25.
    """
    params = [(np.array([[1.0]]), np.array([0.0]))]
    velocity = [(np.zeros((1, 1)), np.zeros(1))]
    expected = [(0.8, -0.1, 2.0, 1.0), (0.8, -0.25, 0.0, 1.5)]
    for g, (w, b, vw, vb) in zip((2.0, -1.0), expected, strict=True):
        grads = [(np.array([[g]]), np.array([1.0]))]
        params, velocity = sgd_momentum_step(params, grads, velocity, lr=0.1, momentum=0.5)
        assert params[0][0][0, 0] == pytest.approx(w, abs=1e-15)
        assert params[0][1][0] == pytest.approx(b, abs=1e-15)
        assert velocity[0][0][0, 0] == pytest.approx(vw, abs=1e-15)
        assert velocity[0][1][0] == pytest.approx(vb, abs=1e-15)


def test_momentum_step_does_not_modify_its_inputs(small_problem):
    params, X, y = small_problem
    before = [(W.copy(), b.copy()) for W, b in params]
    _, grads = loss_and_grads(params, X, y)
    velocity = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
    sgd_momentum_step(params, grads, velocity, lr=0.1, momentum=0.9)
    for (W, b), (W0, b0) in zip(params, before, strict=True):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)
    assert all(not v.any() for pair in velocity for v in pair)


def test_init_shapes_biases_and_scales():
    """Same seed: the three rules draw the same N(0, 1) numbers times a per-layer std."""
    widths = [6, 8, 8, 3]
    nets = {init: init_mlp(widths, init, np.random.default_rng(5)) for init in INITS}
    for h, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
        Wk, bk = nets["kaiming"][h]
        assert Wk.shape == (fan_out, fan_in)
        assert not bk.any()
        np.testing.assert_allclose(
            nets["xavier"][h][0], Wk * math.sqrt(fan_in / (fan_in + fan_out)), rtol=1e-13
        )
        np.testing.assert_allclose(
            nets["kaiming_fan_out"][h][0], Wk * math.sqrt(fan_in / fan_out), rtol=1e-13
        )


def test_plain_widths():
    assert plain_widths(3, 16, 64, 10) == [64, 16, 16, 10]
    assert plain_widths(1, 16, 64, 10) == [64, 10]


def test_accuracy_counts_argmax_hits():
    params = [(np.eye(3), np.zeros(3))]
    X = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 3.0], [5.0, 0.0, 0.0]])
    assert accuracy(params, X, np.array([0, 1, 2, 2])) == 0.75


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


def test_gradient_norms_are_frobenius_norms(small_problem):
    params, X, y = small_problem
    _, grads = loss_and_grads(params, X, y)
    expected = [math.sqrt(float(np.sum(gW**2))) for gW, _ in grads]
    np.testing.assert_allclose(gradient_norms(params, X, y), expected, rtol=1e-12)


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


# ------------------------------------------------------------- bad input


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


def test_momentum_step_rejects_bad_lr_and_mismatched_grads(small_problem):
    params, X, y = small_problem
    _, grads = loss_and_grads(params, X, y)
    velocity = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
    with pytest.raises(ValueError, match="lr must be > 0.0, got -0.1"):
        sgd_momentum_step(params, grads, velocity, lr=-0.1, momentum=0.9)
    with pytest.raises(ValueError, match="grads must have the same layer shapes as params"):
        sgd_momentum_step(params, grads[:-1], velocity, lr=0.1, momentum=0.9)


def test_forward_rejects_wrong_number_of_features(small_problem):
    params, X, _ = small_problem
    with pytest.raises(ValueError, match=r"X must have 5 columns \(widths\[0\] = 5\), got shape"):
        forward(params, X[:, :4])


def test_loss_and_gradients_match_pytorch(small_problem):
    """An independent reference: PyTorch's autograd on the same float64 net.

    Both compute the same sums in a different order, so they agree to a few
    ulps of the largest term: rtol 1e-10 leaves a factor ~1e5 for rounding.
    """
    torch = require_torch()
    params, X, y = small_problem
    loss, grads = loss_and_grads(params, X, y)
    tensors = [
        (torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True))
        for W, b in params
    ]
    x = torch.tensor(X)
    for h, (W, b) in enumerate(tensors):
        x = x @ W.T + b
        if h < len(tensors) - 1:
            x = torch.relu(x)
    torch_loss = torch.nn.functional.cross_entropy(x, torch.tensor(y))
    torch_loss.backward()
    assert loss == pytest.approx(torch_loss.item(), rel=1e-12)
    for (gW, gb), (W, b) in zip(grads, tensors, strict=True):
        np.testing.assert_allclose(gW, W.grad.numpy(), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(gb, b.grad.numpy(), rtol=1e-10, atol=1e-14)


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
