"""Difficulty of a data set = natural test accuracy of the nominal DL model (Section 4).

Two groupings are used by the paper:

- Figures 1-2 (Section 4.1): six ranges 0-70, 70-80, 80-90, 90-95, 95-98, 98-100 %;
- Figure 3 (Section 4.4): three categories low (< 80 %), medium (80-95 %), high (> 95 %).

A value on a boundary goes to the higher group (80.0 is "medium", 95.0 is "medium"
only in the sense that "high" is strictly above 95, as the paper writes "> 95%").
"""

from __future__ import annotations

import pandas as pd

#: Upper edges (exclusive) and labels of the six groups of Figures 1-2.
FIGURE1_GROUPS: tuple[tuple[float, str], ...] = (
    (70.0, "0-70%"), (80.0, "70-80%"), (90.0, "80-90%"),
    (95.0, "90-95%"), (98.0, "95-98%"), (float("inf"), "98-100%"),
)

#: The three categories of Figure 3, in order.
CATEGORIES: tuple[str, ...] = ("low", "medium", "high")


def figure1_group(dl_accuracy: float) -> str:
    """Label of the Figure 1-2 group of a DL natural accuracy in percent."""
    for upper, label in FIGURE1_GROUPS:
        if dl_accuracy < upper:
            return label
    return FIGURE1_GROUPS[-1][1]


def category(dl_accuracy: float) -> str:
    """Figure 3 category: low (< 80), medium (80-95), high (> 95)."""
    if dl_accuracy < 80.0:
        return "low"
    if dl_accuracy <= 95.0:
        return "medium"
    return "high"


def dl_accuracy(selected: pd.DataFrame) -> pd.Series:
    """DL natural test accuracy per data set (index dataset) from a selection table
    (columns dataset, method, metric, test; see ``holistic.selection.select.select_all``)."""
    rows = selected[(selected["method"] == "DL") & (selected["metric"] == "natural_accuracy")]
    return rows.set_index("dataset")["test"].astype(float).sort_index()


def groups(selected: pd.DataFrame, kind: str = "figure1") -> pd.Series:
    """Group label per data set: ``kind`` "figure1" (six groups) or "category" (three)."""
    fn = {"figure1": figure1_group, "category": category}[kind]
    return dl_accuracy(selected).map(fn)


__all__ = ["FIGURE1_GROUPS", "CATEGORIES", "figure1_group", "category", "dl_accuracy", "groups"]
