"""What every figure of the course shares, whether matplotlib or bqplot draws it.

Kept free of matplotlib, so the explorer (bqplot, in the browser) and
:mod:`kaiming_lab.style` (matplotlib, in the notebooks) read one definition:

* :data:`PALETTE`: Okabe & Ito's colour-blind-safe colours; this network is
  the first (blue), the theory the second (vermillion);
* :func:`decade_exponents`: the powers of ten a log axis labels, multiples of
  a round step (over 1e-100 .. 1e100 with at most 7 ticks: -100, -50, 0, 50, 100);
* :func:`power_label`: ``0.01`` ... ``1000`` written plainly, ``10⁴`` beyond.
"""

from __future__ import annotations

import math

__all__ = ["PALETTE", "decade_exponents", "power_label"]

#: Okabe & Ito's colour-blind-safe palette (blue, vermillion, bluish green,
#: reddish purple, orange, sky blue, black, yellow).
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#F0E442",
)
_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000)
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def decade_exponents(k_lo: int, k_hi: int, max_ticks: int) -> list[int]:
    """Exponents ``k`` in ``[k_lo, k_hi]``, multiples of the first round step giving ``max_ticks``
    or fewer (steps 1, 2, 5, 10, 20, 25, 50, 100, ...); ``[k_lo, k_hi]`` if none does."""
    for step in _STEPS:
        ticks = list(range(math.ceil(k_lo / step) * step, k_hi + 1, step))
        if len(ticks) <= max_ticks:
            return ticks
    return [k_lo, k_hi]


def power_label(k: int, *, tex: bool = False) -> str:
    """Label of ``10**k``: plain from 0.01 to 1000, else ``10⁴`` (``$10^{4}$`` with ``tex``)."""
    if -2 <= k <= 3:
        return f"{10.0**k:g}"
    return rf"$10^{{{k}}}$" if tex else "10" + str(k).translate(_SUPERSCRIPT)
