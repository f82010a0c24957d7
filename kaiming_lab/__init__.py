"""kaiming-lab: the helpers behind the Kaiming initialisation notebooks.

The tree shows three kinds of code:

- **the library** (this package's top level, reusable by anyone):
  ``initializers`` (Kaiming / Xavier / PyTorch-default draws and gains),
  ``activations`` (activation functions with derivatives), ``fan_modes``
  (forward and backward variances under the fan_in or fan_out rule), ``variance``
  (predicted per-layer variances, forwards and backwards), ``half_variance``
  (the half-variance integral by quadrature), ``gains`` (length map, fixed
  points, chi_1, edge of chaos, the order-chaos diagram), ``correlation`` (the
  correlation map), ``finite_width`` (one network's spread at finite width),
  ``propagation`` (simulate a random deep network), ``streams`` (one random
  stream per layer of a seeded network, so depths nest), ``montecarlo`` (estimates that carry
  their standard error), ``ensembles`` (many independent networks),
  ``diagnostics`` (per-layer summaries), ``mlp``, ``optimizers``, ``training``
  and ``data`` (a numpy plain ReLU net, SGD with momentum and Adam, the training
  loop, and scikit-learn's bundled digits) and ``style``
  (the course's figure style, applied only when asked);
- **lessons/**: one notebook's scaffolding (its exercise checks, figures and
  computations), one module per notebook;
- **explorer/**: the interactive explorer app of notebook 06 and the dashboard.

Weights are ``(fan_out, fan_in)`` everywhere: the lecture's
``W^(h)`` in R^{d_{h+1} x d_h} and PyTorch's layout. Importing the package
changes no global state.

Bad input raises ``TypeError`` or ``ValueError`` naming the parameter, the
value and what is allowed; numpy scalars count as numbers and booleans, and
names (activations, initialisers, modes) ignore case. Requests that would need
more than 2 GiB (pass ``memory_budget=<bytes>`` to change it) or more than
100,000 layers are refused before anything is allocated. Extreme but valid
settings return a result that says what happened (``overflow_layer``,
``diverged_at_epoch``, ``inf`` predictions) without warnings.
"""

from .activations import ACTIVATIONS, Activation, get_activation
from .correlation import correlation_map, relu_correlation_map
from .data import DigitsSplit, load_digits_split
from .fan_modes import backward_variances, forward_variances, layout_fans, simulate_passes
from .finite_width import finite_width_second_moment
from .gains import (
    chi1,
    chi1_grid,
    edge_of_chaos_curve,
    edge_of_chaos_gain,
    fixed_point,
    fixed_point_gain,
    gain_table,
    length_map,
    variance_preserving_gain,
)
from .half_variance import HalfVarianceResult, half_variance_integral, relu_second_moment
from .initializers import (
    calculate_gain,
    compute_fans,
    he_truncated_normal,
    kaiming_normal,
    kaiming_std,
    kaiming_uniform,
    pytorch_linear_default,
    truncated_normal_std,
    xavier_normal,
    xavier_uniform,
)
from .mlp import plain_widths
from .montecarlo import Estimate, estimate_mean, estimate_variance
from .propagation import INITS, PropagationResult, draw_weights, propagate, simulate_forward
from .streams import NetworkStreams
from .training import TrainingHistory, gradient_norms_at_init, starting_params, train
from .variance import (
    predicted_gradient_variances,
    predicted_variances,
    relu_mean,
    second_moment,
)

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "Activation",
    "DigitsSplit",
    "Estimate",
    "HalfVarianceResult",
    "NetworkStreams",
    "PropagationResult",
    "TrainingHistory",
    "__version__",
    "backward_variances",
    "calculate_gain",
    "chi1",
    "chi1_grid",
    "compute_fans",
    "correlation_map",
    "draw_weights",
    "edge_of_chaos_curve",
    "edge_of_chaos_gain",
    "estimate_mean",
    "estimate_variance",
    "finite_width_second_moment",
    "fixed_point",
    "fixed_point_gain",
    "forward_variances",
    "gain_table",
    "get_activation",
    "gradient_norms_at_init",
    "half_variance_integral",
    "he_truncated_normal",
    "kaiming_normal",
    "kaiming_std",
    "kaiming_uniform",
    "layout_fans",
    "length_map",
    "load_digits_split",
    "plain_widths",
    "predicted_gradient_variances",
    "predicted_variances",
    "propagate",
    "pytorch_linear_default",
    "relu_correlation_map",
    "relu_mean",
    "relu_second_moment",
    "second_moment",
    "simulate_forward",
    "simulate_passes",
    "starting_params",
    "train",
    "truncated_normal_std",
    "variance_preserving_gain",
    "xavier_normal",
    "xavier_uniform",
]
