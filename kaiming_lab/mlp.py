"""A small fully connected ReLU network in numpy: weights, forward pass, loss and gradients.

The network is the lecture's ``f`` with a row-vector batch: for an input batch
``X`` of shape ``(n, d_0)``,

    x^(0) = X,    z^(h) = x^(h) W^(h)T + b^(h),    x^(h+1) = ReLU(z^(h)),

for ``h = 0, ..., H-2``, and the last layer is linear: ``logits = z^(H-1)``.
``W^(h)`` has shape ``(fan_out, fan_in) = (d_{h+1}, d_h)``, as in
:mod:`kaiming_lab.initializers` and PyTorch's ``nn.Linear``. "Depth" ``H`` is
the number of weight layers, so ``widths`` has ``H + 1`` entries.

The loss is the mean softmax cross-entropy, computed with the log-sum-exp
shift. Gradients are derived by hand (no autograd) and checked against finite
differences in ``tests/library/test_mlp.py``. Public functions check their
arguments; the private ones beside them (``_forward``, ``_loss_and_grads``,
``_accuracy``, ...) do the same work unchecked, for callers that have checked
already (:mod:`kaiming_lab.training`'s loop).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from ._validation import as_generator, check_array, check_choice, check_int, check_widths
from .initializers import _draw_kaiming_normal, _draw_xavier_normal

__all__ = [
    "MLP_INITS",
    "Params",
    "accuracy",
    "forward",
    "gradient_norms",
    "init_mlp",
    "loss_and_grads",
    "plain_widths",
    "softmax_cross_entropy",
]

#: Initialisations accepted by :func:`init_mlp` and :func:`kaiming_lab.training.train`
#: (the training net's three rules; :data:`kaiming_lab.propagation.INITS` is the
#: simulator's table of every initialiser).
MLP_INITS: tuple[str, ...] = ("kaiming", "kaiming_fan_out", "xavier")

#: One ``(W, b)`` pair per layer, ``W`` of shape ``(fan_out, fan_in)``.
Params = list[tuple[np.ndarray, np.ndarray]]


# ---------------------------------------------------------------- validation


def _check_features(name: str, X: object, n_features: int) -> np.ndarray:
    """Return ``X`` as a finite float64 array of shape ``(n, n_features)`` with ``n >= 1``."""
    shape = f" of shape (n_samples, {n_features})"
    X = check_array(name, X, ndim=2, shape_hint=shape, min_size=1)
    if X.shape[1] != n_features:
        raise ValueError(
            f"{name} must have {n_features} columns (widths[0] = {n_features}), got shape {X.shape}"
        )
    return X


def _check_labels(name: str, y: object, n_samples: int, n_classes: int) -> np.ndarray:
    """Return ``y`` as an int64 vector of ``n_samples`` labels in ``0 .. n_classes - 1``."""
    if y is None or isinstance(y, (str, bytes)):
        raise TypeError(f"{name} must be a 1-D array of integer class labels, got {y!r}")
    try:
        y = np.asarray(y)
    except ValueError as err:
        raise ValueError(f"{name} must be a 1-D array of integer class labels: {err}") from None
    if y.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer class labels, got dtype {y.dtype}")
    if y.ndim != 1 or y.shape[0] != n_samples:
        raise ValueError(
            f"{name} must be a 1-D array with one label per sample ({n_samples}), "
            f"got shape {y.shape}"
        )
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(
            f"{name} must hold labels in 0..{n_classes - 1} (widths[-1] = {n_classes} classes), "
            f"got values from {y.min()} to {y.max()}"
        )
    return y.astype(np.int64, copy=False)


def _check_params(params: object) -> Params:
    """Check that consecutive layers of ``params`` fit together."""
    if isinstance(params, (str, bytes)) or not isinstance(params, Sequence) or len(params) < 1:
        raise TypeError(
            f"params must be a non-empty list of (W, b) pairs, got {type(params).__name__}"
        )
    for h, pair in enumerate(params):
        if not (isinstance(pair, Sequence) and len(pair) == 2):
            raise TypeError(f"params[{h}] must be a (W, b) pair of arrays, got {pair!r}")
        W, b = pair
        if not (isinstance(W, np.ndarray) and isinstance(b, np.ndarray)):
            raise TypeError(
                f"params[{h}] must hold numpy arrays (W, b), got {type(W).__name__} and "
                f"{type(b).__name__}"
            )
        if W.dtype.kind not in "biuf" or b.dtype.kind not in "biuf":
            raise TypeError(
                f"params[{h}] must hold real-valued arrays, got dtypes {W.dtype} and {b.dtype}"
            )
        if W.ndim != 2 or b.shape != (W.shape[0],):
            raise ValueError(
                f"params[{h}] must be (W, b) with W of shape (fan_out, fan_in) and b of shape "
                f"(fan_out,), got W {W.shape} and b {b.shape}"
            )
        if h > 0 and W.shape[1] != params[h - 1][0].shape[0]:
            raise ValueError(
                f"params[{h}][0] has fan_in {W.shape[1]} but the layer before it has "
                f"fan_out {params[h - 1][0].shape[0]}"
            )
    return list(params)


def _check_batch(params: object, X: object, y: object) -> tuple[Params, np.ndarray, np.ndarray]:
    """Check a net and a batch ``(X, y)`` for it: ``fan_in`` columns, labels below ``n_classes``."""
    params = _check_params(params)
    X = _check_features("X", X, params[0][0].shape[1])
    y = _check_labels("y", y, X.shape[0], params[-1][0].shape[0])
    return params, X, y


# ------------------------------------------------------------------ network


def plain_widths(depth: int, width: int, n_in: int, n_out: int) -> list[int]:
    """Widths of a plain net with ``depth`` weight layers: ``[n_in, width, ..., width, n_out]``.

    ``depth - 1`` hidden layers of ``width`` units, so ``depth + 1`` entries in all.
    """
    depth = check_int("depth", depth, minimum=1)
    width = check_int("width", width, minimum=1)
    n_in = check_int("n_in", n_in, minimum=1)
    n_out = check_int("n_out", n_out, minimum=1)
    return [n_in, *[width] * (depth - 1), n_out]


def init_mlp(
    widths: Sequence[int],
    init: str = "kaiming",
    rng: np.random.Generator | int | None = None,
) -> Params:
    """Draw the weights of a plain MLP layer by layer, with zero biases.

    ``W^(h)`` has shape ``(widths[h+1], widths[h])``:

    * ``"kaiming"``: ``N(0, 2 / fan_in)`` (He et al. 2015, forward rule);
    * ``"kaiming_fan_out"``: ``N(0, 2 / fan_out)`` (the backward rule);
    * ``"xavier"``: ``N(0, 2 / (fan_in + fan_out))`` (Glorot and Bengio 2010).

    The same rule is used for the first and the (linear) last layer, as in the
    paper. Every rule draws ``std * N(0, 1)`` from the same stream, so two
    calls with equal seeds give weights that differ only by a scale per layer.
    """
    widths = check_widths("widths", widths)
    init = check_choice("init", init, MLP_INITS)
    return _init_mlp(widths, init, as_generator(rng))


def _init_mlp(widths: list[int], init: str, rng: np.random.Generator) -> Params:
    """:func:`init_mlp` without the argument checks."""
    params: Params = []
    for fan_in, fan_out in itertools.pairwise(widths):
        shape = (fan_out, fan_in)
        if init == "xavier":
            W = _draw_xavier_normal(shape, 1.0, rng)
        else:
            mode = "fan_out" if init == "kaiming_fan_out" else "fan_in"
            W = _draw_kaiming_normal(shape, 0.0, mode, "relu", rng)
        params.append((W, np.zeros(fan_out)))
    return params


def _forward_with_cache(params: Params, X: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Return the logits and the input ``x^(h)`` of every layer (needed by backprop)."""
    inputs = []
    x = X
    last = len(params) - 1
    for h, (W, b) in enumerate(params):
        inputs.append(x)
        z = x @ W.T + b
        x = z if h == last else np.maximum(z, 0.0)
    return x, inputs


def forward(params: Params, X: np.ndarray) -> np.ndarray:
    """Logits ``f(X)`` of shape ``(n, n_classes)``: ReLU after every layer but the last."""
    params = _check_params(params)
    X = _check_features("X", X, params[0][0].shape[1])
    return _forward(params, X)


def _forward(params: Params, X: np.ndarray) -> np.ndarray:
    """:func:`forward` without the argument checks."""
    return _forward_with_cache(params, X)[0]


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    """``z_k - log sum_j exp(z_j)`` with the max subtracted first, so ``exp`` cannot overflow."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy ``(1/n) sum_i [log sum_k exp(z_ik) - z_{i,y_i}]``.

    Uses ``log sum_k exp(z_k) = m + log sum_k exp(z_k - m)`` with ``m = max_k z_k``,
    which is exact in real arithmetic and keeps every ``exp`` at most 1.
    A net whose logits are all equal scores ``log(n_classes)`` (chance level).
    """
    logits = check_array(
        "logits", logits, ndim=2, finite=False, shape_hint=" of shape (n_samples, n_classes)"
    )
    if logits.shape[0] < 1 or logits.shape[1] < 1:
        raise ValueError(f"logits must have at least one row and one column, got {logits.shape}")
    if np.any(np.isnan(logits)):
        raise ValueError("logits must not contain NaN")
    y = _check_labels("y", y, logits.shape[0], logits.shape[1])
    return _softmax_cross_entropy(logits, y)


def _softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """:func:`softmax_cross_entropy` without the argument checks."""
    log_p = _log_softmax(logits)
    return float(-log_p[np.arange(len(y)), y].mean())


def _loss(params: Params, X: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy of the net on ``(X, y)``, forward pass only (no gradients), unchecked."""
    return _softmax_cross_entropy(_forward(params, X), y)


def _loss_and_grads(params: Params, X: np.ndarray, y: np.ndarray) -> tuple[float, Params]:
    """:func:`loss_and_grads` without the argument checks."""
    logits, inputs = _forward_with_cache(params, X)
    n = X.shape[0]
    log_p = _log_softmax(logits)
    loss = float(-log_p[np.arange(n), y].mean())
    delta = np.exp(log_p)
    delta[np.arange(n), y] -= 1.0
    delta /= n
    grads: Params = []
    for h in range(len(params) - 1, -1, -1):
        W = params[h][0]
        x = inputs[h]
        grads.append((delta.T @ x, delta.sum(axis=0)))
        if h > 0:
            delta = (delta @ W) * (x > 0.0)
    grads.reverse()
    return loss, grads


def loss_and_grads(params: Params, X: np.ndarray, y: np.ndarray) -> tuple[float, Params]:
    """Mean cross-entropy ``L`` and its gradients ``(dL/dW^(h), dL/db^(h))`` for every layer.

    Backpropagation, starting from ``dL/dz^(H-1) = (softmax(z) - onehot(y)) / n``:

        dL/dW^(h) = delta^(h)T x^(h),       dL/db^(h) = sum over the batch of delta^(h),
        delta^(h-1) = (delta^(h) W^(h)) * 1[x^(h) > 0],

    where ``x^(h) = ReLU(z^(h-1))`` is positive exactly where ``z^(h-1)`` is, so
    ``1[x^(h) > 0]`` is ReLU's derivative (taken as 0 at the kink, as PyTorch does).
    """
    return _loss_and_grads(*_check_batch(params, X, y))


def accuracy(params: Params, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of samples whose largest logit is the true class (ties go to the lower class)."""
    return _accuracy(*_check_batch(params, X, y))


def _accuracy(params: Params, X: np.ndarray, y: np.ndarray) -> float:
    """:func:`accuracy` without the argument checks."""
    return float(np.mean(_forward(params, X).argmax(axis=1) == y))


def gradient_norms(params: Params, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Frobenius norm ``||dL/dW^(h)||_F`` of every layer's weight gradient, first layer first."""
    return _gradient_norms(*_check_batch(params, X, y))


def _gradient_norms(params: Params, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """:func:`gradient_norms` without the argument checks."""
    _, grads = _loss_and_grads(params, X, y)
    return np.array([float(np.linalg.norm(gW)) for gW, _ in grads])
