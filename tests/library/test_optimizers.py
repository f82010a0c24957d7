"""Tests for kaiming_lab.optimizers: SGD with momentum and Adam, by hand, and their checks."""

from __future__ import annotations

import numpy as np
import pytest

from kaiming_lab.mlp import init_mlp, loss_and_grads
from kaiming_lab.optimizers import AdamState, adam_step, sgd_momentum_step

WIDTHS = [5, 4, 3]


@pytest.fixture
def problem() -> tuple[list, list]:
    """A 2-layer net and its gradients on 6 random samples."""
    rng = np.random.default_rng(5)
    params = init_mlp(WIDTHS, "kaiming", rng)
    X, y = rng.normal(size=(6, WIDTHS[0])), rng.integers(0, WIDTHS[-1], size=6)
    return params, loss_and_grads(params, X, y)[1]


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


def test_momentum_step_does_not_modify_its_inputs(problem):
    params, grads = problem
    before = [(W.copy(), b.copy()) for W, b in params]
    velocity = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
    sgd_momentum_step(params, grads, velocity, lr=0.1, momentum=0.9)
    for (W, b), (W0, b0) in zip(params, before, strict=True):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)
    assert all(not v.any() for pair in velocity for v in pair)


def test_momentum_step_rejects_bad_lr_and_mismatched_grads(problem):
    params, grads = problem
    velocity = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
    with pytest.raises(ValueError, match="lr must be > 0.0, got -0.1"):
        sgd_momentum_step(params, grads, velocity, lr=-0.1, momentum=0.9)
    with pytest.raises(ValueError, match="grads must have the same layer shapes as params"):
        sgd_momentum_step(params, grads[:-1], velocity, lr=0.1, momentum=0.9)
    for junk in (None, 3, [(1,)]):
        with pytest.raises(TypeError, match=r"velocity must be a list of \(W, b\) pairs"):
            sgd_momentum_step(params, grads, junk, lr=0.1, momentum=0.9)


def test_two_steps_by_hand(problem):
    """Kingma and Ba's update, written out entry by entry for two steps with bias correction."""
    params, grads = problem
    lr, b1, b2, eps = 0.01, 0.8, 0.99, 1e-8
    state = AdamState.zeros(params)
    p1, state = adam_step(params, grads, state, lr=lr, betas=(b1, b2), eps=eps)
    g2 = [(2.0 * gW - 0.5, -gb) for gW, gb in grads]  # a different second gradient
    p2, state = adam_step(p1, g2, state, lr=lr, betas=(b1, b2), eps=eps)
    assert state.step == 2
    for h in range(len(params)):
        for k in range(2):
            g, gg, p = grads[h][k], g2[h][k], params[h][k]
            m1, v1 = (1 - b1) * g, (1 - b2) * g**2
            step1 = lr * (m1 / (1 - b1)) / (np.sqrt(v1 / (1 - b2)) + eps)
            m2, v2 = b1 * m1 + (1 - b1) * gg, b2 * v1 + (1 - b2) * gg**2
            step2 = lr * (m2 / (1 - b1**2)) / (np.sqrt(v2 / (1 - b2**2)) + eps)
            np.testing.assert_allclose(p1[h][k], p - step1, rtol=1e-13, atol=1e-16)
            np.testing.assert_allclose(p2[h][k], p - step1 - step2, rtol=1e-13, atol=1e-16)


def test_first_step_is_lr_times_the_sign_whatever_the_gradient_scale(problem):
    """The first step is lr g / (|g| + eps): a gradient 1e6 times smaller moves the weights
    the same up to eps / |g|, which is why Adam trains the tiny-gradient Xavier net of 07."""
    params, grads = problem
    smallest = min(float(np.abs(gW).min()) for gW, _ in grads)
    for scale in (1.0, 1e-6):
        scaled = [(scale * gW, scale * gb) for gW, gb in grads]
        stepped, _ = adam_step(params, scaled, AdamState.zeros(params), lr=0.01)
        for (W, _), (W1, _), (gW, _) in zip(params, stepped, scaled, strict=True):
            exact = 0.01 * gW / (np.abs(gW) + 1e-8)
            np.testing.assert_allclose(W - W1, exact, rtol=1e-12, atol=0)
            sign_off = 1e-8 / (scale * smallest)  # the largest relative effect of eps
            np.testing.assert_allclose(W - W1, 0.01 * np.sign(gW), rtol=1.01 * sign_off)


def test_adam_step_leaves_its_inputs_alone(problem):
    params, grads = problem
    copies = [(W.copy(), b.copy()) for W, b in params]
    state = AdamState.zeros(params)
    adam_step(params, grads, state, lr=0.1)
    assert state.step == 0 and all(np.all(W == 0) for W, _ in state.first)
    for (W, b), (W0, b0) in zip(params, copies, strict=True):
        assert np.array_equal(W, W0) and np.array_equal(b, b0)


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"lr": -1.0}, ValueError, "lr"),
        ({"lr": 0.1, "betas": (1.0, 0.9)}, ValueError, "betas"),
        ({"lr": 0.1, "betas": (0.9, -0.1)}, ValueError, "betas[1]"),
        ({"lr": 0.1, "betas": 0.9}, TypeError, "betas"),
        ({"lr": 0.1, "eps": 0.0}, ValueError, "eps"),
    ],
)
def test_adam_step_rejects_bad_settings(problem, kwargs, error, fragment):
    params, grads = problem
    with pytest.raises(error, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        adam_step(params, grads, AdamState.zeros(params), **kwargs)


def test_adam_step_rejects_a_wrong_state_or_gradients(problem):
    params, grads = problem
    with pytest.raises(TypeError, match="AdamState"):
        adam_step(params, grads, [(0, 0)], lr=0.1)
    with pytest.raises(ValueError, match="grads"):
        adam_step(params, grads[:-1], AdamState.zeros(params), lr=0.1)
