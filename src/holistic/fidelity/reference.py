"""A study's published tables: what a publication is, and reading its reference files.

A :class:`Publication` is declared by a study (e.g. ``holistic.studies.hdl.publication``): the
long CSV of its published tables (``dataset, n, p, k, metric, method, value``, percent),
the CSV of its data set names (``paper_name, file_stem``), its method order, which
published table each metric comes from, its claims and the wording of the fidelity
document. :func:`load_reference` and :func:`load_reference_names` read and check the files.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Mapping

import pandas as pd

from ..errors import DataError
from ..records.selected import read_table, require_known, require_unique_cells
from ..selection.select import METRICS

REFERENCE_COLUMNS = ["dataset", "n", "p", "k", "metric", "method", "value"]
NAMES_COLUMNS = ["paper_name", "file_stem"]


@dataclass(frozen=True)
class Publication:
    """Everything the fidelity machinery needs to know about one published paper."""

    tables: object                  # path or importlib.resources Traversable of the long CSV
    tables_source: str              # how error messages name that file
    names: object                   # path or Traversable of paper_name,file_stem
    names_source: str
    methods: tuple[str, ...]        # the paper's method (column) order
    table_refs: Mapping[str, str]   # metric -> published table, e.g. "Table A1"
    tables_label: str               # the published tables together, e.g. "Tables A1-A4"
    names_label: str                # the data sets of the names file, e.g. "UCI"
    intro: str                      # the document's first paragraph
    how_to_read: str                # the "How to read." paragraph; ``{tol}`` is the tolerance
    claims: tuple = ()              # holistic.fidelity.claims.Claim, in document order
    untabulated: Mapping[str, str] = field(default_factory=dict)  # metric -> why not published
    tolerance: float = 2.0          # percentage points
    # the published protocol's test share: a cell's tolerance is max(tolerance, one test row =
    # 100 / ceil(test_fraction * n) points), n the data set's rows (None: ``tolerance`` alone)
    test_fraction: float | None = None

    def title(self, metric: str) -> str:
        """A metric's title with its published table, e.g. ``Stability (Table A3)``."""
        from ..render.labels import METRIC_TITLES

        return f"{METRIC_TITLES[metric]} ({self.table_refs[metric]})"


def numbers(df: pd.DataFrame, column: str, source: str, integer: bool) -> pd.Series:
    """Column as numbers; DataError naming file, row (1 = first data row) and field."""
    values = pd.to_numeric(df[column].str.strip(), errors="coerce")
    bad = values.isna() | ~values.map(lambda v: math.isfinite(v) if pd.notna(v) else False)
    if integer:
        bad |= values.notna() & (values % 1 != 0)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        kind = "an integer" if integer else "a finite number"
        raise DataError(f"{source}: row {i + 1}, field '{column}' must be {kind}, "
                        f"got {df[column].iat[i]!r}")
    return values.astype(int) if integer else values.astype(float)


def load_reference(pub: Publication, path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The published tables as a long frame ``dataset, n, p, k, metric, method, value``.

    ``path`` defaults to the publication's file. DataError naming the file for a missing
    column, a non-numeric or out-of-range value (percent: 0-100), an unknown metric or
    method, a repeated (dataset, metric, method) cell, or a data set whose n, p, k
    change between rows.
    """
    source = str(path) if path is not None else pub.tables_source
    df = read_table(path if path is not None else pub.tables, source, REFERENCE_COLUMNS,
                    dtype=str, keep_default_na=False)
    if df.empty:
        raise DataError(f"{source}: no rows")
    out = pd.DataFrame({"dataset": df["dataset"].str.strip()})
    for c in ("n", "p", "k"):
        out[c] = numbers(df, c, source, integer=True)
    out["metric"] = df["metric"].str.strip()
    out["method"] = df["method"].str.strip()
    out["value"] = numbers(df, "value", source, integer=False)
    require_known(out, (("metric", METRICS), ("method", pub.methods)), source)
    empty = out["dataset"] == ""
    if empty.any():
        raise DataError(f"{source}: row {int(empty.to_numpy().nonzero()[0][0]) + 1}, "
                        "field 'dataset' is empty")
    outside = (out["value"] < 0) | (out["value"] > 100)
    if outside.any():
        i = int(outside.to_numpy().nonzero()[0][0])
        raise DataError(f"{source}: row {i + 1}, field 'value' must be a percentage in "
                        f"[0, 100], got {out['value'].iat[i]}")
    require_unique_cells(out, source)
    sizes = out.groupby("dataset")[["n", "p", "k"]].nunique()
    varying = sizes[(sizes > 1).any(axis=1)]
    if len(varying):
        raise DataError(f"{source}: data set {varying.index[0]!r} has different n, p, k "
                        "on different rows")
    return out


def load_reference_names(pub: Publication, path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The names file: ``paper_name, file_stem`` per published data set; DataError naming
    the file for a missing column, an empty or repeated name."""
    source = str(path) if path is not None else pub.names_source
    df = read_table(path if path is not None else pub.names, source, NAMES_COLUMNS,
                    dtype=str, keep_default_na=False)
    df = df.apply(lambda s: s.str.strip())
    for c in NAMES_COLUMNS:
        if (df[c] == "").any():
            raise DataError(f"{source}: row {int((df[c] == '').to_numpy().nonzero()[0][0]) + 1}, "
                            f"field '{c}' is empty")
        dup = df[c].duplicated()
        if dup.any():
            raise DataError(f"{source}: field '{c}': {df.loc[dup, c].iat[0]!r} appears twice")
    return df.reset_index(drop=True)


def named_datasets(names: pd.DataFrame) -> list[str]:
    """Paper names of the data sets of the names file, in its order."""
    return list(names["paper_name"])


__all__ = ["REFERENCE_COLUMNS", "NAMES_COLUMNS", "Publication", "numbers",
           "load_reference", "load_reference_names", "named_datasets"]
