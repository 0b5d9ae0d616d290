"""Result tables of Section 4: Tables A1-A4 shaped CSV/Markdown, ranks, metrics, plot.

Outputs written by :func:`write_outputs` (every file atomically, via
``holistic.io``; all are byte-for-byte reproducible for the same input):

- ``<tables>/{natural_accuracy,adversarial_accuracy,stability,sparsity}.{csv,md}``:
  rows = data sets, columns ``dataset, n, p, k, <methods>``, test values in
  percent (2 decimals) of the configuration chosen on the validation sets;
- ``<tables>/rank.{csv,md}``: multi-objective rank per data set and method, and
  a final ``mean`` row;
- ``<tables>/selected.csv``: the chosen configuration per data set, method and
  metric (``multi_objective`` included), for traceability;
- ``<metrics>`` (``metrics.json``): per metric, the mean over data sets per method;
- ``<plots>/metrics.png`` and ``<plots>/metrics.csv`` (the data of the plot).
"""

from __future__ import annotations

import io as _io
import json
import math
import os
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pandas as pd

from ..errors import DataError
from ..io import atomic_path, write_json, write_text
from .select import (METRICS, eval_info, flatten_eval, mean_over_datasets, method_order,
                     select_all, wide)

#: Rows are sorted by the DL natural accuracy, highest first (False: lowest first,
#: which is the order of the published Tables A1-A4).
ROWS_DESCENDING = False

TABLE_DECIMALS = 2
RANK_DECIMALS = 3
METRICS_DECIMALS = 6

TITLES = {
    "natural_accuracy": "Natural accuracy",
    "adversarial_accuracy": "Adversarial accuracy",
    "stability": "Stability",
    "sparsity": "Sparsity",
    "multi_objective_rank": "Multi-objective rank",
}


def captions(adversarial_rho: float) -> dict[str, str]:
    """Caption line of each Markdown table."""
    return {
        "natural_accuracy": "Table A1-style: natural accuracy (%) on the test set, mean over "
                            "splits, of the configuration with the best mean validation "
                            "natural accuracy. Best value of each row in bold.",
        "adversarial_accuracy": f"Table A2-style: adversarial (PGD) accuracy (%) with rho = "
                                f"{adversarial_rho:g} on the test set, mean over splits, of the "
                                "configuration with the best mean validation adversarial "
                                "accuracy. Best value of each row in bold.",
        "stability": "Table A3-style: stability, i.e. worst-case (minimum over splits) natural "
                     "accuracy (%) on the test set, of the configuration with the best "
                     "worst-case validation accuracy. Best value of each row in bold.",
        "sparsity": "Table A4-style: sparsity (% of zero parameters), mean over splits, of the "
                    "configuration with the highest mean sparsity. Best value of each row in "
                    "bold.",
        "rank": "Multi-objective rank (Fig. 2): per method the configuration with the best "
                "average validation rank over natural accuracy, adversarial accuracy "
                f"(rho = {adversarial_rho:g}), stability and sparsity; the chosen models are "
                "ranked on the test set (1 = best, ties averaged) and the four ranks "
                "averaged. Lowest (best) rank of each row in bold.",
    }


# --------------------------------------------------------------------------- load

def load_eval(path: str | os.PathLike) -> dict:
    """Read one eval JSON file; DataError naming the file if missing or not JSON."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: eval file not found")
    try:
        with open(path) as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON: {exc}") from None


def load_evals(paths: Iterable[str | os.PathLike],
               adversarial_rho: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load and flatten eval files.

    Returns ``(models, info)``: ``models`` one row per trained model (see
    :func:`holistic.selection.select.flatten_eval`), ``info`` indexed by data set
    with columns n, p, k, paper_name. Raises DataError naming the file for a
    missing file or field, a (data set, method) given twice, or data set sizes
    that disagree between files.
    """
    frames, infos, seen = [], {}, {}
    for path in paths:
        src = str(path)
        ev = load_eval(path)
        df = flatten_eval(ev, adversarial_rho, source=src)
        inf = eval_info(ev, source=src)
        key = (df["dataset"].iat[0], df["method"].iat[0])
        if key in seen:
            raise DataError(f"{src}: data set {key[0]!r}, method {key[1]!r} already given by "
                            f"{seen[key]}")
        seen[key] = src
        ds = inf["dataset"]
        if ds in infos:
            old = infos[ds]
            if any(old[f] != inf[f] for f in ("n", "p", "k")):
                raise DataError(f"{src}: info (n, p, k) = ({inf['n']}, {inf['p']}, {inf['k']}) of "
                                f"{ds!r} disagrees with ({old['n']}, {old['p']}, {old['k']}) in "
                                f"{old['source']}")
        else:
            infos[ds] = dict(inf, source=src)
        frames.append(df)
    if not frames:
        raise DataError("no eval files given")
    models = pd.concat(frames, ignore_index=True)
    info = pd.DataFrame([{k: v for k, v in i.items() if k != "source"} for i in infos.values()])
    info = info.set_index("dataset").sort_index()
    return models, info


def read_selected(path: str | os.PathLike) -> pd.DataFrame:
    """Read ``selected.csv`` (written by :func:`write_outputs`) back into the long
    selection frame of :func:`holistic.selection.select.select_all`; DataError
    naming the file if it is missing or lacks a column."""
    cols = ["dataset", "method", "metric", "config_id", "config", "validation", "test"]
    try:
        df = pd.read_csv(path, dtype={"dataset": str, "method": str, "metric": str,
                                      "config": str})
    except FileNotFoundError:
        raise DataError(f"{path}: file not found (run the aggregate stage first)") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: not a selection CSV ({e})") from None
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(f"{path}: column(s) {', '.join(missing)} missing")
    return df[cols]


# --------------------------------------------------------------------------- tables

def row_order(selected: pd.DataFrame) -> list[str]:
    """Data sets sorted by DL natural accuracy (see ``ROWS_DESCENDING``), ties and
    data sets without DL by name; by name alone if DL is absent."""
    datasets = sorted(selected["dataset"].unique())
    nat = wide(selected, "natural_accuracy")
    if "DL" not in nat.columns:
        return datasets
    dl = nat["DL"]
    have = sorted((d for d in datasets if pd.notna(dl.get(d))),
                  key=lambda d: ((-1 if ROWS_DESCENDING else 1) * round(float(dl[d]), 9), d))
    return have + [d for d in datasets if d not in set(have)]


def _fmt(v, decimals: int) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return f"{round(float(v), decimals):.{decimals}f}"


def metric_table(selected: pd.DataFrame, info: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Table A1-A4 shaped: columns dataset, n, p, k, <methods> (Table 1 order), values
    rounded to ``TABLE_DECIMALS``; NaN where a method did not run on a data set."""
    tab = wide(selected, metric).reindex(row_order(selected)).round(TABLE_DECIMALS)
    front = info.reindex(tab.index)[["n", "p", "k"]].astype(int)
    out = pd.concat([front, tab], axis=1).rename_axis("dataset").reset_index()
    out.columns.name = None
    return out


def rank_table(selected: pd.DataFrame, info: pd.DataFrame) -> pd.DataFrame:
    """Multi-objective rank per data set and method, plus a final ``mean`` row
    (mean over the data sets each method ran on); rounded to ``RANK_DECIMALS``."""
    tab = wide(selected, "multi_objective").reindex(row_order(selected))
    mean = tab.mean(axis=0).to_frame("mean").T
    front = info.reindex(tab.index)[["n", "p", "k"]].astype("Int64")
    body = pd.concat([front, tab], axis=1)
    mean_row = pd.concat([pd.DataFrame({c: [pd.NA] for c in ("n", "p", "k")}, index=["mean"],
                                       dtype="Int64"), mean], axis=1)
    out = pd.concat([body, mean_row]).round(RANK_DECIMALS)
    out = out.rename_axis("dataset").reset_index()
    out.columns.name = None
    return out


def table_csv(table: pd.DataFrame, decimals: int) -> str:
    """CSV text with fixed decimals for the method columns and empty cells for NaN."""
    cols = list(table.columns)
    lines = [",".join(cols)]
    for _, row in table.iterrows():
        cells = [str(row["dataset"])]
        for c in ("n", "p", "k"):
            v = row[c]
            cells.append("" if pd.isna(v) else str(int(v)))
        cells += [_fmt(row[c], decimals) for c in cols[4:]]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def table_markdown(table: pd.DataFrame, caption: str, decimals: int,
                   best: str = "max") -> str:
    """Markdown table with a caption line; the best value of each row in bold
    (``best`` = "max" or "min"; all tied values bold), "-" where missing."""
    cols = list(table.columns)
    methods = cols[4:]
    lines = [f"**{caption}**", "", "| " + " | ".join(cols) + " |",
             "|" + "|".join([":---"] + ["---:"] * (len(cols) - 1)) + "|"]
    for _, row in table.iterrows():
        vals = {m: row[m] for m in methods if pd.notna(row[m])}
        texts = {m: _fmt(v, decimals) for m, v in vals.items()}
        if vals:
            num = {m: float(t) for m, t in texts.items()}
            target = max(num.values()) if best == "max" else min(num.values())
        cells = [str(row["dataset"])]
        cells += ["" if pd.isna(row[c]) else str(int(row[c])) for c in ("n", "p", "k")]
        for m in methods:
            if m not in vals:
                cells.append("-")
            elif num[m] == target:
                cells.append(f"**{texts[m]}**")
            else:
                cells.append(texts[m])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def selected_csv(selected: pd.DataFrame) -> str:
    """The selection trace as CSV text (floats with 6 decimals)."""
    out = selected.copy()
    for c in ("validation", "test"):
        out[c] = out[c].map(lambda v: _fmt(v, METRICS_DECIMALS))
    buf = _io.StringIO()
    out.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


# --------------------------------------------------------------------------- metrics, plot

def compute_metrics(selected: pd.DataFrame, models: pd.DataFrame) -> dict:
    """``metrics.json`` content: per metric the mean over data sets per method
    (Table 1 order of keys is lost to sorted JSON keys), ``n_datasets`` and
    ``n_models`` (trained models = rows of ``models``), floats rounded to 6 decimals."""
    means = mean_over_datasets(selected)
    out: dict = {name: {m: round(v, METRICS_DECIMALS) for m, v in d.items()}
                 for name, d in means.items()}
    out["n_datasets"] = int(selected["dataset"].nunique())
    out["n_models"] = int(len(models))
    return out


def plot_data(metrics: Mapping) -> pd.DataFrame:
    """Long data of the plot: metric, method, value (the four single metrics)."""
    rows = []
    for metric in METRICS:
        d = metrics.get(metric, {})
        for m in method_order(d):
            rows.append({"metric": metric, "method": m, "value": d[m]})
    return pd.DataFrame(rows, columns=["metric", "method", "value"])


def plot_metrics(metrics: Mapping, png_path: str | os.PathLike) -> None:
    """Four bar panels (one per metric), one bar per method: mean over data sets."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    data = plot_data(metrics)
    fig = Figure(figsize=(12, 8))
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 2)
    for ax, metric in zip(axes.flat, METRICS):
        sub = data[data["metric"] == metric]
        x = range(len(sub))
        ax.bar(list(x), sub["value"].tolist(), color="tab:blue")
        ax.set_xticks(list(x))
        ax.set_xticklabels(sub["method"].tolist(), rotation=45, ha="right")
        ax.set_title(TITLES[metric])
        ax.set_ylabel("% (mean over data sets)")
    fig.tight_layout()
    with atomic_path(png_path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})


# --------------------------------------------------------------------------- driver

def write_outputs(models: pd.DataFrame, info: pd.DataFrame, adversarial_rho: float,
                  tables_dir: str | os.PathLike, metrics_path: str | os.PathLike,
                  plots_dir: str | os.PathLike) -> dict:
    """Select, then write every table, ``metrics.json`` and the plot; returns the metrics."""
    tables_dir, plots_dir = Path(tables_dir), Path(plots_dir)
    selected = select_all(models)
    caps = captions(adversarial_rho)
    for metric in METRICS:
        tab = metric_table(selected, info, metric)
        write_text(tables_dir / f"{metric}.csv", table_csv(tab, TABLE_DECIMALS))
        write_text(tables_dir / f"{metric}.md",
                   table_markdown(tab, caps[metric], TABLE_DECIMALS, best="max"))
    rt = rank_table(selected, info)
    write_text(tables_dir / "rank.csv", table_csv(rt, RANK_DECIMALS))
    write_text(tables_dir / "rank.md", table_markdown(rt, caps["rank"], RANK_DECIMALS, best="min"))
    write_text(tables_dir / "selected.csv", selected_csv(selected))
    metrics = compute_metrics(selected, models)
    write_json(metrics_path, metrics)
    pdata = plot_data(metrics)
    buf = _io.StringIO()
    pdata.to_csv(buf, index=False, lineterminator="\n", float_format=f"%.{METRICS_DECIMALS}f")
    write_text(plots_dir / "metrics.csv", buf.getvalue())
    plot_metrics(metrics, plots_dir / "metrics.png")
    return metrics


def aggregate(eval_paths: Sequence[str | os.PathLike], adversarial_rho: float,
              tables_dir: str | os.PathLike, metrics_path: str | os.PathLike,
              plots_dir: str | os.PathLike) -> dict:
    """Load the eval files and write all outputs (the ``aggregate`` stage)."""
    models, info = load_evals(eval_paths, adversarial_rho)
    return write_outputs(models, info, adversarial_rho, tables_dir, metrics_path, plots_dir)


__all__ = ["ROWS_DESCENDING", "captions", "load_eval", "load_evals", "row_order",
           "metric_table", "rank_table", "table_csv", "table_markdown", "selected_csv",
           "compute_metrics", "plot_data", "plot_metrics", "write_outputs", "aggregate"]
