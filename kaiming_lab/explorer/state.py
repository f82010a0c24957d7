"""The explorer's control values, their allowed ranges and the initialiser presets.

Every range here is the range of the matching control in the app, so a value
the sliders cannot show is refused with a ``ValueError`` that names the
parameter, the value and the allowed range (nothing is silently clamped).
numpy scalars (``np.int64``, ``np.float32``) are accepted wherever Python
numbers are.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .._validation import check_choice, check_float, check_int
from ..activations import Activation, get_activation
from ..weight_draws import _sigma_w2

__all__ = [
    "ACTIVATION_CHOICES",
    "BACKWARD_SAMPLES",
    "BATCH_RANGE",
    "BIAS_RANGE",
    "DEPTH_RANGE",
    "MAX_WIDTH",
    "MULTIPLIER_RANGE",
    "PRESETS",
    "SEED_RANGE",
    "WIDTH_CHOICES",
    "ExplorerState",
    "default_batch",
    "fraction_label",
    "preset_multiplier",
]

#: Depths the explorer shows; every depth is the first layers of the deepest one.
DEPTH_RANGE = (1, 100)
#: Widest layer: 100 layers of ``width x width`` float64 weights are 210 MB at
#: 512, the most a shared class server should be asked to hold or regenerate.
MAX_WIDTH = 512
#: Layer widths offered by the width control.
WIDTH_CHOICES: tuple[int, ...] = (2, 4, 8, 16, 32, 64, 128, 256, 512)
#: Activations offered by the activation control.
ACTIVATION_CHOICES: tuple[str, ...] = ("relu", "leaky_relu", "tanh", "linear")
#: Range of the weight-variance multiplier (relative to ``2 / fan_in``).
MULTIPLIER_RANGE = (0.1, 10.0)
#: Range of the bias variance ``Var(b)``.
BIAS_RANGE = (0.0, 1.0)
#: Range of the seed.
SEED_RANGE = (0, 10**6)
#: Range of the number of inputs pushed through the network.
BATCH_RANGE = (128, 4096)
#: Number of inputs whose gradients are sent back (the first rows of the batch).
BACKWARD_SAMPLES = 128
#: Initialiser presets; ``custom`` leaves the multiplier where it is.
PRESETS: tuple[str, ...] = ("kaiming", "xavier", "pytorch_default", "custom")
_FLOAT_RANGES = {"multiplier": MULTIPLIER_RANGE, "slope": (0.0, 1.0), "bias_variance": BIAS_RANGE}
_INT_RANGES = {
    "depth": DEPTH_RANGE,
    "width": (1, MAX_WIDTH),
    "seed": SEED_RANGE,
    "batch": BATCH_RANGE,
}


def default_batch(width: int) -> int:
    """Inputs per run: ``2**25 / width**2`` between 128 and 512 (512 up to width 256, 128 at 512).

    A layer's product ``x @ W.T`` costs ``batch * width**2`` multiply-adds; this
    keeps it at most ``2**25``, so a width-512 layer costs no more than a
    width-256 one, and still pools 65,536 activations per layer at width 512.
    """
    return min(512, max(BACKWARD_SAMPLES, 2**25 // width**2))


@dataclass(frozen=True)
class ExplorerState:
    """The explorer's control values, checked against the controls' ranges.

    ``multiplier`` scales Kaiming's ``2 / fan_in``: ``Var(W) = multiplier * 2 / width``.
    ``slope`` is used only by ``leaky_relu``. ``batch`` inputs ``x ~ N(0, I)``;
    ``None`` picks :func:`default_batch` for the width.
    """

    depth: int = 50
    multiplier: float = 1.0
    width: int = 256
    activation: str = "relu"
    slope: float = 0.01
    bias_variance: float = 0.0
    seed: int = 0
    batch: int | None = None

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "activation", check_choice("activation", self.activation, ACTIVATION_CHOICES))
        for name, (lo, hi) in _FLOAT_RANGES.items():
            put(self, name, check_float(name, getattr(self, name), minimum=lo, maximum=hi))
        for name, (lo, hi) in _INT_RANGES.items():  # width first: batch's default needs it
            value = getattr(self, name)
            if name == "batch" and value is None:
                value = default_batch(self.width)
            put(self, name, check_int(name, value, minimum=lo, maximum=hi))

    @property
    def sigma_w2(self) -> float:
        """``fan_in * Var(W) = 2 * multiplier``: the ``sigma_w^2`` of the theory."""
        return 2.0 * self.multiplier

    def get_activation(self) -> Activation:
        """The :class:`~kaiming_lab.activations.Activation` these controls select."""
        return get_activation(self.activation, slope=self.slope)


def preset_multiplier(
    preset: str,
    activation: str | Activation = "relu",
    *,
    slope: float = 0.01,
    fan_in: int = 256,
    fan_out: int | None = None,
) -> float:
    """The multiplier of ``2 / fan_in`` that an initialiser preset gives.

    Uses :func:`~kaiming_lab.weight_draws.weight_variance_scale` (``fan_in Var(W)``)
    divided by 2:

    * ``kaiming``: ``1 / (1 + a^2)`` for a leaky ReLU of slope ``a``; 1 for ReLU,
      and also for tanh and linear, where the package (like PyTorch's
      ``kaiming_normal_`` defaults) uses ``a = 0``.
    * ``xavier``: ``fan_in / (fan_in + fan_out)``, 1/2 for square layers.
    * ``pytorch_default`` (``nn.Linear``): ``1/6``, from ``Var(W) = 1 / (3 fan_in)``.

    ``custom`` has no multiplier of its own and raises ``ValueError``.
    """
    preset = check_choice("preset", preset, PRESETS)
    if preset == "custom":
        raise ValueError("preset 'custom' keeps the current multiplier; it has no value of its own")
    if not isinstance(activation, Activation):
        activation = check_choice("activation", activation, ACTIVATION_CHOICES)
    act = get_activation(activation, slope=check_float("slope", slope, minimum=0.0, maximum=1.0))
    fan_in = check_int("fan_in", fan_in)
    fan_out = fan_in if fan_out is None else check_int("fan_out", fan_out)
    return _sigma_w2(preset, fan_in, fan_out, act) / 2.0


def fraction_label(value: float) -> str:
    """``0.5`` -> ``"1/2"``, ``1/6`` -> ``"1/6"``, ``1.0`` -> ``"1"``; else three digits."""
    frac = Fraction(value).limit_denominator(12)
    if frac.numerator and abs(float(frac) / value - 1.0) < 1e-9:
        return str(frac)
    return f"{value:.3g}"
