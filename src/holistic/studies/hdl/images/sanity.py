"""Checks a reviewer makes before reading the image tables further: DL trained properly
(:data:`SANITY_DL_ACCURACY`), the robust loss works on MNIST (:data:`SANITY_ROBUST_MARGIN`), each
reported as measured value vs threshold, pass or fail (:func:`sanity_rows`), on this run's values
as the tables print them (one decimal).
"""

from __future__ import annotations

import math
from typing import Mapping

import pandas as pd

from ....fidelity.claims import MissingValue, Table, claim_tables, value
from ....records.evals import radius_for
from ....render.tables import is_missing, markdown_table
from ..methods import BASELINE
from ..reads import ADV, NAT, ROBUST_METHODS
from .tables import DECIMALS, printed, rounded

#: Sanity check: DL's natural test accuracy at least this, per data set (a DL that
#: falls short was not trained properly, and no comparison built on it means much).
SANITY_DL_ACCURACY = {"mnist": 97.5, "fashion-mnist": 87.0}
#: Sanity check: on this data set at this radius, every method with the robust
#: component beats DL's adversarial accuracy by at least this many points.
SANITY_ROBUST_DATASET, SANITY_ROBUST_EPS, SANITY_ROBUST_MARGIN = "mnist", 0.1, 10.0

SANITY_COLUMNS = ["check", "dataset", "measured", "detail", "threshold", "result"]
NOT_IN_RUN = "not in this run"


def _dl_accuracy_check(tables: Mapping[str, Table], dataset: str, bound: float) -> dict:
    row = {"check": "DL natural test accuracy", "dataset": dataset, "measured": math.nan,
           "detail": BASELINE, "threshold": bound}
    if dataset not in tables:
        return {**row, "result": NOT_IN_RUN}
    try:
        measured = value(tables[dataset], NAT, BASELINE)
    except MissingValue:
        return {**row, "result": "n/a (no DL value)"}
    return {**row, "measured": measured, "result": "pass" if measured >= bound else "fail"}


def _robust_margin_check(tables: Mapping[str, Table], adversarial_eps) -> dict:
    ds = SANITY_ROBUST_DATASET
    row = {"check": f"robust-family adversarial accuracy - DL's at rho = {SANITY_ROBUST_EPS:g} "
                    "(smallest)", "dataset": ds, "measured": math.nan, "detail": "",
           "threshold": SANITY_ROBUST_MARGIN}
    if ds not in tables:
        return {**row, "result": NOT_IN_RUN}
    eps = radius_for(adversarial_eps, ds)
    if not math.isclose(eps, SANITY_ROBUST_EPS):
        return {**row, "result": f"not measured (adversarial accuracy here at rho = {eps:g})"}
    t = tables[ds]
    present = [m for m in ROBUST_METHODS if m in t.get(ADV, {})]
    try:
        dl = value(t, ADV, BASELINE)
        gaps = {m: round(value(t, ADV, m) - dl, DECIMALS) for m in present}
    except MissingValue:
        gaps = {}
    if not gaps:
        return {**row, "result": "n/a (no DL or robust-family value)"}
    worst = min(gaps, key=gaps.get)
    return {**row, "measured": gaps[worst], "detail": worst,
            "result": "pass" if gaps[worst] >= SANITY_ROBUST_MARGIN else "fail"}


def sanity_rows(here: pd.DataFrame, adversarial_eps) -> pd.DataFrame:
    """The reviewer's sanity checks on this run's values (one decimal), one row each:
    DL's natural accuracy per data set of :data:`SANITY_DL_ACCURACY`, then the smallest
    margin of a robust-family method over DL in adversarial accuracy on
    :data:`SANITY_ROBUST_DATASET` (made only where the run measures it at
    :data:`SANITY_ROBUST_EPS`). Columns ``SANITY_COLUMNS``: ``measured`` a number (NaN
    where not measured), ``detail`` the method it comes from, ``threshold`` the bound it
    must reach, ``result`` ``pass``, ``fail`` or why it was not made."""
    tables = claim_tables(here.assign(value=here["value"].map(rounded)), list(here["dataset"].unique()))
    rows = [_dl_accuracy_check(tables, ds, bound) for ds, bound in SANITY_DL_ACCURACY.items()]
    rows.append(_robust_margin_check(tables, adversarial_eps))
    return pd.DataFrame(rows, columns=SANITY_COLUMNS)


def sanity_markdown(rows: pd.DataFrame) -> str:
    """The sanity-check table of ``images.md``."""
    body = []
    for r in rows.itertuples():
        margin = r.check.startswith("robust")
        measured = "-" if is_missing(r.measured) else printed(r.measured, sign=margin)
        if r.detail and measured != "-":
            measured += f" ({r.detail})"
        threshold = f">= {printed(r.threshold, sign=margin)}" + (" points" if margin else "")
        body.append([r.check, r.dataset, measured, threshold, r.result])
    return markdown_table(["check", "data set", "measured", "threshold", "result"], body, "llrrl")
