"""A training-length sweep as one figure: per data set, swept method and measure a panel, the
mean test accuracy (%) of the method's models against the optimizer steps of a round, one line
per pruning level for a method with rounds (one line otherwise). A quantity whose line has gone
flat by the right end was judged where it had stopped moving; a rising one was cut off.

The data are :func:`holistic.records.sweep.mean_steps` of the sweep's records; panels and lines
keep their order.
"""

from __future__ import annotations

import math
import os

import pandas as pd

from ..io import write_text
from .figures import new_figure, save_png
from .tables import frame_csv

#: Panels per row of the figure.
COLUMNS = 4


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def panel_title(dataset: str, method: str, measure: str, eps) -> str:
    """``mnist: PGD-init, pgd at eps 0.3`` (``natural`` without a radius)."""
    return f"{dataset}: {method}, {measure}" + ("" if _missing(eps) else f" at eps {float(eps):g}")


def line_label(kept_percent) -> str:
    """A level's line: ``P_m 51.3 %``, or ``all models`` for a method without rounds."""
    return "all models" if _missing(kept_percent) else f"P_m {float(kept_percent):.1f} %"


def plot_sweep(means: pd.DataFrame, png_path: str | os.PathLike) -> None:
    """One panel per (data set, method, measure, eps), one line per level: mean test accuracy (%)
    against the steps of a round (log scale, a mark at every budget)."""
    keys = ["dataset", "method", "measure", "eps"]
    panels = list(means.groupby(keys, sort=False, dropna=False))
    ncols = min(COLUMNS, max(1, len(panels)))
    nrows = max(1, math.ceil(len(panels) / ncols))
    fig = new_figure((3.4 * ncols, 2.6 * nrows + 0.8), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    labels = list(dict.fromkeys(line_label(k) for k in means["kept_percent"]))
    handles = {}
    for ax, ((dataset, method, measure, eps), sub) in zip(axes.flat, panels):
        for level, line in sub.groupby(["round", "kept_percent"], sort=False, dropna=False):
            label = line_label(level[1])
            (handles[label],) = ax.plot(line["steps"], line["value"], marker="o", markersize=3,
                                        color=f"C{labels.index(label) % 10}")
        steps = sorted(set(sub["steps"]))
        ax.set_xscale("log")
        ax.set_xticks(steps, [f"{s:,}" for s in steps])
        ax.minorticks_off()
        ax.set_title(panel_title(dataset, method, measure, eps), fontsize=9)
        ax.set_xlabel("optimizer steps a round", fontsize=8)
        ax.set_ylabel("mean test accuracy (%)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    if handles:
        fig.legend([handles[k] for k in labels if k in handles], [k for k in labels if k in handles],
                   loc="outside lower center", ncol=min(len(handles), 2 * ncols))
    fig.suptitle("Step sweep: each quantity's mean over the models against the training length", fontsize=11)
    save_png(fig, png_path)


def write_sweep_figure(means: pd.DataFrame, png_path: str | os.PathLike, csv_path: str | os.PathLike) -> None:
    """The figure (PNG) and its data (CSV: ``means``, :func:`holistic.records.sweep.mean_steps`)."""
    write_text(csv_path, frame_csv(means))
    plot_sweep(means, png_path)


__all__ = ["panel_title", "line_label", "plot_sweep", "write_sweep_figure"]
