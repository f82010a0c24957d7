"""Notebook 02's exercises: ``check_rms_per_layer`` on right answers and slips; the value checks.

The check calls the student's ``rms_per_layer(depth, width, weight_std, rng)``.
A right answer must pass whatever order it draws in and for any generator
seed; each slip must get its own hint; an untouched stub is "not answered".
"""

from __future__ import annotations

import exercise_contract as contract
import numpy as np
import pytest

from kaiming_lab.diagnostics import predicted_break_layer
from kaiming_lab.lessons import nb02_scale
from kaiming_lab.lessons.nb02_scale import check_rms_per_layer


def student(*, relu=True, record="z", returns="rms", spread=lambda s: s, order="x first"):
    """A student's ``rms_per_layer``, right by default, with one slip switched on by keyword."""

    def rms_per_layer(depth, width, weight_std, rng):
        weights = None
        if order == "weights first":
            weights = [rng.normal(0.0, spread(weight_std), (width, width)) for _ in range(depth)]
        x = rng.standard_normal((64, width))
        out = []
        for h in range(depth):
            if weights is not None:
                w = weights[h]
            elif order == "scaled normals":
                w = spread(weight_std) * rng.standard_normal((width, width))
            else:
                w = rng.normal(0.0, spread(weight_std), (width, width))
            z = x @ w.T if order != "transposed" else x @ w
            x_next = np.maximum(z, 0.0) if relu else z
            seen = z if record == "z" else x_next
            mean_square = np.mean(seen**2)
            out.append(mean_square if returns == "mean square" else np.sqrt(mean_square))
            x = x_next
        return np.array(out)

    return rms_per_layer


@pytest.mark.parametrize("order", ["x first", "weights first", "scaled normals", "transposed"])
@pytest.mark.parametrize("seed", range(0, 40, 4))
def test_right_answers_pass_in_any_draw_order(order: str, seed: int) -> None:
    result = check_rms_per_layer(student(order=order), seed=seed)
    assert result.correct and result.answered and result.message == "Correct."


def test_a_list_is_accepted() -> None:
    right = student()
    assert check_rms_per_layer(lambda *args: list(right(*args)))


SLIPS = [
    ({"relu": False}, "ReLU"),
    ({"returns": "mean square"}, "square root"),
    ({"record": "x"}, "pre-activation"),
    ({"spread": lambda s: s**2}, "standard deviation"),
    ({"spread": np.sqrt}, "standard deviation"),
]


@pytest.mark.parametrize(("slip", "words"), SLIPS)
@pytest.mark.parametrize("seed", range(0, 20, 4))
def test_each_slip_gets_its_hint(slip: dict, words: str, seed: int) -> None:
    result = check_rms_per_layer(student(**slip), seed=seed)
    assert not result and result.answered
    assert result.message.startswith("Not yet") and words in result.message


def test_untouched_stub_is_not_answered_and_not_an_error() -> None:
    def stub(depth, width, weight_std, rng):
        raise NotImplementedError

    for fn in (stub, lambda *args: None):
        result = check_rms_per_layer(fn)
        assert not result and not result.answered and "Not answered yet" in repr(result)


def test_broken_functions_are_reported_not_raised() -> None:
    def crashes(depth, width, weight_std, rng):
        return np.ones(3) @ np.ones(4)

    result = check_rms_per_layer(crashes)
    assert not result and result.answered and "ValueError" in result.message
    short = check_rms_per_layer(lambda *args: np.ones(5))
    assert not short and "one number per layer" in short.message
    negative = check_rms_per_layer(lambda depth, *args: -np.ones(depth))
    assert not negative and "positive" in negative.message
    other = check_rms_per_layer(lambda depth, *args: np.ones(depth))
    assert not other and other.message.startswith("Not yet")


def test_messages_never_give_the_numbers_away() -> None:
    # the check's settings: width 200, std 0.15, m = 2.25; the right values start at sqrt(2 m)
    m = 200 * 0.15**2 / 2
    answers = [f"{np.sqrt(2 * m):.3g}", f"{np.sqrt(m):.3g}", f"{m:.3g}"]
    fns = [student(**slip) for slip, _ in SLIPS] + [lambda depth, *args: np.ones(depth)]
    for fn in fns:
        message = check_rms_per_layer(fn).message
        assert not any(a in message for a in answers), message


def test_rms_inset_draws_the_chosen_run_on_a_linear_axis() -> None:
    import matplotlib.pyplot as plt

    from kaiming_lab import simulate_forward
    from kaiming_lab.lessons.nb02_scale import plot_rms_with_linear_inset

    runs = {
        "small": simulate_forward(20, 16, variance_factor=0.25, seed=1),
        "kaiming": simulate_forward(20, 16, seed=1),
    }
    ax, box = plot_rms_with_linear_inset(runs, "kaiming")
    assert ax.get_yscale() == "log" and box.get_yscale() == "linear"
    np.testing.assert_allclose(box.get_lines()[0].get_ydata(), runs["kaiming"].rms_z)
    assert box.get_ylim()[0] == 0.0
    with pytest.raises(ValueError, match="inset must be one of"):
        plot_rms_with_linear_inset(runs, "xavier")
    plt.close("all")
    # a run that overflows adds a dotted line of its own: the inset still takes its curve's colour
    broken = {"huge": simulate_forward(350, 16, variance_factor=100.0, seed=1), **runs}
    assert broken["huge"].overflow_layer is not None
    ax, box = plot_rms_with_linear_inset(broken, "kaiming")
    main = next(line for line in ax.get_lines() if line.get_label() == "kaiming")
    assert box.get_lines()[0].get_color() == main.get_color()
    plt.close("all")


def test_layer_histograms_are_normalised_and_print_the_rms() -> None:
    import matplotlib.pyplot as plt

    from kaiming_lab.lessons.nb02_scale import plot_layer_histograms

    rng = np.random.default_rng(0)
    z = rng.standard_normal(4000)
    fig = plot_layer_histograms({"a": {1: z, 10: 3 * z}, "b": {1: 1e-9 * z, 10: 1e9 * z}})
    axes = fig.axes
    assert len(axes) == 4
    heights = [np.array([p.get_height() for p in ax.patches]) for ax in axes]
    for h in heights[1:]:  # z / rms is the same for every scale
        np.testing.assert_allclose(h, heights[0])
    assert any("rms 3.0e+00" in t.get_text() for t in axes[1].texts)
    assert any("rms 1.0e-09" in t.get_text() for t in axes[2].texts)
    plt.close("all")


# --------------------------------------------------------------------------- value checks
# the contract every value exercise check keeps: tests/exercise_contract.py


def test_every_value_check_is_tested() -> None:
    assert contract.value_checks(nb02_scale, {"check_rms_per_layer"}) == {
        "check_float32_overflow_layer",
        "check_layer_multiplier",
    }


def test_layer_multiplier_check() -> None:
    """width 1000, std 0.05, after a ReLU: 1000 * 0.05^2 / 2; forgetting the ReLU is the slip."""
    check = nb02_scale.check_layer_multiplier
    contract.assert_numeric_check(check, 1000 * 0.05**2 / 2, slips=[1000 * 0.05**2])
    assert "ReLU" in check(1000 * 0.05**2).message


def test_float32_overflow_layer_check_wants_an_integer() -> None:
    check = nb02_scale.check_float32_overflow_layer
    exact = predicted_break_layer(100.0, 1.0, float(np.finfo(np.float32).max))
    contract.assert_value_check(check, exact, [exact - 1, exact + 1, 0, 1000, 2.5])
    assert not check(float(exact))
    assert "one layer short" in check(exact - 1).message
    # the std 10^h first exceeds float32's maximum (about 3.4e38) at this layer
    assert 10.0 ** (exact - 1) < float(np.finfo(np.float32).max) < 10.0**exact
