"""Computational cost relative to nominal DL (Section 4.3, Table 5).

Input: the training logs ``results/train/<dataset>/<method>.json`` written by
``stages/train.py`` (format: :mod:`holistic.records.train_log`): ``models`` (number of models of the grid, trained together
in one vectorised batch), ``steps`` (optimizer steps per model, all sparsity
rounds included), ``seconds`` (wall time of the whole grid) and
``seconds_per_batch`` (``seconds / steps``: time of one vectorised step of all
``models`` models).

The paper trains one model at a time; this engine trains a method's whole grid
together, and the grids differ in size (DL searches lr only, HDL lr x rho x a x
lambda x beta_bar). Times are therefore divided by ``models`` first, i.e. the
cost of one model, assuming a vectorised step costs in proportion to the number
of models in it. Per data set and method:

    batches/sec slowdown  = (seconds_per_batch / models)_method / (seconds_per_batch / models)_DL
    iterations factor     = steps_method / steps_DL
    total slowdown        = (seconds / models)_method / (seconds / models)_DL

(total = batches slowdown x iterations factor per data set, as seconds =
seconds_per_batch x steps). Table 5 reports the mean over data sets per method
(the paper's "average slowdown factors"); the median is given too, and the
published Table 5 (read from the packaged reference copy) alongside.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import pandas as pd

from ...errors import DataError
from ...io import write_text
from ...records.train_log import load_logs
from ...render.tables import frame_csv, markdown_table, number, ordered
from .methods import BASELINE, METHODS

#: The packaged copy of the published Tables 2-6 (see holistic/studies/hdl/reference/README.md).
REFERENCE = ("studies", "hdl", "reference", "hdl_paper_tables_2_to_6.md")

FACTORS = ("batches_slowdown", "iterations_factor", "total_slowdown")
FACTOR_TITLES = {"batches_slowdown": "Batches/sec slowdown factor",
                 "iterations_factor": "No. iterations increase factor",
                 "total_slowdown": "Total slowdown factor"}
TABLE5_DECIMALS = 2


# --------------------------------------------------------------------------- paper

def paper_table5(text: str | None = None,
                 source: str = "holistic/" + "/".join(REFERENCE)) -> dict[str, tuple[float, ...]]:
    """Published Table 5 (Section 4.3; V100 GPU, TensorFlow 1, 45 UCI + 3 image data
    sets): method -> (batches/sec slowdown, iterations factor, total slowdown).

    Read from the ``## Table 5`` section of the packaged reference copy (or of
    ``text``); DataError naming ``source`` if the section, a row or a number is
    malformed, or the rows are not the seven methods other than DL.
    """
    if text is None:
        text = resources.files("holistic").joinpath(*REFERENCE).read_text()
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith("## Table 5")), None)
    if start is None:
        raise DataError(f"{source}: no '## Table 5' section")
    rows = []
    for ln in lines[start + 1:]:
        if ln.startswith("#"):
            break
        if ln.startswith("|"):
            rows.append([c.strip() for c in ln.strip().strip("|").split("|")])
    out = {}
    for cells in rows[2:]:                      # header and separator first
        if len(cells) != 1 + len(FACTORS):
            raise DataError(f"{source}: Table 5 row {cells!r} does not have "
                            f"{1 + len(FACTORS)} cells")
        try:
            out[cells[0]] = tuple(float(c) for c in cells[1:])
        except ValueError:
            raise DataError(f"{source}: Table 5 row {cells[0]!r} has a non-numeric value") from None
    expected = [m for m in METHODS if m != BASELINE]
    if sorted(out) != sorted(expected):
        raise DataError(f"{source}: Table 5 rows are {sorted(out)}, expected {expected}")
    return out


# --------------------------------------------------------------------------- load

def table1_logs(paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """The training logs (:func:`holistic.records.train_log.load_logs`) of Table 1's
    methods, sorted by data set and Table 1 order; a log of another method is an error."""
    return load_logs(paths, tuple(METHODS))


# --------------------------------------------------------------------------- factors

def slowdowns(logs: pd.DataFrame) -> pd.DataFrame:
    """Per data set and method other than DL: the three factors (see the module
    docstring). DataError if a data set has logs but none for DL."""
    rows = []
    for ds, sub in logs.groupby("dataset", sort=True):
        dl = sub[sub["method"] == BASELINE]
        if dl.empty:
            raise DataError(f"data set {ds!r}: no DL training log, the reference of Table 5")
        dl = dl.iloc[0]
        for _, r in sub[sub["method"] != BASELINE].iterrows():
            rows.append({
                "dataset": ds, "method": r["method"],
                "batches_slowdown": (r["seconds_per_batch"] / r["models"])
                / (dl["seconds_per_batch"] / dl["models"]),
                "iterations_factor": r["steps"] / dl["steps"],
                "total_slowdown": (r["seconds"] / r["models"]) / (dl["seconds"] / dl["models"]),
            })
    return pd.DataFrame(rows, columns=["dataset", "method", *FACTORS])


def table5(per_dataset: pd.DataFrame, paper: dict | None = None) -> pd.DataFrame:
    """Table 5: per method (Table 1 order, DL left out) the mean and median of each
    factor over data sets, ``n_datasets``, and the published values ``paper_*``
    (``paper`` defaults to :func:`paper_table5`)."""
    paper = paper_table5() if paper is None else paper
    rows = []
    for m in ordered(per_dataset["method"].unique(), METHODS):
        sub = per_dataset[per_dataset["method"] == m]
        row = {"method": m, "n_datasets": len(sub)}
        for f in FACTORS:
            row[f"{f}_mean"] = float(sub[f].mean())
            row[f"{f}_median"] = float(sub[f].median())
        for f, v in zip(FACTORS, paper.get(m, (math.nan,) * len(FACTORS))):
            row[f"paper_{f}"] = v
        rows.append(row)
    cols = (["method", "n_datasets"] + [f"{f}_{s}" for f in FACTORS for s in ("mean", "median")]
            + [f"paper_{f}" for f in FACTORS])
    return pd.DataFrame(rows, columns=cols)


def table5_csv(table: pd.DataFrame) -> str:
    """Table 5 as CSV text (6 decimals)."""
    return frame_csv(table)


def table5_markdown(table: pd.DataFrame, note: str = "") -> str:
    """Table 5 layout: one row per method; each factor as "mean (median)" of this
    run next to the published value; ``note`` (the run's departures) closes the caption."""
    def fmt(v):
        return number(v, TABLE5_DECIMALS, missing="-")

    head = ["Method", "n"]
    for f in FACTORS:
        head += [f"{FACTOR_TITLES[f]}: mean (median)", f"{FACTOR_TITLES[f]}: paper"]
    rows = []
    for _, r in table.iterrows():
        cells = [r["method"], str(int(r["n_datasets"]))]
        for f in FACTORS:
            cells += [f"{fmt(r[f'{f}_mean'])} ({fmt(r[f'{f}_median'])})", fmt(r[f"paper_{f}"])]
        rows.append(cells)
    caption = ("**Table 5-style: slowdown factors of training time with respect to nominal DL "
               "(per model: times divided by the number of models trained together), mean "
               "(median) over data sets; the paper's Table 5 (V100 GPU, TensorFlow 1) "
               "alongside.**" + (f" {note}" if note else ""))
    return markdown_table(head, rows, "l" + "r" * (len(head) - 1), caption)


def write_table5(log_paths: Iterable[str | os.PathLike], out_dir: str | os.PathLike,
                 note: str = "") -> pd.DataFrame:
    """Load the logs and write ``table5.csv`` and ``table5.md`` (its caption ending in ``note``)
    into ``out_dir``."""
    out_dir = Path(out_dir)
    table = table5(slowdowns(table1_logs(log_paths)))
    write_text(out_dir / "table5.csv", table5_csv(table))
    write_text(out_dir / "table5.md", table5_markdown(table, note))
    return table


__all__ = ["REFERENCE", "FACTORS", "TABLE5_DECIMALS", "paper_table5", "table1_logs", "slowdowns", "table5",
           "table5_csv", "table5_markdown", "write_table5"]
