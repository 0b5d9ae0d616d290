"""Per pruning level: every round model's test accuracies, and their mean and spread over the
models of a (data set, method, round), as Tables 1-2 of Cosentino et al. (2019) report them
(mean and standard deviation over trials at each P_m).

The rows come from the train jobs' eval files, where every round of ``imp`` is its own model
(``holistic.methods.ModelSpec``: ``round``, ``kept_percent`` P_m, ``stop_step`` the round's
early-stopping iteration).
"""

from __future__ import annotations

import math

import pandas as pd

from ...methods import ROUND_FIELDS
from ...records.evals import eps_key, over_splits, tidy_rows
from .methods import parse

#: The measured accuracies of a level (percent, test points): clean, PGD and FGSM at eps.
MEASURES = ("natural", "pgd", "fgsm")
#: Sec. 4.2: both attacks at eps 0.3 (pixels in [0, 1]).
EPS = 0.3
MODEL_KEYS = ["dataset", "method", "config_id", "split", "round"]
SUMMARY_KEYS = ["dataset", "method", "round"]


def model_levels(tidy: pd.DataFrame, eps: float = EPS, part: str = "test") -> pd.DataFrame:
    """One row per round model (columns ``MODEL_KEYS``, training, reset, kept_percent, stop_step
    and :data:`MEASURES`; NaN for an attack not measured) from :func:`holistic.records.evals.tidy_rows`
    with the round fields."""
    acc = tidy[(tidy["metric"] == "accuracy") & (tidy["part"] == part)]
    clean = acc["attack"] == "none"
    at_eps = acc["eps"].map(lambda e: e is not None and not (isinstance(e, float) and math.isnan(e))
                            and eps_key(e) == eps_key(eps))
    rows = acc[clean | (at_eps & acc["attack"].isin(["pgd", "fgsm"]))]
    wide = rows.assign(measure=rows["attack"].replace({"none": "natural"})) \
        .pivot_table(index=MODEL_KEYS + ["kept_percent", "stop_step"], columns="measure", values="value",
                     aggfunc="first").reset_index()
    for m in MEASURES:
        if m not in wide:
            wide[m] = float("nan")
    parsed = wide["method"].map(parse)
    wide["training"] = parsed.map(lambda p: p[0])
    wide["reset"] = parsed.map(lambda p: p[1])
    cols = MODEL_KEYS + ["training", "reset", "kept_percent", "stop_step", *MEASURES]
    return wide[cols].sort_values(MODEL_KEYS, kind="mergesort").reset_index(drop=True)


def load_levels(evals, eps: float = EPS) -> pd.DataFrame:
    """:func:`model_levels` of eval files."""
    return model_levels(tidy_rows(evals, fields=ROUND_FIELDS), eps)


def summarize(levels: pd.DataFrame) -> pd.DataFrame:
    """Per (data set, method, round): P_m, the number of models n, and the mean and sample standard
    deviation (NaN for n = 1) of each measure and of the early-stopping iteration."""
    return over_splits(levels, SUMMARY_KEYS, (*MEASURES, "stop_step"), training=("training", "first"),
                       reset=("reset", "first"), kept_percent=("kept_percent", "mean"))


def level_label(kept_percent: float) -> str:
    """P_m as the paper's tables print it: one decimal (51.3, 16.9, ...)."""
    return f"{kept_percent:.1f}"


def at_level(summary: pd.DataFrame, dataset: str, method: str, kept_percent: float,
             tolerance: float = 0.06) -> pd.Series | None:
    """The summary row of ``method`` on ``dataset`` whose P_m is ``kept_percent`` (within
    ``tolerance`` points: the closed form 1.85 of the paper's "01.8" included), or None when not measured."""
    rows = summary[(summary["dataset"] == dataset) & (summary["method"] == method)
                   & ((summary["kept_percent"] - kept_percent).abs() <= tolerance)]
    return None if rows.empty else rows.iloc[0]
