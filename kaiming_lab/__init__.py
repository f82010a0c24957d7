"""kaiming-lab: the helpers behind the Kaiming initialisation notebooks.

Modules, by concept:

- ``initializers``: Kaiming / Xavier / PyTorch-default weight draws and gains.
- ``activations``: activation functions with derivatives, by name.
- ``propagation``: simulate a random deep network, per-layer statistics.
- ``theory``: predicted per-layer variances, the half-variance integral.
- ``montecarlo``: estimates that carry their standard error.
- ``plots``: figures used by more than one notebook.

Weights are ``(fan_out, fan_in)`` everywhere: the lecture's
``W^(h)`` in R^{d_{h+1} x d_h} and PyTorch's layout. Importing the package
changes no global state.
"""

from .activations import ACTIVATIONS, Activation, get_activation
from .initializers import (
    calculate_gain,
    compute_fans,
    kaiming_normal,
    kaiming_std,
    kaiming_uniform,
    pytorch_linear_default,
    xavier_normal,
    xavier_uniform,
)
from .montecarlo import Estimate, estimate_mean, estimate_variance
from .propagation import INITS, PropagationResult, draw_weights, propagate, simulate_forward
from .theory import (
    HalfVarianceResult,
    fixed_point_gain,
    half_variance_integral,
    predicted_gradient_variances,
    predicted_variances,
    relu_correlation_map,
    relu_mean,
    relu_second_moment,
    second_moment,
)

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "Activation",
    "Estimate",
    "HalfVarianceResult",
    "PropagationResult",
    "__version__",
    "calculate_gain",
    "compute_fans",
    "draw_weights",
    "estimate_mean",
    "estimate_variance",
    "fixed_point_gain",
    "get_activation",
    "half_variance_integral",
    "kaiming_normal",
    "kaiming_std",
    "kaiming_uniform",
    "predicted_gradient_variances",
    "predicted_variances",
    "propagate",
    "pytorch_linear_default",
    "relu_correlation_map",
    "relu_mean",
    "relu_second_moment",
    "second_moment",
    "simulate_forward",
    "xavier_normal",
    "xavier_uniform",
]
