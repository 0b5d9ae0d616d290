"""Figures 1-2 and per-data-set tables (Tables 2-4 layout) of Section 4.

- Figure 1 (Section 4.1): for each of the four metrics, the mean test value of
  each method over the data sets of each difficulty group (six ranges of the DL
  natural accuracy, :data:`holistic.studies.hdl.difficulty.FIGURE1_GROUPS`). The
  values are those of ``selected.csv``: per metric the configuration chosen on
  that metric's validation criterion (the Tables A1-A4 values).
- Figure 2 (Section 4.1): the mean multi-objective rank (1 = best among the
  eight methods of a data set) per method and group, plus the group ``all``.
- :func:`per_dataset_tables`: one Markdown table per data set in the layout of
  Tables 2-4 (Section 4.2): rows Avg. accuracy, Adv. acc. rho, Stability,
  Sparsity; columns the eight methods; best value of each row in bold.

A mean is over the data sets of the group on which the method has a value;
``n_datasets`` says how many. Groups without data sets are left out.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import DataError
from ...io import write_text
from ...records.evals import radius_for, radius_label
from ...render.figures import new_figure, save_png
from ...render.labels import METRIC_AXES, METRIC_SHORT, METRIC_TITLES
from ...render.tables import bold_best, frame_csv, markdown_table, number, ordered
from ...selection.select import CRITERIA, METRICS, wide
from ...selection.tables import row_order
from . import difficulty
from .methods import BASELINE, METHODS

#: Label of the group holding every data set in Figure 2.
ALL = "all"

#: Decimals of the per-data-set tables (Tables 2-4 print one).
PER_DATASET_DECIMALS = 1


def _table1_order(methods) -> list[str]:
    """The given methods in Table 1 order (others after, sorted)."""
    return ordered(methods, METHODS)


# --------------------------------------------------------------------------- data

def figure1_groups(selected: pd.DataFrame) -> pd.Series:
    """Figure 1-2 group per data set (index dataset), from the DL natural accuracy;
    data sets without a DL value are left out."""
    return difficulty.dl_accuracy(selected).dropna().map(difficulty.figure1_group)


def _present_groups(groups: pd.Series) -> list[str]:
    present = set(groups)
    return [label for _, label in difficulty.FIGURE1_GROUPS if label in present]


def _group_means(tab: pd.DataFrame, members: list[str]) -> list[tuple[str, float, int]]:
    """(method, mean, n) over the rows ``members`` of a wide table, Table 1 order."""
    sub = tab.reindex(members)
    out = []
    for m in _table1_order(tab.columns):
        vals = sub[m].dropna()
        if len(vals):
            out.append((m, float(vals.mean()), len(vals)))
    return out


def figure1_data(selected: pd.DataFrame) -> pd.DataFrame:
    """Long data of Figure 1: group, metric, method, value (mean test value over the
    group's data sets), n_datasets."""
    groups = figure1_groups(selected)
    rows = []
    for group in _present_groups(groups):
        members = sorted(groups.index[groups == group])
        for metric in METRICS:
            for m, v, n in _group_means(wide(selected, metric), members):
                rows.append({"group": group, "metric": metric, "method": m, "value": v,
                             "n_datasets": n})
    return pd.DataFrame(rows, columns=["group", "metric", "method", "value", "n_datasets"])


def figure2_data(selected: pd.DataFrame) -> pd.DataFrame:
    """Long data of Figure 2: group (the six groups present, then ``all``), method,
    mean_rank (mean multi-objective test rank), n_datasets."""
    groups = figure1_groups(selected)
    tab = wide(selected, "multi_objective")
    parts = [(g, sorted(groups.index[groups == g])) for g in _present_groups(groups)]
    parts.append((ALL, sorted(tab.index)))
    rows = [{"group": g, "method": m, "mean_rank": v, "n_datasets": n}
            for g, members in parts for m, v, n in _group_means(tab, members)]
    return pd.DataFrame(rows, columns=["group", "method", "mean_rank", "n_datasets"])


# --------------------------------------------------------------------------- plots

def _grouped_bars(ax, data: pd.DataFrame, value: str, methods: list[str]) -> None:
    """Bars of ``value`` at x = group (data order), one bar per method."""
    groups = list(dict.fromkeys(data["group"]))
    width = 0.8 / max(len(methods), 1)
    colors = {m: f"C{i}" for i, m in enumerate(methods)}
    for i, m in enumerate(methods):
        sub = data[data["method"] == m].set_index("group").reindex(groups)
        x = np.arange(len(groups)) + (i - (len(methods) - 1) / 2) * width
        ax.bar(x, sub[value].fillna(0.0).to_numpy(), width=width, color=colors[m], label=m)
    n = data.groupby("group", sort=False)["n_datasets"].max()
    ax.set_xticks(np.arange(len(groups)))
    ax.set_xticklabels([f"{g}\n(n = {int(n[g])})" for g in groups], fontsize=8)


def note_figure(fig, note: str) -> None:
    """The run's departures from the paper's protocol (``note``) in small type across the top of
    a constrained-layout figure, in a band kept free of the axes (the bottom holds the figures'
    legends); nothing when ``note`` is empty."""
    if note:
        import textwrap

        width, height = fig.get_size_inches()
        text = textwrap.fill(note, int(width * 15))  # about 15 characters an inch at 7 points
        band = (text.count("\n") + 1) * 9.0 / (72.0 * height) + 0.01  # 9 points a line
        fig.get_layout_engine().set(rect=(0.0, 0.0, 1.0, 1.0 - band))  # left, bottom, width, height
        fig.text(0.5, 0.998, text, fontsize=7, ha="center", va="top")


def plot_figure1(data: pd.DataFrame, png_path: str | os.PathLike, adversarial_eps: float,
                 note: str = "") -> None:
    """Figure 1: one panel per metric, grouped bars (x = DL-accuracy group, bar = method);
    ``note``: the departures line along the bottom."""
    methods = _table1_order(data["method"].unique())
    fig = new_figure((14, 9), layout="constrained")
    axes = fig.subplots(2, 2)
    for panel, ax, metric in zip("abcd", axes.flat, METRICS):
        sub = data[data["metric"] == metric]
        _grouped_bars(ax, sub, "value", methods)
        title = f"({panel}) {METRIC_TITLES[metric]}"
        if metric == "adversarial_accuracy":
            title += f" with rho = {radius_label(adversarial_eps)}"
        ax.set_title(title)
        ax.set_ylabel(METRIC_AXES[metric])
        ax.set_xlabel("natural accuracy of the nominal DL model")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(methods))
    note_figure(fig, note)
    save_png(fig, png_path)


def plot_figure2(data: pd.DataFrame, png_path: str | os.PathLike, note: str = "") -> None:
    """Figure 2: mean multi-objective rank, grouped bars (x = group incl. ``all``); ``note``:
    the departures line along the bottom."""
    methods = _table1_order(data["method"].unique())
    fig = new_figure((12, 5), layout="constrained")
    ax = fig.subplots()
    _grouped_bars(ax, data, "mean_rank", methods)
    ax.set_title("Average multi-objective rank (lower is better)")
    ax.set_ylabel("mean rank among the methods")
    ax.set_xlabel("natural accuracy of the nominal DL model")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=len(methods))
    note_figure(fig, note)
    save_png(fig, png_path)


# --------------------------------------------------------------------------- Tables 2-4

def _row_names(eps: float) -> dict[str, str]:
    """Row names of Tables 2-4: the short metric labels, the radius with adversarial accuracy."""
    names = dict(METRIC_SHORT)
    names["adversarial_accuracy"] += f" rho={eps:g}"
    return names


def dataset_values(selected: pd.DataFrame, dataset: str,
                   summary: pd.DataFrame | None = None,
                   source: str = "selection") -> pd.DataFrame:
    """The four test metrics of each method on one data set: index metric, columns
    methods (Table 1 order).

    Without ``summary``: each metric's own selected configuration (``selected``,
    the Tables A1-A4 values). With ``summary`` (the per-configuration means of
    :func:`holistic.selection.select.summarize`): the four values of the single
    configuration chosen by the multi-objective validation rank, as in Tables 2-4
    ("the parameters with the highest average rank in the validation set").
    """
    if summary is None:
        vals = {metric: wide(selected, metric).reindex([dataset]).iloc[0] for metric in METRICS}
        return pd.DataFrame(vals).T.reindex(list(METRICS))
    mo = selected[(selected["dataset"] == dataset) & (selected["metric"] == "multi_objective")]
    out = {}
    for _, row in mo.iterrows():
        hit = summary[(summary["dataset"] == dataset) & (summary["method"] == row["method"])
                      & (summary["config_id"] == row["config_id"])]
        if len(hit) != 1:
            raise DataError(f"{source}: data set {dataset!r}, method {row['method']!r}: "
                            f"multi-objective config_id {row['config_id']} not in the eval "
                            "results")
        out[row["method"]] = {metric: float(hit[CRITERIA[metric][1]].iloc[0])
                              for metric in METRICS}
    tab = pd.DataFrame(out).reindex(list(METRICS))
    return tab[_table1_order(tab.columns)]


def per_dataset_tables(selected: pd.DataFrame, adversarial_eps,
                       summary: pd.DataFrame | None = None, source: str = "selection", note: str = "") -> str:
    """Markdown: one Tables 2-4 style table per data set (data sets ordered as the
    Tables A1-A4 rows), values in percent with one decimal, the best (highest)
    value of each row in bold (all ties bold), "-" where a method has no value.
    See :func:`dataset_values` for which configuration a value comes from. ``note``
    (the run's departures from the paper) opens the page."""
    if summary is None:
        how = ("per metric, the configuration with the best validation value of that metric "
               "(the Tables A1-A4 values; pass the eval results for the multi-objective "
               "choice of Tables 2-4)")
    else:
        how = ("for each method, the configuration with the best average validation rank "
               "over the four metrics (multi-objective choice, as in Tables 2-4)")
    methods = _table1_order(selected["method"].unique())
    blocks = []
    for ds in row_order(selected, BASELINE):
        tab = dataset_values(selected, ds, summary, source).reindex(columns=methods)
        names = _row_names(radius_for(adversarial_eps, ds))
        rows = []
        for metric in METRICS:
            row = tab.loc[metric]
            texts = {m: number(row[m], PER_DATASET_DECIMALS) for m in methods if pd.notna(row[m])}
            rows.append([names[metric]] + bold_best(texts, methods))
        caption = (f"**Results for the {ds} data set (test set, %). Chosen configuration: "
                   f"{how}. Best value of each row in bold.**")
        blocks.append(f"### {ds}\n\n" + markdown_table(["Method", *methods], rows,
                                                        "l" + "r" * len(methods), caption))
    return (f"{note}\n\n" if note else "") + "\n".join(blocks)


# --------------------------------------------------------------------------- driver

def write_figures(selected: pd.DataFrame, adversarial_eps: float, out_dir: str | os.PathLike,
                  summary: pd.DataFrame | None = None, source: str = "selection", note: str = "") -> None:
    """Write ``figure1.{png,csv}``, ``figure2.{png,csv}`` and ``per_dataset.md``, each carrying
    ``note`` (the run's departures from the paper, :func:`holistic.studies.hdl.protocol.header_note`)."""
    out_dir = Path(out_dir)
    if selected.empty:
        raise DataError(f"{source}: no selected results")
    f1 = figure1_data(selected)
    write_text(out_dir / "figure1.csv", frame_csv(f1))
    plot_figure1(f1, out_dir / "figure1.png", adversarial_eps, note)
    f2 = figure2_data(selected)
    write_text(out_dir / "figure2.csv", frame_csv(f2))
    plot_figure2(f2, out_dir / "figure2.png", note)
    write_text(out_dir / "per_dataset.md",
               per_dataset_tables(selected, adversarial_eps, summary, source, note))


__all__ = ["ALL", "PER_DATASET_DECIMALS", "figure1_groups", "figure1_data", "figure2_data",
           "note_figure", "plot_figure1", "plot_figure2", "dataset_values", "per_dataset_tables",
           "write_figures"]
