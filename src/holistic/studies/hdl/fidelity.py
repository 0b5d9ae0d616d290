"""Fidelity: this project's Tables A1-A4 against the published ones.

Reference. The published Tables A1-A4 (natural accuracy, adversarial accuracy at
rho = 0.1, stability, sparsity; 45 UCI and 3 image data sets, 8 methods, percent)
ship as package data in ``holistic/studies/hdl/reference/`` (see its README) and are read
by :func:`load_reference` into a long frame ``dataset, n, p, k, metric, method, value``.

Matching. A data set of a run is matched to a published row by its paper name: the
``paper_name`` of the given ``info`` if any, else the registry's, else the file stem
of ``dataset_names.csv``. A matched data set is *compared* only if its size agrees
with Table A1: the published ``n`` equals the run's ``n`` or ``n - 1`` (Table A1's
``n`` is one less than every published file's row count), and ``p`` and ``k`` are
equal. Otherwise it is *flagged* (for instance scikit-learn's 1797-row digits is not
the 3823-row optdigits file of the paper): its cells are listed but enter neither
the summary nor the claims. Data sets without a published counterpart are listed
as such.

Cells. For every compared data set, metric and method present on both sides:
``published`` (Table A1-A4 value), ``reproduced`` (the test value of the selection
trace, rounded to the tables' 2 decimals) and ``difference = reproduced -
published`` in percentage points. A cell is *within tolerance* if
``|difference| <= TOLERANCE`` (2 points).

Claims. The qualitative statements of Section 4.1 (and Sections 4.2/3.4) are a
list of small predicates, :data:`CLAIMS`, each evaluated on a table
``{metric: {method: value}}``: per data set (the share of data sets where it
holds) or once on the means over data sets. Each is evaluated on this project's
results and, where the published tables hold the metrics it needs, on the
published values of the same data sets and of all 45 UCI sets. The
multi-objective rank (Fig. 2) is not tabulated in the paper, so claims on it are
checked here only. "Beats" is strict (``>``, or ``<`` for ranks) on values
rounded to the tables' decimals; "best rank" counts ties as best.
"""

from __future__ import annotations

import io as _io
import math
import os
from dataclasses import dataclass
from importlib import resources
from typing import Callable, Iterable, Mapping, Sequence

import pandas as pd

from ...selection.select import METRICS, method_order, wide
from ...selection.tables import read_selected
from ...data import registry
from ...errors import DataError
from ...train.methods import METHODS as COMPONENTS

#: The eight methods of Table 1, in the column order of Tables A1-A4.
METHODS: tuple[str, ...] = tuple(COMPONENTS)
#: The multi-objective rank (Fig. 2) in the selection trace; not in Tables A1-A4.
RANK = "multi_objective"

REFERENCE_FILES = {"tables": "hdl_paper_tables_A1_A4.csv", "names": "dataset_names.csv"}
REFERENCE_COLUMNS = ["dataset", "n", "p", "k", "metric", "method", "value"]
NAMES_COLUMNS = ["paper_name", "file_stem"]

#: Radius of Table A2 for the UCI sets.
PAPER_ADVERSARIAL_RHO = 0.1
#: Training settings of the paper (Section 4) quoted next to the run's own.
PAPER_SETTINGS = {"n_splits": 10, "epochs": 150}

TOLERANCE = 2.0      # percentage points
DECIMALS = 2         # of Tables A1-A4 (published and reproduced)
RANK_DECIMALS = 3    # of the project's rank table

TITLES = {"natural_accuracy": "Natural accuracy (Table A1)",
          "adversarial_accuracy": "Adversarial accuracy (Table A2)",
          "stability": "Stability (Table A3)",
          "sparsity": "Sparsity (Table A4)"}

COMPARED, SIZE_DIFFERS, UNMATCHED = "compared", "size differs", "no published table"


# --------------------------------------------------------------------------- reference

def reference_file(name: str):
    """The packaged reference file ``name`` (a ``importlib.resources`` traversable)."""
    return resources.files("holistic").joinpath("studies", "hdl", "reference", name)


def _read_csv(path, source: str, columns: Sequence[str]) -> pd.DataFrame:
    try:
        with (open(path, newline="") if isinstance(path, (str, os.PathLike))
              else path.open("r", newline="")) as f:
            df = pd.read_csv(f, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise DataError(f"{source}: file not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{source}: not a CSV file ({exc})") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"{source}: column(s) {', '.join(missing)} missing")
    return df[list(columns)]


def _numbers(df: pd.DataFrame, column: str, source: str, integer: bool) -> pd.Series:
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


def _require_known(df: pd.DataFrame, fields, source: str) -> None:
    """DataError naming the file, row and field of the first value of ``field`` not in
    ``known``, for each ``(field, known)`` of ``fields``."""
    for field, known in fields:
        unknown = ~df[field].isin(known)
        if unknown.any():
            i = int(unknown.to_numpy().nonzero()[0][0])
            raise DataError(f"{source}: row {i + 1}, field '{field}': unknown {field} "
                            f"{df[field].iat[i]!r}; expected one of {', '.join(known)}")


def _require_unique_cells(df: pd.DataFrame, source: str) -> None:
    """DataError naming the file and the first (dataset, metric, method) cell given twice."""
    dup = df.duplicated(["dataset", "metric", "method"])
    if dup.any():
        r = df[dup].iloc[0]
        raise DataError(f"{source}: cell (dataset {r.dataset!r}, metric {r.metric!r}, "
                        f"method {r.method!r}) given twice")


def load_reference(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Tables A1-A4 as a long frame ``dataset, n, p, k, metric, method, value``.

    ``path`` defaults to the packaged ``hdl_paper_tables_A1_A4.csv``. DataError
    naming the file for a missing column, a non-numeric or out-of-range value
    (percent: 0-100), an unknown metric or method, a repeated (dataset, metric,
    method) cell, or a data set whose n, p, k change between rows.
    """
    source = str(path) if path is not None else f"holistic/studies/hdl/reference/{REFERENCE_FILES['tables']}"
    df = _read_csv(path if path is not None else reference_file(REFERENCE_FILES["tables"]),
                   source, REFERENCE_COLUMNS)
    if df.empty:
        raise DataError(f"{source}: no rows")
    out = pd.DataFrame({"dataset": df["dataset"].str.strip()})
    for c in ("n", "p", "k"):
        out[c] = _numbers(df, c, source, integer=True)
    out["metric"] = df["metric"].str.strip()
    out["method"] = df["method"].str.strip()
    out["value"] = _numbers(df, "value", source, integer=False)
    _require_known(out, (("metric", METRICS), ("method", METHODS)), source)
    empty = out["dataset"] == ""
    if empty.any():
        raise DataError(f"{source}: row {int(empty.to_numpy().nonzero()[0][0]) + 1}, "
                        "field 'dataset' is empty")
    outside = (out["value"] < 0) | (out["value"] > 100)
    if outside.any():
        i = int(outside.to_numpy().nonzero()[0][0])
        raise DataError(f"{source}: row {i + 1}, field 'value' must be a percentage in "
                        f"[0, 100], got {out['value'].iat[i]}")
    _require_unique_cells(out, source)
    sizes = out.groupby("dataset")[["n", "p", "k"]].nunique()
    varying = sizes[(sizes > 1).any(axis=1)]
    if len(varying):
        raise DataError(f"{source}: data set {varying.index[0]!r} has different n, p, k "
                        "on different rows")
    return out


def load_reference_names(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """``dataset_names.csv``: ``paper_name, file_stem`` of the 45 UCI sets; DataError
    naming the file for a missing column, an empty or repeated name."""
    source = str(path) if path is not None else f"holistic/studies/hdl/reference/{REFERENCE_FILES['names']}"
    df = _read_csv(path if path is not None else reference_file(REFERENCE_FILES["names"]),
                   source, NAMES_COLUMNS)
    df = df.apply(lambda s: s.str.strip())
    for c in NAMES_COLUMNS:
        if (df[c] == "").any():
            raise DataError(f"{source}: row {int((df[c] == '').to_numpy().nonzero()[0][0]) + 1}, "
                            f"field '{c}' is empty")
        dup = df[c].duplicated()
        if dup.any():
            raise DataError(f"{source}: field '{c}': {df.loc[dup, c].iat[0]!r} appears twice")
    return df.reset_index(drop=True)


def uci_names(names: pd.DataFrame | None = None) -> list[str]:
    """Paper names of the 45 UCI sets (``dataset_names.csv`` order)."""
    names = load_reference_names() if names is None else names
    return list(names["paper_name"])


# --------------------------------------------------------------------------- run side

def load_selected(path: str | os.PathLike) -> pd.DataFrame:
    """A run's ``selected.csv`` (see :func:`holistic.selection.tables.read_selected`),
    checked for use here: DataError naming the file for a non-numeric test value, an
    unknown metric or method, or a (dataset, method, metric) given twice."""
    df = read_selected(path)
    return check_selected(df, str(path))


def check_selected(selected: pd.DataFrame, source: str = "<selection>") -> pd.DataFrame:
    """Validate a selection frame (columns dataset, method, metric, test); return a copy
    with ``test`` as float. DataError naming ``source`` and the row otherwise."""
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
    _require_known(out, (("metric", METRICS + (RANK,)), ("method", METHODS)), source)
    _require_unique_cells(out, source)
    if out.empty:
        raise DataError(f"{source}: no rows")
    return out


def registry_info(datasets: Iterable[str]) -> pd.DataFrame:
    """``n, p, k, paper_name`` of registered data sets (index dataset); others get
    missing values."""
    known = set(registry.names())
    rows = []
    for d in sorted(set(datasets)):
        if d in known:
            i = registry.get(d)
            rows.append({"dataset": d, "n": i.n, "p": i.p, "k": i.k, "paper_name": i.paper_name})
        else:
            rows.append({"dataset": d, "n": pd.NA, "p": pd.NA, "k": pd.NA, "paper_name": None})
    return pd.DataFrame(rows, columns=["dataset", "n", "p", "k", "paper_name"]).set_index("dataset")


def match_datasets(datasets: Iterable[str], reference: pd.DataFrame,
                   info: pd.DataFrame | None = None,
                   names: pd.DataFrame | None = None) -> pd.DataFrame:
    """Match a run's data sets to the published ones (see the module doc).

    ``info`` (index dataset; columns n, p, k, optionally paper_name) overrides the
    registry. Returns, indexed by dataset (sorted), columns paper_name, n, p, k,
    n_published, status (``COMPARED``, ``SIZE_DIFFERS`` or ``UNMATCHED``) and reason.
    """
    datasets = sorted(set(datasets))
    names = load_reference_names() if names is None else names
    stems = dict(zip(names["file_stem"], names["paper_name"]))
    base = registry_info(datasets)
    if info is not None:
        info = info.reindex(datasets)
        for c in ("n", "p", "k", "paper_name"):
            if c in info.columns:
                given = info[c].notna()
                base[c] = base[c].astype(object)
                base.loc[given, c] = info.loc[given, c]
    sizes = reference.drop_duplicates("dataset").set_index("dataset")[["n", "p", "k"]]
    rows = []
    for d in datasets:
        b = base.loc[d]
        paper = b["paper_name"] if isinstance(b["paper_name"], str) and b["paper_name"] else None
        if paper is None and d in stems:
            paper = stems[d]
        if paper is None and d in sizes.index:
            paper = d
        n, p, k = (None if pd.isna(b[c]) else int(b[c]) for c in ("n", "p", "k"))
        row = {"dataset": d, "paper_name": paper, "n": n, "p": p, "k": k, "n_published": None}
        if paper is None or paper not in sizes.index:
            row.update(status=UNMATCHED,
                       reason="no paper name" if paper is None
                       else f"paper name {paper!r} not in Tables A1-A4")
        else:
            pub = sizes.loc[paper]
            row["n_published"] = int(pub["n"])
            if n is None:
                row.update(status=SIZE_DIFFERS, reason="size unknown (not in the registry, no info)")
            elif int(pub["n"]) not in (n, n - 1) or (p, k) != (int(pub["p"]), int(pub["k"])):
                row.update(status=SIZE_DIFFERS,
                           reason=f"n, p, k = {n}, {p}, {k} here vs {int(pub['n'])}, "
                                  f"{int(pub['p'])}, {int(pub['k'])} published: a different data set")
            else:
                row.update(status=COMPARED, reason="")
        rows.append(row)
    return pd.DataFrame(rows, columns=["dataset", "paper_name", "n", "p", "k", "n_published",
                                       "status", "reason"]).set_index("dataset")


# --------------------------------------------------------------------------- cells

COMPARISON_COLUMNS = ["dataset", "paper_name", "comparable", "metric", "method",
                      "published", "reproduced", "difference"]


def compare(selected: pd.DataFrame, info: pd.DataFrame | None = None,
            reference: pd.DataFrame | None = None,
            names: pd.DataFrame | None = None) -> pd.DataFrame:
    """Published vs reproduced, one row per (data set, metric, method) present on both sides.

    ``selected``: the long selection trace (columns dataset, method, metric, test);
    ``info``: optional sizes / paper names (see :func:`match_datasets`). Rows of
    flagged data sets (size differs) are kept with ``comparable`` False; data sets
    without a published table and cells missing on either side are skipped.
    Columns ``COMPARISON_COLUMNS``; sorted by the published row order, metric
    (table order) and method (Table 1 order).
    """
    selected = check_selected(selected)
    reference = load_reference() if reference is None else reference
    matched = match_datasets(selected["dataset"], reference, info, names)
    pub_order = {d: i for i, d in enumerate(reference["dataset"].drop_duplicates())}
    rows = []
    for d, m in matched[matched["status"] != UNMATCHED].iterrows():
        ref = reference[reference["dataset"] == m["paper_name"]]
        published = {(r.metric, r.method): r.value for r in ref.itertuples()}
        for metric in METRICS:
            here = wide(selected[selected["dataset"] == d], metric)
            if d not in here.index:
                continue
            for method in METHODS:
                if method not in here.columns or (metric, method) not in published:
                    continue
                value = here.at[d, method]
                if pd.isna(value):
                    continue
                pub = round(float(published[(metric, method)]), DECIMALS)
                rep = round(float(value), DECIMALS)
                rows.append({"dataset": d, "paper_name": m["paper_name"],
                             "comparable": m["status"] == COMPARED, "metric": metric,
                             "method": method, "published": pub, "reproduced": rep,
                             "difference": round(rep - pub, DECIMALS) + 0.0})  # no -0.0
    out = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    if out.empty:
        return out
    key = (out["paper_name"].map(pub_order).astype(int) * 10**6
           + out["metric"].map({m: i for i, m in enumerate(METRICS)}) * 100
           + out["method"].map({m: i for i, m in enumerate(METHODS)}))
    return out.assign(_k=key).sort_values(["_k", "dataset"], kind="mergesort") \
              .drop(columns="_k").reset_index(drop=True)


def within_tolerance(difference: pd.Series, tolerance: float = TOLERANCE) -> pd.Series:
    """Cells with ``|difference| <= tolerance`` (differences are already rounded)."""
    return difference.abs() <= tolerance + 1e-9


def summarize_cells(comparison: pd.DataFrame, tolerance: float = TOLERANCE) -> pd.DataFrame:
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


# --------------------------------------------------------------------------- claims

#: ``{metric: {method: value}}``: one data set, or means over data sets.
Table = Mapping[str, Mapping[str, float]]

ADV, NAT, STAB, SPARS = "adversarial_accuracy", "natural_accuracy", "stability", "sparsity"
SPARSE_METHODS = tuple(m for m, c in COMPONENTS.items() if c.sparse)
DENSE_METHODS = tuple(m for m, c in COMPONENTS.items() if not c.sparse)
ROBUST_METHODS = tuple(m for m, c in COMPONENTS.items() if c.robust)
FRAMEWORK_METHODS = tuple(m for m in METHODS if m != "DL")


class _Missing(Exception):
    """A value a claim needs is absent: the claim is not evaluable on that table."""


def _v(t: Table, metric: str, method: str) -> float:
    try:
        v = t[metric][method]
    except KeyError:
        raise _Missing(f"{metric}/{method}") from None
    if v is None or (isinstance(v, float) and math.isnan(v)):
        raise _Missing(f"{metric}/{method}")
    return float(v)


def robust_beats_dl_adversarial(t: Table) -> bool:
    """Robust > DL in adversarial accuracy."""
    return _v(t, ADV, "Robust") > _v(t, ADV, "DL")


def sparse_beat_dense_sparsity(t: Table) -> bool:
    """Every sparse method is sparser than every dense one."""
    return min(_v(t, SPARS, m) for m in SPARSE_METHODS) > max(_v(t, SPARS, m) for m in DENSE_METHODS)


def hdl_best_rank(t: Table) -> bool:
    """HDL's multi-objective rank is the lowest (ties count as best)."""
    hdl = _v(t, RANK, "HDL")
    return all(hdl <= _v(t, RANK, m) for m in METHODS if m != "HDL")


def robust_family_beats_dl_adversarial(t: Table) -> bool:
    """Every method with the robust component > DL in adversarial accuracy."""
    dl = _v(t, ADV, "DL")
    return all(_v(t, ADV, m) > dl for m in ROBUST_METHODS)


def stable_not_below_dl_stability(t: Table) -> bool:
    """Stable >= DL in stability (worst split's accuracy)."""
    return _v(t, STAB, "Stable") >= _v(t, STAB, "DL")


def hdl_beats_dl_adversarial(t: Table) -> bool:
    """HDL > DL in adversarial accuracy."""
    return _v(t, ADV, "HDL") > _v(t, ADV, "DL")


def framework_beats_dl_rank(t: Table) -> bool:
    """All 7 HDL-framework methods have a lower (better) rank than DL."""
    dl = _v(t, RANK, "DL")
    return all(_v(t, RANK, m) < dl for m in FRAMEWORK_METHODS)


def combinations_beat_robust_adversarial(t: Table) -> bool:
    """Robust+Sparse, Stable+Robust and HDL each > Robust in adversarial accuracy."""
    rob = _v(t, ADV, "Robust")
    return all(_v(t, ADV, m) > rob for m in ROBUST_METHODS if m != "Robust")


def robustness_stability_help_sparsity(t: Table) -> bool:
    """Robust+Sparse and Stable+Sparse each sparser than Sparse."""
    sp = _v(t, SPARS, "Sparse")
    return _v(t, SPARS, "Robust+Sparse") > sp and _v(t, SPARS, "Stable+Sparse") > sp


@dataclass(frozen=True)
class Claim:
    """A statement of the paper checked per data set or on the means over data sets."""
    key: str
    statement: str
    citation: str
    scope: str                          # "per data set" | "mean"
    metrics: tuple[str, ...]            # metrics the predicate reads
    holds: Callable[[Table], bool]


PER_DATASET, MEAN = "per data set", "mean"

CLAIMS: tuple[Claim, ...] = (
    Claim("robust_adv", "Robust beats DL on adversarial accuracy",
          "Sec. 4.1, Fig. 1b", PER_DATASET, (ADV,), robust_beats_dl_adversarial),
    Claim("sparse_vs_dense", "every sparse method (Sparse, Robust+Sparse, Stable+Sparse, HDL) "
          "beats every dense one (DL, Robust, Stable, Stable+Robust) on sparsity",
          "Sec. 4.1, Fig. 1d", PER_DATASET, (SPARS,), sparse_beat_dense_sparsity),
    Claim("hdl_best_rank", "HDL has the best (lowest) multi-objective rank (ties count as best)",
          "Sec. 4.1, Fig. 2", PER_DATASET, (RANK,), hdl_best_rank),
    Claim("robust_family_adv", "every method with the robust component (Robust, Robust+Sparse, "
          "Stable+Robust, HDL) beats DL on adversarial accuracy",
          "Sec. 4.1, Fig. 1b", PER_DATASET, (ADV,), robust_family_beats_dl_adversarial),
    Claim("stable_stability", "Stable beats or equals DL on stability",
          "Sec. 3.4; Sec. 4.1, Fig. 1c", PER_DATASET, (STAB,), stable_not_below_dl_stability),
    Claim("hdl_adv", "HDL beats DL on adversarial accuracy",
          "Sec. 4.1, Fig. 1b; Sec. 4.2", PER_DATASET, (ADV,), hdl_beats_dl_adversarial),
    Claim("mean_framework_rank", "all 7 HDL-framework methods have a better mean multi-objective "
          "rank than DL", "Sec. 4.1, Fig. 2", MEAN, (RANK,), framework_beats_dl_rank),
    Claim("mean_hdl_rank", "HDL has the best mean multi-objective rank",
          "Sec. 4.1, Fig. 2", MEAN, (RANK,), hdl_best_rank),
    Claim("mean_robust_family_adv", "every method with the robust component has a higher mean "
          "adversarial accuracy than DL", "Sec. 4.1, Fig. 1b", MEAN, (ADV,),
          robust_family_beats_dl_adversarial),
    Claim("mean_combinations_adv", "combining robustness with stability and/or sparsity "
          "(Robust+Sparse, Stable+Robust, HDL) gives a higher mean adversarial accuracy than "
          "Robust alone", "Sec. 4.1, Fig. 1b", MEAN, (ADV,), combinations_beat_robust_adversarial),
    Claim("mean_sparse_vs_dense", "every sparse method has a higher mean sparsity than every "
          "dense one", "Sec. 4.1, Fig. 1d", MEAN, (SPARS,), sparse_beat_dense_sparsity),
    Claim("mean_help_sparsity", "robustness and stability help sparsity: Robust+Sparse and "
          "Stable+Sparse each have a higher mean sparsity than Sparse",
          "Sec. 4.1, Fig. 1d", MEAN, (SPARS,), robustness_stability_help_sparsity),
)

NOT_TABULATED = "not computable (Fig. 2 not tabulated)"


def values_from_selected(selected: pd.DataFrame) -> pd.DataFrame:
    """Long ``dataset, metric, method, value`` of a selection's test values (the four
    metrics and the multi-objective rank)."""
    sel = check_selected(selected)
    return sel.rename(columns={"test": "value"})[["dataset", "metric", "method", "value"]]


def _decimals(metric: str) -> int:
    return RANK_DECIMALS if metric == RANK else DECIMALS


def claim_tables(values: pd.DataFrame, datasets: Sequence[str]) -> dict[str, dict]:
    """Per data set of ``datasets`` present in ``values``: ``{metric: {method: value}}``,
    values rounded to the tables' decimals."""
    sub = values[values["dataset"].isin(set(datasets))]
    out: dict[str, dict] = {}
    for r in sub.itertuples():
        out.setdefault(r.dataset, {}).setdefault(r.metric, {})[r.method] = \
            round(float(r.value), _decimals(r.metric))
    return out


def mean_table(values: pd.DataFrame, datasets: Sequence[str]) -> dict:
    """``{metric: {method: mean over the data sets where it has a value}}``, rounded."""
    sub = values[values["dataset"].isin(set(datasets))]
    means = sub.groupby(["metric", "method"])["value"].mean()
    out: dict = {}
    for (metric, method), v in means.items():
        out.setdefault(metric, {})[method] = round(float(v), _decimals(metric))
    return out


@dataclass(frozen=True)
class ClaimResult:
    """``holds`` of ``of`` evaluable cases (1 case for a mean claim); ``note`` when
    nothing was evaluable."""
    holds: int
    of: int
    note: str = ""

    def text(self, scope: str) -> str:
        if self.of == 0:
            return self.note or "n/a"
        if scope == MEAN:
            return "yes" if self.holds else "no"
        return f"{self.holds}/{self.of} ({100 * self.holds / self.of:.0f}%)"


def evaluate_claim(claim: Claim, values: pd.DataFrame, datasets: Sequence[str]) -> ClaimResult:
    """Evaluate ``claim`` on ``values`` (long dataset, metric, method, value) restricted
    to ``datasets``: per data set, the number where it holds among those where it is
    evaluable; for a mean claim, once on the means. Not computable (with the reason)
    when ``values`` lacks a metric the claim needs."""
    have = set(values["metric"])
    lacking = [m for m in claim.metrics if m not in have]
    if lacking:
        return ClaimResult(0, 0, NOT_TABULATED if RANK in lacking
                           else f"not computable: no {', '.join(lacking)}")
    present = [d for d in datasets if d in set(values["dataset"])]
    if not present:
        return ClaimResult(0, 0, "n/a (no data set)")
    tables = [mean_table(values, present)] if claim.scope == MEAN else \
        [t for _, t in sorted(claim_tables(values, present).items())]
    holds = of = 0
    for t in tables:
        try:
            ok = claim.holds(t)
        except _Missing:
            continue
        of += 1
        holds += bool(ok)
    return ClaimResult(holds, of, "" if of else "n/a (methods missing)")


def evaluate_claims(selected: pd.DataFrame, matched: pd.DataFrame,
                    reference: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """All :data:`CLAIMS` on four populations: here on the compared data sets, the
    published values of the same data sets, here on all data sets of the run, the
    published values of the 45 UCI sets. One row per claim; cells are ClaimResults."""
    here = values_from_selected(selected)
    published = reference[["dataset", "metric", "method", "value"]]
    compared = list(matched.index[matched["status"] == COMPARED])
    same = sorted(set(matched.loc[compared, "paper_name"]))
    rows = []
    for c in CLAIMS:
        rows.append({"key": c.key, "claim": c.statement, "paper": c.citation, "scope": c.scope,
                     "here": evaluate_claim(c, here, compared),
                     "published": evaluate_claim(c, published, same),
                     "here_all": evaluate_claim(c, here, sorted(matched.index)),
                     "published_uci": evaluate_claim(c, published, uci_names(names))})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- documents

def _f(v, decimals: int = DECIMALS, sign: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:+.{decimals}f}" if sign else f"{v:.{decimals}f}"


def _pct(x: float) -> str:
    return "-" if isinstance(x, float) and math.isnan(x) else f"{100 * x:.1f}%"


def summary_lines(comparison: pd.DataFrame, tolerance: float = TOLERANCE) -> list[str]:
    """Markdown bullet lines: share of cells within ``tolerance`` points (overall and per
    metric), mean absolute and mean signed difference per metric."""
    s = summarize_cells(comparison, tolerance)
    a = s.loc["all"]
    if a["cells"] == 0:
        return ["- No cell compared (no data set of this run matches a published one in size)."]
    lines = [f"- Cells compared: {int(a['cells'])}; within {tolerance:g} points of the published "
             f"value: {int(a['within'])} ({_pct(a['share_within'])}); mean |difference| "
             f"{_f(a['mean_abs_difference'])} points."]
    for metric in METRICS:
        r = s.loc[metric]
        if r["cells"] == 0:
            lines.append(f"- {TITLES[metric]}: no cell.")
            continue
        lines.append(f"- {TITLES[metric]}: {int(r['within'])}/{int(r['cells'])} within "
                     f"{tolerance:g} points ({_pct(r['share_within'])}); mean |difference| "
                     f"{_f(r['mean_abs_difference'])}, mean difference (here - published) "
                     f"{_f(r['mean_difference'], sign=True)} points.")
    return lines


def claims_markdown(claims: pd.DataFrame, n_compared: int, n_all: int, n_uci: int) -> str:
    """The claims table of one run."""
    head = ["#", "claim", "paper", "scope", f"here ({n_compared} compared)",
            "published (same data sets)", f"here (all {n_all} of the run)",
            f"published ({n_uci} UCI)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---:"] + [":---"] * 3 +
                                                           ["---:"] * 4) + "|"]
    for i, r in enumerate(claims.itertuples(), start=1):
        cells = [str(i), r.claim, r.paper, r.scope] + [
            getattr(r, c).text(r.scope) for c in ("here", "published", "here_all",
                                                    "published_uci")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def cell_text(published: float, reproduced: float, difference: float,
              tolerance: float = TOLERANCE) -> str:
    """``pub / here / diff``; the difference in bold when outside the tolerance."""
    d = _f(difference, sign=True)
    if not within_tolerance(pd.Series([difference]), tolerance).iat[0]:
        d = f"**{d}**"
    return f"{_f(published)} / {_f(reproduced)} / {d}"


def cells_markdown(comparison: pd.DataFrame, metric: str) -> str:
    """Per data set (rows, published order) and method: ``pub / here / diff``; flagged
    data sets marked with a dagger."""
    sub = comparison[comparison["metric"] == metric] if len(comparison) else comparison
    if sub.empty:
        return "No cell.\n"
    methods = method_order(sub["method"].unique())
    lines = ["| data set | " + " | ".join(methods) + " |",
             "|:---|" + "|".join(["---:"] * len(methods)) + "|"]
    for d in sub["dataset"].drop_duplicates():
        rows = sub[sub["dataset"] == d].set_index("method")
        first = rows.iloc[0]
        label = d if first["paper_name"] == d else f"{d} ({first['paper_name']})"
        if not bool(first["comparable"]):
            label += " †"
        cells = [cell_text(rows.at[m, "published"], rows.at[m, "reproduced"],
                           rows.at[m, "difference"]) if m in rows.index else "-"
                 for m in methods]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def datasets_lines(matched: pd.DataFrame) -> list[str]:
    """Which data sets were compared, flagged (size differs) or not matched."""
    def fmt(d, m):
        pn = m["paper_name"]
        name = f"{d} -> {pn}" if isinstance(pn, str) and pn != d else d
        return name if m["status"] == COMPARED else f"{name} ({m['reason']})"
    groups = [(COMPARED, "compared"), (SIZE_DIFFERS, "not comparable, size differs (marked †)"),
              (UNMATCHED, "no published counterpart")]
    lines = []
    for status, title in groups:
        sub = matched[matched["status"] == status]
        items = ", ".join(fmt(d, m) for d, m in sub.iterrows()) if len(sub) else "none"
        lines.append(f"- {title} ({len(sub)}): {items}")
    return lines


def run_datasets_sentence(matched: pd.DataFrame) -> str:
    """One line for the document header: how many data sets were compared, and which."""
    comp = [d for d in matched.index if matched.at[d, "status"] == COMPARED]
    other = [f"{d} ({matched.at[d, 'status']})" for d in matched.index if d not in set(comp)]
    text = f"{len(comp)} of {len(matched)} data sets compared"
    if comp:
        text += f" ({', '.join(comp)})"
    return text + (f"; not compared: {', '.join(other)}." if other else ".")


HOW_TO_READ = (
    "How to read. Each cell of the per-data-set tables is `published / here / difference`, "
    "with difference = here - published in percentage points (positive: this project's value is "
    "higher) and in bold when it exceeds {tol:g} points. Published values are Tables A1-A4 of the "
    "paper; reproduced values are this project's test values of the configuration chosen on the "
    "validation sets, rounded to the tables' 2 decimals. Only data sets whose size agrees with "
    "Table A1 (published n = n or n - 1, same p and k) enter the summary and the claims; data "
    "sets marked † share a paper name but not the data. The claims table gives, per claim of the "
    "paper, the share of data sets where it holds (per-data-set claims) or whether it holds on "
    "the means over data sets (mean claims), here and in the published tables for the same data "
    "sets; the last two columns widen that to every data set of the run and to all 45 UCI sets "
    "of the paper. The multi-objective rank of Figure 2 is published only as a bar chart, with "
    "no value per data set, so claims on it are checked on this project's results only. "
    "Neither preprocessing mode reproduces the published code: `paper` mode copies "
    "only its input scaling (standardise, then / 255); the other defects of that code (PGD "
    "clipping to [0, 1], the inverted final sparsity mask, the dropped sparsity penalty, the "
    "frozen stability threshold, the three-checkpoint selection, the step floor) are not "
    "reproduced, so cell-level agreement is not expected: the claims are the fairer comparison."
)


def settings_notes(params: Mapping) -> list[str]:
    """Header lines comparing the run's settings (from params) with the paper's."""
    notes = []
    rho = params.get("aggregate", {}).get("adversarial_rho")
    if rho is not None:
        warn = "" if math.isclose(float(rho), PAPER_ADVERSARIAL_RHO) else \
            " (differs: adversarial cells compare different radii)"
        notes.append(f"Adversarial accuracy here at rho = {float(rho):g}; Table A2 at rho = "
                     f"{PAPER_ADVERSARIAL_RHO:g} for the UCI sets{warn}.")
    splits = params.get("split", {}).get("n_splits")
    epochs = params.get("train", {}).get("epochs")
    cap = params.get("train", {}).get("max_steps_per_round")
    capped = f" (at most {cap} steps a round)" if cap is not None else ""
    if splits is not None and epochs is not None:
        notes.append(f"Settings given to this stage: {splits} splits, {epochs} epochs per round{capped} "
                     f"(paper: {PAPER_SETTINGS['n_splits']} splits, {PAPER_SETTINGS['epochs']} "
                     "epochs for UCI); runs made with fewer are not expected to match closely.")
    return notes


@dataclass(frozen=True)
class RunFidelity:
    """Everything the documents need about one run."""
    label: str
    matched: pd.DataFrame
    comparison: pd.DataFrame
    claims: pd.DataFrame


def assess_run(label: str, selected: pd.DataFrame, info: pd.DataFrame | None = None,
               reference: pd.DataFrame | None = None,
               names: pd.DataFrame | None = None) -> RunFidelity:
    """Match, compare and evaluate the claims for one run."""
    reference = load_reference() if reference is None else reference
    names = load_reference_names() if names is None else names
    selected = check_selected(selected, f"run {label!r}")
    matched = match_datasets(selected["dataset"], reference, info, names)
    return RunFidelity(label, matched, compare(selected, info, reference, names),
                       evaluate_claims(selected, matched, reference, names))


def assess_runs(runs: Mapping[str, pd.DataFrame],
                infos: Mapping[str, pd.DataFrame] | None = None,
                reference: pd.DataFrame | None = None,
                names: pd.DataFrame | None = None) -> list[RunFidelity]:
    """:func:`assess_run` for every run, in the given order."""
    if not runs:
        raise DataError("no run given")
    reference = load_reference() if reference is None else reference
    names = load_reference_names() if names is None else names
    infos = infos or {}
    return [assess_run(label, sel, infos.get(label), reference, names)
            for label, sel in runs.items()]


def run_markdown(run: RunFidelity, n_uci: int) -> str:
    """One run's section: data sets, summary lines, claims, per-metric cell tables."""
    m = run.matched
    parts = [f"## Run `{run.label}`", "", "Data sets:", "", *datasets_lines(m), "",
             "### Summary", "", *summary_lines(run.comparison), "",
             "### Claims of the paper", "",
             claims_markdown(run.claims, int((m["status"] == COMPARED).sum()), len(m), n_uci)]
    for metric in METRICS:
        parts += [f"### {TITLES[metric]}: published / here / difference", "",
                  cells_markdown(run.comparison, metric)]
    return "\n".join(parts)


def fidelity_markdown(runs: Mapping[str, pd.DataFrame] | Sequence[RunFidelity],
                      infos: Mapping[str, pd.DataFrame] | None = None,
                      reference: pd.DataFrame | None = None,
                      names: pd.DataFrame | None = None,
                      notes: Sequence[str] = (), tolerance: float = TOLERANCE) -> str:
    """The whole ``fidelity.md``: header (runs, data sets, notes, how to read), then one
    section per run label. ``runs``: label -> selection trace, or assessed runs."""
    names = load_reference_names() if names is None else names
    assessed = list(runs) if not isinstance(runs, Mapping) else \
        assess_runs(runs, infos, reference, names)
    n_uci = len(uci_names(names))
    head = ["# Fidelity to the published tables", "",
            "This project's Tables A1-A4 and the claims of Section 4.1 against those published "
            "in *Holistic Deep Learning* (Bertsimas et al.), Appendix A "
            "(`holistic/studies/hdl/reference/`).", "",
            "Runs: " + ", ".join(f"`{r.label}`" for r in assessed) + ".", ""]
    for r in assessed:
        head.append(f"- `{r.label}`: " + run_datasets_sentence(r.matched))
    head.append("")
    head += [f"- {n}" for n in notes]
    if notes:
        head.append("")
    head += [HOW_TO_READ.format(tol=tolerance), ""]
    return "\n".join(head) + "\n" + "\n".join(run_markdown(r, n_uci) for r in assessed)


def fidelity_frame(runs: Sequence[RunFidelity]) -> pd.DataFrame:
    """Tidy cells of all runs: run, dataset, metric, method, published, reproduced,
    difference, paper_name, comparable."""
    cols = ["run", "dataset", "metric", "method", "published", "reproduced", "difference",
            "paper_name", "comparable"]
    frames = [r.comparison.assign(run=r.label) for r in runs if len(r.comparison)]
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)[cols]


def fidelity_csv(runs: Sequence[RunFidelity]) -> str:
    """:func:`fidelity_frame` as CSV text (2 decimals, ``true``/``false``)."""
    df = fidelity_frame(runs).copy()
    for c in ("published", "reproduced", "difference"):
        df[c] = df[c].map(lambda v: _f(v))
    df["comparable"] = df["comparable"].map(lambda b: "true" if b else "false")
    buf = _io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def write_fidelity(runs: Mapping[str, pd.DataFrame], md_path: str | os.PathLike,
                   csv_path: str | os.PathLike, notes: Sequence[str] = (),
                   infos: Mapping[str, pd.DataFrame] | None = None) -> list[RunFidelity]:
    """Assess the runs and write ``fidelity.md`` and the tidy CSV atomically."""
    from ...io import write_text

    assessed = assess_runs(runs, infos)
    write_text(md_path, fidelity_markdown(assessed, notes=notes))
    write_text(csv_path, fidelity_csv(assessed))
    return assessed


__all__ = ["METHODS", "RANK", "TOLERANCE", "PAPER_ADVERSARIAL_RHO", "CLAIMS", "Claim",
           "ClaimResult", "RunFidelity", "COMPARED", "SIZE_DIFFERS", "UNMATCHED",
           "reference_file", "load_reference", "load_reference_names", "uci_names",
           "load_selected", "check_selected", "registry_info", "match_datasets", "compare",
           "within_tolerance", "summarize_cells", "values_from_selected", "claim_tables",
           "mean_table", "evaluate_claim", "evaluate_claims", "summary_lines",
           "claims_markdown", "cells_markdown", "datasets_lines", "run_datasets_sentence", "settings_notes",
           "assess_run", "assess_runs", "run_markdown", "fidelity_markdown", "fidelity_frame",
           "fidelity_csv", "write_fidelity",
           "robust_beats_dl_adversarial", "sparse_beat_dense_sparsity", "hdl_best_rank",
           "robust_family_beats_dl_adversarial", "stable_not_below_dl_stability",
           "hdl_beats_dl_adversarial", "framework_beats_dl_rank",
           "combinations_beat_robust_adversarial", "robustness_stability_help_sparsity"]
