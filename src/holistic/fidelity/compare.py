"""Cells: published vs reproduced values, and the summary of their differences.

For every compared or flagged data set (see :mod:`holistic.fidelity.match`), metric and
method present on both sides: ``published`` (the published table's value),
``reproduced`` (the test value of the selection trace) - both rounded to the result
tables' 2 decimals - and ``difference = reproduced - published`` in percentage points.
A cell is *within tolerance* if ``|difference| <= tolerance``.
"""

from __future__ import annotations

import math

import pandas as pd

from ..records.selected import check_selected
from ..selection.select import METRICS, wide
from ..selection.tables import TABLE_DECIMALS
from .match import COMPARED, UNMATCHED, match_datasets
from .reference import Publication, load_reference, load_reference_names

COMPARISON_COLUMNS = ["dataset", "paper_name", "comparable", "metric", "method",
                      "published", "reproduced", "difference"]


def compare(pub: Publication, selected: pd.DataFrame, info: pd.DataFrame | None = None,
            reference: pd.DataFrame | None = None,
            names: pd.DataFrame | None = None) -> pd.DataFrame:
    """Published vs reproduced, one row per (data set, metric, method) present on both sides.

    ``selected``: the long selection trace (columns dataset, method, metric, test);
    ``info``: optional sizes / paper names (see :func:`match_datasets`); ``reference``
    and ``names`` default to the publication's files. Rows of flagged data sets (size
    differs) are kept with ``comparable`` False; data sets without a published table and
    cells missing on either side are skipped. Columns ``COMPARISON_COLUMNS``; sorted by
    the published row order, metric (table order) and method (the publication's order).
    """
    selected = check_selected(selected, methods=pub.methods)
    reference = load_reference(pub) if reference is None else reference
    names = load_reference_names(pub) if names is None else names
    matched = match_datasets(selected["dataset"], reference, info, names, pub.tables_label)
    pub_order = {d: i for i, d in enumerate(reference["dataset"].drop_duplicates())}
    rows = []
    for d, m in matched[matched["status"] != UNMATCHED].iterrows():
        ref = reference[reference["dataset"] == m["paper_name"]]
        published = {(r.metric, r.method): r.value for r in ref.itertuples()}
        for metric in METRICS:
            here = wide(selected[selected["dataset"] == d], metric)
            if d not in here.index:
                continue
            for method in pub.methods:
                if method not in here.columns or (metric, method) not in published:
                    continue
                value = here.at[d, method]
                if pd.isna(value):
                    continue
                p = round(float(published[(metric, method)]), TABLE_DECIMALS)
                rep = round(float(value), TABLE_DECIMALS)
                rows.append({"dataset": d, "paper_name": m["paper_name"],
                             "comparable": m["status"] == COMPARED, "metric": metric,
                             "method": method, "published": p, "reproduced": rep,
                             "difference": round(rep - p, TABLE_DECIMALS) + 0.0})  # no -0.0
    out = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    if out.empty:
        return out
    key = (out["paper_name"].map(pub_order).astype(int) * 10**6
           + out["metric"].map({m: i for i, m in enumerate(METRICS)}) * 100
           + out["method"].map({m: i for i, m in enumerate(pub.methods)}))
    return out.assign(_k=key).sort_values(["_k", "dataset"], kind="mergesort") \
              .drop(columns="_k").reset_index(drop=True)


def within_tolerance(difference: pd.Series, tolerance: float) -> pd.Series:
    """Cells with ``|difference| <= tolerance`` (differences are already rounded)."""
    return difference.abs() <= tolerance + 1e-9


def summarize_cells(comparison: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """Per metric and ``all``: cells, cells within tolerance, their share, mean absolute
    and mean signed difference; comparable cells only. Index: metric (table order), ``all``."""
    comp = comparison[comparison["comparable"].astype(bool)] if len(comparison) else comparison
    rows = []
    for metric in list(METRICS) + ["all"]:
        sub = comp if metric == "all" else comp[comp["metric"] == metric]
        n = len(sub)
        within = int(within_tolerance(sub["difference"], tolerance).sum()) if n else 0
        rows.append({"metric": metric, "cells": n, "within": within,
                     "share_within": within / n if n else math.nan,
                     "mean_abs_difference": float(sub["difference"].abs().mean()) if n else math.nan,
                     "mean_difference": float(sub["difference"].mean()) if n else math.nan})
    return pd.DataFrame(rows).set_index("metric")


__all__ = ["COMPARISON_COLUMNS", "compare", "within_tolerance", "summarize_cells"]
