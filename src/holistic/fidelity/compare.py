"""Cells: published vs reproduced values, and the summary of their differences.

For every compared or flagged data set (see :mod:`holistic.fidelity.match`), metric and
method present on both sides: ``published`` (the published table's value),
``reproduced`` (the test value of the selection trace) - both rounded to the result
tables' 2 decimals - and ``difference = reproduced - published`` in percentage points.
A cell is *within tolerance* if ``|difference| <= tolerance``, the cell's tolerance being
``max(publication tolerance, one test row)``: one row of the published test set,
``100 / n_test`` points with ``n_test = ceil(test_fraction * n)``, is the smallest step a
published accuracy can take (3.3 points on a 30-row test set), so a cell cannot be asked to
agree more closely than that.
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
                      "published", "reproduced", "difference", "n_test", "tolerance"]
#: Upper ends of the test-set size groups of :func:`summarize_by_test_size` (rows).
TEST_SIZE_GROUPS = (50, 200, 1000)


def test_rows(pub: Publication, n) -> int | None:
    """Rows of the published test set of a data set of ``n`` rows (None: unknown)."""
    if pub.test_fraction is None or n is None or pd.isna(n):
        return None
    return math.ceil(pub.test_fraction * int(n))


def cell_tolerance(pub: Publication, n_test: int | None) -> float:
    """max(the publication's tolerance, one test row in points)."""
    return pub.tolerance if n_test is None else max(pub.tolerance, 100.0 / n_test)


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
        n_test = test_rows(pub, m["n"])
        tol = round(cell_tolerance(pub, n_test), TABLE_DECIMALS)
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
                             "difference": round(rep - p, TABLE_DECIMALS) + 0.0,  # no -0.0
                             "n_test": pd.NA if n_test is None else n_test, "tolerance": tol})
    out = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    if out.empty:
        return out
    key = (out["paper_name"].map(pub_order).astype(int) * 10**6
           + out["metric"].map({m: i for i, m in enumerate(METRICS)}) * 100
           + out["method"].map({m: i for i, m in enumerate(pub.methods)}))
    return out.assign(_k=key).sort_values(["_k", "dataset"], kind="mergesort") \
              .drop(columns="_k").reset_index(drop=True)


def within_tolerance(difference: pd.Series, tolerance) -> pd.Series:
    """Cells with ``|difference| <= tolerance`` (differences are already rounded);
    ``tolerance`` a number or one per cell."""
    tol = tolerance.to_numpy(dtype=float) if isinstance(tolerance, pd.Series) else tolerance
    return difference.abs() <= tol + 1e-9


def _comparable(comparison: pd.DataFrame) -> pd.DataFrame:
    return comparison[comparison["comparable"].astype(bool)] if len(comparison) else comparison


def _counts(sub: pd.DataFrame, tolerance) -> dict:
    n = len(sub)
    tol = sub["tolerance"] if tolerance is None else tolerance
    within = int(within_tolerance(sub["difference"], tol).sum()) if n else 0
    return {"cells": n, "within": within, "share_within": within / n if n else math.nan,
            "mean_abs_difference": float(sub["difference"].abs().mean()) if n else math.nan,
            "mean_difference": float(sub["difference"].mean()) if n else math.nan}


def summarize_cells(comparison: pd.DataFrame, tolerance: float | None = None) -> pd.DataFrame:
    """Per metric and ``all``: cells, cells within tolerance (each cell's own, or a fixed
    ``tolerance``), their share, mean absolute and mean signed difference; comparable cells
    only. Index: metric (table order), ``all``."""
    comp = _comparable(comparison)
    rows = [{"metric": metric, **_counts(comp if metric == "all" else comp[comp["metric"] == metric],
                                         tolerance)}
            for metric in list(METRICS) + ["all"]]
    return pd.DataFrame(rows).set_index("metric")


def shares_by_method(comparison: pd.DataFrame, methods) -> pd.DataFrame:
    """Per metric (rows, table order) and method (columns, ``methods`` order, then ``all``):
    ``(within, cells)`` of the comparable cells, each within its own tolerance; metrics and
    methods without a cell are left out."""
    comp = _comparable(comparison)
    table = {}
    for metric in METRICS:
        sub = comp[comp["metric"] == metric] if len(comp) else comp
        if not len(sub):
            continue
        row = {}
        for m in [*methods, "all"]:
            cells = sub if m == "all" else sub[sub["method"] == m]
            if len(cells):
                c = _counts(cells, None)
                row[m] = (c["within"], c["cells"])
        table[metric] = row
    cols = [m for m in [*methods, "all"] if any(m in r for r in table.values())]
    return pd.DataFrame.from_dict(table, orient="index").reindex(columns=cols)


def summarize_by_test_size(comparison: pd.DataFrame, groups=TEST_SIZE_GROUPS) -> pd.DataFrame:
    """Per group of published test-set size (``n_test <= 50``, ``51-200``, ..., ``> last``,
    ``unknown``): data sets, cells, within tolerance, share, mean absolute and signed
    difference (comparable cells, each within its own tolerance); empty groups left out."""
    comp = _comparable(comparison)
    if not len(comp):
        return pd.DataFrame(columns=["group", "datasets", "cells", "within", "share_within",
                                     "mean_abs_difference", "mean_difference"]).set_index("group")
    edges = [0, *groups]
    labels = [f"{lo + 1}-{hi}" if lo else f"<= {hi}" for lo, hi in zip(edges, edges[1:])] + [f"> {groups[-1]}"]
    size = pd.to_numeric(comp["n_test"], errors="coerce")
    which = pd.Series("unknown", index=comp.index)
    for label, lo, hi in zip(labels, edges, [*groups, math.inf]):
        which[(size > lo) & (size <= hi)] = label
    rows = []
    for label in [*labels, "unknown"]:
        sub = comp[which == label]
        if len(sub):
            rows.append({"group": label, "datasets": sub["dataset"].nunique(), **_counts(sub, None)})
    return pd.DataFrame(rows).set_index("group")


__all__ = ["COMPARISON_COLUMNS", "TEST_SIZE_GROUPS", "test_rows", "cell_tolerance", "compare",
           "within_tolerance", "summarize_cells", "shares_by_method", "summarize_by_test_size"]
