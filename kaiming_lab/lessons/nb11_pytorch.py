"""Scaffolding for ``notebooks/11_kaiming_in_pytorch.ipynb`` (needs PyTorch).

What the notebook uses more than once: a forward-hook recorder of per-layer
statistics, the update-to-data ratio, plain nets built from a list of widths,
a small training loop that watches them, LSUV, the trainability grid of tanh
nets and its depth scale, and the checks of its exercises. The functions that
draw random numbers take a ``seed`` for their own ``torch.Generator``, except
:func:`plain_net`, whose layers draw PyTorch's default initialisation from its
global generator (seed it first with ``torch.manual_seed``, as notebook 11
does). The notebook sets one thread (``torch.set_num_threads(1)``); this
module changes no global state.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .. import style
from ..gains import chi1, fixed_point
from ..variance import gaussian_expectation
from .checks import CheckResult, call_student, close, judge_number

__all__ = [
    "SATURATION",
    "HookRecorder",
    "TrainLog",
    "check_conv_fan_in",
    "check_forward_hook",
    "check_update_ratio",
    "depth_scale",
    "digit_tensors",
    "layer_stats",
    "lsuv_",
    "plain_net",
    "plot_histograms",
    "plot_per_layer",
    "residual_growth",
    "train_watch",
    "trainability_grid",
    "update_to_data_ratio",
]

#: Karpathy's threshold for a saturated tanh unit: ``|h| > 0.97``, where tanh' < 0.06.
SATURATION = 0.97


# --------------------------------------------------------------------------- statistics


def layer_stats(output: torch.Tensor) -> dict[str, float]:
    """Mean, std (``n - 1``), fraction of exact zeros and of ``|h| > 0.97`` of one tensor."""
    h = output.detach().double()
    return {
        "mean": h.mean().item(),
        "std": h.std().item(),
        "zeros": (h == 0).double().mean().item(),
        "saturated": (h.abs() > SATURATION).double().mean().item(),
    }


def update_to_data_ratio(weight: torch.Tensor, grad: torch.Tensor, lr: float) -> float:
    """``std(lr * grad) / std(weight)``: how much one plain SGD step changes a weight tensor.

    Karpathy's diagnostic: the size of the step against the size of what it
    changes, per layer. It is ``lr * std(grad) / std(weight)``; for plain SGD
    (no momentum, no weight decay) the step is exactly ``-lr * grad``.
    """
    return (lr * grad.detach().double()).std().item() / weight.detach().double().std().item()


class HookRecorder:
    """Record :func:`layer_stats` of chosen modules' outputs with forward hooks.

    ``HookRecorder({"relu 1": module, ...})`` registers one
    ``register_forward_hook`` per module; every forward pass appends one dict
    per module to ``records[name]``. ``last(key)`` is the array of the latest
    pass's ``key`` over the modules, in the order given. Use it as a context
    manager (or call :meth:`remove`) so the hooks do not outlive the
    measurement.
    """

    def __init__(self, modules: dict[str, nn.Module]) -> None:
        if not modules:
            raise ValueError("modules must name at least one module, got an empty dict")
        self.names = list(modules)
        self.records: dict[str, list[dict[str, float]]] = {name: [] for name in modules}
        self._handles = [
            module.register_forward_hook(self._hook(name)) for name, module in modules.items()
        ]

    def _hook(self, name: str) -> Callable:
        def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            self.records[name].append(layer_stats(output))

        return hook

    def last(self, key: str) -> np.ndarray:
        """The latest forward pass's ``key`` (mean, std, zeros, saturated) per module."""
        return np.array([self.records[name][-1][key] for name in self.names])

    def clear(self) -> None:
        for values in self.records.values():
            values.clear()

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> HookRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


# --------------------------------------------------------------------------- data and nets


def digit_tensors(data, *, size: int | None = None) -> tuple[torch.Tensor, ...]:
    """``(X_train, y_train, X_test, y_test)`` of a :class:`~kaiming_lab.DigitsSplit` as tensors.

    ``size=None``: flat float32 rows of 64 pixels. ``size=s``: images of
    shape ``(n, 1, s, s)``, the 8x8 digits upsampled bilinearly.
    """
    out = []
    for X, y in ((data.X_train, data.y_train), (data.X_test, data.y_test)):
        x = torch.tensor(X, dtype=torch.float32)
        if size is not None:
            x = x.reshape(-1, 1, 8, 8)
            x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
        out += [x, torch.tensor(y, dtype=torch.long)]
    return tuple(out)


ACTIVATION_MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh}
NORMS = {None: None, "batch": nn.BatchNorm1d, "layer": nn.LayerNorm}


def plain_net(
    widths: Sequence[int], activation: str = "relu", *, norm: str | None = None
) -> nn.Sequential:
    """``Linear -> [norm] -> activation`` for each hidden layer, then a last ``Linear``.

    ``widths = [64, 64, ..., 10]`` as in notebook 07 (PyTorch's default
    initialisation; re-draw the weights with ``torch.nn.init``). ``norm`` is
    ``None``, ``"batch"`` (BatchNorm1d) or ``"layer"`` (LayerNorm), placed
    before the activation.
    """
    if activation not in ACTIVATION_MODULES:
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATION_MODULES)}, got {activation!r}"
        )
    if norm not in NORMS:
        raise ValueError(f"norm must be None, 'batch' or 'layer', got {norm!r}")
    if len(widths) < 2 or any(int(w) < 1 for w in widths):
        raise ValueError(f"widths must be at least two positive integers, got {widths!r}")
    layers: list[nn.Module] = []
    for h, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
        layers.append(nn.Linear(fan_in, fan_out))
        if h < len(widths) - 2:
            if norm is not None:
                layers.append(NORMS[norm](fan_out))
            layers.append(ACTIVATION_MODULES[activation]())
    return nn.Sequential(*layers)


def linears(model: nn.Module) -> list[nn.Linear]:
    """The model's ``nn.Linear`` layers, first to last."""
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def activations(model: nn.Module) -> dict[str, nn.Module]:
    """The model's activation modules, named ``"1", "2", ...`` from the bottom (for hooks)."""
    kinds = tuple(ACTIVATION_MODULES.values())
    found = [m for m in model.modules() if isinstance(m, kinds)]
    return {str(i + 1): m for i, m in enumerate(found)}


# --------------------------------------------------------------------------- training


@dataclass
class TrainLog:
    """What :func:`train_watch` recorded: per epoch, and per watched step and layer."""

    train_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    update_ratio: list[np.ndarray] = field(default_factory=list)
    grad_std: list[np.ndarray] = field(default_factory=list)
    act_std: list[np.ndarray] = field(default_factory=list)
    saturated: list[np.ndarray] = field(default_factory=list)


def train_watch(
    model: nn.Module,
    tensors: tuple[torch.Tensor, ...],
    *,
    optimizer: str = "sgd",
    lr: float,
    momentum: float = 0.0,
    epochs: int = 1,
    batch_size: int = 32,
    seed: int = 0,
    watch_every: int = 0,
) -> TrainLog:
    """Train ``model`` on ``(X_train, y_train, X_test, y_test)`` with cross-entropy.

    ``optimizer``: ``"sgd"`` (with ``momentum``, PyTorch's form) or
    ``"adam"``. The batch order comes from ``torch.Generator`` seeded with
    ``seed``. Every ``watch_every`` steps (0: never) it records, per
    ``nn.Linear``, the update-to-data ratio ``std(step) / std(weight)`` of the
    step actually taken (the weight before and after), the std of the weight
    gradient, and per activation module its output's std and saturated
    fraction (from a :class:`HookRecorder`).
    """
    X, y, X_test, y_test = tensors
    params = list(model.parameters())
    if optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=momentum)
    elif optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr)
    else:
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    gen = torch.Generator().manual_seed(seed)
    layers = linears(model)
    log = TrainLog()
    step = 0
    with HookRecorder(activations(model) or {"out": model}) as rec:
        for _ in range(epochs):
            model.train()
            total, count = 0.0, 0
            for idx in torch.randperm(len(X), generator=gen).split(batch_size):
                watch = watch_every > 0 and step % watch_every == 0
                loss = F.cross_entropy(model(X[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                if watch:
                    before = [m.weight.detach().clone() for m in layers]
                    log.grad_std.append(np.array([m.weight.grad.std().item() for m in layers]))
                    log.act_std.append(rec.last("std"))
                    log.saturated.append(rec.last("saturated"))
                opt.step()
                if watch:
                    log.steps.append(step)
                    log.update_ratio.append(
                        np.array(
                            [
                                (m.weight.detach() - w0).std().item() / w0.std().item()
                                for m, w0 in zip(layers, before, strict=True)
                            ]
                        )
                    )
                total += loss.item() * len(idx)
                count += len(idx)
                step += 1
            rec.clear()
            log.train_loss.append(total / count)
            log.test_accuracy.append(accuracy(model, X_test, y_test))
    return log


def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of ``X`` classified as ``y`` (evaluation mode, no gradients)."""
    model.eval()
    with torch.no_grad():
        return (model(X).argmax(dim=1) == y).double().mean().item()


# --------------------------------------------------------------------------- LSUV


def lsuv_(
    model: nn.Module, batch: torch.Tensor, *, tol: float = 1e-3, max_iter: int = 10, seed: int = 0
) -> list[int]:
    """LSUV (Mishkin and Matas 2016), in place: orthonormal weights, then unit output variance.

    Each ``nn.Linear``, bottom to top: draw an orthonormal weight
    (``torch.nn.init.orthogonal_``), zero the bias, then divide the weight by
    the std of the layer's output on ``batch`` until that std is within
    ``tol`` of 1 (at most ``max_iter`` times). Returns the iterations each
    layer used. The last layer (the logits) is scaled like the others.
    """
    gen = torch.Generator().manual_seed(seed)
    used = []
    with torch.no_grad():
        for layer in linears(model):
            nn.init.orthogonal_(layer.weight, generator=gen)
            nn.init.zeros_(layer.bias)
            store: list[float] = []
            handle = layer.register_forward_hook(
                lambda m, i, o, store=store: store.append(o.std().item())
            )
            try:
                while True:
                    model(batch)
                    if abs(store[-1] - 1.0) < tol or len(store) == max_iter:
                        break
                    layer.weight /= store[-1]
                used.append(len(store))
            finally:
                handle.remove()
    return used


# --------------------------------------------------------------------------- trainability


def depth_scale(sigma_w2: float) -> float:
    """Schoenholz et al.'s correlation depth scale ``xi_c = -1 / ln chi_c`` of bias-free tanh.

    Ordered side (``sigma_w^2 < 1``): the length map's fixed point is
    ``q* = 0`` and the correlation map's slope at ``c* = 1`` is
    ``chi_1 = sigma_w^2 E[tanh'(0)^2] = sigma_w^2`` (:func:`kaiming_lab.chi1`).
    Chaotic side (``sigma_w^2 > 1``): ``q* > 0`` and, tanh being odd, the
    stable correlation is ``c* = 0``, where the slope is
    ``chi_c = sigma_w^2 E[tanh'(sqrt(q*) z)]^2``. ``inf`` at the edge
    ``sigma_w^2 = 1``.
    """
    gain = math.sqrt(sigma_w2)
    if sigma_w2 < 1:
        chi = chi1("tanh", gain, 0.0)
    elif sigma_w2 == 1:
        return math.inf
    else:
        q_star = fixed_point("tanh", gain)
        chi = sigma_w2 * gaussian_expectation(lambda z: 1 - np.tanh(z) ** 2, q_star) ** 2
    return -1.0 / math.log(chi)


def trainability_grid(
    tensors: tuple[torch.Tensor, ...],
    sigma_w2s: Sequence[float],
    depths: Sequence[int],
    *,
    width: int = 32,
    steps: int = 300,
    lr: float = 0.01,
    batch_size: int = 64,
    seed: int = 0,
) -> np.ndarray:
    """Test accuracy of bias-free tanh nets after ``steps`` of SGD, ``[depth, sigma_w2]``.

    One net per cell: ``depth`` weight layers (``depth - 1`` hidden tanh
    layers of ``width``), weights ``N(0, sigma_w^2 / fan_in)``, trained with
    plain SGD (``lr``, momentum 0.9) on the same batches. All the nets of one
    depth train together as one batched computation (``torch.bmm``), each on
    its own weights.
    """
    X, y, X_test, y_test = tensors
    n_in, n_out = X.shape[1], int(y.max()) + 1
    scale = torch.tensor(sigma_w2s, dtype=torch.float32).sqrt()
    g = len(sigma_w2s)
    result = np.zeros((len(depths), g))
    for row, depth in enumerate(depths):
        gen = torch.Generator().manual_seed(seed)
        widths = [n_in] + [width] * (depth - 1) + [n_out]
        weights = []
        for fan_in, fan_out in itertools.pairwise(widths):
            w = torch.randn(1, fan_in, fan_out, generator=gen) / math.sqrt(fan_in)
            weights.append((w * scale[:, None, None]).requires_grad_())
        opt = torch.optim.SGD(weights, lr=lr, momentum=0.9)

        def logits(x: torch.Tensor, weights: list[torch.Tensor] = weights) -> torch.Tensor:
            h = x.expand(g, *x.shape)
            for i, w in enumerate(weights):
                h = torch.bmm(h, w)
                if i < len(weights) - 1:
                    h = torch.tanh(h)
            return h

        for _ in range(steps):
            idx = torch.randint(len(X), (batch_size,), generator=gen)
            out = logits(X[idx])
            loss = F.cross_entropy(out.reshape(-1, n_out), y[idx].repeat(g), reduction="sum")
            opt.zero_grad()
            (loss / batch_size).backward()
            opt.step()
        with torch.no_grad():
            pred = logits(X_test).argmax(dim=2)
            result[row] = (pred == y_test).double().mean(dim=1).numpy()
    return result


# --------------------------------------------------------------------------- exercise checks

_CORRECT = CheckResult(True, True, "Correct.")


def _close(a: float, b: float) -> bool:
    return close(a, b, 1e-3)


def check_forward_hook(make_hook: Callable) -> CheckResult:
    """Exercise: ``make_hook(store)`` returns a forward hook appending ``(std, zero_fraction)``.

    The check registers the hook on the ReLU of a fresh ``Linear -> ReLU``,
    runs a batch, and compares what was appended with the output's std and
    its fraction of exact zeros.
    """
    gen = torch.Generator().manual_seed(11)
    net = nn.Sequential(nn.Linear(20, 300), nn.ReLU())
    with torch.no_grad():
        net[0].weight.copy_(torch.randn(300, 20, generator=gen) * 0.3)
        net[0].bias.fill_(-0.2)
    x = torch.randn(64, 20, generator=gen)
    store: list = []
    hook, failed = call_student(make_hook, store)
    if failed is not None:
        return failed
    if not callable(hook):
        return CheckResult(False, True, "Not yet: make_hook should return a function (the hook).")
    handle = net[1].register_forward_hook(hook)
    try:
        _, failed = call_student(lambda: net(x) is not None or None)
    finally:
        handle.remove()
    if failed is not None:
        return failed
    if len(store) != 1:
        return CheckResult(
            False, True, f"Not yet: after one forward pass store holds {len(store)} items, not 1."
        )
    try:
        std, zeros = (float(v) for v in store[0])
    except (TypeError, ValueError):
        return CheckResult(False, True, "Not yet: append a pair of numbers (std, zero_fraction).")
    out = net(x).detach()
    true_std, true_zeros = out.std().item(), (out == 0).float().mean().item()
    if not (_close(std, true_std) or _close(std, out.std(correction=0).item())):
        if _close(std, true_std**2):
            return CheckResult(False, True, "Not yet: that is the variance; take its square root.")
        if _close(std, out.mean().item()):
            return CheckResult(False, True, "Not yet: that is the mean, not the std.")
        return CheckResult(False, True, "Not yet: the std is off; use the hook's output tensor.")
    if not _close(zeros, true_zeros):
        if _close(zeros, 1 - true_zeros):
            return CheckResult(False, True, "Not yet: that is the fraction of non-zero outputs.")
        return CheckResult(False, True, "Not yet: the zero fraction is off; compare output == 0.")
    return _CORRECT


def _conv_weight_shapes() -> list[tuple[int, ...]]:
    return [(16, 3, 3, 3), (32, 16, 5, 5), (8, 4, 1, 1), (6, 2, 3, 7), (10, 12, 4)]


def check_conv_fan_in(conv_fan_in: Callable) -> CheckResult:
    """Exercise: ``conv_fan_in(weight)`` is ``c_in * k_1 * k_2 * ...`` of a conv weight.

    Checked on conv weights of several shapes ``(c_out, c_in, k...)``,
    including a non-square kernel and a 1-D convolution.
    """
    for shape in _conv_weight_shapes():
        weight = torch.empty(shape)
        value, failed = call_student(conv_fan_in, weight)
        if failed is not None:
            return failed
        kernel = math.prod(shape[2:])
        where = f"for a weight of shape {tuple(shape)}"
        try:
            value = float(value)
        except (TypeError, ValueError):
            return CheckResult(False, True, f"Not yet ({where}): return a number.")
        if value == shape[1] * kernel:
            continue
        if value == shape[0] * kernel:
            why = "that is fan_out: fan_in counts the input channels, the weight's dimension 1."
        elif value == shape[1]:
            why = "each output also sums over the kernel's positions: multiply by its size."
        elif value == kernel:
            why = "the kernel is applied to every input channel: multiply by c_in."
        elif value == math.prod(shape):
            why = "that counts every weight; leave out the output channels."
        else:
            why = "fan_in = (input channels) x (kernel positions)."
        return CheckResult(False, True, f"Not yet ({where}): {why}")
    return _CORRECT


def check_update_ratio(ratio: Callable) -> CheckResult:
    """Exercise: ``ratio(weight, grad, lr)`` is ``std(lr * grad) / std(weight)``."""
    gen = torch.Generator().manual_seed(3)
    for shape, lr, shift in (((64, 32), 0.01, 0.0), ((10, 64), 0.5, 0.3)):
        weight = torch.randn(shape, generator=gen) * 0.2 + shift
        grad = torch.randn(shape, generator=gen) * 0.05 + 0.01
        value, failed = call_student(ratio, weight, grad, lr)
        if failed is not None:
            return failed
        try:
            value = float(value)
        except (TypeError, ValueError):
            return CheckResult(False, True, "Not yet: return a single number.")
        exact = update_to_data_ratio(weight, grad, lr)
        g_std, w_std = grad.std().item(), weight.std().item()
        slips = [
            (g_std / w_std, "the step is lr times the gradient: multiply by lr."),
            (w_std / (lr * g_std), "the ratio is upside down: the step over the weight."),
            (exact**2, "that is a ratio of variances; use standard deviations."),
            (
                (lr * grad).norm().item() / weight.norm().item(),
                "norms include the mean; the rule of thumb uses standard deviations.",
            ),
        ]
        verdict = judge_number(
            value,
            exact,
            slips,
            where=f"for a {shape[0]}x{shape[1]} weight",
            hint="std(lr * grad) / std(weight).",
            rel=1e-3,
        )
        if verdict is not None:
            return verdict
    return _CORRECT


# --------------------------------------------------------------------------- residual branches


def residual_growth(
    n_blocks: int, branch_scale: float, *, width: int = 256, batch: int = 512, seed: int = 0
) -> np.ndarray:
    """``E[x_l^2] / E[x_0^2]`` after each of ``n_blocks`` blocks ``x + s W2 ReLU(W1 x)``.

    ``W1 ~ N(0, 2/width)`` (Kaiming for ReLU), ``W2 ~ N(0, 1/width)`` (Kaiming
    for a linear output) times ``s = branch_scale``: ``s = 1`` unscaled,
    ``s = 1/sqrt(2N)`` GPT-2's scaling, ``s = 0`` a zero-initialised last
    layer (Fixup, torchvision's ``zero_init_residual``). The branch adds
    ``s^2 E[x^2]`` on average, so the prediction is ``(1 + s^2)^l``. Inputs
    ``N(0, 1)``; mean squares over the batch and the units.
    """
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, width, generator=gen, dtype=torch.float64)
    start = x.pow(2).mean().item()
    out = []
    for _ in range(n_blocks):
        w1 = torch.randn(width, width, generator=gen, dtype=torch.float64) * math.sqrt(2 / width)
        w2 = torch.randn(width, width, generator=gen, dtype=torch.float64) / math.sqrt(width)
        x = x + branch_scale * torch.relu(x @ w1.T) @ w2.T
        out.append(x.pow(2).mean().item() / start)
    return np.array(out)


# --------------------------------------------------------------------------- plots


#: Per-layer line styles: the course palette's colours with at least 3:1 contrast on white
#: (blue, vermillion, bluish green, reddish purple, black), each with its own line style.
LAYER_COLOURS: tuple[str, ...] = tuple(style.PALETTE[i] for i in (0, 1, 2, 3, 6))
LAYER_LINESTYLES: tuple = tuple(style.LINESTYLES[:5])
#: The output layer: dark grey, dotted, so it reads as "not a hidden layer".
OUTPUT_STYLE: dict = {"color": "0.35", "ls": (0, (1, 1))}


def layer_style(j: int, n_layers: int, *, output_last: bool = False) -> dict:
    """Colour, line style and label of layer ``j`` (0-based) of ``n_layers``.

    The same layer gets the same style in every panel. With ``output_last``
    the last layer is the network's output layer: grey, dotted, labelled
    "layer n (output)".
    """
    if output_last and j == n_layers - 1:
        return {**OUTPUT_STYLE, "label": f"layer {j + 1} (output)"}
    k = j % len(LAYER_COLOURS)
    return {"color": LAYER_COLOURS[k], "ls": LAYER_LINESTYLES[k], "label": f"layer {j + 1}"}


def plot_per_layer(
    values: np.ndarray,
    x: Sequence[float] | None = None,
    *,
    ax=None,
    log=False,
    output_last: bool = False,
):
    """One line per layer (columns of ``values``), styled by :func:`layer_style`."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    values = np.asarray(values, dtype=float)
    x = np.arange(len(values)) if x is None else np.asarray(x)
    n = values.shape[1]
    for j in range(n):
        ax.plot(x, values[:, j], **layer_style(j, n, output_last=output_last))
    if log:
        ax.set_yscale("log")
    return ax


def plot_histograms(tensors: Sequence[torch.Tensor], *, ax=None, bins: int = 60, span=None):
    """The distribution of each tensor's entries as a line (a density), styled per layer."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    for j, t in enumerate(tensors):
        values = t.detach().double().flatten().numpy()
        density, edges = np.histogram(values, bins=bins, range=span, density=True)
        ax.plot(0.5 * (edges[1:] + edges[:-1]), density, **layer_style(j, len(tensors)))
    return ax


def outputs_and_gradients(
    net: nn.Module, x: torch.Tensor, y: torch.Tensor
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Each activation module's output on ``x``, and each hidden layer's weight gradient.

    One forward pass with a temporary forward hook per activation, then one
    backward pass of the cross-entropy on ``(x, y)``; the net's gradients are
    zeroed first and hold this pass's gradients afterwards. The gradients are
    those of every ``nn.Linear`` but the last (the hidden layers).
    """
    outputs: list[torch.Tensor] = []
    hooks = [
        m.register_forward_hook(lambda m, i, o: outputs.append(o.detach()))
        for m in activations(net).values()
    ]
    try:
        net.zero_grad()
        F.cross_entropy(net(x), y).backward()
    finally:
        for h in hooks:
            h.remove()
    return outputs, [m.weight.grad.detach().clone() for m in linears(net)[:-1]]


def plot_layer_histograms(
    nets: dict[str, nn.Module],
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    when: str,
    same_gradient_range: bool = True,
):
    """A 2 x len(nets) figure: tanh outputs (top) and weight gradients (bottom) per hidden layer.

    One column per net, titled by its name and ``when`` (e.g. "step 0"). The
    top row shares its axes. With ``same_gradient_range`` the bottom row shares
    the first column's x range and the y axis (to compare the nets' gradient
    sizes); without it each gradient panel has its own ranges (to see each
    net's shape when the sizes differ by orders of magnitude).
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(2, len(nets), figsize=(9, 6.5), squeeze=False)
    for col, (name, net) in enumerate(nets.items()):
        outputs, grads = outputs_and_gradients(net, x, y)
        plot_histograms(outputs, ax=axes[0, col], span=(-1, 1))
        plot_histograms(grads, ax=axes[1, col])
        axes[0, col].set_title(f"{name}, {when}")
        axes[0, col].set_xlabel("tanh output h")
        axes[1, col].set_xlabel("weight gradient")
        axes[1, col].xaxis.set_major_locator(MaxNLocator(4, symmetric=True))
        if col > 0:
            axes[0, col].sharey(axes[0, 0])
            if same_gradient_range:
                axes[1, col].sharey(axes[1, 0])
                axes[1, col].set_xlim(axes[1, 0].get_xlim())
    axes[0, 0].set_ylabel("density")
    axes[1, 0].set_ylabel("density")
    style.legend_outside(axes[0, -1])
    return fig
