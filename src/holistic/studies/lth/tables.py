"""Tables 1-2 of Cosentino et al. (2019) as this run measures them: per data set, test accuracy
(natural, PGD, FGSM at eps 0.3) at every pruning level P_m, mean ± standard deviation over the
level's models (splits x seeds), one column per method; every header names the run's
departures from the paper's protocol (:mod:`.protocol`)."""

from __future__ import annotations

import pandas as pd

from ...render.tables import markdown_table, mean_sd
from .levels import MEASURES, level_label

TITLES = {"natural": "natural test accuracy", "pgd": "PGD test accuracy",
          "fgsm": "FGSM test accuracy", "stop_step": "early-stopping iteration"}
#: Every level's model is the round's early-stopping checkpoint (``train.imp.early_stopping``; the
#: departures in each header say where that is not the paper's).
CHECKPOINT_NOTE = "Each level's model: its round's early-stopping checkpoint, checked at epoch ends."


def level_table(summary: pd.DataFrame, dataset: str, measure: str, methods: list[str], note: str) -> str:
    """One Markdown table: rows P_m (round order), columns ``methods``, cells mean ± sd of ``measure``."""
    d = summary[summary["dataset"] == dataset]
    methods = [m for m in methods if m in set(d["method"])]
    decimals = 0 if measure == "stop_step" else 2
    rows = []
    for r in sorted(d["round"].unique()):
        at = d[d["round"] == r].set_index("method")
        kept = at["kept_percent"].iloc[0]
        rows.append([level_label(kept)] + [mean_sd(at.at[m, f"{measure}_mean"], at.at[m, f"{measure}_sd"], decimals)
                                           if m in at.index else "-" for m in methods])
    caption = f"**{dataset}: {TITLES[measure]} (%) per P_m (mean ± sd over models).** {note}"
    if measure == "stop_step":
        caption = f"**{dataset}: {TITLES[measure]} per P_m (optimizer steps of the round).** {note}"
    return markdown_table(["P_m (%)"] + methods, rows, "r" * (len(methods) + 1), caption)


def levels_markdown(summary: pd.DataFrame, methods: list[str], notes: dict[str, str]) -> str:
    """Every data set's tables (each measured measure, then the early-stopping iteration)."""
    parts = ["# Accuracy per pruning level (Cosentino et al. 2019, Tables 1-2)", "", CHECKPOINT_NOTE, ""]
    for dataset in summary["dataset"].unique():
        d = summary[summary["dataset"] == dataset]
        for measure in (*[m for m in MEASURES if d[f"{m}_mean"].notna().any()], "stop_step"):
            parts += [level_table(summary, dataset, measure, methods, notes.get(dataset, "")), ""]
    return "\n".join(parts)
