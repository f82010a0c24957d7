"""A small fully connected ReLU network trained with mini-batch SGD, in numpy.

The network is the lecture's ``f`` with a row-vector batch: for an input batch
``X`` of shape ``(n, d_0)``,

    x^(0) = X,    z^(h) = x^(h) W^(h)T + b^(h),    x^(h+1) = ReLU(z^(h)),

for ``h = 0, ..., H-2``, and the last layer is linear: ``logits = z^(H-1)``.
``W^(h)`` has shape ``(fan_out, fan_in) = (d_{h+1}, d_h)``, as in
:mod:`kaiming_lab.initializers` and PyTorch's ``nn.Linear``. "Depth" ``H`` is
the number of weight layers, so ``widths`` has ``H + 1`` entries.

The loss is the mean softmax cross-entropy, computed with the log-sum-exp
shift. Gradients are derived by hand (no autograd) and checked against finite
differences in ``tests/library/test_training.py``. The optimiser is SGD with momentum
in PyTorch's form, or Adam (Kingma and Ba 2015, PyTorch's defaults). All
randomness comes from ``numpy.random.Generator`` objects built from the seed
passed in; nothing touches global state.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._blas import one_blas_thread
from ._validation import (
    as_generator,
    check_array,
    check_choice,
    check_float,
    check_int,
    check_widths,
)
from .initializers import kaiming_normal, xavier_normal

__all__ = [
    "DIVERGENCE_FACTOR",
    "INITS",
    "OPTIMIZERS",
    "AdamState",
    "Params",
    "TrainingHistory",
    "accuracy",
    "adam_step",
    "forward",
    "gradient_norms",
    "gradient_norms_at_init",
    "init_mlp",
    "loss_and_grads",
    "plain_widths",
    "print_progress",
    "run_epoch",
    "sgd_momentum_step",
    "softmax_cross_entropy",
    "starting_params",
    "train",
]

#: Initialisations accepted by :func:`init_mlp` and :func:`train`.
INITS: tuple[str, ...] = ("kaiming", "kaiming_fan_out", "xavier")

#: Optimisers accepted by :func:`train`.
OPTIMIZERS: tuple[str, ...] = ("sgd", "adam")

#: :func:`train` stops and reports divergence when the training loss after an epoch exceeds
#: this many times the starting loss (or ``ln(n_classes)``, the chance level, if larger).
DIVERGENCE_FACTOR = 100.0

#: One ``(W, b)`` pair per layer, ``W`` of shape ``(fan_out, fan_in)``.
Params = list[tuple[np.ndarray, np.ndarray]]

#: Called once per finished epoch as ``progress(epoch, epochs, train_loss, test_accuracy)``.
ProgressCallback = Callable[[int, int, float, float], None]


# ---------------------------------------------------------------- validation


def _check_widths(widths: object) -> list[int]:
    """Return ``widths`` as a list of at least two positive ints."""
    return check_widths("widths", widths)


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
    widths = _check_widths(widths)
    init = check_choice("init", init, INITS)
    rng = as_generator(rng)
    params: Params = []
    for fan_in, fan_out in itertools.pairwise(widths):
        shape = (fan_out, fan_in)
        if init == "xavier":
            W = xavier_normal(shape, rng=rng)
        else:
            mode = "fan_out" if init == "kaiming_fan_out" else "fan_in"
            W = kaiming_normal(shape, mode=mode, nonlinearity="relu", rng=rng)
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
    log_p = _log_softmax(logits)
    return float(-log_p[np.arange(len(y)), y].mean())


def _loss(params: Params, X: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy of the net on ``(X, y)``, forward pass only (no gradients)."""
    log_p = _log_softmax(_forward_with_cache(params, X)[0])
    return float(-log_p[np.arange(X.shape[0]), y].mean())


def _loss_and_grads(params: Params, X: np.ndarray, y: np.ndarray) -> tuple[float, Params]:
    """Unchecked core of :func:`loss_and_grads` (the training loop calls this)."""
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
    params = _check_params(params)
    X = _check_features("X", X, params[0][0].shape[1])
    y = _check_labels("y", y, X.shape[0], params[-1][0].shape[0])
    return _loss_and_grads(params, X, y)


def sgd_momentum_step(
    params: Params,
    grads: Params,
    velocity: Params,
    *,
    lr: float,
    momentum: float,
) -> tuple[Params, Params]:
    """One step of SGD with momentum; returns new ``(params, velocity)`` (inputs untouched).

    PyTorch's form, for every weight and bias ``p`` with gradient ``g``:

        v <- momentum * v + g,        p <- p - lr * v.

    With a constant ``lr`` it is the same as ``v <- momentum v - lr g; p <- p + v``.
    Start with ``velocity`` all zeros.
    """
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    momentum = check_float("momentum", momentum, minimum=0.0, maximum=1.0)
    params = _check_params(params)
    for name, other in (("grads", grads), ("velocity", velocity)):
        shapes = [(W.shape, b.shape) for W, b in other]
        if shapes != [(W.shape, b.shape) for W, b in params]:
            raise ValueError(f"{name} must have the same layer shapes as params, got {shapes}")
    return _momentum_update(params, grads, velocity, lr, momentum)


@dataclass(frozen=True, eq=False)
class AdamState:
    """Adam's running averages: ``first`` (of ``g``) and ``second`` (of ``g**2``), per
    weight and bias, and ``step``, the number of steps taken. Start from :meth:`zeros`."""

    first: Params
    second: Params
    step: int = 0

    @classmethod
    def zeros(cls, params: Params) -> AdamState:
        """The state before the first step: all averages zero, ``step = 0``."""
        zeros = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
        return cls(first=zeros, second=[(W.copy(), b.copy()) for W, b in zeros], step=0)


def adam_step(
    params: Params,
    grads: Params,
    state: AdamState,
    *,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> tuple[Params, AdamState]:
    """One Adam step (Kingma and Ba 2015, PyTorch's form); returns new ``(params, state)``.

    For every weight and bias ``p`` with gradient ``g``, at step ``t = state.step + 1``:

        m <- b1 m + (1 - b1) g,      v <- b2 v + (1 - b2) g**2,
        p <- p - lr * (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps).

    The step divides by the gradient's own running size, so multiplying every
    gradient by a constant ``c`` changes it only through ``eps`` (the first
    step is ``lr * g / (|g| + eps)``, about ``lr`` per entry). Inputs are untouched.
    """
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    if not (isinstance(betas, Sequence) and len(betas) == 2):
        raise TypeError(f"betas must be a pair (b1, b2), got {betas!r}")
    b1 = check_float("betas[0]", betas[0], minimum=0.0, maximum=1.0)
    b2 = check_float("betas[1]", betas[1], minimum=0.0, maximum=1.0)
    if b1 >= 1.0 or b2 >= 1.0:
        raise ValueError(f"betas must each be in [0, 1), got {betas!r}")
    eps = check_float("eps", eps, minimum=0.0, strict_minimum=True)
    params = _check_params(params)
    if not isinstance(state, AdamState):
        raise TypeError(f"state must be an AdamState (AdamState.zeros(params)), got {state!r}")
    for name, other in (
        ("grads", grads),
        ("state.first", state.first),
        ("state.second", state.second),
    ):
        shapes = [(W.shape, b.shape) for W, b in other]
        if shapes != [(W.shape, b.shape) for W, b in params]:
            raise ValueError(f"{name} must have the same layer shapes as params, got {shapes}")
    return _adam_update(params, grads, state, lr, b1, b2, eps)


def _adam_update(
    params: Params,
    grads: Params,
    state: AdamState,
    lr: float,
    b1: float,
    b2: float,
    eps: float,
) -> tuple[Params, AdamState]:
    """:func:`adam_step` without the argument checks."""
    t = state.step + 1
    c1, c2 = 1.0 - b1**t, 1.0 - b2**t
    new_params: Params = []
    first: Params = []
    second: Params = []
    for p_pair, g_pair, m_pair, v_pair in zip(
        params, grads, state.first, state.second, strict=True
    ):
        new_p, new_m, new_v = [], [], []
        for p, g, m, v in zip(p_pair, g_pair, m_pair, v_pair, strict=True):
            m = b1 * m + (1.0 - b1) * g
            v = b2 * v + (1.0 - b2) * g * g
            new_p.append(p - lr * (m / c1) / (np.sqrt(v / c2) + eps))
            new_m.append(m)
            new_v.append(v)
        new_params.append((new_p[0], new_p[1]))
        first.append((new_m[0], new_m[1]))
        second.append((new_v[0], new_v[1]))
    return new_params, AdamState(first=first, second=second, step=t)


def accuracy(params: Params, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of samples whose largest logit is the true class (ties go to the lower class)."""
    logits = forward(params, X)
    y = _check_labels("y", y, logits.shape[0], logits.shape[1])
    return float(np.mean(logits.argmax(axis=1) == y))


def gradient_norms(params: Params, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Frobenius norm ``||dL/dW^(h)||_F`` of every layer's weight gradient, first layer first."""
    _, grads = loss_and_grads(params, X, y)
    return np.array([float(np.linalg.norm(gW)) for gW, _ in grads])


def gradient_norms_at_init(
    widths: Sequence[int],
    X: np.ndarray,
    y: np.ndarray,
    *,
    init: str,
    seed: int,
) -> np.ndarray:
    """:func:`gradient_norms` of the freshly initialised net that :func:`train` would start from.

    The loss is averaged over all of ``X`` (one full batch), so the result
    does not depend on the mini-batch order. BLAS runs on one thread, so the
    result is bit-identical whatever the machine's thread setting.
    """
    params = starting_params(widths, init=init, seed=seed)
    with one_blas_thread():
        return gradient_norms(params, X, y)


def starting_params(widths: Sequence[int], *, init: str, seed: int) -> Params:
    """The weights :func:`train` starts from for this ``widths``, ``init`` and ``seed``.

    :func:`train` splits ``seed`` into one stream for the weights and one for
    the batches; this draws from the weight stream, so it returns exactly
    the untrained net of ``train(widths, ..., init=init, seed=seed)``.
    """
    init_rng, _ = _streams(seed)
    return init_mlp(widths, init, init_rng)


# ----------------------------------------------------------------- training


@dataclass(eq=False)
class TrainingHistory:
    """What :func:`train` records, one entry per epoch.

    ``train_loss`` and ``test_accuracy`` have ``epochs_completed + 1`` entries:
    index 0 is the untrained net, index ``e`` the net after epoch ``e``. The
    loss is the mean cross-entropy over the whole training set, evaluated
    after the epoch (not a running average over its mini-batches).
    ``grad_norms_init[h]`` is ``||dL/dW^(h)||_F`` at initialisation on the whole
    training set. ``update_ratio[e-1, h]`` is the mean over the steps of epoch
    ``e`` of ``||Delta W^(h)||_F / ||W^(h)||_F``, the size of an update relative
    to the weights it changes (``W`` before the step). ``diverged_at_epoch`` is
    the epoch in which training stopped because the loss or the weights became
    NaN or infinite, or the loss grew past ``divergence_factor`` (100 by
    default) times its starting value; ``None`` if it never did. The loss of
    that epoch is not in ``train_loss``; ``divergence`` says in words what happened.
    ``optimizer`` is ``"sgd"`` (SGD with momentum) or ``"adam"`` (``momentum`` unused).
    """

    widths: list[int]
    init: str
    lr: float
    momentum: float
    batch_size: int
    seed: int
    train_loss: np.ndarray
    test_accuracy: np.ndarray
    grad_norms_init: np.ndarray
    update_ratio: np.ndarray
    diverged_at_epoch: int | None = None
    seconds: float = 0.0
    divergence: str | None = None
    optimizer: str = "sgd"

    @property
    def depth(self) -> int:
        """Number of weight layers."""
        return len(self.widths) - 1

    @property
    def epochs_completed(self) -> int:
        """Epochs that finished without diverging."""
        return len(self.train_loss) - 1

    def first_epoch_below(self, threshold: float) -> int | None:
        """First epoch whose training loss is below ``threshold`` (0 = at init), or ``None``."""
        threshold = check_float("threshold", threshold)
        below = np.flatnonzero(self.train_loss < threshold)
        return int(below[0]) if below.size else None

    @property
    def label(self) -> str:
        """Short name for legends, e.g. ``"kaiming, 30 layers"`` (``", Adam"`` added for Adam)."""
        suffix = ", Adam" if self.optimizer == "adam" else ""
        return f"{self.init}, {self.depth} layers{suffix}"

    def __repr__(self) -> str:
        status = (
            f"diverged in epoch {self.diverged_at_epoch}"
            if self.diverged_at_epoch is not None
            else f"final loss {self.train_loss[-1]:.3g}, test accuracy {self.test_accuracy[-1]:.2f}"
        )
        return (
            f"TrainingHistory({self.label}, width {max(self.widths[1:-1], default=0)}, "
            f"{self.epochs_completed} epochs, {status})"
        )


def _streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Two independent generators from one seed: one for the weights, one for the batches.

    Keeping them apart means runs with the same seed but different ``init``
    see exactly the same mini-batches in the same order.
    """
    seed = check_int("seed", seed, minimum=0)
    init_seq, batch_seq = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(init_seq), np.random.default_rng(batch_seq)


def _all_finite(params: Params) -> bool:
    return all(np.isfinite(W).all() and np.isfinite(b).all() for W, b in params)


def train(
    widths: Sequence[int],
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    *,
    init: str = "kaiming",
    lr: float = 0.01,
    momentum: float = 0.9,
    batch_size: int = 32,
    epochs: int = 10,
    seed: int = 0,
    progress: ProgressCallback | None = None,
    divergence_factor: float = DIVERGENCE_FACTOR,
    optimizer: str = "sgd",
) -> TrainingHistory:
    """Train a plain ReLU MLP with mini-batch SGD + momentum (or Adam) and record its history.

    Each epoch visits the training set once in a fresh random order, in
    batches of ``batch_size`` (the last one may be smaller), taking one
    :func:`sgd_momentum_step` per batch on the mean cross-entropy of the batch
    (``optimizer="sgd"``), or one :func:`adam_step` with PyTorch's defaults
    ``betas = (0.9, 0.999)``, ``eps = 1e-8`` (``optimizer="adam"``; ``momentum``
    is then not used).
    ``seed`` fixes both the weights (via :func:`init_mlp`) and the batch order,
    from separate streams, so changing ``init`` changes nothing else.

    Divergence rule: if a batch loss or a weight becomes NaN or infinite, or
    the training loss after an epoch exceeds ``divergence_factor`` times the
    starting loss (or ``ln(n_classes)``, the chance level, if that is larger),
    training stops and the history records ``diverged_at_epoch`` and
    ``divergence``; overflow inside the loop is silenced with ``np.errstate``
    because it is detected and reported instead.
    ``progress(epoch, epochs, train_loss, test_accuracy)`` is called after every epoch.
    BLAS runs on one thread while training (the matrices are too small to
    gain from more); the previous setting is restored on return.
    """
    widths = _check_widths(widths)
    init = check_choice("init", init, INITS)
    optimizer = check_choice("optimizer", optimizer, OPTIMIZERS)
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    momentum = check_float("momentum", momentum, minimum=0.0, maximum=1.0)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    epochs = check_int("epochs", epochs, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    divergence_factor = check_float(
        "divergence_factor", divergence_factor, minimum=1.0, strict_minimum=True
    )
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be None or a callable, got {progress!r}")
    n_in, n_classes = widths[0], widths[-1]
    X_train = _check_features("X_train", X_train, n_in)
    y_train = _check_labels("y_train", y_train, X_train.shape[0], n_classes)
    X_test = _check_features("X_test", X_test, n_in)
    y_test = _check_labels("y_test", y_test, X_test.shape[0], n_classes)

    start = time.perf_counter()
    with one_blas_thread():
        params = starting_params(widths, init=init, seed=seed)
        _, batch_rng = _streams(seed)
        state: object
        if optimizer == "adam":
            state = AdamState.zeros(params)
            update = _adam_updater(lr)
        else:
            state = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
            update = _sgd_updater(lr, momentum)
        loss, grads = _loss_and_grads(params, X_train, y_train)
        losses = [loss]
        grad_norms_init = np.array([float(np.linalg.norm(gW)) for gW, _ in grads])
        accuracies = [_accuracy(params, X_test, y_test)]
        ratios: list[np.ndarray] = []
        diverged_at = None
        divergence = None
        ceiling = divergence_factor * max(losses[0], math.log(n_classes))

        for epoch in range(1, epochs + 1):
            params, state, ratio = _run_epoch(
                params, state, X_train, y_train, update, batch_size, batch_rng
            )
            if ratio is not None:
                with np.errstate(over="ignore", invalid="ignore"):
                    loss = _loss(params, X_train, y_train)
            if ratio is None or not math.isfinite(loss):
                diverged_at = epoch
                divergence = f"the loss or the weights became NaN or infinite in epoch {epoch}"
                break
            if loss > ceiling:
                diverged_at = epoch
                divergence = (
                    f"the training loss reached {loss:.3g} in epoch {epoch}, more than "
                    f"{divergence_factor:g} times the starting loss {losses[0]:.3g}"
                )
                break
            losses.append(loss)
            accuracies.append(_accuracy(params, X_test, y_test))
            ratios.append(ratio)
            if progress is not None:
                progress(epoch, epochs, losses[-1], accuracies[-1])

    return TrainingHistory(
        widths=widths,
        init=init,
        lr=lr,
        momentum=momentum,
        batch_size=batch_size,
        seed=seed,
        train_loss=np.array(losses),
        test_accuracy=np.array(accuracies),
        grad_norms_init=grad_norms_init,
        update_ratio=np.array(ratios).reshape(len(ratios), len(params)),
        diverged_at_epoch=diverged_at,
        seconds=time.perf_counter() - start,
        divergence=divergence,
        optimizer=optimizer,
    )


def run_epoch(
    params: Params,
    velocity: Params,
    X: np.ndarray,
    y: np.ndarray,
    *,
    lr: float,
    momentum: float,
    batch_size: int,
    rng: np.random.Generator | int | None = None,
) -> tuple[Params, Params, np.ndarray | None]:
    """One pass over ``(X, y)`` in a random order, one :func:`sgd_momentum_step` per mini-batch.

    Returns the new ``params`` and ``velocity`` and, per layer, the mean over
    the steps of the update-to-data ratio ``||W_new - W||_F / ||W||_F``. The
    ratio is ``None`` if a batch loss or a weight became NaN or infinite; the
    epoch then stops at that batch (overflow is silenced with ``np.errstate``
    because it is reported this way instead).
    """
    params = _check_params(params)
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
    momentum = check_float("momentum", momentum, minimum=0.0, maximum=1.0)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    X = _check_features("X", X, params[0][0].shape[1])
    y = _check_labels("y", y, X.shape[0], params[-1][0].shape[0])
    update = _sgd_updater(lr, momentum)
    with one_blas_thread():
        return _run_epoch(params, velocity, X, y, update, batch_size, as_generator(rng))


#: ``update(params, grads, state) -> (new_params, new_state)``: one optimiser step, unchecked.
_Update = Callable[[Params, Params, Any], tuple[Params, Any]]


def _sgd_updater(lr: float, momentum: float) -> _Update:
    """One SGD-with-momentum step as an update function (state: the velocity)."""
    return lambda params, grads, velocity: _momentum_update(params, grads, velocity, lr, momentum)


def _adam_updater(lr: float) -> _Update:
    """One Adam step with PyTorch's defaults as an update function (state: an AdamState)."""
    return lambda params, grads, state: _adam_update(params, grads, state, lr, 0.9, 0.999, 1e-8)


def _run_epoch(
    params: Params,
    velocity: Any,
    X: np.ndarray,
    y: np.ndarray,
    update: _Update,
    batch_size: int,
    rng: np.random.Generator,
) -> tuple[Params, Any, np.ndarray | None]:
    """:func:`run_epoch` without the argument checks; ``velocity`` is the optimiser's state."""
    order = rng.permutation(X.shape[0])
    ratio_sum = np.zeros(len(params))
    steps = 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for begin in range(0, X.shape[0], batch_size):
            idx = order[begin : begin + batch_size]
            loss, grads = _loss_and_grads(params, X[idx], y[idx])
            if not math.isfinite(loss):
                return params, velocity, None
            new_params, velocity = update(params, grads, velocity)
            ratio_sum += [
                np.linalg.norm(W_new - W) / np.linalg.norm(W)
                for (W, _), (W_new, _) in zip(params, new_params, strict=True)
            ]
            params = new_params
            steps += 1
    if not _all_finite(params):
        return params, velocity, None
    return params, velocity, ratio_sum / steps


def _momentum_update(
    params: Params, grads: Params, velocity: Params, lr: float, momentum: float
) -> tuple[Params, Params]:
    """:func:`sgd_momentum_step` without the argument checks (already done by :func:`train`)."""
    new_params: Params = []
    new_velocity: Params = []
    for (W, b), (gW, gb), (vW, vb) in zip(params, grads, velocity, strict=True):
        vW = momentum * vW + gW
        vb = momentum * vb + gb
        new_velocity.append((vW, vb))
        new_params.append((W - lr * vW, b - lr * vb))
    return new_params, new_velocity


def _accuracy(params: Params, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(_forward_with_cache(params, X)[0].argmax(axis=1) == y))


def print_progress(label: str) -> ProgressCallback:
    """A ``progress`` callback that rewrites one line: ``label: epoch 3/20, loss 1.23, acc 0.45``.

    Uses a carriage return (``end="\\r"``) so a long loop shows a single
    updating line instead of one line per epoch.
    """
    if not isinstance(label, str):
        raise TypeError(f"label must be a string, got {label!r} of type {type(label).__name__}")

    def report(epoch: int, epochs: int, train_loss: float, test_accuracy: float) -> None:
        print(
            f"{label}: epoch {epoch}/{epochs}, loss {train_loss:.3g}, "
            f"test accuracy {test_accuracy:.2f}   ",
            end="\r" if epoch < epochs else "\n",
            flush=True,
        )

    return report
