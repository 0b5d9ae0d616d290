"""Table 1 of the HDL paper: the eight methods as compositions of three on/off components.

robust: the per-sample loss is eq. (7) (``robust_linear``) instead of cross-entropy (eq. 3);
stable: the per-sample losses are reduced by the dual of eq. (10) (``stable``) instead of the mean;
sparse: training runs continuous sparsification rounds (eq. 9) instead of a single round.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...methods import Method

BASELINE = "DL"


@dataclass(frozen=True)
class Components:
    """Which of HDL's three components a method switches on (the SHAP design of Section 4.4)."""

    robust: bool
    stable: bool
    sparse: bool


def compose(c: Components) -> Method:
    return Method(loss="robust_linear" if c.robust else "ce", reduction="stable" if c.stable else "mean",
                  procedure="continuous_sparsification" if c.sparse else "single")


#: Table 1, in its column order.
COMPONENTS: dict[str, Components] = {
    "DL": Components(False, False, False),
    "Robust": Components(True, False, False),
    "Stable": Components(False, True, False),
    "Sparse": Components(False, False, True),
    "Robust+Sparse": Components(True, False, True),
    "Stable+Sparse": Components(False, True, True),
    "Stable+Robust": Components(True, True, False),
    "HDL": Components(True, True, True),
}

METHODS: dict[str, Method] = {name: compose(c) for name, c in COMPONENTS.items()}
