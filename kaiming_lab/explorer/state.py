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
from ..activations import Activation, activation_argument, get_activation
from ..weight_draws import _sigma_w2

#: Each control's range. Every depth is the first layers of the deepest one. The
#: multiplier is of Kaiming's ``2 / fan_in``. The widest layer is 512: 100 layers of
#: ``512 x 512`` float64 weights are 210 MB, the most a class server should hold or draw.
RANGES: dict[str, tuple] = {
    "depth": (1, 100),
    "multiplier": (0.1, 10.0),
    "slope": (0.0, 1.0),
    "bias_variance": (0.0, 1.0),
    "seed": (0, 10**6),
    "width": (1, 512),
    "batch": (128, 4096),  # after width: its default depends on the width
}
#: Layer widths offered by the width control.
WIDTH_CHOICES: tuple[int, ...] = (2, 4, 8, 16, 32, 64, 128, 256, 512)
#: Activations offered by the activation control.
ACTIVATION_CHOICES: tuple[str, ...] = ("relu", "leaky_relu", "tanh", "linear")
#: Number of inputs whose gradients are sent back (the first rows of the batch).
BACKWARD_SAMPLES = 128
#: Initialiser presets; ``custom`` leaves the multiplier where it is.
PRESETS: tuple[str, ...] = ("kaiming", "xavier", "pytorch_default", "custom")


def default_batch(width: int) -> int:
    """Inputs per run: ``2**25 / width**2`` between 128 and 512 (512 up to width 256, 128 at 512).

    A layer's product ``x @ W.T`` costs ``batch * width**2`` multiply-adds; this
    keeps it at most ``2**25``, so a width-512 layer costs no more than a
    width-256 one, and still pools 65,536 activations per layer at width 512.
    """
    return min(512, max(BACKWARD_SAMPLES, 2**25 // width**2))


@dataclass(frozen=True)
class ExplorerState:
    """The explorer's control values, checked against the controls' :data:`RANGES`.

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
        for name, (lo, hi) in RANGES.items():
            value = getattr(self, name)
            if name == "batch" and value is None:
                value = default_batch(self.width)
            check = check_int if isinstance(lo, int) else check_float
            put(self, name, check(name, value, minimum=lo, maximum=hi))

    @property
    def sigma_w2(self) -> float:
        """``fan_in * Var(W) = 2 * multiplier``: the ``sigma_w^2`` of the theory."""
        return 2.0 * self.multiplier

    @property
    def rescalable(self) -> bool:
        """True when a variance move rescales the network exactly (homogeneous, no bias)."""
        return self.get_activation().homogeneous and self.bias_variance == 0.0

    def get_activation(self) -> Activation:
        """The :class:`~kaiming_lab.activations.Activation` these controls select."""
        return get_activation(self.activation, slope=self.slope)


def check_state(state: object) -> ExplorerState:
    """``state`` itself if it is an :class:`ExplorerState`, else a ``TypeError`` naming it."""
    if not isinstance(state, ExplorerState):
        raise TypeError(
            f"state must be an ExplorerState (e.g. ExplorerState(depth=50)), "
            f"got {state!r} of type {type(state).__name__}"
        )
    return state


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
    slope = check_float("slope", slope, minimum=0.0, maximum=1.0)
    fan_in = check_int("fan_in", fan_in)
    fan_out = fan_in if fan_out is None else check_int("fan_out", fan_out)
    return _sigma_w2(preset, fan_in, fan_out, activation_argument(activation, slope=slope)) / 2.0


def fraction_label(value: float) -> str:
    """``0.5`` -> ``"1/2"``, ``1/6`` -> ``"1/6"``, ``1.0`` -> ``"1"``; else three digits."""
    frac = Fraction(value).limit_denominator(12)
    if frac.numerator and abs(float(frac) / value - 1.0) < 1e-9:
        return str(frac)
    return f"{value:.3g}"
