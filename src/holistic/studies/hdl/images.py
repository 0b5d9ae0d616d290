"""Tables 2-4 of Section 4.2 (Fashion-MNIST, MNIST, CIFAR10) against the published values.

- :func:`published_tables_2_4`: the published Tables 2-4, package data
  ``reference/hdl_paper_tables_2_to_4.csv`` (long ``table, dataset, metric, method,
  value``; data sets by their registry names, values in percent with one decimal).
- :func:`image_values`: this run's values in the same layout: per image data set and
  method, the four test values of the one configuration chosen by the multi-objective
  validation rank, as in Tables 2-4 (:func:`holistic.studies.hdl.figures.dataset_values`).
- :func:`cells`, :func:`comparison`: ``published / here / difference`` per data set,
  metric and method, in the layout of Tables 2-4 (rows the four metrics, columns the
  eight methods); each table headed by the radii compared, a flag when the network is
  not the paper's (ALEX CNN) and the run's other departures from the paper's protocol
  (:func:`table_notes`, from params).
- the claims of Section 4.2: :mod:`holistic.studies.hdl.image_claims` (the claims engine);
  ``images.md`` shows their table.
- :data:`SANITY_DL_ACCURACY`, :data:`SANITY_ROBUST_MARGIN`: checks a reviewer makes
  before reading further (DL trained properly; the robust loss works on MNIST), each
  reported as measured value vs threshold, pass or fail (:func:`sanity_rows`).
- :func:`write_images`: ``images.md`` and ``images.csv``.

Values are compared as the tables print them: rounded to one decimal, difference =
here - published in percentage points. The functions take the merged params (a
mapping) where they need the run's settings; they read ``aggregate.adversarial_rho``,
``split`` (with ``split.per_dataset.<data set>``), ``train.epochs``, ``train.grid`` and
``studies.hdl.model``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from ...config import lookup
from ...data.splits import split_params
from ...errors import DataError
from ...fidelity import engine as E
from ...fidelity import outputs
from ...fidelity.claims import MissingValue, Table, claim_tables, value
from ...fidelity.compare import within_tolerance
from ...fidelity.reference import numbers
from ...io import write_text
from ...records.evals import radius_for
from ...records.selected import read_table, require_known, require_unique_cells
from ...render.labels import METRIC_SHORT
from ...render.tables import frame_csv, is_missing, markdown_table, number, ordered
from ...selection.select import METRICS
from .claims import ADV, NAT, PUBLICATION, REFERENCE_DIR, ROBUST_METHODS, reference_file
from .figures import PER_DATASET_DECIMALS, dataset_values
from .methods import BASELINE, METHODS
from .protocol import header_note

REFERENCE_FILE = "hdl_paper_tables_2_to_4.csv"
REFERENCE_SOURCE = REFERENCE_DIR + REFERENCE_FILE
REFERENCE_COLUMNS = ["table", "dataset", "metric", "method", "value"]

#: The published table of each image data set (registry name), in the paper's order.
TABLES = {"fashion-mnist": "Table 2", "mnist": "Table 3", "cifar10": "Table 4"}
#: Radius of the adversarial accuracy of each table (PGD, L-infinity).
PAPER_RADIUS = {"fashion-mnist": 0.01, "mnist": 0.1, "cifar10": 0.01}
#: The network of Tables 2-4 (the published code's ``alex``) and how the paper names it.
PAPER_MODEL, PAPER_MODEL_LABEL = "alex", "ALEX CNN"
#: Protocol of Section 4 for the image sets: epochs per round, train/validation splits.
PAPER_PROTOCOL = {"epochs": 50, "n_splits": 10}
#: Values per grid axis in the paper (lr, rho, lambda, beta_bar, a: 2x5x3x2x4).
PAPER_GRID = {"lr": 2, "rho": 5, "lambda": 3, "beta_bar": 2, "a": 4}
#: Tables 2-4 print one decimal: values are rounded to it before they are compared.
DECIMALS = PER_DATASET_DECIMALS
#: A difference beyond this many points is printed in bold (as in ``fidelity.md``).
TOLERANCE = PUBLICATION.tolerance

#: Sanity check: DL's natural test accuracy at least this, per data set (a DL that
#: falls short was not trained properly, and no comparison built on it means much).
SANITY_DL_ACCURACY = {"mnist": 97.5, "fashion-mnist": 87.0}
#: Sanity check: on this data set at this radius, every method with the robust
#: component beats DL's adversarial accuracy by at least this many points.
SANITY_ROBUST_DATASET, SANITY_ROBUST_RHO, SANITY_ROBUST_MARGIN = "mnist", 0.1, 10.0

CELL_COLUMNS = ["dataset", "metric", "method", "published", "here", "difference"]
SANITY_COLUMNS = ["check", "dataset", "measured", "detail", "threshold", "result"]
NOT_IN_RUN = "not in this run"


def _r(v) -> float:
    """A value as the tables print it (one decimal)."""
    return round(float(v), DECIMALS)


def _f(v, sign: bool = False) -> str:
    return number(v, DECIMALS, missing="-", sign=sign, no_negative_zero=True)


# --------------------------------------------------------------------------- values

def published_tables_2_4(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The published Tables 2-4, long: ``table, dataset, metric, method, value`` (96 rows;
    ``path`` defaults to the packaged CSV, :func:`holistic.studies.hdl.claims.reference_file`).
    DataError naming the file for a missing column, a non-numeric value, an unknown
    metric or method, or a cell given twice."""
    source = REFERENCE_SOURCE if path is None else str(path)
    df = read_table(reference_file(REFERENCE_FILE) if path is None else path, source,
                    REFERENCE_COLUMNS, dtype=str, keep_default_na=False)
    out = df.apply(lambda s: s.str.strip())
    out["value"] = numbers(df, "value", source, integer=False)
    require_known(out, (("metric", METRICS), ("method", METHODS)), source)
    require_unique_cells(out, source)
    return out


def image_values(selected: pd.DataFrame, summary: pd.DataFrame, datasets: Sequence[str],
                 source: str = "selection") -> pd.DataFrame:
    """This run's Tables 2-4 values, long ``dataset, metric, method, value``: per data set of
    ``datasets`` and method, the four test values of the configuration chosen by the
    multi-objective validation rank (``summary``: :func:`holistic.selection.select.summarize`
    of the data sets' eval files). DataError naming ``source`` when a data set has no
    multi-objective choice in ``selected`` or its choice is not in ``summary``."""
    frames = []
    for ds in datasets:
        tab = dataset_values(selected, ds, summary, source)
        if tab.columns.empty:
            raise DataError(f"{source}: data set {ds!r}: no multi-objective selection")
        long = tab.rename_axis(index="metric", columns="method").stack().rename("value").reset_index()
        frames.append(long.assign(dataset=ds))
    if not frames:
        return pd.DataFrame(columns=["dataset", "metric", "method", "value"])
    out = pd.concat(frames, ignore_index=True)[["dataset", "metric", "method", "value"]]
    return out.dropna(subset=["value"]).reset_index(drop=True)


def _datasets(here: pd.DataFrame) -> list[str]:
    """The run's data sets: those with a published table in table order, then the others."""
    return ordered(here["dataset"].unique(), list(TABLES))


def cells(here: pd.DataFrame, published: pd.DataFrame | None = None) -> pd.DataFrame:
    """Published vs here per (data set, metric, method) of every data set of ``here`` that
    has a published table: columns ``CELL_COLUMNS``, values rounded to one decimal,
    ``difference = here - published``; ``here`` and ``difference`` NaN where the run has
    no value. Rows: data set (table order), metric, method (Table 1 order)."""
    published = published_tables_2_4() if published is None else published
    rows = []
    for ds in _datasets(here):
        pub = published[published["dataset"] == ds]
        if pub.empty:
            continue
        pub = {(r.metric, r.method): r.value for r in pub.itertuples()}
        mine = {(r.metric, r.method): r.value for r in here[here["dataset"] == ds].itertuples()}
        for metric in METRICS:
            for method in METHODS:
                if (metric, method) not in pub:
                    continue
                p = _r(pub[(metric, method)])
                h = _r(mine[(metric, method)]) if (metric, method) in mine else math.nan
                rows.append({"dataset": ds, "metric": metric, "method": method, "published": p,
                             "here": h, "difference": round(h - p, DECIMALS) + 0.0})
    return pd.DataFrame(rows, columns=CELL_COLUMNS)


# --------------------------------------------------------------------------- settings

def run_model(params: Mapping) -> str:
    """The network of the run: ``studies.hdl.model``, else the methods' own (``mlp``)."""
    return lookup(params, "studies.hdl.model") or METHODS[BASELINE].model


def table_notes(params: Mapping, dataset: str) -> list[str]:
    """Header lines of one data set's table: the radii compared, the architecture flag
    (the run's network is not ALEX) and the other departures from the paper's protocol
    (epochs, splits, grid sizes, a slice of the rows)."""
    table = TABLES.get(dataset, "the paper")
    notes = []
    rho = radius_for(params["aggregate"]["adversarial_rho"], dataset)
    paper_rho = PAPER_RADIUS.get(dataset)
    if paper_rho is None:
        notes.append(f"Adversarial accuracy here at rho = {rho:g}; no published table.")
    else:
        warn = "" if math.isclose(rho, paper_rho) else \
            " **(radius differs: the adversarial cells compare different radii)**"
        notes.append(f"Adversarial accuracy here at rho = {rho:g}; {table} at rho = {paper_rho:g}{warn}.")
    model = run_model(params)
    if model != PAPER_MODEL:
        notes.append(f"**architecture differs: here {model}, paper {PAPER_MODEL_LABEL}**.")
    else:
        notes.append(f"Architecture as the paper: {model} ({PAPER_MODEL_LABEL}).")
    departures = []
    epochs = lookup(params, "train.epochs")
    if epochs is not None and epochs != PAPER_PROTOCOL["epochs"]:
        departures.append(f"{epochs} epochs per round (paper {PAPER_PROTOCOL['epochs']})")
    split = split_params(params, dataset) if isinstance(params.get("split"), Mapping) else {}
    n_splits = split.get("n_splits")
    if n_splits is not None and n_splits != PAPER_PROTOCOL["n_splits"]:
        departures.append(f"{n_splits} train/validation split{'' if n_splits == 1 else 's'} "
                          f"(paper {PAPER_PROTOCOL['n_splits']})")
    grid = lookup(params, "train.grid") or {}
    sizes = [len(grid[a]) if a in grid else None for a in PAPER_GRID]
    if None not in sizes and sizes != list(PAPER_GRID.values()):
        departures.append(f"grid {' x '.join(PAPER_GRID)} = {'x'.join(map(str, sizes))} values "
                          f"(paper {'x'.join(map(str, PAPER_GRID.values()))})")
    for key, what in (("max_trainval_rows", "training and validation rows"), ("max_test_rows", "test rows")):
        if split.get(key) is not None:
            departures.append(f"{what}: a slice of {split[key]} rows, not comparable")
    if departures:
        notes.append("Other departures from the paper's protocol: " + "; ".join(departures) + ".")
    else:
        notes.append("Protocol otherwise as the paper's (epochs, splits, grid sizes, all rows).")
    return notes


# --------------------------------------------------------------------------- the tables

def _cell_text(r) -> str:
    if is_missing(r.here):
        return f"{_f(r.published)} / - / -"
    d = _f(r.difference, sign=True)
    if not within_tolerance(pd.Series([r.difference]), TOLERANCE).iat[0]:
        d = f"**{d}**"
    return f"{_f(r.published)} / {_f(r.here)} / {d}"


def comparison(here: pd.DataFrame, params: Mapping, published: pd.DataFrame | None = None) -> str:
    """Markdown: per data set of ``here`` (table order), its Table 2-4 in the paper's layout
    (rows the four metrics, columns the eight methods), each cell ``published / here /
    difference`` (difference in bold beyond :data:`TOLERANCE` points), headed by
    :func:`table_notes`. A data set without a published table gets a line saying so."""
    published = published_tables_2_4() if published is None else published
    tab = cells(here, published)
    blocks = []
    for ds in _datasets(here):
        table = TABLES.get(ds)
        sub = tab[tab["dataset"] == ds]
        if sub.empty:
            blocks.append(f"### {ds}\n\nNo published table for {ds} (Tables 2-4: "
                          f"{', '.join(TABLES)}).\n")
            continue
        notes = "\n".join(f"- {n}" for n in table_notes(params, ds))
        rho = radius_for(params["aggregate"]["adversarial_rho"], ds)
        paper_rho = PAPER_RADIUS[ds]
        names = dict(METRIC_SHORT)
        names[ADV] += f" rho={paper_rho:g}" + ("" if math.isclose(rho, paper_rho) else f" (here {rho:g})")
        methods = [m for m in METHODS if m in set(sub["method"])]
        rows = []
        for metric in METRICS:
            by = {r.method: r for r in sub[sub["metric"] == metric].itertuples()}
            rows.append([names[metric]] + [_cell_text(by[m]) if m in by else "-" for m in methods])
        caption = (f"**{table}, {ds} (test set, %): published / here / difference (here - published, "
                   f"points; bold beyond {TOLERANCE:g}).**")
        blocks.append(f"### {table}: {ds}\n\n{notes}\n\n"
                      + markdown_table(["metric", *methods], rows, "l" + "r" * len(methods), caption))
    return "\n".join(blocks)


# --------------------------------------------------------------------------- sanity checks

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


def _robust_margin_check(tables: Mapping[str, Table], adversarial_rho) -> dict:
    ds = SANITY_ROBUST_DATASET
    row = {"check": f"robust-family adversarial accuracy - DL's at rho = {SANITY_ROBUST_RHO:g} "
                    "(smallest)", "dataset": ds, "measured": math.nan, "detail": "",
           "threshold": SANITY_ROBUST_MARGIN}
    if ds not in tables:
        return {**row, "result": NOT_IN_RUN}
    rho = radius_for(adversarial_rho, ds)
    if not math.isclose(rho, SANITY_ROBUST_RHO):
        return {**row, "result": f"not measured (adversarial accuracy here at rho = {rho:g})"}
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


def sanity_rows(here: pd.DataFrame, adversarial_rho) -> pd.DataFrame:
    """The reviewer's sanity checks on this run's values (one decimal), one row each:
    DL's natural accuracy per data set of :data:`SANITY_DL_ACCURACY`, then the smallest
    margin of a robust-family method over DL in adversarial accuracy on
    :data:`SANITY_ROBUST_DATASET` (made only where the run measures it at
    :data:`SANITY_ROBUST_RHO`). Columns ``SANITY_COLUMNS``: ``measured`` a number (NaN
    where not measured), ``detail`` the method it comes from, ``threshold`` the bound it
    must reach, ``result`` ``pass``, ``fail`` or why it was not made."""
    tables = claim_tables(here.assign(value=here["value"].map(_r)), list(here["dataset"].unique()))
    rows = [_dl_accuracy_check(tables, ds, bound) for ds, bound in SANITY_DL_ACCURACY.items()]
    rows.append(_robust_margin_check(tables, adversarial_rho))
    return pd.DataFrame(rows, columns=SANITY_COLUMNS)


def sanity_markdown(rows: pd.DataFrame) -> str:
    """The sanity-check table of ``images.md``."""
    body = []
    for r in rows.itertuples():
        margin = r.check.startswith("robust")
        measured = "-" if is_missing(r.measured) else _f(r.measured, sign=margin)
        if r.detail and measured != "-":
            measured += f" ({r.detail})"
        threshold = f">= {_f(r.threshold, sign=margin)}" + (" points" if margin else "")
        body.append([r.check, r.dataset, measured, threshold, r.result])
    return markdown_table(["check", "data set", "measured", "threshold", "result"], body, "llrrl")


# --------------------------------------------------------------------------- the files

def images_markdown(here: pd.DataFrame, params: Mapping, published: pd.DataFrame | None = None,
                    claims: pd.DataFrame | None = None) -> str:
    """The whole ``images.md``: intro, one table per data set, the claims (``claims``: the engine's
    rows of :mod:`holistic.studies.hdl.image_claims`, :func:`holistic.fidelity.engine.claims_frame`;
    None: no claims section), the sanity checks."""
    published = published_tables_2_4() if published is None else published
    run = _datasets(here)
    absent = [f"{d} ({t})" for d, t in TABLES.items() if d not in set(run)]
    intro = [
        "# Tables 2-4: the image data sets against the published values", "",
        "This run's Tables 2-4 (Section 4.2 of *Holistic Deep Learning*, Bertsimas et al.) beside "
        f"the published ones (`{REFERENCE_SOURCE}`). Data sets of this run: "
        + ", ".join(f"{d} ({TABLES.get(d, 'no published table')})" for d in run)
        + (f"; not in this run: {', '.join(absent)}." if absent else "."), "",
        "How to read. Each cell is `published / here / difference`, in percent, rounded to the "
        "tables' one decimal; difference = here - published in percentage points, in bold beyond "
        f"{TOLERANCE:g}. As in the paper, each method's value comes from the one configuration "
        "with the best average validation rank over the four metrics (multi-objective choice). "
        "The lines above each table say where this run's protocol departs from the paper's; "
        "a table made with another network, fewer epochs or a slice of the rows is not expected to "
        "match it, and the claims are then the fairer comparison.", "",
        header_note(params, run), "",
    ]
    caption = (f"**Claims of Section 4.2** ({outputs.counts_text(E.verdict_counts(claims))}; the same rows "
               f"are in `claims.csv`). {header_note(params, run)}" if claims is not None else "")
    return "\n".join([
        *intro, "## Tables 2-4", "", comparison(here, params, published),
        *(["## Claims of Section 4.2", "",
           "Each claim judged by the claims engine on each image data set it speaks of: the paired difference "
           "of the two methods' test values over the data set's splits (each method's multi-objective choice), "
           "its 95 % interval against the claim's margin, after the preconditions (at least 3 splits, the "
           "values measured, no departure that voids the claim). `paper`: the published differences of the "
           "same table (no splits there, so no verdict).", "",
           outputs.claims_markdown(claims, caption)] if claims is not None else []),
        "## Sanity checks", "",
        "Checks a reviewer makes first, on this run's values (one decimal): measured value against "
        "threshold. A failed check is reported, not raised.", "",
        sanity_markdown(sanity_rows(here, params["aggregate"]["adversarial_rho"])),
    ])


def images_csv(here: pd.DataFrame, published: pd.DataFrame | None = None) -> str:
    """:func:`cells` as CSV text (one decimal; an empty cell where the run has no value)."""
    df = cells(here, published)
    for c in ("published", "here", "difference"):
        df[c] = df[c].map(lambda v: number(v, DECIMALS, no_negative_zero=True))
    return frame_csv(df, decimals=None)


def write_images(here: pd.DataFrame, params: Mapping, out_dir: str | os.PathLike,
                 published: pd.DataFrame | None = None, source: str = "selection",
                 claims: pd.DataFrame | None = None) -> None:
    """Write ``images.md`` (``claims``: see :func:`images_markdown`) and ``images.csv`` into
    ``out_dir`` atomically; DataError naming ``source`` when ``here`` holds no data set."""
    if here.empty:
        raise DataError(f"{source}: no image data set in the results")
    published = published_tables_2_4() if published is None else published
    out_dir = Path(out_dir)
    write_text(out_dir / "images.md", images_markdown(here, params, published, claims))
    write_text(out_dir / "images.csv", images_csv(here, published))


__all__ = ["REFERENCE_FILE", "TABLES", "PAPER_RADIUS", "PAPER_MODEL", "PAPER_PROTOCOL", "PAPER_GRID",
           "DECIMALS", "TOLERANCE", "SANITY_DL_ACCURACY", "SANITY_ROBUST_DATASET", "SANITY_ROBUST_RHO",
           "SANITY_ROBUST_MARGIN", "published_tables_2_4", "image_values", "cells", "run_model", "table_notes",
           "comparison", "sanity_rows", "sanity_markdown", "images_markdown", "images_csv", "write_images"]
