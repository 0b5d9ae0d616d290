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

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from ..io import write_aside, write_json, write_text
from ..records.selected import selected_csv
from ..render.figures import new_figure, save_png
from ..render.labels import METRIC_TITLES, attack_label
from ..render.tables import (DATA_DECIMALS, bold_best, frame_csv, markdown_table, number,
                             rows_csv)
from ..records.declared import Declared
from ..records.evals import load_evals, radius_label, tidy_rows
from .robustness import bound_for_table, r2_over_all_points, verified_table, write_robustness
from .select import (METRICS, mean_over_datasets,
                     select_all, wide)

#: Rows are sorted by the DL natural accuracy, highest first (False: lowest first,
#: which is the order of the published Tables A1-A4).
ROWS_DESCENDING = False

TABLE_DECIMALS = 2
RANK_DECIMALS = 3


def captions(adversarial_eps: float, refs: Mapping[str, str] | None = None, attack: str = "pgd") -> dict[str, str]:
    """Caption line of each Markdown table; ``attack``: the one of the adversarial accuracy
    (``attack.adversarial``). ``refs`` (the study's, optional): metric (and
    ``multi_objective``) -> the published table or figure it mirrors, e.g. ``Table A1``;
    named at the start of the caption (``Table A1-style: ...``, ``... rank (Fig. 2): ...``)."""
    refs = refs or {}

    def lead(metric: str, text: str) -> str:
        return f"{refs[metric]}-style: {text}" if metric in refs else text[0].upper() + text[1:]

    rank_ref = f" ({refs['multi_objective']})" if "multi_objective" in refs else ""
    return {
        "natural_accuracy": lead("natural_accuracy",
                                 "natural accuracy (%) on the test set, mean over "
                                 "splits, of the configuration with the best mean validation "
                                 "natural accuracy. Best value of each row in bold."),
        "adversarial_accuracy": lead("adversarial_accuracy",
                                     f"adversarial accuracy (%) under {attack_label(attack)}, rho = "
                                     f"{radius_label(adversarial_eps)} on the test set, mean over splits, of the "
                                     "configuration with the best mean validation adversarial "
                                     "accuracy. Best value of each row in bold."),
        "stability": lead("stability",
                          "stability, i.e. worst-case (minimum over splits) natural "
                          "accuracy (%) on the test set, of the configuration with the best "
                          "worst-case validation accuracy. Best value of each row in bold."),
        "sparsity": lead("sparsity",
                         "sparsity (% of zero parameters), mean over splits, of the "
                         "configuration with the highest mean sparsity. Best value of each row in "
                         "bold."),
        "rank": f"Multi-objective rank{rank_ref}: per method the configuration with the best "
                "average validation rank over natural accuracy, adversarial accuracy "
                f"(rho = {radius_label(adversarial_eps)}), stability and sparsity; the chosen models are "
                "ranked on the test set (1 = best, ties averaged) and the four ranks "
                "averaged. Lowest (best) rank of each row in bold.",
    }


# --------------------------------------------------------------------------- load

# --------------------------------------------------------------------------- tables

def row_order(selected: pd.DataFrame, baseline: str | None) -> list[str]:
    """Data sets sorted by the baseline method's natural accuracy (see ``ROWS_DESCENDING``),
    ties and data sets without it by name; by name alone if the baseline is absent."""
    datasets = sorted(selected["dataset"].unique())
    nat = wide(selected, "natural_accuracy")
    if baseline is None or baseline not in nat.columns:
        return datasets
    dl = nat[baseline]
    have = sorted((d for d in datasets if pd.notna(dl.get(d))),
                  key=lambda d: ((-1 if ROWS_DESCENDING else 1) * round(float(dl[d]), 9), d))
    return have + [d for d in datasets if d not in set(have)]


def metric_table(selected: pd.DataFrame, info: pd.DataFrame, metric: str, rows: list[str]) -> pd.DataFrame:
    """Table A1-A4 shaped: columns dataset, n, p, k, <methods> (Table 1 order), values
    rounded to ``TABLE_DECIMALS``; NaN where a method did not run on a data set."""
    tab = wide(selected, metric).reindex(rows).round(TABLE_DECIMALS)
    front = info.reindex(tab.index)[["n", "p", "k"]].astype(int)
    out = pd.concat([front, tab], axis=1).rename_axis("dataset").reset_index()
    out.columns.name = None
    return out


def rank_table(selected: pd.DataFrame, info: pd.DataFrame, rows: list[str]) -> pd.DataFrame:
    """Multi-objective rank per data set and method, plus a final ``mean`` row
    (mean over the data sets each method ran on); rounded to ``RANK_DECIMALS``."""
    tab = wide(selected, "multi_objective").reindex(rows)
    mean = tab.mean(axis=0).to_frame("mean").T
    front = info.reindex(tab.index)[["n", "p", "k"]].astype("Int64")
    body = pd.concat([front, tab], axis=1)
    mean_row = pd.concat([pd.DataFrame({c: [pd.NA] for c in ("n", "p", "k")}, index=["mean"],
                                       dtype="Int64"), mean], axis=1)
    out = pd.concat([body, mean_row]).round(RANK_DECIMALS)
    out = out.rename_axis("dataset").reset_index()
    out.columns.name = None
    return out


def _front(row) -> list[str]:
    """The dataset, n, p, k cells of a table row (empty where unknown)."""
    return [str(row["dataset"])] + ["" if pd.isna(row[c]) else str(int(row[c]))
                                    for c in ("n", "p", "k")]


def table_csv(table: pd.DataFrame, decimals: int) -> str:
    """CSV text with fixed decimals for the method columns and empty cells for NaN."""
    cols = list(table.columns)
    rows = [_front(row) + [number(row[c], decimals) for c in cols[4:]]
            for _, row in table.iterrows()]
    return rows_csv(cols, rows)


def table_markdown(table: pd.DataFrame, caption: str, decimals: int,
                   best: str = "max") -> str:
    """Markdown table with a caption line; the best value of each row in bold
    (``best`` = "max" or "min"; all tied values bold), "-" where missing."""
    cols = list(table.columns)
    methods = cols[4:]
    rows = [_front(row) + bold_best({m: number(row[m], decimals) for m in methods
                                     if pd.notna(row[m])}, methods, best)
            for _, row in table.iterrows()]
    return markdown_table(cols, rows, "l" + "r" * (len(cols) - 1), caption=f"**{caption}**")


# --------------------------------------------------------------------------- metrics, plot

def compute_metrics(selected: pd.DataFrame, models: pd.DataFrame) -> dict:
    """``metrics.json`` content: per metric the mean over data sets per method
    (Table 1 order of keys is lost to sorted JSON keys), ``n_datasets`` and
    ``n_models`` (trained models = rows of ``models``), floats rounded to 6 decimals."""
    means = mean_over_datasets(selected)
    out: dict = {name: {m: round(v, DATA_DECIMALS) for m, v in d.items()}
                 for name, d in means.items()}
    out["n_datasets"] = int(selected["dataset"].nunique())
    out["n_models"] = int(len(models))
    return out


def plot_data(metrics: Mapping) -> pd.DataFrame:
    """Long data of the plot: metric, method, value (the four single metrics)."""
    rows = []
    for metric in METRICS:
        d = metrics.get(metric, {})
        for m in d:  # the tables' method order
            rows.append({"metric": metric, "method": m, "value": d[m]})
    return pd.DataFrame(rows, columns=["metric", "method", "value"])


def plot_metrics(metrics: Mapping, png_path: str | os.PathLike) -> None:
    """Four bar panels (one per metric), one bar per method: mean over data sets."""
    data = plot_data(metrics)
    fig = new_figure((12, 8))
    axes = fig.subplots(2, 2)
    for ax, metric in zip(axes.flat, METRICS):
        sub = data[data["metric"] == metric]
        x = range(len(sub))
        ax.bar(list(x), sub["value"].tolist(), color="tab:blue")
        ax.set_xticks(list(x))
        ax.set_xticklabels(sub["method"].tolist(), rotation=45, ha="right")
        ax.set_title(METRIC_TITLES[metric])
        ax.set_ylabel("% (mean over data sets)")
    fig.tight_layout()
    save_png(fig, png_path)


# --------------------------------------------------------------------------- driver

@dataclass(frozen=True)
class Layout:
    """How a study's tables look: its methods (the column order), the baseline whose natural
    accuracy orders the rows (by name when None) and the published table or figure each
    metric mirrors (named in the captions, :func:`captions`)."""

    methods: Sequence[str] = ()
    baseline: str | None = None
    refs: Mapping[str, str] = field(default_factory=dict)


def write_outputs(models: pd.DataFrame, info: pd.DataFrame, adversarial_eps: float,
                  tables_dir: str | os.PathLike, metrics_path: str | os.PathLike,
                  plots_dir: str | os.PathLike, layout: Layout = Layout()) -> dict:
    """Select, then write every table, ``metrics.json`` and the plot; returns the metrics."""
    tables_dir, plots_dir = Path(tables_dir), Path(plots_dir)
    selected = select_all(models, layout.methods)
    caps = captions(adversarial_eps, layout.refs, str(info["adversarial"].iat[0]))
    rows = row_order(selected, layout.baseline)
    for metric in METRICS:
        tab = metric_table(selected, info, metric, rows)
        write_text(tables_dir / f"{metric}.csv", table_csv(tab, TABLE_DECIMALS))
        write_text(tables_dir / f"{metric}.md",
                   table_markdown(tab, caps[metric], TABLE_DECIMALS, best="max"))
    rt = rank_table(selected, info, rows)
    write_text(tables_dir / "rank.csv", table_csv(rt, RANK_DECIMALS))
    write_text(tables_dir / "rank.md", table_markdown(rt, caps["rank"], RANK_DECIMALS, best="min"))
    write_text(tables_dir / "selected.csv", selected_csv(selected))
    metrics = compute_metrics(selected, models)
    write_json(metrics_path, metrics)
    write_text(plots_dir / "metrics.csv", frame_csv(plot_data(metrics)))
    plot_metrics(metrics, plots_dir / "metrics.png")
    return metrics


def write_verified(rows: pd.DataFrame, models: pd.DataFrame, info: pd.DataFrame, adversarial_eps,
                   tables_dir: str | os.PathLike, layout: Layout = Layout()) -> None:
    """``verified_accuracy.{csv,md}``: Table A2-style verified accuracy of the models of the
    adversarial-accuracy table (:func:`holistic.selection.robustness.verified_table`)."""
    tables_dir = Path(tables_dir)
    selected = select_all(models, layout.methods)
    bound = bound_for_table(rows)
    ref = layout.refs.get("adversarial_accuracy")
    if bound is None:
        tab = metric_table(selected.assign(test=float("nan")).assign(metric="verified_accuracy")
                           .drop_duplicates(["dataset", "method"]), info, "verified_accuracy",
                           row_order(selected, layout.baseline))
        caption = ("Verified accuracy: no bound measured (attack.verify is empty, or no bound can describe "
                   "these models: the residual nets have no layer form, holistic.verify.layers.from_model).")
    else:
        ver = verified_table(rows, selected, bound, adversarial_eps)
        tab = metric_table(ver, info, "verified_accuracy", row_order(selected, layout.baseline))
        caption = (f"{ref + '-style ' if ref else ''}verified accuracy (%) under {attack_label(bound)}, "
                   f"rho = {radius_label(adversarial_eps)}, on the test set, mean over splits, of the "
                   "configuration chosen by the best mean validation adversarial accuracy (the models of "
                   "the adversarial-accuracy table). Best value of each row in bold.")
    write_text(tables_dir / "verified_accuracy.csv", table_csv(tab, TABLE_DECIMALS))
    write_text(tables_dir / "verified_accuracy.md", table_markdown(tab, caption, TABLE_DECIMALS, best="max"))


def aggregate(eval_paths: Sequence[str | os.PathLike], adversarial_eps: float,
              tables_dir: str | os.PathLike, metrics_path: str | os.PathLike,
              plots_dir: str | os.PathLike, layout: Layout = Layout(),
              replicate_paths: Sequence[str | os.PathLike] = (), replicates_dir: str | os.PathLike = "",
              declared: Declared | None = None) -> dict:
    """Load the eval files and write all outputs (the ``aggregate`` stage): the tables of
    :func:`write_outputs`, the robustness tables and the verified-accuracy table; with
    ``replicate_paths``, the replicates' selections under ``replicates_dir``
    (:func:`write_replicates`). Every eval file is checked (against ``declared``, the run's
    radii and grids, when given) before anything is written, and the outputs are written aside
    (``holistic.io.write_aside``): an error leaves the previous outputs as they were."""
    with write_aside():
        models, info = load_evals(eval_paths, adversarial_eps, declared)
        rows = tidy_rows(eval_paths, declared=declared)
        reps = load_evals(replicate_paths, adversarial_eps, declared)[0] if replicate_paths else None
        metrics = write_outputs(models, info, adversarial_eps, tables_dir, metrics_path, plots_dir, layout)
        write_robustness(rows, tables_dir, layout.methods, r2_over_all_points(eval_paths))
        write_verified(rows, models, info, adversarial_eps, tables_dir, layout)
        if replicate_paths:
            write_replicates(models, replicate_paths, adversarial_eps, replicates_dir, layout, reps)
    return metrics


def write_replicates(models: pd.DataFrame, replicate_paths: Sequence[str | os.PathLike], adversarial_eps,
                     root: str | os.PathLike, layout: Layout = Layout(),
                     replicates: pd.DataFrame | None = None) -> list[Path]:
    """The selection of each seed offset's replicates (eval files of ``DL@seed+1`` etc.:
    :func:`holistic.methods.split_replicate`), ``<root>/seed+<offset>/selected.csv``: the
    tables' selection (:func:`select_all`) of the run's ``models`` with each replicated method's
    models replaced by its replicate's, kept for the replicated methods, under their names (so
    a multi-objective rank is among the same competitors). A second run of the protocol for
    those methods; the tables are never made from it. ``replicates``: the replicates' models
    (:func:`load_evals` of ``replicate_paths``) where already loaded. Returns the files written."""
    from ..methods import replicate_group, split_replicate

    reps = load_evals(replicate_paths, adversarial_eps)[0] if replicates is None else replicates
    base = reps["method"].map(split_replicate)
    reps = reps.assign(method=base.str[0], _offset=base.str[1])
    written = []
    for offset, group in reps.groupby("_offset", sort=True):
        replaced = set(group["method"])
        run = pd.concat([models[~models["method"].isin(replaced)], group.drop(columns="_offset")],
                        ignore_index=True)
        selected = select_all(run, layout.methods)
        path = Path(root) / replicate_group(int(offset)) / "selected.csv"
        write_text(path, selected_csv(selected[selected["method"].isin(replaced)].reset_index(drop=True)))
        written.append(path)
    return written


__all__ = ["ROWS_DESCENDING", "Layout", "captions", "row_order",
           "metric_table", "rank_table", "table_csv", "table_markdown",
           "compute_metrics", "plot_data", "plot_metrics", "write_outputs", "aggregate", "write_replicates"]
