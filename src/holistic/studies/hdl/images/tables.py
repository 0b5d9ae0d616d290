"""Tables 2-4 of Section 4.2: the published values and this run's in the same layout.

- :func:`published_tables_2_4`: the published Tables 2-4, package data
  ``reference/hdl_paper_tables_2_to_4.csv`` (long ``table, dataset, metric, method,
  value``; data sets by their registry names, values in percent with one decimal).
- :func:`image_values`: this run's values in the same layout: per image data set and
  method, the four test values of the one configuration chosen by the multi-objective
  validation rank, as in Tables 2-4 (:func:`holistic.studies.hdl.figures.dataset_values`).
- :func:`cells`: ``published / here / difference`` per data set, metric and method.

Values are compared as the tables print them: rounded to one decimal (:func:`rounded`),
difference = here - published in percentage points.
"""

from __future__ import annotations

import math
import os
from typing import Sequence

import pandas as pd

from ....errors import DataError
from ....fidelity.reference import numbers
from ....records.selected import read_table, require_known, require_unique_cells
from ....render.tables import number, ordered
from ....selection.select import METRICS
from ..figures import PER_DATASET_DECIMALS, dataset_values
from ..methods import METHODS
from ..protocol import IMAGE_RADIUS
from ..publication import PUBLICATION, REFERENCE_DIR, reference_file

REFERENCE_FILE = "hdl_paper_tables_2_to_4.csv"
REFERENCE_SOURCE = REFERENCE_DIR + REFERENCE_FILE
REFERENCE_COLUMNS = ["table", "dataset", "metric", "method", "value"]

#: The published table of each image data set (registry name), in the paper's order.
TABLES = {"fashion-mnist": "Table 2", "mnist": "Table 3", "cifar10": "Table 4"}
#: Radius of the adversarial accuracy of each table (PGD, L-infinity): Table A2's radius of the
#: image data set (:data:`holistic.studies.hdl.protocol.IMAGE_RADIUS`).
PAPER_RADIUS = IMAGE_RADIUS

#: Tables 2-4 print one decimal: values are rounded to it before they are compared.
DECIMALS = PER_DATASET_DECIMALS
#: A difference beyond this many points is printed in bold (as in ``fidelity.md``).
TOLERANCE = PUBLICATION.tolerance

CELL_COLUMNS = ["dataset", "metric", "method", "published", "here", "difference"]


def rounded(v) -> float:
    """A value as the tables print it (one decimal)."""
    return round(float(v), DECIMALS)


def printed(v, sign: bool = False) -> str:
    """A value as the tables print it, text (``-`` where missing)."""
    return number(v, DECIMALS, missing="-", sign=sign, no_negative_zero=True)


# --------------------------------------------------------------------------- values

def published_tables_2_4(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The published Tables 2-4, long: ``table, dataset, metric, method, value`` (96 rows;
    ``path`` defaults to the packaged CSV, :func:`holistic.studies.hdl.publication.reference_file`).
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


def run_datasets(here: pd.DataFrame) -> list[str]:
    """The run's data sets: those with a published table in table order, then the others."""
    return ordered(here["dataset"].unique(), list(TABLES))


def cells(here: pd.DataFrame, published: pd.DataFrame | None = None) -> pd.DataFrame:
    """Published vs here per (data set, metric, method) of every data set of ``here`` that
    has a published table: columns ``CELL_COLUMNS``, values rounded to one decimal,
    ``difference = here - published``; ``here`` and ``difference`` NaN where the run has
    no value. Rows: data set (table order), metric, method (Table 1 order)."""
    published = published_tables_2_4() if published is None else published
    rows = []
    for ds in run_datasets(here):
        pub = published[published["dataset"] == ds]
        if pub.empty:
            continue
        pub = {(r.metric, r.method): r.value for r in pub.itertuples()}
        mine = {(r.metric, r.method): r.value for r in here[here["dataset"] == ds].itertuples()}
        for metric in METRICS:
            for method in METHODS:
                if (metric, method) not in pub:
                    continue
                p = rounded(pub[(metric, method)])
                h = rounded(mine[(metric, method)]) if (metric, method) in mine else math.nan
                rows.append({"dataset": ds, "metric": metric, "method": method, "published": p,
                             "here": h, "difference": round(h - p, DECIMALS) + 0.0})
    return pd.DataFrame(rows, columns=CELL_COLUMNS)
