"""Adversarial input for every public entry point: a clear TypeError or ValueError, nothing else.

Every callable in ``kaiming_lab.__all__`` and in ``kaiming_lab.explorer.__all__``
has a case here (a test fails when one has none), and so do the public helpers
of ``diagnostics`` and ``ensembles``. For each parameter a catalogue of bad
values (wrong types, NaN and infinities, out-of-range numbers, booleans where
numbers belong, strings, ``None``, wrong shapes, sizes that overflow or exceed
the memory budget) is substituted into an otherwise valid call, which must

* raise ``TypeError`` or ``ValueError`` (not ``IndexError``, ``OverflowError``,
  ``ZeroDivisionError``, ``MemoryError``, ...),
* name the parameter in the message, and
* emit no warning.

A hypothesis section then draws random bad numbers, sizes and names. Speed is
not tested here (a loaded machine would make it flaky); the refusal of
oversized requests before allocating is tested by memory in test_robustness.py.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import kaiming_lab as kl
import kaiming_lab.explorer as ex
from kaiming_lab import diagnostics, ensembles

NAN, INF = math.nan, math.inf

# ------------------------------------------------------------ catalogues of bad values

# fmt: off
#: not a positive integer (sizes, depths, counts)
BAD_POSITIVE_INT = [
    0, -1, -(10**20), 1.5, 3.0, np.float64(3.0), True, np.bool_(True), "3", b"3", None, NAN,
    INF, [3], (3,), np.array([3]), 1 + 2j,
]
#: not a non-negative integer (seeds)
BAD_SEED = [-1, 1.5, "0", True, np.bool_(False), NAN, [0, 1], {"seed": 0}, 2.0]
#: not a finite real number >= 0
BAD_NONNEGATIVE = [-1.0, -1e-300, NAN, INF, -INF, "0.5", True, np.bool_(True), [1.0], 1j]
#: not a finite real number (any sign allowed)
BAD_REAL = [NAN, INF, -INF, "1", True, np.bool_(False), [1.0], 1j, {}]
#: not a strictly positive finite real number
BAD_POSITIVE = [0.0, -1.0, NAN, INF, "2", True, None, [2.0]]
#: not one of the names
BAD_NAME = ["", "nope", "re lu", 3, None, True, ["relu"], b"relu", 1.0]
#: not True or False
BAD_BOOL = ["no", "False", 1, 0, None, 1.0, [True]]
#: not a weight shape (the first ten are wrong in form, the last three too large)
BAD_SHAPE = [
    (), (5,), (0, 3), (3, -1), (3.0, 3), (3, True), "33", None, 3, np.zeros((2, 2), dtype=int),
    (10**10, 10**10), (2**40, 2**40, 2**40), (10**200, 10**200),
]
#: not a list of layer widths
BAD_WIDTHS = [
    [], [4], [4, 0, 3], [4, -2, 3], [4, 2.5, 3], [4, True, 3], "4,8,3", None, 4, [4, None, 3],
    np.zeros((2, 2), dtype=int),
]
#: not a finite 2-D real array
BAD_MATRIX = [
    None, "abc", 3.0, [], [1.0, 2.0], [[1.0, 2.0], [3.0]], np.array([["a", "b"]]),
    np.full((2, 4), NAN), np.full((2, 4), INF), np.ones((2, 4)) * 1j, np.zeros((2, 4, 1)),
]
#: not a frozen continuous scipy distribution
BAD_DIST = [
    "normal", None, 3.0, stats.norm, stats.poisson(3.0), stats.norm(np.array([0.0, 1.0]), 1.0),
    stats.norm(0.0, NAN), stats.norm(INF, 1.0),
]
#: not an array of finite real numbers >= 0 (grids of variances)
BAD_NONNEGATIVE_ARRAY = [
    -1.0, [1.0, -1e-300], NAN, [1.0, INF], "0.5", True, np.bool_(True), 1j, None,
    [[1.0], [1.0, 2.0]],
]
#: not a memory budget
BAD_BUDGET = [0, -5, 1.5, "2GB", True, NAN]
# fmt: on
#: what every drawing function is also given
BAD_DRAW = {"rng": BAD_SEED, "memory_budget": BAD_BUDGET}


# ------------------------------------------------------------------ fixtures of valid input


def _valid_x() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((3, 4))


def _valid_weights() -> list[np.ndarray]:
    return kl.draw_weights([4, 5, 2], rng=0)


def _digits_like() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return (
        rng.standard_normal((12, 4)),
        rng.integers(0, 3, 12),
        rng.standard_normal((6, 4)),
        rng.integers(0, 3, 6),
    )


X_TRAIN, Y_TRAIN, X_TEST, Y_TEST = _digits_like()
RUN = kl.simulate_forward(3, 4, batch=2, seed=0)
ENSEMBLE = ensembles.simulate_networks(3, depth=3, width=4, batch=2, seed=0)
HISTORY = kl.train([4, 5, 3], X_TRAIN, Y_TRAIN, X_TEST, Y_TEST, epochs=1)
ESTIMATE = kl.Estimate(1.0, 0.1, 10)
STATE = ex.ExplorerState(depth=3, width=8)

#: Public callables with no case, and why.
NOT_FUZZED = {
    "DigitsSplit": "returned by load_digits_split (fuzzed); its properties take no arguments"
}


@dataclass(frozen=True)
class Spec:
    """One public callable: how to call it validly, and what to try on each parameter."""

    func: Callable[..., object]
    good: dict
    bad: dict  # parameter name -> list of bad values
    name: str = ""  # only for the lambdas below: a function, class or method has its own name

    @property
    def label(self) -> str:
        """``simulate_forward``, ``Estimate``, or ``Estimate.format`` for a bound method."""
        return self.name or self.func.__qualname__


SPECS = [
    Spec(
        kl.finite_width_second_moment,
        {"widths": [32, 32]},
        {
            "widths": [
                [],
                [0],
                [4, -2],
                [4, 2.5],
                [4, True],
                "4,8",
                None,
                [4, None],
                0,
                -3,
                2.5,
                True,
            ]
        },
    ),
    Spec(
        kl.correlation_map,
        {"activation": "tanh", "c": 0.5, "sigma_w2": 2.0},
        {
            "activation": BAD_NAME,
            "c": [NAN, INF, 1.5, -1.5, [0.5, 1.5], "0.5", None, True, 1j],
            "sigma_w2": BAD_NONNEGATIVE,
            "sigma_b2": BAD_NONNEGATIVE,
            "nodes": BAD_POSITIVE_INT,
        },
    ),
    Spec(
        kl.chi1_grid,
        {"activation": "tanh", "sigma_w2": 2.0},
        {
            "activation": BAD_NAME,
            "sigma_w2": BAD_NONNEGATIVE_ARRAY,
            "sigma_b2": BAD_NONNEGATIVE_ARRAY,
        },
    ),
    Spec(
        kl.edge_of_chaos_curve,
        {"activation": "tanh", "sigma_b2": 0.1},
        {"activation": BAD_NAME, "sigma_b2": BAD_NONNEGATIVE_ARRAY},
    ),
    *[
        Spec(f, {"widths": [8, 16, 4], "mode": "fan_in"}, {"widths": BAD_WIDTHS, "mode": BAD_NAME})
        for f in (kl.forward_variances, kl.backward_variances)
    ],
    Spec(
        kl.layout_fans,
        {"shape": (3, 4), "layout": "keras"},
        {"shape": BAD_SHAPE[:10], "layout": BAD_NAME},
    ),
    Spec(
        kl.simulate_passes,
        {"widths": [4, 6, 3], "n_networks": 3, "batch": 2, "seed": 0},
        {
            "widths": BAD_WIDTHS,
            "mode": BAD_NAME,
            "n_networks": BAD_POSITIVE_INT,
            "batch": BAD_POSITIVE_INT,
            "seed": BAD_SEED,
        },
    ),
    Spec(
        kl.length_map,
        {"activation": "tanh", "q": 1.0, "gain": 1.5},
        {
            "activation": BAD_NAME,
            "q": BAD_NONNEGATIVE,
            "gain": BAD_NONNEGATIVE,
            "bias_variance": BAD_NONNEGATIVE,
        },
    ),
    Spec(
        kl.fixed_point,
        {"activation": "tanh", "gain": 1.5},
        {
            "activation": BAD_NAME,
            "gain": BAD_NONNEGATIVE,
            "q0": BAD_NONNEGATIVE,
            "bias_variance": BAD_NONNEGATIVE,
        },
    ),
    Spec(
        kl.chi1,
        {"activation": "tanh", "gain": 1.5, "q": 1.0},
        {"activation": BAD_NAME, "gain": BAD_NONNEGATIVE, "q": BAD_NONNEGATIVE},
    ),
    Spec(
        kl.variance_preserving_gain,
        {"activation": "tanh", "q": 1.0},
        {"activation": BAD_NAME, "q": BAD_POSITIVE, "bias_variance": BAD_NONNEGATIVE},
    ),
    Spec(
        kl.edge_of_chaos_gain,
        {"activation": "tanh"},
        {"activation": BAD_NAME, "bias_variance": BAD_NONNEGATIVE, "q0": BAD_POSITIVE},
    ),
    Spec(
        kl.calculate_gain,
        {"nonlinearity": "leaky_relu", "param": 0.2},
        {"nonlinearity": BAD_NAME, "param": [*BAD_REAL, 1e200, -1e200]},
    ),
    Spec(kl.compute_fans, {"shape": (3, 4)}, {"shape": BAD_SHAPE[:10]}),
    *[
        Spec(
            f,
            {"shape": (3, 4)},
            {
                "shape": BAD_SHAPE,
                "a": [*BAD_REAL, 1e200],
                "mode": BAD_NAME,
                "nonlinearity": BAD_NAME,
                **BAD_DRAW,
            },
        )
        for f in (kl.kaiming_normal, kl.kaiming_uniform)
    ],
    Spec(
        kl.kaiming_std,
        {"shape": (3, 4)},
        {
            "shape": BAD_SHAPE[:10],
            "a": [*BAD_REAL, 1e200],
            "mode": BAD_NAME,
            "nonlinearity": BAD_NAME,
        },
    ),
    *[
        Spec(
            f,
            {"shape": (3, 4)},
            {"shape": BAD_SHAPE, "gain": [*BAD_NONNEGATIVE, 1e200], **BAD_DRAW},
        )
        for f in (kl.xavier_normal, kl.xavier_uniform)
    ],
    Spec(kl.pytorch_linear_default, {"shape": (3, 4)}, {"shape": BAD_SHAPE, **BAD_DRAW}),
    Spec(
        kl.he_truncated_normal,
        {"shape": (3, 4)},
        {"shape": BAD_SHAPE, "corrected": BAD_BOOL, **BAD_DRAW},
    ),
    Spec(kl.truncated_normal_std, {"cut": 2.0}, {"cut": BAD_POSITIVE}),
    Spec(
        kl.get_activation,
        {"name": "leaky_relu"},
        {"name": BAD_NAME, "slope": [*BAD_NONNEGATIVE, 1.5]},
    ),
    Spec(kl.NetworkStreams, {"seed": 0}, {"seed": BAD_SEED}),
    Spec(
        kl.draw_weights,
        {"widths": [4, 5, 2]},
        {
            "widths": [*BAD_WIDTHS, [10**6, 10**6]],
            "init": BAD_NAME,
            "activation": BAD_NAME,
            "rng": BAD_SEED,
            "memory_budget": BAD_BUDGET,
        },
    ),
    Spec(
        kl.propagate,
        {"x": _valid_x(), "weights": _valid_weights()},
        {
            "x": [*BAD_MATRIX, np.zeros((3, 5)), np.zeros((0, 4))],
            "weights": [
                None,
                [],
                "w",
                np.zeros((5, 4)),
                [np.zeros((5, 3))],
                [None],
                [np.full((5, 4), NAN)],
                [np.zeros(4)],
                [[["a"] * 4] * 5],
            ],
            "biases": [
                "b",
                np.zeros(5),
                [np.zeros(5)],
                [np.zeros((1, 5)), np.zeros(2)],
                [np.zeros(5), np.full(2, NAN)],
                [None, None],
                [np.zeros(4), np.zeros(2)],
            ],
            "activation": BAD_NAME,
            "backward": BAD_BOOL,
            "rng": BAD_SEED,
            "sigma_w2": ["2", True, [1.0], [NAN, 1.0], [-1.0, 1.0], np.zeros((2, 2))],
            "bias_variance": BAD_NONNEGATIVE,
            "memory_budget": BAD_BUDGET,
        },
    ),
    Spec(
        kl.simulate_forward,
        {"depth": 3, "width": 4, "batch": 2},
        {
            "depth": [*BAD_POSITIVE_INT, 10**7],
            "width": [*BAD_POSITIVE_INT[:12], 10**6],
            "widths": [*[w for w in BAD_WIDTHS if w is not None], [4, 4]],
            "activation": BAD_NAME,
            "slope": [*BAD_NONNEGATIVE, 2.0],
            "init": BAD_NAME,
            "variance_factor": [*BAD_NONNEGATIVE, 1e400],
            "bias_variance": BAD_NONNEGATIVE,
            "batch": [*BAD_POSITIVE_INT, 10**9],
            "seed": BAD_SEED,
            "backward": BAD_BOOL,
            "x": [*BAD_MATRIX[1:], np.zeros((2, 5))],
            "memory_budget": BAD_BUDGET,
        },
    ),
    Spec(
        kl.predicted_variances,
        {"depth": 4},
        {
            "depth": [*BAD_POSITIVE_INT, 10**9],
            "sigma_w2": [*BAD_NONNEGATIVE, None, [1.0, 2.0], np.ones((4, 1)), "0.5"],
            "sigma_b2": BAD_NONNEGATIVE,
            "activation": BAD_NAME,
            "slope": BAD_NONNEGATIVE,
            "input_second_moment": BAD_NONNEGATIVE,
        },
    ),
    Spec(
        kl.predicted_gradient_variances,
        {"widths": [4, 5, 6], "activation": "tanh", "forward_variances": [1.0, 1.0]},
        {
            "widths": BAD_WIDTHS,
            "sigma_w2": [*BAD_NONNEGATIVE, [1.0]],
            "activation": BAD_NAME,
            "slope": BAD_NONNEGATIVE,
            "forward_variances": ["ab", [1.0], [[1.0, 1.0]], [NAN, 1.0], [-1.0, 1.0], True],
            "output_gradient_variance": BAD_NONNEGATIVE,
        },
    ),
    Spec(
        kl.second_moment,
        {"activation": "tanh", "q": 1.0},
        {"activation": BAD_NAME, "q": BAD_NONNEGATIVE, "slope": BAD_NONNEGATIVE},
    ),
    Spec(
        kl.fixed_point_gain,
        {"activation": "tanh"},
        {"activation": BAD_NAME, "q": BAD_POSITIVE, "slope": BAD_NONNEGATIVE},
    ),
    Spec(kl.relu_mean, {"std": 1.0}, {"std": BAD_NONNEGATIVE}),
    Spec(
        kl.relu_correlation_map,
        {"c": 0.5},
        {"c": [1.5, -1.01, NAN, INF, "0.5", None, True, [0.5, 2.0], 1j]},
    ),
    Spec(kl.relu_second_moment, {"dist": stats.norm(0, 1)}, {"dist": BAD_DIST}),
    Spec(
        kl.half_variance_integral,
        {"dist": stats.norm(0, 1)},
        {"dist": [*BAD_DIST, stats.norm(1, 1), stats.t(2), stats.cauchy()], "tol": BAD_POSITIVE},
    ),
    Spec(
        kl.estimate_mean,
        {"samples": [1.0, 2.0, 3.0]},
        {
            "samples": [
                "abc",
                None,
                [],
                [1.0],
                [1.0, NAN],
                [1.0, INF],
                [[1.0], [2.0, 3.0]],
                np.array(["a", "b"]),
                [1j, 2j],
                {"a": 1},
            ]
        },
    ),
    Spec(
        kl.estimate_variance,
        {"samples": [1.0, 2.0, 3.0]},
        {"samples": ["abc", None, [], [1.0], [1.0, NAN], [1e308, -1e308]], "mean": BAD_REAL},
    ),
    Spec(
        kl.Estimate,
        {"value": 1.0, "se": 0.1, "n": 10},
        {"value": BAD_REAL, "se": BAD_NONNEGATIVE, "n": BAD_POSITIVE_INT},
    ),
    Spec(
        kl.Activation,
        {"name": "relu", "forward": np.abs, "derivative": np.sign},
        {
            "name": [None, 3],
            "forward": [None, "relu"],
            "derivative": [3.0],
            "slope": BAD_NONNEGATIVE,
            "second_moment_ratio": BAD_NONNEGATIVE,
        },
    ),
    Spec(
        kl.HalfVarianceResult,
        {"integral": 0.5, "abserr": 1e-12, "half_variance": 0.5},
        {"integral": BAD_NONNEGATIVE, "abserr": BAD_NONNEGATIVE, "half_variance": BAD_NONNEGATIVE},
    ),
    Spec(ESTIMATE.format, {}, {"digits": [0, -1, 18, 2.5, "3", None, True]}),
    Spec(ESTIMATE.agrees_with, {"exact": 1.0}, {"exact": [*BAD_REAL, None], "k": BAD_POSITIVE}),
    Spec(ESTIMATE.z_score, {"exact": 1.0}, {"exact": [*BAD_REAL, None]}),
    Spec(
        kl.load_digits_split,
        {},
        {"test_fraction": [*BAD_POSITIVE, 1.0, 1.5, 0.001, 0.999], "seed": BAD_SEED},
    ),
    Spec(
        kl.plain_widths,
        {"depth": 2, "width": 3, "n_in": 4, "n_out": 2},
        {name: BAD_POSITIVE_INT for name in ("depth", "width", "n_in", "n_out")},
    ),
    Spec(
        kl.starting_params,
        {"widths": [4, 5, 3], "init": "kaiming", "seed": 0},
        {"widths": BAD_WIDTHS, "init": BAD_NAME, "seed": BAD_SEED},
    ),
    Spec(
        kl.gradient_norms_at_init,
        {"widths": [4, 5, 3], "X": X_TRAIN, "y": Y_TRAIN, "init": "kaiming", "seed": 0},
        {
            "widths": [*BAD_WIDTHS, [5, 5, 3], [4, 5, 2]],
            "X": BAD_MATRIX,
            "y": [None, "y", Y_TRAIN.astype(float), Y_TRAIN[:-1], Y_TRAIN + 5, -Y_TRAIN - 1],
            "init": BAD_NAME,
            "seed": BAD_SEED,
        },
    ),
    Spec(
        kl.train,
        {
            "widths": [4, 5, 3],
            "X_train": X_TRAIN,
            "y_train": Y_TRAIN,
            "X_test": X_TEST,
            "y_test": Y_TEST,
            "epochs": 1,
        },
        {
            "widths": BAD_WIDTHS,
            "X_train": BAD_MATRIX,
            "y_train": [None, "y", Y_TRAIN[:3]],
            "X_test": BAD_MATRIX,
            "y_test": [None, Y_TEST + 3],
            "init": BAD_NAME,
            "lr": BAD_POSITIVE,
            "momentum": [*BAD_NONNEGATIVE, 1.5],
            "batch_size": BAD_POSITIVE_INT,
            "epochs": BAD_POSITIVE_INT,
            "seed": BAD_SEED,
            "progress": [3, "print"],
            "divergence_factor": [*BAD_POSITIVE, 1.0, 0.5],
        },
    ),
    Spec(HISTORY.first_epoch_below, {"threshold": 1.0}, {"threshold": BAD_REAL}),
    Spec(RUN.table, {}, {"every": BAD_POSITIVE_INT, "digits": [0, 30, "3", None, 2.5]}),
    Spec(
        kl.gain_table,
        {"entries": [("relu", None)]},
        {"entries": ["relu", [("relu",)]], "q": BAD_POSITIVE},
    ),
    # ------------------------------------------------------------------ the explorer's
    Spec(
        ex.ExplorerState,
        {},
        {
            "depth": [*BAD_POSITIVE_INT, 101],
            "multiplier": [0.0, *BAD_NONNEGATIVE],
            "width": [*BAD_POSITIVE_INT, 10**6],
            "activation": BAD_NAME,
            "slope": [*BAD_NONNEGATIVE, 2.0],
            "bias_variance": BAD_NONNEGATIVE,
            "seed": BAD_SEED,
            "batch": [0, -1, 1.5, "3", True, 10**6],
        },
    ),
    Spec(
        ex.explorer,
        {},
        {
            "state": [3, "s"],
            "compact": ["no", 1, None],
            "depth": [0, "3", None, 1.5],
            "activation": ["nope", 3],
            "dpeth": [3],
        },
    ),
    Spec(
        ex.ExplorerApp, {}, {"state": [3, "s", {}], "model": [3, "m"], "compact": ["no", 1, None]}
    ),
    Spec(ex.ExplorerModel().compute, {"state": STATE}, {"state": [None, 3, "s", {}]}),
    Spec(
        ex.preset_multiplier,
        {"preset": "kaiming"},
        {
            "preset": BAD_NAME,
            "activation": BAD_NAME,
            "slope": [*BAD_NONNEGATIVE, 2.0],
            "fan_in": BAD_POSITIVE_INT,
            "fan_out": [0, -1, 1.5, "3", True],
        },
    ),
    Spec(
        ex.simulate_state,
        {"state": STATE},
        {
            "state": [None, "s", {}, 3],
            "depth": [0, -1, 1.5, "3", True, 10**6],
            "backward": BAD_BOOL,
        },
    ),
    # ------------------------------------------------- diagnostics' and ensembles' helpers
    Spec(
        diagnostics.layer_statistic,
        {"result": RUN, "name": "rms_z"},
        {"result": [None, "run", {}], "name": BAD_NAME},
    ),
    Spec(
        diagnostics.relu_growth_factor,
        {"width": 4, "weight_std": 0.5},
        {"width": BAD_POSITIVE_INT, "weight_std": [*BAD_NONNEGATIVE, 1e200]},
    ),
    Spec(
        diagnostics.predicted_break_layer,
        {"growth_factor": 2.0, "start_std": 1.0, "limit": 1e300},
        {"growth_factor": [*BAD_POSITIVE, 1.0], "start_std": BAD_POSITIVE, "limit": BAD_POSITIVE},
    ),
    Spec(
        diagnostics.stats_table,
        {"results": {"a": RUN}},
        {
            "results": [None, {}, [RUN], {"a": None}, {3: RUN}],
            "name": BAD_NAME,
            "every": BAD_POSITIVE_INT,
            "digits": [0, 30, "3"],
        },
    ),
    Spec(
        ensembles.simulate_networks,
        {"n_networks": 3, "depth": 2, "width": 4, "batch": 2},
        {
            "n_networks": [*BAD_POSITIVE_INT, 1, 10**9],
            "depth": BAD_POSITIVE_INT,
            "width": BAD_POSITIVE_INT[:12],
            "seed": BAD_SEED,
            "x": BAD_MATRIX[1:],
        },
    ),
    Spec(
        ensembles.log_drift_prediction,
        {"width": 4, "layers": 3},
        {"width": BAD_POSITIVE_INT, "layers": ["3", None, True, -1, [1, NAN]]},
    ),
    Spec(ENSEMBLE.values, {}, {"statistic": BAD_NAME}),
    Spec(
        ENSEMBLE.z_scores, {}, {"statistic": BAD_NAME, "exact": ["a", [1.0], [NAN, 1.0, 1.0], True]}
    ),
    Spec(
        ENSEMBLE.table,
        {},
        {"every": BAD_POSITIVE_INT, "n_single": [-1, 1.5, "2", None], "digits": [0, "3"]},
    ),
]


# ----------------------------------------------------------------------------- the fuzzer


@dataclass(frozen=True)
class Outcome:
    label: str
    parameter: str
    value: str
    verdict: str  # "clear" or what went wrong
    detail: str = ""


def _verdict(spec: Spec, parameter: str, value: object) -> Outcome:
    kwargs = {**spec.good, parameter: value}
    shown = repr(value)[:60]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            spec.func(**kwargs)
        except (TypeError, ValueError) as err:
            error: BaseException | None = err
        except Exception as err:
            return Outcome(spec.label, parameter, shown, "wrong exception type", repr(err)[:200])
        else:
            error = None
    if error is None:
        return Outcome(spec.label, parameter, shown, "accepted silently")
    if caught:
        return Outcome(spec.label, parameter, shown, "leaked a warning", str(caught[0].message))
    if not re.search(rf"(?<![A-Za-z0-9_]){re.escape(parameter)}(?![A-Za-z0-9_])", str(error)):
        return Outcome(spec.label, parameter, shown, "message does not name it", str(error))
    return Outcome(spec.label, parameter, shown, "clear")


def fuzz_outcomes(specs: list[Spec] = SPECS) -> list[Outcome]:
    """Every (function, parameter, bad value) attempt with its verdict."""
    return [
        _verdict(spec, parameter, value)
        for spec in specs
        for parameter, values in spec.bad.items()
        for value in values
    ]


@pytest.mark.parametrize("spec", SPECS, ids=[s.label for s in SPECS])
def test_every_bad_value_is_rejected_clearly(spec):
    """The valid call succeeds warning-free (so each rejection is the bad value's doing), and
    every bad value gets a clear error naming its parameter."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spec.func(**spec.good)
    problems = [o for o in fuzz_outcomes([spec]) if o.verdict != "clear"]
    assert not problems, "\n".join(
        f"{o.label}({o.parameter}={o.value}): {o.verdict} {o.detail}" for o in problems
    )


@pytest.mark.parametrize("module", [kl, ex], ids=["kaiming_lab", "kaiming_lab.explorer"])
def test_every_public_callable_has_a_case(module):
    """A new public function or class fails here until it gets a Spec above (a class may be
    covered through its public methods, labelled ``Class.method``)."""
    labels = {spec.label.split(".")[0] for spec in SPECS}
    public = {n for n in module.__all__ if callable(getattr(module, n)) and n not in NOT_FUZZED}
    assert public - labels == set()
    assert set(NOT_FUZZED) <= {*kl.__all__, *ex.__all__}


def test_the_fuzzer_can_tell_a_silent_acceptance():
    """A function that ignores its argument is caught, and so is an unnamed error."""
    lenient = Spec(lambda x: None, {"x": 1}, {"x": [2]}, name="lenient")
    vague = Spec(lambda x: 1 / 0 if x else None, {"x": 0}, {"x": [1]}, name="vague")
    anonymous = Spec(lambda width: int("w"), {"width": 0}, {"width": [1]}, name="anonymous")
    verdicts = [o.verdict for o in fuzz_outcomes([lenient, vague, anonymous])]
    assert verdicts == ["accepted silently", "wrong exception type", "message does not name it"]


# ---------------------------------------------------------------------- random bad numbers

fast = settings(max_examples=30, deadline=None)
non_finite = st.sampled_from([NAN, INF, -INF])
negative = st.floats(max_value=-1e-300, allow_nan=False, allow_infinity=False)
text = st.text(max_size=4)


@fast
@given(value=st.one_of(non_finite, negative, text, st.booleans()))
def test_random_bad_variances(value):
    for func, name in [
        (lambda v: kl.simulate_forward(2, 3, batch=2, variance_factor=v), "variance_factor"),
        (lambda v: kl.simulate_forward(2, 3, batch=2, bias_variance=v), "bias_variance"),
        (lambda v: kl.predicted_variances(3, sigma_b2=v), "sigma_b2"),
        (lambda v: kl.predicted_variances(3, sigma_w2=v), "sigma_w2"),
        (lambda v: kl.relu_mean(v), "std"),
        (lambda v: kl.second_moment("tanh", v), "q"),
    ]:
        with pytest.raises((TypeError, ValueError), match=f"{name} must be"):
            func(value)


@fast
@given(value=st.one_of(st.integers(max_value=0), st.floats(), text, st.booleans(), st.none()))
def test_random_bad_sizes(value):
    for func, name in [
        (lambda v: kl.simulate_forward(v, 3, batch=2), "depth"),
        (lambda v: kl.simulate_forward(2, v, batch=2), "width"),
        (lambda v: kl.simulate_forward(2, 3, batch=v), "batch"),
        (lambda v: kl.kaiming_normal((v, 3)), "shape"),
        (lambda v: kl.plain_widths(v, 3, 4, 2), "depth"),
        (lambda v: kl.predicted_variances(v), "depth"),
    ]:
        if value is None and name == "width":
            continue  # width=None means "use widths" and asks for them by name
        with pytest.raises((TypeError, ValueError), match=name) as info:
            func(value)
        if name == "depth":  # the message shows the value it refused
            assert repr(value) in str(info.value) or str(value) in str(info.value)


@fast
@given(
    name=st.text(min_size=1, max_size=12).filter(
        lambda s: s.strip().lower() not in {*kl.ACTIVATIONS, *kl.INITS}
    )
)
def test_random_unknown_names_list_the_known_ones(name):
    with pytest.raises(ValueError, match="name must be one of"):
        kl.get_activation(name)
    with pytest.raises(ValueError, match=r"activation must be one of \[.*'relu'.*\], got"):
        kl.simulate_forward(2, 3, activation=name)
    with pytest.raises(ValueError, match="activation must be one of"):
        kl.predicted_variances(2, activation=name)
    with pytest.raises(ValueError, match=r"init must be one of \[.*'kaiming'.*'xavier'.*\]"):
        kl.simulate_forward(2, 3, init=name)
    with pytest.raises(ValueError, match="init must be one of"):
        kl.draw_weights([3, 3], init=name)
    with pytest.raises(ValueError, match="nonlinearity must be one of"):
        kl.calculate_gain(name)
