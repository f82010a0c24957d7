"""Training :mod:`kaiming_lab.mlp`'s plain ReLU net with mini-batch SGD or Adam, and its history.

:func:`train` checks its arguments once, then runs the loop on the unchecked
cores of :mod:`kaiming_lab.mlp` and :mod:`kaiming_lab.optimizers`. All
randomness comes from ``numpy.random.Generator`` objects built from the seed
passed in; nothing touches global state.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._blas import one_blas_thread
from ._validation import as_generator, check_choice, check_float, check_int, check_widths
from .mlp import (
    MLP_INITS,
    Params,
    _accuracy,
    _check_batch,
    _check_features,
    _check_labels,
    _gradient_norms,
    _init_mlp,
    _loss,
    _loss_and_grads,
)
from .optimizers import (
    OPTIMIZERS,
    AdamState,
    _adam_step,
    _check_lr,
    _check_momentum,
    _check_same_shapes,
    _sgd_momentum_step,
)

__all__ = [
    "DIVERGENCE_FACTOR",
    "TrainingHistory",
    "gradient_norms_at_init",
    "print_progress",
    "run_epoch",
    "starting_params",
    "train",
]

#: :func:`train` stops and reports divergence when the training loss after an epoch exceeds
#: this many times the starting loss (or ``ln(n_classes)``, the chance level, if larger).
DIVERGENCE_FACTOR = 100.0

#: Called once per finished epoch as ``progress(epoch, epochs, train_loss, test_accuracy)``.
ProgressCallback = Callable[[int, int, float, float], None]


def gradient_norms_at_init(
    widths: Sequence[int],
    X: np.ndarray,
    y: np.ndarray,
    *,
    init: str,
    seed: int,
) -> np.ndarray:
    """:func:`~kaiming_lab.mlp.gradient_norms` of the untrained net :func:`train` would start from.

    The loss is averaged over all of ``X`` (one full batch), so the result
    does not depend on the mini-batch order. BLAS runs on one thread, so the
    result is bit-identical whatever the machine's thread setting.
    """
    widths, init, seed = _check_net(widths, init, seed)
    X, y = _check_data("X", X, "y", y, widths)
    params = _starting_params(widths, init, seed)
    with one_blas_thread():
        return _gradient_norms(params, X, y)


def starting_params(widths: Sequence[int], *, init: str, seed: int) -> Params:
    """The weights :func:`train` starts from for this ``widths``, ``init`` and ``seed``.

    :func:`train` splits ``seed`` into one stream for the weights and one for
    the batches; this draws from the weight stream, so it returns exactly
    the untrained net of ``train(widths, ..., init=init, seed=seed)``.
    """
    return _starting_params(*_check_net(widths, init, seed))


def _starting_params(widths: list[int], init: str, seed: int) -> Params:
    """:func:`starting_params` without the argument checks."""
    init_rng, _ = _streams(seed)
    return _init_mlp(widths, init, init_rng)


def _check_net(widths: object, init: object, seed: object) -> tuple[list[int], str, int]:
    """The ``widths``, ``init`` and ``seed`` that fix a starting net, checked."""
    widths = check_widths("widths", widths)
    init = check_choice("init", init, MLP_INITS)
    seed = check_int("seed", seed, minimum=0)
    return widths, init, seed


def _check_data(
    x_name: str, X: object, y_name: str, y: object, widths: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Features with ``widths[0]`` columns and their labels in ``0 .. widths[-1] - 1``, checked."""
    X = _check_features(x_name, X, widths[0])
    return X, _check_labels(y_name, y, X.shape[0], widths[-1])


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
    :func:`~kaiming_lab.optimizers.sgd_momentum_step` per batch on the mean
    cross-entropy of the batch (``optimizer="sgd"``), or one
    :func:`~kaiming_lab.optimizers.adam_step` with PyTorch's defaults
    ``betas = (0.9, 0.999)``, ``eps = 1e-8`` (``optimizer="adam"``; ``momentum``
    is then not used). ``seed`` fixes both the weights (via
    :func:`~kaiming_lab.mlp.init_mlp`) and the batch order, from separate
    streams, so changing ``init`` changes nothing else.

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
    widths, init, seed = _check_net(widths, init, seed)
    optimizer = check_choice("optimizer", optimizer, OPTIMIZERS)
    lr = _check_lr(lr)
    momentum = _check_momentum(momentum)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    epochs = check_int("epochs", epochs, minimum=1)
    divergence_factor = check_float(
        "divergence_factor", divergence_factor, minimum=1.0, strict_minimum=True
    )
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be None or a callable, got {progress!r}")
    X_train, y_train = _check_data("X_train", X_train, "y_train", y_train, widths)
    X_test, y_test = _check_data("X_test", X_test, "y_test", y_test, widths)

    start = time.perf_counter()
    with one_blas_thread():
        params = _starting_params(widths, init, seed)
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
        ceiling = divergence_factor * max(losses[0], math.log(widths[-1]))

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
    """One pass over ``(X, y)`` in a random order, one SGD-with-momentum step per mini-batch.

    Returns the new ``params`` and ``velocity`` and, per layer, the mean over
    the steps of the update-to-data ratio ``||W_new - W||_F / ||W||_F``. The
    ratio is ``None`` if a batch loss or a weight became NaN or infinite; the
    epoch then stops at that batch (overflow is silenced with ``np.errstate``
    because it is reported this way instead).
    """
    params, X, y = _check_batch(params, X, y)
    lr = _check_lr(lr)
    momentum = _check_momentum(momentum)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    _check_same_shapes(params, {"velocity": velocity})
    update = _sgd_updater(lr, momentum)
    with one_blas_thread():
        return _run_epoch(params, velocity, X, y, update, batch_size, as_generator(rng))


#: ``update(params, grads, state) -> (new_params, new_state)``: one optimiser step, unchecked.
_Update = Callable[[Params, Params, Any], tuple[Params, Any]]


def _sgd_updater(lr: float, momentum: float) -> _Update:
    """One SGD-with-momentum step as an update function (state: the velocity)."""
    return lambda params, grads, velocity: _sgd_momentum_step(params, grads, velocity, lr, momentum)


def _adam_updater(lr: float) -> _Update:
    """One Adam step with PyTorch's defaults as an update function (state: an AdamState)."""
    return lambda params, grads, state: _adam_step(params, grads, state, lr, 0.9, 0.999, 1e-8)


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
