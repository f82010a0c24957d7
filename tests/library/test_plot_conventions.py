"""``kaiming_lab.plot_conventions``: one palette and one rule for log-axis ticks and labels."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kaiming_lab import style
from kaiming_lab.plot_conventions import PALETTE, decade_exponents, power_label


def test_power_labels_are_plain_near_one_and_powers_beyond():
    assert [power_label(k) for k in (-2, 0, 3, 4, -20)] == ["0.01", "1", "1000", "10⁴", "10⁻²⁰"]
    assert [power_label(k, tex=True) for k in (-3, 2, 40)] == ["$10^{-3}$", "100", "$10^{40}$"]


@pytest.mark.parametrize(
    "k_lo, k_hi, most, expected",
    [
        (-1, 1, 6, [-1, 0, 1]),
        (-100, 100, 6, [-100, -50, 0, 50, 100]),
        (-300, 300, 6, [-200, 0, 200]),
        (-37, 12, 6, [-30, -20, -10, 0, 10]),
        (3, 3, 6, [3]),
    ],
)
def test_decade_exponents_are_multiples_of_the_first_round_step_that_fits(
    k_lo, k_hi, most, expected
):
    assert decade_exponents(k_lo, k_hi, most) == expected


def test_the_matplotlib_style_uses_the_same_palette_and_ticks():
    assert style.PALETTE is PALETTE
    locator = style.RoundDecadeLocator(max_ticks=6)
    assert locator.tick_values(1e-100, 1e100) == [10.0**k for k in (-100, -50, 0, 50, 100)]


def test_importing_it_loads_no_matplotlib():
    code = "import sys, kaiming_lab.plot_conventions; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
