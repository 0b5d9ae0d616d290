"""The validation curves of a study as one figure: per data set a panel, per method the mean
validation accuracy after each epoch of the final training round, over all of the method's
models on that data set (every configuration and split).

The curves come from the train jobs' curve files (``holistic.records.curves``); the figure
shows how training converged (and where the kept checkpoints come from), not a result of the
paper. Data sets and methods keep the order of the files given.
"""

from __future__ import annotations

import math
import os

import pandas as pd
from matplotlib.ticker import MaxNLocator

from ..io import write_text
from .figures import new_figure, save_png
from .tables import frame_csv

#: Panels per row of the figure.
COLUMNS = 4


def mean_curves(curves: pd.DataFrame) -> pd.DataFrame:
    """Per data set, method and epoch: the mean ``val_accuracy`` over the models and their
    number ``models``, in order of first appearance (a curve file's order: by data set, method,
    then epoch)."""
    return (curves.groupby(["dataset", "method", "epoch"], sort=False)["val_accuracy"]
            .agg(val_accuracy="mean", models="size").reset_index())


def plot_curves(means: pd.DataFrame, png_path: str | os.PathLike) -> None:
    """One panel per data set, one line per method: mean validation accuracy (%) per epoch."""
    datasets = list(dict.fromkeys(means["dataset"]))
    methods = list(dict.fromkeys(means["method"]))
    ncols = min(COLUMNS, len(datasets))
    nrows = math.ceil(len(datasets) / ncols)
    fig = new_figure((3.4 * ncols, 2.6 * nrows + 0.8), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    handles = {}
    for ax, dataset in zip(axes.flat, datasets):
        sub = means[means["dataset"] == dataset]
        for i, m in enumerate(methods):
            line = sub[sub["method"] == m]
            if len(line):
                (handles[m],) = ax.plot(line["epoch"], 100 * line["val_accuracy"], color=f"C{i}", marker=".")
        ax.set_title(dataset, fontsize=10)
        ax.set_xlabel("epoch (final round)", fontsize=8)
        ax.set_ylabel("mean val. accuracy (%)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(datasets):]:
        ax.set_visible(False)
    fig.legend([handles[m] for m in methods if m in handles], [m for m in methods if m in handles],
               loc="outside lower center", ncol=min(len(methods), 2 * ncols))
    fig.suptitle("Mean validation accuracy after each epoch of the final round (all configurations and splits)",
                 fontsize=11)
    save_png(fig, png_path)


def write_curves_figure(curves: pd.DataFrame, png_path: str | os.PathLike, csv_path: str | os.PathLike) -> None:
    """The figure (PNG) and its data (CSV: :func:`mean_curves`)."""
    means = mean_curves(curves)
    write_text(csv_path, frame_csv(means))
    plot_curves(means, png_path)


__all__ = ["mean_curves", "plot_curves", "write_curves_figure"]
