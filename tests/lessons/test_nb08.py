"""Notebook 08's scaffolding: the slider's update function, its figures and the exercise checks."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from _widgets import accessible_names
from matplotlib.figure import Figure

from kaiming_lab import fan_modes as fm
from kaiming_lab.lessons import nb08_fan_modes as nb

# ---------------------------------------------------------------------------
# the slider's pure update function and figures


@pytest.mark.parametrize("profile", list(nb.PROFILES))
@pytest.mark.parametrize("mode", fm.MODES)
def test_view_matches_the_library(profile: str, mode: str) -> None:
    view = nb.fan_mode_view(5, profile, mode)
    widths = fm.width_profile(nb.PROFILES[profile], 5)
    assert view.widths == tuple(widths) and view.depth == 5 and view.mode == mode
    np.testing.assert_allclose(view.forward_theory, fm.forward_variances(widths, mode))
    np.testing.assert_allclose(view.backward_theory, fm.backward_variances(widths, mode))
    assert view.forward_sim.shape == (5,) and view.backward_sim.shape == (6,)
    assert np.all(view.forward_sim > 0) and np.all(view.backward_sim > 0)
    assert view.other_pass == ("forward" if mode == "fan_out" else "backward")


def test_view_is_pure_and_summary_is_right() -> None:
    a = nb.fan_mode_view(6, "funnel 1024 → 16", "fan_out")
    b = nb.fan_mode_view(6, "funnel 1024 → 16", "fan_out")
    np.testing.assert_array_equal(a.forward_sim, b.forward_sim)
    np.testing.assert_array_equal(a.backward_sim, b.backward_sim)
    assert a.profile == b.profile == "funnel 1024 → 16"
    assert "(64 times the protected value 2)" in a.summary() and "forward" in a.summary()  # d_0/d_H
    c = nb.fan_mode_view(6, "funnel 1024 → 16", "fan_in")
    assert "(1/64 of the protected value 2)" in c.summary() and "backward" in c.summary()
    d = nb.fan_mode_view(4, "bottleneck 512 → 32 → 512", "fan_in")
    assert "(equal to the protected value 2)" in d.summary()  # same end widths: ratio 1


def test_view_rejects_bad_settings() -> None:
    # depth and mode are checked by the library functions the view calls, profile by the view
    with pytest.raises(ValueError, match="depth"):
        nb.fan_mode_view(0)
    with pytest.raises(ValueError, match="profile must be one of .*'hourglass'"):
        nb.fan_mode_view(4, "hourglass")
    with pytest.raises(ValueError, match="mode"):
        nb.fan_mode_view(4, mode="fan_avg")


def test_figures_draw_without_pyplot() -> None:
    fig = nb.plot_fan_mode_view(nb.fan_mode_view(4, "diamond 64 → 512 → 64", "fan_out"))
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    again = nb.plot_fan_mode_view(nb.fan_mode_view(3), fig=fig)
    assert again is fig and len(fig.axes) == 2
    sims = {m: fm.simulate_passes([8, 16, 4], m, n_networks=3, seed=1) for m in fm.MODES}
    fig2 = nb.plot_profiles({"8 → 16 → 4": sims, "again": sims})
    assert len(fig2.axes) == 4
    table = nb.comparison_table(sims)
    assert "forward" in table and "backward" in table and "fan_out rule" in table


def test_widget_redraws_through_the_pure_view_and_names_its_controls(capsys) -> None:
    panel = nb.fan_mode_widget(depth=3, profile="constant 256", mode="fan_out")
    assert accessible_names(panel) == {
        "depth": nb.CONTROL_NAMES["depth"],
        "widths": nb.CONTROL_NAMES["profile"],
        "mode": nb.CONTROL_NAMES["mode"],
    }
    capsys.readouterr()
    slider = panel.children[0].children[0]
    slider.value = 4  # a move redraws: the figure's alt text and the summary of the new view
    shown = capsys.readouterr().out
    view = nb.fan_mode_view(4, "constant 256", "fan_out")
    assert nb.fan_mode_alt(view) in shown and view.summary() in shown


# ---------------------------------------------------------------------------
# exercise 1: backward_layer(dx, z, W)


def right_backward(dx, z, w):
    return (dx * (z > 0)) @ w


BACKWARD_SLIPS = [
    (lambda dx, z, w: dx @ w, "skipped ReLU'"),
    (lambda dx, z, w: (dx * np.maximum(z, 0)) @ w, "ReLU(z)"),
    (lambda dx, z, w: (dx * (z < 0)) @ w, "wrong side"),
    (lambda dx, z, w: 0.5 * (dx * (z > 0)) @ w, "factor 1/2"),
    (lambda dx, z, w: (dx * (z > 0)) @ w.T, "shapes do not fit"),
    (lambda dx, z, w: dx * (z > 0), "shape of dz"),
]


def test_backward_right_answer_passes() -> None:
    for seed in (0, 1, 808):
        result = nb.check_backward_layer(right_backward, seed=seed)
        assert result.correct and result.answered and result.message == "Correct."
    as_list = nb.check_backward_layer(lambda dx, z, w: right_backward(dx, z, w).tolist())
    assert as_list.correct


@pytest.mark.parametrize(("slip", "words"), BACKWARD_SLIPS)
def test_backward_slips_get_their_hint(slip, words: str) -> None:
    result = nb.check_backward_layer(slip)
    assert not result and result.answered and words in result.message


def test_backward_stub_is_not_answered() -> None:
    def stub(dx, z, w):
        raise NotImplementedError

    for fn in (stub, lambda dx, z, w: None):
        result = nb.check_backward_layer(fn)
        assert not result and not result.answered and "Not answered yet" in result.message


def test_backward_other_failures_are_reported() -> None:
    boom = nb.check_backward_layer(lambda dx, z, w: 1 / 0)
    assert not boom and boom.answered and "ZeroDivisionError" in boom.message
    odd = nb.check_backward_layer(lambda dx, z, w: np.ones((3, 3)))
    assert not odd and "(batch, d_h)" in odd.message
    other = nb.check_backward_layer(lambda dx, z, w: np.ones((dx.shape[0], w.shape[1])))
    assert not other and "Hint" in other.message


# ---------------------------------------------------------------------------
# exercise 2: fan_out_std(shape)


def right_std(shape):
    return math.sqrt(2 / (shape[0] * math.prod(shape[2:])))


STD_SLIPS = [
    (lambda s: math.sqrt(2 / (s[1] * math.prod(s[2:]))), "fan_in rule"),
    (lambda s: 2 / (s[0] * math.prod(s[2:])), "variance"),
    (lambda s: math.sqrt(1 / (s[0] * math.prod(s[2:]))), "factor 2"),
    (lambda s: math.sqrt(2 / s[0]), "kernel"),
    (lambda s: math.sqrt(2 / s[-1]), "Keras"),
]


def test_std_right_answer_passes() -> None:
    assert nb.check_fan_out_std(right_std).message == "Correct."
    assert nb.check_fan_out_std(lambda s: np.float32(right_std(s)))


@pytest.mark.parametrize(("slip", "words"), STD_SLIPS)
def test_std_slips_get_their_hint(slip, words: str) -> None:
    result = nb.check_fan_out_std(slip)
    assert not result and result.answered and words in result.message


def test_std_stub_and_bad_types() -> None:
    def stub(shape):
        raise NotImplementedError

    for fn in (stub, lambda s: None):
        result = nb.check_fan_out_std(fn)
        assert not result.answered and "Not answered yet" in result.message
    assert "one number" in nb.check_fan_out_std(lambda s: [1.0]).message
    assert "Hint" in nb.check_fan_out_std(lambda s: 1.0).message


def test_messages_never_give_the_answer_away() -> None:
    numbers = [f"{right_std(s):.3g}" for s in nb._STD_SHAPES]
    numbers += [f"{right_std(s) ** 2:.3g}" for s in nb._STD_SHAPES]
    for fn, _ in STD_SLIPS:
        message = nb.check_fan_out_std(fn).message
        assert not any(n in message for n in numbers), message
    for fn, _ in BACKWARD_SLIPS:
        message = nb.check_backward_layer(fn).message
        assert re.search(r"\d\.\d", message) is None, message  # no values of the array


# ------------------------------------------------------------------------- section 4


def test_initial_loss_of_the_classifier():
    classifier = [784, 256, 256, 10]
    fan_in, top_in = nb.initial_loss(classifier, "fan_in", n_networks=12, batch=32, seed=1)
    fan_out, top_out = nb.initial_loss(classifier, "fan_out", n_networks=12, batch=32, seed=1)
    assert fan_out.value > 4 * fan_in.value and top_out > 0.8 > top_in
    # large spread: the loss is s E[max of 10 normals] plus a term between 0 and ln 10
    s = np.sqrt(2 * 784 / 10)
    assert 1.5388 * s - 4 * fan_out.se < fan_out.value < 1.5388 * s + np.log(10) + 4 * fan_out.se
    zero, top_zero = nb.initial_loss(classifier, "fan_out", last_scale=0.0, n_networks=3, seed=2)
    assert zero.value == pytest.approx(np.log(10)) and top_zero == pytest.approx(0.1)
    small, _ = nb.initial_loss(classifier, "fan_out", last_scale=0.1, n_networks=12, seed=3)
    # Var(logits) = 1.568: between ln 10 and the loss of the unscaled net
    assert np.log(10) < small.value < fan_in.value + 0.5


def test_initial_loss_rejects_bad_input():
    with pytest.raises(ValueError, match="mode must be one of .*'fan_both'"):
        nb.initial_loss([4, 3], "fan_both")
    with pytest.raises(ValueError, match="n_networks"):
        nb.initial_loss([4, 3], "fan_in", n_networks=1)
    with pytest.raises(ValueError, match="widths"):
        nb.initial_loss([4], "fan_in")


def test_first_layer_gradient_ratio_is_d_last_over_d_first():
    widths = [784, 256, 256, 10]
    sims = {m: fm.simulate_passes(widths, m, n_networks=3, seed=5) for m in ("fan_in", "fan_out")}
    ratio = sims["fan_in"].backward[:, 1] / sims["fan_out"].backward[:, 1]
    assert np.allclose(ratio, 10 / 256)


def test_fan_mode_alt_names_the_setting_and_where_the_other_pass_ends() -> None:
    alt = nb.fan_mode_alt(nb.fan_mode_view(depth=6, profile="funnel 1024 → 16", mode="fan_in"))
    assert "funnel 1024 → 16, depth 6, mode fan_in" in alt
    assert "the forward pass stays at 2" in alt and "ends at 0.0313 at the input" in alt
    alt = nb.fan_mode_alt(nb.fan_mode_view(depth=3, profile="funnel 1024 → 16", mode="fan_out"))
    assert "the backward pass stays at 2" in alt and "ends at 128 at the output" in alt
