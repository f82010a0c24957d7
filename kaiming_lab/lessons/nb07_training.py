"""Scaffolding for ``notebooks/07_training_deep_nets.ipynb``: its exercise checks, the
mean +- standard error of its multi-seed table, the learning-rate sweep and the
plateau measured in steps.

Each ``check_*`` returns a :class:`~kaiming_lab.lessons.checks.CheckResult`, the
same type the checks of notebooks 01-05 return: truthy for a right answer, and
shown in a notebook as a short message, which for a wrong answer says what is
off with a hint but never the expected value. ``None`` means "not answered yet".
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from ..mlp import softmax_cross_entropy as _reference_cross_entropy
from ..training import TrainingHistory, train
from .checks import UNANSWERED, CheckResult, call_student

__all__ = [
    "check_fan_out_ratio",
    "check_lr_factor",
    "check_output_std_ratio",
    "check_softmax_cross_entropy",
    "expected_output_std_ratio",
    "mean_and_se",
    "steps_per_epoch",
    "steps_to_loss",
    "sweep_learning_rates",
]


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    """Mini-batches in one pass over ``n_train`` samples: ``ceil(n_train / batch_size)``."""
    if n_train < 1 or batch_size < 1:
        raise ValueError(f"n_train and batch_size must be >= 1, got {n_train} and {batch_size}")
    return math.ceil(n_train / batch_size)


def steps_to_loss(history: TrainingHistory, n_train: int, threshold: float = 2.0) -> int | None:
    """SGD steps taken before the training loss, read after each epoch, first fell below
    ``threshold``: ``epoch * steps_per_epoch``; ``None`` if it never did in the run.

    The loss is only read once per epoch, so this is resolved to one epoch's steps.
    """
    epoch = history.first_epoch_below(threshold)
    return None if epoch is None else epoch * steps_per_epoch(n_train, history.batch_size)


def sweep_learning_rates(
    widths: list[int],
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    lrs: Iterable[float],
    *,
    inits: Iterable[str] = ("kaiming", "xavier"),
    seed: int,
    **config: object,
) -> dict[tuple[str, float], TrainingHistory]:
    """One :func:`~kaiming_lab.training.train` run per initialisation and learning rate.

    Every run uses the same ``seed`` (so the same batches) and ``config`` (momentum,
    batch size, epochs); only ``init`` and ``lr`` change. Returns ``{(init, lr): history}``.
    """
    return {
        (init, lr): train(widths, *arrays, init=init, lr=lr, seed=seed, **config)
        for init in inits
        for lr in lrs
    }


def mean_and_se(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard error ``s / sqrt(n)`` of ``values``.

    ``s`` is the sample standard deviation (``n - 1`` in the denominator), so
    at least two values are needed.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size < 2:
        raise ValueError(f"values must be a 1-D sequence of at least 2 numbers, got {values!r}")
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size))


def expected_output_std_ratio(widths: list[int], numerator: str, denominator: str) -> float:
    """Ratio of the output std of two initialisations of the same plain ReLU net, same seed.

    With zero biases and ``ReLU(c z) = c ReLU(z)`` for ``c > 0``, scaling
    layer ``h``'s weights by ``c_h`` scales the output by ``prod_h c_h`` exactly.
    Same seed means the same ``N(0, 1)`` draws, so ``c_h`` is the ratio of the
    two rules' standard deviations for layer ``h``:
    ``kaiming`` ``sqrt(2 / fan_in)``, ``kaiming_fan_out`` ``sqrt(2 / fan_out)``,
    ``xavier`` ``sqrt(2 / (fan_in + fan_out))``.
    """
    stds = {
        "kaiming": lambda fi, fo: math.sqrt(2.0 / fi),
        "kaiming_fan_out": lambda fi, fo: math.sqrt(2.0 / fo),
        "xavier": lambda fi, fo: math.sqrt(2.0 / (fi + fo)),
    }
    return math.prod(
        stds[numerator](fi, fo) / stds[denominator](fi, fo) for fi, fo in itertools.pairwise(widths)
    )


_CORRECT = CheckResult(True, True, "Correct.")


def _as_number(answer: object) -> float | CheckResult:
    """Return the answer as a float, or the :class:`CheckResult` saying why it cannot be checked."""
    if answer is None:
        return UNANSWERED
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return CheckResult(
            False, True, "Not a number: the answer should be a single float such as 1.0."
        )
    if not math.isfinite(answer) or answer <= 0:
        return CheckResult(False, True, "The answer is a positive, finite ratio.")
    return float(answer)


def _not_yet(message: str) -> CheckResult:
    return CheckResult(False, True, message)


def _near(value: float, target: float, rel: float) -> bool:
    return abs(value - target) <= rel * target


def _direction(value: float, target: float) -> str:
    size = "by more than a factor of 2" if max(value / target, target / value) > 2 else "a little"
    return f"too {'large' if value > target else 'small'} ({size})"


def check_output_std_ratio(answer: object) -> CheckResult:
    """Exercise 1: output std of the 22-layer Kaiming net over the Xavier one (same seed).

    The net is ``plain_widths(22, 64, 64, 10)``; accepted within 2 %.
    """
    value = _as_number(answer)
    if isinstance(value, CheckResult):
        return value
    widths = [64, *[64] * 21, 10]
    target = expected_output_std_ratio(widths, "kaiming", "xavier")
    if _near(value, target, 0.02):
        return _CORRECT
    hints = [
        (target**2, "That looks like a ratio of variances; the question asks for stds."),
        (1.0 / target, "Upside down: the Kaiming output is the larger one."),
        (
            2.0**11,
            "Close: each square ReLU layer is right. Now compare the two stds of the "
            "last layer (64 -> 10): Xavier's uses fan_in + fan_out = 74.",
        ),
        (
            2.0**10.5,
            "Close: the square layers are right, but the last layer (64 -> 10) "
            "also contributes a factor.",
        ),
        (
            expected_output_std_ratio([64, *[64] * 29, 10], "kaiming", "xavier"),
            "That is the 30-layer ratio; this exercise is about 22 layers.",
        ),
        (2.0**15, "That is roughly the 30-layer ratio; this exercise is about 22 layers."),
    ]
    for near_value, hint in hints:
        if _near(value, near_value, 0.03):
            return _not_yet(f"Not yet: {_direction(value, target)}. {hint}")
    return _not_yet(
        f"Not yet: {_direction(value, target)}. Hint: with the same seed each layer's weights "
        "are the same N(0, 1) numbers times a different std, and ReLU(c z) = c ReLU(z) for "
        "c > 0, so the per-layer std ratios multiply. Count the layers of each shape."
    )


def check_fan_out_ratio(answer: object) -> CheckResult:
    """Exercise 2: output std of the 30-layer net, ``kaiming_fan_out`` over ``kaiming`` (fan_in).

    The net is ``plain_widths(30, 64, 64, 10)``; accepted within 2 %.
    """
    value = _as_number(answer)
    if isinstance(value, CheckResult):
        return value
    target = expected_output_std_ratio([64, *[64] * 29, 10], "kaiming_fan_out", "kaiming")
    if _near(value, target, 0.02):
        return _CORRECT
    if _near(value, target**2, 0.03):
        return _not_yet(
            f"Not yet: {_direction(value, target)}. That is a ratio of variances, not stds."
        )
    if _near(value, 1.0 / target, 0.03):
        return _not_yet(
            f"Not yet: {_direction(value, target)}. Upside down: for the last layer fan_out "
            "is smaller than fan_in, so which std is larger?"
        )
    if _near(value, 1.0, 0.03):
        return _not_yet(
            "Not yet: too small. Square layers give the same std in both modes, "
            "but is every layer square?"
        )
    return _not_yet(
        f"Not yet: {_direction(value, target)}. Hint: write each layer's std under both "
        "modes, sqrt(2 / fan_out) and sqrt(2 / fan_in); in which layers do they differ?"
    )


def check_lr_factor(
    answer: object, history: TrainingHistory, reference: float = 1e-3
) -> CheckResult:
    """Exercise 3: factor by which ``lr`` must grow to lift the first-epoch ratio to ``reference``.

    The update-to-data ratio is proportional to ``lr`` while the weights barely
    move, so the factor is ``reference`` over the median (across layers) of
    the first epoch's ratios in ``history``. Read off a log plot, answers within
    a factor of 3 count.
    """
    value = _as_number(answer)
    if isinstance(value, CheckResult):
        return value
    if not isinstance(history, TrainingHistory) or history.update_ratio.shape[0] < 1:
        return _not_yet(
            "Pass the training history of the run you read the ratio from, as `history`."
        )
    target = reference / float(np.median(history.update_ratio[0]))
    if max(value / target, target / value) <= 3.0:
        return _CORRECT
    if value < 1.0 <= target:
        return _not_yet(
            f"Not yet: {_direction(value, target)}. The {history.label} updates sit below "
            "the reference line, so lr has to grow."
        )
    return _not_yet(
        f"Not yet: {_direction(value, target)}. Hint: with the weights almost unchanged, "
        "doubling lr doubles every update. Read the epoch-1 ratio off the plot and divide "
        "the reference by it."
    )


# ------------------------------------------------------- exercise 4: write the loss


def _cross_entropy_cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Fresh inputs for :func:`check_softmax_cross_entropy`: ``(logits, labels)`` per case.

    ``"batch"``: 40 images, 10 classes, logits of order 1 plus a per-image offset;
    ``"seven"``: 7 classes; ``"huge"``: the batch's logits times 500 (up to a few
    thousand, where ``np.exp`` overflows without the max shift).
    """
    rng = np.random.default_rng(20150206)
    logits = rng.normal(scale=1.5, size=(40, 10)) + rng.normal(scale=2.0, size=(40, 1))
    labels = rng.integers(0, 10, size=40)
    seven = rng.normal(scale=1.5, size=(30, 7))
    return {
        "batch": (logits, labels),
        "seven": (seven, rng.integers(0, 7, size=30)),
        "huge": (500.0 * logits, labels),
    }


def _explain_failure(error: Exception) -> str:
    return (
        f"Not yet: your function raised {type(error).__name__}: {error}. It is called "
        "as softmax_cross_entropy(logits, labels) with logits of shape "
        "(n_images, n_classes) and integer labels of shape (n_images,)."
    )


def _cross_entropy_slips(logits: np.ndarray, labels: np.ndarray) -> list[tuple[float, str]]:
    """Values the common wrong versions of the loss return on ``(logits, labels)``, with a hint."""
    n = len(labels)
    rows = np.arange(n)
    exact = _reference_cross_entropy(logits, labels)
    top = logits.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(logits - top).sum(axis=1)) + top[:, 0]
    log_p = logits - log_sum[:, None]
    by_batch = logits - np.log(np.exp(logits).sum(axis=0, keepdims=True))
    return [
        (
            n * exact,
            "You summed the losses of the images: the loss of a batch is their mean.",
        ),
        (
            -exact,
            "Wrong sign: the loss is minus the log-probability of the true class, so it is "
            "positive.",
        ),
        (
            float(-logits[rows, labels].mean()),
            "That is the log of an un-normalised score exp(z_y). A probability divides by "
            "the sum of exp(z_k) over all classes, so subtract log sum_k exp(z_k).",
        ),
        (
            float(-by_batch[rows, labels].mean()),
            "You normalised over the images (axis 0). Softmax normalises each image's "
            "scores over the classes (axis 1).",
        ),
        (
            float((log_sum - top[:, 0] - logits[rows, labels]).mean()),
            "You subtracted each row's maximum inside the log-sum-exp but did not add it "
            "back (or did not subtract it from the true-class score too).",
        ),
        (
            float(-log_p.mean()),
            "You averaged minus the log-probability over all classes. Pick each image's "
            "true class: log_p[np.arange(n), labels].",
        ),
        (exact / math.log(10.0), "Use the natural logarithm (np.log), not log10."),
        (exact / math.log(2.0), "Use the natural logarithm (np.log), not log2."),
    ]


def _as_loss(value: object) -> float | CheckResult:
    """The student's return value as one finite-or-not float, or why it is not one."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        return _not_yet("Not yet: the function should return a number (a float).")
    if array.size != 1:
        return _not_yet(
            "Not yet: the function returns one value per image (or an array). The loss of "
            "the batch is a single number: the mean over the images."
        )
    return float(array.reshape(()))


def check_softmax_cross_entropy(student: Callable) -> CheckResult:
    """Exercise 4: the student's ``softmax_cross_entropy(logits, labels)`` on fresh inputs.

    Right means within a relative 1e-6 of the mean cross-entropy
    ``(1/n) sum_i [log sum_k exp(z_ik) - z_{i,y_i}]`` on a batch of 10-class
    logits, on a 7-class batch, and on logits in the thousands (which overflow
    ``np.exp`` unless each row's maximum is subtracted first). A wrong value
    is matched against the common slips (sum instead of mean, un-normalised
    scores, normalising over the wrong axis, log10, ...) and the message says
    what is wrong, never the expected number. A function that raises
    ``NotImplementedError`` or returns ``None`` is "not answered yet".
    """
    if not callable(student):
        return _not_yet(
            "Pass the function itself: check_softmax_cross_entropy(softmax_cross_entropy)."
        )
    cases = _cross_entropy_cases()
    values = {}
    for name, (logits, labels) in cases.items():
        returned, problem = call_student(
            student, logits.copy(), labels.copy(), explain=_explain_failure
        )
        if problem is not None:
            return problem
        value = _as_loss(returned)
        if isinstance(value, CheckResult):
            return value
        values[name] = value

    def right(name: str) -> bool:
        logits, labels = cases[name]
        exact = _reference_cross_entropy(logits, labels)
        return math.isfinite(values[name]) and math.isclose(values[name], exact, rel_tol=1e-6)

    if not right("batch"):
        value = values["batch"]
        for wrong, hint in _cross_entropy_slips(*cases["batch"]):
            if math.isfinite(value) and math.isclose(value, wrong, rel_tol=1e-6):
                return _not_yet(f"Not yet. {hint}")
        return _not_yet(
            "Not yet. Hint: for each image, log-probability of class k = z_k - log sum_j "
            "exp(z_j); the loss is minus that for the true class, averaged over the images."
        )
    if not right("seven"):
        return _not_yet(
            "Not yet: right for 10 classes, wrong for another number of classes. Take the "
            "number of classes from logits.shape instead of writing it in."
        )
    if not right("huge"):
        return _not_yet(
            "Not yet: right for logits of order 1, but for logits in the thousands np.exp "
            "overflows to inf. Subtract each row's maximum before exp and add it back "
            "after the log (log sum exp(z) = m + log sum exp(z - m))."
        )
    return CheckResult(True, True, "Correct, and safe from overflow for very large logits.")
