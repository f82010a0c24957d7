"""Scaffolding for ``notebooks/05_proposition.ipynb``: its exercise checks.

Each ``check_*(answer)`` returns a :class:`~kaiming_lab.lessons.checks.CheckResult`.
"""

from __future__ import annotations

import numpy as np

from .checks import CheckResult, check_number

__all__ = ["check_first_layer_variance", "check_xavier_shrink"]


def check_first_layer_variance(answer: object) -> CheckResult:
    """Exercise (notebook 05): ``Var(z^(0)_i)`` for x = (1, 2, 2, 4) and Kaiming weights."""
    x = np.array([1.0, 2.0, 2.0, 4.0])
    norm2 = float(x @ x)
    d0 = x.size
    return check_number(
        answer,
        2.0 / d0 * norm2,
        mistakes=[
            (
                norm2 / d0,
                "That is the input's mean square. The weights' variance is 2/d_0, not 1/d_0.",
            ),
            (norm2 / 2.0 / d0, "There is no ReLU in front of layer 0, so no factor 1/2 here."),
            (2.0 * norm2, "Var(W) is 2/d_0: divide by the number of inputs."),
        ],
        hint="z^(0)_i = sum_j W_ij x_j with x fixed: Var = Var(W) · ||x||².",
    )


def check_xavier_shrink(answer: object) -> CheckResult:
    """Exercise (notebook 05): std of z under Xavier / std under Kaiming after 24 ReLU layers."""
    layers = 24
    return check_number(
        answer,
        2.0 ** (-layers / 2),
        mistakes=[
            (2.0 ** (-layers), "That is the ratio of variances; the question asks about the std."),
            (2.0 ** (layers / 2), "Upside down: Xavier's smaller weights give the smaller signal."),
        ],
        hint="Each layer Xavier keeps half of Kaiming's variance factor; take a square root.",
    )
