"""Tests for notebook 06's scaffolding: the static explorer figure, the width survey quoted in
exercise 5's solution, and the checks of the two coding exercises (right answers pass, each known
slip gets its own hint, a stub is "not answered yet", no message gives the answer away)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from kaiming_lab import simulate_forward, style
from kaiming_lab.lessons.checks import NOT_WRITTEN
from kaiming_lab.lessons.nb06_explorer import (
    _BACKWARD_SLIPS,
    _RMS_CASES,
    _RMS_SLIPS,
    check_backward_step,
    check_rms_change,
    explorer_snapshot,
    plot_backward_panel,
    plot_explorer_snapshot,
    plot_forward_panel,
    rms_drift,
    rms_growth,
)
from kaiming_lab.lessons.pytorch_default import linear_default_stack

# ---------------------------------------------------------------------------
# the static picture of the explorer


@pytest.fixture(scope="module")
def kaiming_snapshot():
    return explorer_snapshot(depth=20, width=64, multiplier=1.0, seed=3)


def test_snapshot_is_the_simulators_run(kaiming_snapshot):
    run = simulate_forward(20, 64, batch=512, seed=3, backward=True)
    assert np.array_equal(kaiming_snapshot.rms_z, run.rms_z)
    assert np.array_equal(kaiming_snapshot.mean_sq_grad, run.mean_sq_grad)
    assert kaiming_snapshot.rms_z.shape == (20,) and kaiming_snapshot.mean_sq_grad.shape == (21,)


def test_snapshot_theory_is_flat_at_kaiming_and_follows_m_to_the_depth(kaiming_snapshot):
    assert np.allclose(kaiming_snapshot.theory_rms_z, kaiming_snapshot.theory_rms_z[0])
    assert np.allclose(kaiming_snapshot.grad_theory, kaiming_snapshot.mean_sq_grad[-1])
    hot = explorer_snapshot(depth=20, width=64, multiplier=1.1, seed=3)
    h = np.arange(20)
    assert np.allclose(hot.theory_rms_z / hot.theory_rms_z[0], 1.1 ** (h / 2))
    assert np.isclose(hot.grad_theory[0] / hot.grad_theory[-1], 1.1**20)


def _png_size(fig: Figure) -> tuple[int, int]:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=2 * style.DPI)
    return Image.open(buffer).size


def test_snapshot_figure_is_sharp_and_not_a_strip(kaiming_snapshot):
    with style.context():
        fig = plot_explorer_snapshot(kaiming_snapshot)
        width, height = _png_size(fig)
    assert len(fig.axes) == 2
    assert width >= 1000 and width / height <= 2.5
    assert fig.legends, "one legend, below the panels"
    for ax in fig.axes:
        assert ax.get_legend() is None, "no legend over the data"


def test_panels_use_log_only_beyond_a_decade(kaiming_snapshot):
    with style.context():
        flat = plot_forward_panel(kaiming_snapshot)
        steep = plot_backward_panel(explorer_snapshot(depth=20, width=64, multiplier=2.0))
    assert flat.get_yscale() == "linear" and flat.get_ylim()[0] == 0.0
    assert steep.get_yscale() == "log"


def test_panels_draw_into_given_axes(kaiming_snapshot):
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_forward_panel(kaiming_snapshot, ax) is ax
    assert len(ax.lines) == 3  # theory, this network, reference line


# ---------------------------------------------------------------------------
# exercise 5's solution quotes these numbers


#: Exercise 5's solution: width -> (share > 10x off, median ln rms ratio, leading-order drift,
#: exact drift) over the 99 steps of a depth-100 net, 20 seeds.
EXERCISE_5 = {
    64: (0.25, -1.2, -1.9, -2.0),
    32: (0.85, -4.3, -3.9, -4.1),
    24: (1.0, -5.9, -5.2, -5.6),
    16: (1.0, -9.4, -7.7, -8.7),
}


def test_width_survey_numbers_quoted_in_exercise_5():
    for n, (share, median, leading, exact) in EXERCISE_5.items():
        growth = np.log(rms_growth(100, n, range(20)))
        assert np.mean(np.abs(growth) > np.log(10)) == pytest.approx(share)
        assert round(float(np.median(growth)), 1) == median
        assert np.round(rms_drift(99, n), 1).tolist() == [leading, exact]
        # the median against the exact single-input drift, in standard errors of a median of
        # 20 (about 1.25 sd / sqrt(20), sd measured from the same 20 networks): within one at
        # widths 32, 24, 16; at width 64 about two above ("the pooled factor drifts less")
        se = 1.25 * growth.std(ddof=1) / np.sqrt(20)
        off = (np.median(growth) - rms_drift(99, n)[1]) / se
        assert (1.5 < off < 2.5) if n == 64 else abs(off) < 1


def test_leading_order_drift_misses_by_a_layer_at_narrow_widths():
    """Exercise 5: -5h/(4n) is within 5 % of the exact drift at width 256, over 10 % off at 16."""
    leading, exact = rms_drift(99, 256)
    assert exact < leading < 0 and abs(leading / exact - 1) < 0.05
    leading, exact = rms_drift(99, 16)
    assert exact < leading < 0 and abs(leading / exact - 1) > 0.1


def test_threshold_width_of_the_spread_alone():
    """Exercise 5: one sd of ln mean square, sqrt(5 * 99 / n), reaches ln 100 near width 24;
    'most networks ten-fold off' from the spread alone needs it to reach ln 100 / 0.674
    (the median of |N(0, 1)|), near width 11."""
    from scipy import stats

    assert round(5 * 99 / np.log(100) ** 2) == 23
    median_abs = stats.norm.ppf(0.75)
    assert round(5 * 99 / (np.log(100) / median_abs) ** 2) == 11


# ---------------------------------------------------------------------------
# PyTorch's nn.Linear default, with and without its bias (notebook 06)


def test_default_weights_without_bias_keep_a_sixth_per_layer():
    run = linear_default_stack(depth=50, width=256, batch=256, seed=0, bias=False)
    # one network's ln mean square spreads by about sqrt(5 * 49 / 256) ~ 1 over 49 layers:
    # 4 of those either way around (1/6)^49 on the mean square
    ratio = (run.rms[-1] / run.rms[0]) ** 2
    assert abs(np.log(ratio / (1 / 6) ** 49)) < 4 * np.sqrt(5 * 49 / 256)
    assert round(-np.log10(run.rms[-1] / run.rms[0])) == 19


def test_default_bias_sets_a_floor_of_two_fifths_over_n_and_forgets_the_input():
    width = 256
    last = np.array(
        [
            linear_default_stack(depth=50, width=width, batch=256, seed=s).rms[-1] ** 2
            for s in range(8)
        ]
    )
    se = last.std(ddof=1) / np.sqrt(last.size)
    assert abs(last.mean() - 2 / (5 * width)) < 4 * se  # q* = q*/6 + 1/(3n)
    run = linear_default_stack(depth=50, width=width, batch=256, seed=0)
    assert round(run.rms[-1], 2) == 0.04  # "rms about 0.04", quoted in notebook 06
    assert run.input_rms[-1] < 1e-12 * run.rms[0]


# ---------------------------------------------------------------------------
# exercise 3: predicted_rms_change(m, depth)


def _leaks_rms(message: str) -> bool:
    return any(f"{m ** (d / 2):.2g}" in message for m, d in _RMS_CASES)


def test_rms_change_right_answer():
    result = check_rms_change(lambda m, depth: m ** (depth / 2))
    assert result and result.answered and result.message.startswith("Right")
    assert check_rms_change(lambda m, depth: np.sqrt(m) ** depth), "numpy scalars count"


@pytest.mark.parametrize("index", range(len(_RMS_SLIPS)))
def test_rms_change_slips_get_their_hint(index):
    slip, hint = _RMS_SLIPS[index]
    result = check_rms_change(slip)
    assert not result and result.answered
    assert result.message == hint
    assert not _leaks_rms(result.message)


def test_rms_change_named_slips():
    assert "mean square" in check_rms_change(lambda m, d: m**d).message
    assert "multiply" in check_rms_change(lambda m, d: 1 + (m - 1) * d / 2).message


def test_rms_change_unanswered_and_broken_answers():
    def stub(m, depth):
        return None

    def not_implemented(m, depth):
        raise NotImplementedError

    assert check_rms_change(stub) == NOT_WRITTEN
    assert check_rms_change(not_implemented) == NOT_WRITTEN
    crashed = check_rms_change(lambda m, depth: 1 / 0)
    assert not crashed and crashed.answered and "ZeroDivisionError" in crashed.message
    assert "Not a number" in check_rms_change(lambda m, depth: "big").message
    other = check_rms_change(lambda m, depth: m + depth)
    assert not other and other.message.startswith("Not yet") and not _leaks_rms(other.message)


# ---------------------------------------------------------------------------
# exercise 4: backward_step(dx, z, W, slope)


def _right_step(dx, z, w, slope):
    return (dx * np.where(z > 0, 1.0, slope)) @ w


def test_backward_step_right_answer():
    result = check_backward_step(_right_step)
    assert result and result.answered and result.message.startswith("Right")

    def with_a_loop(dx, z, w, slope):
        out = np.zeros((dx.shape[0], w.shape[1]))
        for i in range(w.shape[0]):
            out += np.outer(dx[:, i] * np.where(z[:, i] > 0, 1.0, slope), w[i])
        return out

    assert check_backward_step(with_a_loop)


@pytest.mark.parametrize("index", range(len(_BACKWARD_SLIPS)))
def test_backward_step_slips_get_their_hint(index):
    slip, hint = _BACKWARD_SLIPS[index]
    result = check_backward_step(slip)
    assert not result and result.answered
    assert result.message == hint


def test_backward_step_named_slips():
    forgot = check_backward_step(lambda dx, z, w, a: dx @ w)
    assert "phi'(z)" in forgot.message
    transposed = check_backward_step(lambda dx, z, w, a: (dx * np.where(z > 0, 1.0, a)) @ w.T)
    assert "transposed" in transposed.message
    relu_only = check_backward_step(lambda dx, z, w, a: (dx * (z > 0)) @ w)
    assert "leaky" in relu_only.message


def test_backward_step_wrong_shape_and_unanswered():
    wrong_shape = check_backward_step(lambda dx, z, w, a: dx * np.where(z > 0, 1.0, a))
    assert not wrong_shape and "(batch, fan_in)" in wrong_shape.message

    def stub(dx, z, w, slope):
        return None

    assert check_backward_step(stub) == NOT_WRITTEN
    crashed = check_backward_step(lambda dx, z, w, a: w @ dx)
    assert not crashed and crashed.answered and "ValueError" in crashed.message
    other = check_backward_step(lambda dx, z, w, a: 2 * _right_step(dx, z, w, a))
    assert not other and other.message.startswith("Not yet")


def test_backward_step_does_not_let_the_student_change_the_inputs():
    def scribbles(dx, z, w, slope):
        dx *= 0.0
        return _right_step(dx, z, w, slope)

    assert not check_backward_step(scribbles), "the reference answer uses untouched inputs"


def test_checks_do_not_print(capsys):
    check_rms_change(lambda m, d: m)
    check_backward_step(_right_step)
    assert capsys.readouterr().out == ""


def test_snapshot_uses_the_live_explorers_colours(kaiming_snapshot):
    """One convention everywhere: this network in the app's network colour (dots), the theory
    in its theory colour (dashed), in both panels of the static picture."""
    import matplotlib.colors

    from kaiming_lab.explorer.figure import NETWORK_COLOR, THEORY_COLOR

    for plot in (plot_forward_panel, plot_backward_panel):
        lines = {line.get_label(): line for line in plot(kaiming_snapshot).get_lines()}
        network, theory = lines["this network"], lines["theory"]
        assert matplotlib.colors.same_color(network.get_color(), NETWORK_COLOR)
        assert network.get_marker() == "o" and network.get_linestyle() == "None"
        assert matplotlib.colors.same_color(theory.get_color(), THEORY_COLOR)
        assert theory.get_linestyle() == "--"
