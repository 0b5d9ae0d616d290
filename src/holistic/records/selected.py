"""The selection trace ``selected.csv``: one home for its writer, reader and checks.

Format (CSV, ``\\n`` line ends, header first), one row per data set, method and metric
(the four metrics of ``holistic.selection.select.METRICS`` and ``multi_objective``)::

    dataset,method,metric,config_id,config,validation,test
    iris,DL,natural_accuracy,0,"{""lr"": 0.01}",96.666667,93.333333

``config`` is the chosen configuration as JSON text, ``validation`` its validation value
of the metric's criterion and ``test`` the reported test value (the multi-objective
rank for ``multi_objective``), both with 6 decimals. Written by the ``aggregate`` stage
(:func:`selected_csv`), read by every analysis (:func:`read_selected`,
:func:`load_selected` with the checks of :func:`check_selected`).
"""

from __future__ import annotations

import math
import os
from typing import Iterable, Sequence

import pandas as pd

from ..errors import DataError
from ..render.tables import DATA_DECIMALS, frame_csv, number
from ..selection.select import METRICS

SELECTED_COLUMNS = ["dataset", "method", "metric", "config_id", "config", "validation", "test"]

#: The metric name of the multi-objective rank in the trace.
RANK = "multi_objective"


def selected_csv(selected: pd.DataFrame) -> str:
    """The selection trace as CSV text (``validation`` and ``test`` with 6 decimals)."""
    out = selected.copy()
    for c in ("validation", "test"):
        out[c] = out[c].map(lambda v: number(v, DATA_DECIMALS))
    return frame_csv(out, decimals=None)


def read_table(path, source: str, columns: Sequence[str] | None, what: str = "a CSV file", hint: str = "",
               **read_options) -> pd.DataFrame:
    """A CSV file (a path or an ``importlib.resources`` traversable) restricted to ``columns``
    (``None``: all of them, none required);
    DataError naming ``source`` if it is missing, not CSV (``what`` it should be) or lacks a
    column. ``read_options`` go to ``pandas.read_csv`` (e.g. ``dtype``)."""
    try:
        with (open(path, newline="") if isinstance(path, (str, os.PathLike))
              else path.open("r", newline="")) as f:
            df = pd.read_csv(f, **read_options)
    except FileNotFoundError:
        raise DataError(f"{source}: file not found{hint}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{source}: not {what} ({exc})") from None
    if columns is None:
        return df
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"{source}: column(s) {', '.join(missing)} missing")
    return df[list(columns)]


def read_selected(path: str | os.PathLike) -> pd.DataFrame:
    """Read ``selected.csv`` back into the long selection frame of
    :func:`holistic.selection.select.select_all`; DataError naming the file if it is
    missing (run the aggregate stage first), not CSV or lacks a column."""
    return read_table(path, str(path), SELECTED_COLUMNS, what="a selection CSV",
                      hint=" (run the aggregate stage first)",
                      dtype={"dataset": str, "method": str, "metric": str, "config": str})


def require_known(df: pd.DataFrame, fields: Iterable[tuple[str, Sequence[str]]],
                  source: str) -> None:
    """DataError naming the file, row (1 = first data row) and field of the first value
    of ``field`` not in ``known``, for each ``(field, known)`` of ``fields``."""
    for field, known in fields:
        unknown = ~df[field].isin(known)
        if unknown.any():
            i = int(unknown.to_numpy().nonzero()[0][0])
            raise DataError(f"{source}: row {i + 1}, field '{field}': unknown {field} "
                            f"{df[field].iat[i]!r}; expected one of {', '.join(known)}")


def require_unique_cells(df: pd.DataFrame, source: str) -> None:
    """DataError naming the file and the first (dataset, metric, method) cell given twice."""
    dup = df.duplicated(["dataset", "metric", "method"])
    if dup.any():
        r = df[dup].iloc[0]
        raise DataError(f"{source}: cell (dataset {r.dataset!r}, metric {r.metric!r}, "
                        f"method {r.method!r}) given twice")


def check_selected(selected: pd.DataFrame, source: str = "<selection>",
                   methods: Sequence[str] | None = None) -> pd.DataFrame:
    """Validate a selection frame (columns dataset, method, metric, test); return a copy
    with ``test`` as float. DataError naming ``source`` and the row for a non-finite
    test value, an unknown metric, a method not in ``methods`` (the study's; None: any),
    a (dataset, metric, method) given twice, or no row."""
    missing = [c for c in ("dataset", "method", "metric", "test") if c not in selected.columns]
    if missing:
        raise DataError(f"{source}: column(s) {', '.join(missing)} missing")
    out = selected.reset_index(drop=True).copy()
    for c in ("dataset", "method", "metric"):
        out[c] = out[c].astype(str)
    test = pd.to_numeric(out["test"], errors="coerce")
    bad = test.isna() | ~test.map(lambda v: math.isfinite(v) if pd.notna(v) else False)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise DataError(f"{source}: row {i + 1}, field 'test' must be a finite number, "
                        f"got {selected['test'].iat[i]!r}")
    out["test"] = test.astype(float)
    known = [("metric", (*METRICS, RANK))]
    if methods is not None:
        known.append(("method", tuple(methods)))
    require_known(out, known, source)
    require_unique_cells(out, source)
    if out.empty:
        raise DataError(f"{source}: no rows")
    return out


def load_selected(path: str | os.PathLike, methods: Sequence[str] | None = None) -> pd.DataFrame:
    """:func:`read_selected` then :func:`check_selected` with the file as source."""
    return check_selected(read_selected(path), str(path), methods)


__all__ = ["SELECTED_COLUMNS", "RANK", "selected_csv", "read_table", "read_selected", "require_known",
           "require_unique_cells", "check_selected", "load_selected"]
