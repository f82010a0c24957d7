"""Promises under awkward but valid input: names in any case, numpy scalars, sizes, threads.

* Names are normalised in one place, so every entry point accepts ``"ReLU"``
  and means exactly what ``"relu"`` means (same numbers, bit for bit).
* numpy scalars (``np.int64``, ``np.float32``, ``np.bool_``) work wherever
  Python numbers and bools do, with identical results.
* Requests beyond the memory budget are refused before anything is
  allocated, quickly, by a ``ValueError`` naming the sizes.
* The simulator and the gradient norms run BLAS on one thread, so their
  results are bit-identical whatever the thread setting.
"""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
import threadpoolctl

import kaiming_lab as kl
from kaiming_lab import diagnostics, ensembles, training
from kaiming_lab.activations import Activation


def _blas_threads() -> int:
    """Threads of the BLAS that numpy's matrix products use (the one bundled in numpy.libs when
    there, else every BLAS loaded): scipy loads a second BLAS of its own once imported, which
    the library's loops never call."""
    blas = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    numpy_blas = [p for p in blas if "numpy" in p["filepath"]]
    return max((p["num_threads"] for p in numpy_blas or blas), default=1)


# ------------------------------------------------------------------------ names in any case


def test_mixed_case_names_give_the_same_numbers():
    pairs = [
        (
            lambda: kl.simulate_forward(3, 8, batch=4, activation="ReLU", init="Kaiming_Uniform"),
            lambda: kl.simulate_forward(3, 8, batch=4, activation="relu", init="kaiming_uniform"),
        ),
        (
            lambda: kl.draw_weights([4, 5], init="XAVIER", activation="Leaky_ReLU", rng=1),
            lambda: kl.draw_weights([4, 5], init="xavier", activation="leaky_relu", rng=1),
        ),
        (
            lambda: kl.kaiming_normal((6, 5), mode="Fan_Out", nonlinearity="TANH", rng=2),
            lambda: kl.kaiming_normal((6, 5), mode="fan_out", nonlinearity="tanh", rng=2),
        ),
        (
            lambda: kl.kaiming_uniform((6, 5), nonlinearity="Leaky_ReLU", a=0.5, rng=3),
            lambda: kl.kaiming_uniform((6, 5), nonlinearity="leaky_relu", a=0.5, rng=3),
        ),
        (
            lambda: kl.calculate_gain("Leaky_ReLU", 0.2),
            lambda: kl.calculate_gain("leaky_relu", 0.2),
        ),
        (
            lambda: kl.predicted_variances(4, activation="Tanh"),
            lambda: kl.predicted_variances(4, activation="tanh"),
        ),
        (lambda: kl.second_moment("GELU", 2.0), lambda: kl.second_moment("gelu", 2.0)),
        (lambda: kl.fixed_point_gain(" SeLU "), lambda: kl.fixed_point_gain("selu")),
        (
            lambda: kl.predicted_gradient_variances([3, 4, 5], activation="ReLU"),
            lambda: kl.predicted_gradient_variances([3, 4, 5], activation="relu"),
        ),
        (
            lambda: kl.starting_params([4, 5, 3], init="Kaiming_Fan_Out", seed=0)[0][0],
            lambda: kl.starting_params([4, 5, 3], init="kaiming_fan_out", seed=0)[0][0],
        ),
    ]
    for mixed, lower in pairs:
        a, b = mixed(), lower()
        if isinstance(a, kl.PropagationResult):
            a, b = a.mean_sq_z, b.mean_sq_z
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    run = kl.simulate_forward(3, 8, batch=4)
    np.testing.assert_array_equal(
        diagnostics.layer_statistic(run, "RMS_Z"), diagnostics.layer_statistic(run, "rms_z")
    )
    ens = ensembles.simulate_networks(2, depth=2, width=4, batch=2, seed=0)
    np.testing.assert_array_equal(ens.values("Mean_Sq_Z"), ens.values("mean_sq_z"))
    assert kl.get_activation("LeAkY_rElU", slope=0.2).slope == 0.2


def test_mixed_case_leaky_relu_keeps_its_slope():
    """The bug: ``Leaky_ReLU`` skipped ``a`` and used 0.01 (std 0.1414 instead of 0.1)."""
    assert kl.kaiming_std((64, 100), nonlinearity="Leaky_ReLU", a=1) == pytest.approx(0.1)
    assert kl.kaiming_std((64, 100), nonlinearity="LEAKY_RELU", a=0) == pytest.approx(
        math.sqrt(2 / 100)
    )


# ------------------------------------------------------------------------- numpy scalars


def test_numpy_scalars_work_like_python_numbers():
    plain = kl.simulate_forward(3, 8, batch=4, variance_factor=0.5, seed=1, backward=True)
    numpy = kl.simulate_forward(
        np.int64(3),
        np.int32(8),
        batch=np.int16(4),
        variance_factor=np.float32(0.5),
        seed=np.uint8(1),
        backward=np.bool_(True),
    )
    np.testing.assert_array_equal(plain.mean_sq_z, numpy.mean_sq_z)
    np.testing.assert_array_equal(plain.mean_sq_grad, numpy.mean_sq_grad)
    assert kl.kaiming_std((np.int64(6), np.int64(5)), a=np.float32(0.0)) == kl.kaiming_std((6, 5))
    assert kl.he_truncated_normal((3, 3), corrected=np.bool_(False), rng=0).shape == (3, 3)
    assert kl.truncated_normal_std(np.float32(2.0)) == kl.truncated_normal_std(2.0)
    np.testing.assert_array_equal(
        kl.predicted_variances(np.int64(3), sigma_w2=np.float64(2.0)), kl.predicted_variances(3)
    )


# --------------------------------------------------------------------------- memory, sizes


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"depth": 10**5, "width": 256}, ["depth=100000", "width=256", "batch=256"]),
        ({"depth": 10, "width": 100_000, "batch": 2}, ["depth=10", "width=100000"]),
        ({"depth": 3, "width": 64, "batch": 10**8}, ["batch=100000000"]),
        ({"depth": 2, "widths": [4, 10**6, 10**5]}, ["widths=[4, 1000000, 100000]"]),
    ],
)
def test_oversized_simulations_are_refused_before_allocating(kwargs, names):
    """tracemalloc sees numpy's buffers: the refusal allocates under 1 MB (the smallest
    of these requests would need gigabytes)."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="memory") as info:
            kl.simulate_forward(**kwargs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20
    for name in names:
        assert name in str(info.value)
    assert "memory_budget" in str(info.value)


def test_depth_has_a_documented_ceiling():
    with pytest.raises(ValueError, match=r"depth must be an integer between 1 and 100000"):
        kl.simulate_forward(10**7, 1)
    with pytest.raises(ValueError, match=r"depth must be an integer between 1 and 100000"):
        kl.predicted_variances(10**9)


def test_memory_budget_can_be_raised_and_lowered():
    # 3 layers of 64 x 64 weights need about 100 KB: refused under a 10 KB budget
    with pytest.raises(ValueError, match="budget of 9.77 KiB"):
        kl.simulate_forward(3, 64, batch=2, memory_budget=10_000)
    assert kl.simulate_forward(3, 64, batch=2, memory_budget=10**6).depth == 3
    with pytest.raises(ValueError, match=r"shape=\(1000, 1000\) .* budget"):
        kl.kaiming_normal((1000, 1000), memory_budget=10**6)
    assert kl.kaiming_normal((1000, 1000), memory_budget=10**7).shape == (1000, 1000)


@pytest.mark.parametrize(
    "draw",
    [
        kl.kaiming_normal,
        kl.kaiming_uniform,
        kl.xavier_normal,
        kl.xavier_uniform,
        kl.pytorch_linear_default,
        kl.he_truncated_normal,
    ],
)
def test_huge_shapes_are_refused_by_name(draw):
    with pytest.raises(ValueError, match=r"shape=\(100000, 100000\) would need about 74.5 GiB"):
        draw((10**5, 10**5))
    with pytest.raises(ValueError, match=r"shape \(10000000000, .* more than an array can hold"):
        draw((10**10, 10**10))


def test_extreme_slopes_are_refused_by_name_not_overflow():
    for func in (
        lambda: kl.kaiming_normal((3, 3), a=1e200),
        lambda: kl.kaiming_std((3, 3), a=-1e200),
        lambda: kl.calculate_gain("leaky_relu", 1e200),
    ):
        with pytest.raises(ValueError, match=r"(a|param) must be (<|>)= "):
            func()
    # within the documented range the gain is tiny but exact
    assert kl.calculate_gain("leaky_relu", 1e100) == pytest.approx(math.sqrt(2) * 1e-100)


def test_empty_and_single_width_lists_are_errors_not_empty_results():
    for widths in ([], [4]):
        with pytest.raises(ValueError, match="widths must have at least 2 entries"):
            kl.draw_weights(widths)


# ---------------------------------------------------------------------------- BLAS threads


def _probe_activation(seen: list[int]) -> Activation:
    relu = kl.get_activation("relu")

    def forward(z):
        seen.append(_blas_threads())
        return relu.forward(z)

    return Activation("relu", forward, relu.derivative, slope=0.0, second_moment_ratio=0.5)


@pytest.mark.parametrize("threads", [1, 2])
def test_simulator_runs_blas_on_one_thread(threads):
    seen: list[int] = []
    with threadpoolctl.threadpool_limits(threads, user_api="blas"):
        kl.simulate_forward(3, 16, batch=8, activation=_probe_activation(seen))
        after = _blas_threads()
    assert seen and set(seen) == {1}
    assert after == threads  # the caller's setting is back afterwards


def test_simulator_is_bit_identical_under_one_and_two_threads():
    results = []
    for threads in (1, 2):
        with threadpoolctl.threadpool_limits(threads, user_api="blas"):
            r = kl.simulate_forward(6, 384, batch=384, seed=3, backward=True)
        results.append(r)
    np.testing.assert_array_equal(results[0].mean_sq_z, results[1].mean_sq_z)
    np.testing.assert_array_equal(results[0].mean_sq_grad, results[1].mean_sq_grad)


def test_gradient_norms_at_init_run_blas_on_one_thread(monkeypatch):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((64, 8)), rng.integers(0, 3, 64)
    seen: list[int] = []
    original = training._gradient_norms

    def probe(params, X, y):
        seen.append(_blas_threads())
        return original(params, X, y)

    monkeypatch.setattr(training, "_gradient_norms", probe)
    outputs = []
    for threads in (1, 2):
        with threadpoolctl.threadpool_limits(threads, user_api="blas"):
            outputs.append(kl.gradient_norms_at_init([8, 32, 32, 3], X, y, init="kaiming", seed=4))
    assert seen == [1, 1]
    np.testing.assert_array_equal(outputs[0], outputs[1])
