"""Tests for kaiming_lab.mlp: gradients against finite differences and PyTorch, the
cross-entropy, initialisation, accuracy and the argument checks."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.special import logsumexp
from torch_support import require_torch

from kaiming_lab.mlp import (
    MLP_INITS,
    accuracy,
    forward,
    gradient_norms,
    init_mlp,
    loss_and_grads,
    plain_widths,
    softmax_cross_entropy,
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


def test_init_shapes_biases_and_scales():
    """Same seed: the three rules draw the same N(0, 1) numbers times a per-layer std."""
    widths = [6, 8, 8, 3]
    nets = {init: init_mlp(widths, init, np.random.default_rng(5)) for init in MLP_INITS}
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


def test_gradient_norms_are_frobenius_norms(small_problem):
    params, X, y = small_problem
    _, grads = loss_and_grads(params, X, y)
    expected = [math.sqrt(float(np.sum(gW**2))) for gW, _ in grads]
    np.testing.assert_allclose(gradient_norms(params, X, y), expected, rtol=1e-12)


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
