"""The figure of the study in the paper's style (Cosentino et al. 2019, Figs. 3, 5, 9, 11: a
measure against P_m): natural and PGD test accuracy and the early-stopping iteration against the
share of weights kept, log x axis from dense (100 %) to the sparsest level, one line per method
(colour: the training, style: the reset), mean over the models and a band of ± one sd."""

from __future__ import annotations

import os
import textwrap

import pandas as pd

from ...render.figures import new_figure, save_png
from .levels import MEASURES
from .tables import TITLES

COLOURS = {"natural": "tab:blue", "FGSM": "tab:orange", "PGD": "tab:red"}
STYLES = {"init": "-", "random": ":", "continue": "--"}


def panels(summary: pd.DataFrame) -> list[str]:
    """The measured measures (natural, PGD, FGSM where run), then the early-stopping iteration."""
    return [m for m in MEASURES if summary[f"{m}_mean"].notna().any()] + ["stop_step"]


def write_levels_figure(summary: pd.DataFrame, methods: list[str], png_path: str | os.PathLike,
                        notes: dict[str, str] | None = None) -> None:
    """One row of panels per data set (:func:`panels`), one line per method in ``methods`` order;
    at the bottom, each data set's header note (its departures from the paper's protocol)."""
    datasets = list(summary["dataset"].unique())
    cols = panels(summary)
    fig = new_figure((4.2 * len(cols), 3.3 * len(datasets)), layout="constrained")
    axes = fig.subplots(len(datasets), len(cols), squeeze=False)
    for i, dataset in enumerate(datasets):
        d = summary[summary["dataset"] == dataset]
        for j, measure in enumerate(cols):
            ax = axes[i][j]
            for method in [m for m in methods if m in set(d["method"])]:
                s = d[d["method"] == method].sort_values("round")
                x, mean, sd = s["kept_percent"], s[f"{measure}_mean"], s[f"{measure}_sd"].fillna(0.0)
                ax.plot(x, mean, STYLES[s["reset"].iat[0]], color=COLOURS[s["training"].iat[0]], marker="o",
                        markersize=3, label=method)
                ax.fill_between(x, mean - sd, mean + sd, color=COLOURS[s["training"].iat[0]], alpha=0.15)
            ax.set_xscale("log")
            ax.invert_xaxis()
            ticks = sorted(d["kept_percent"].unique(), reverse=True)
            ax.set_xticks(ticks, [f"{t:.1f}" for t in ticks], rotation=45 if len(ticks) > 6 else 0, fontsize=7)
            ax.minorticks_off()
            ax.set_xlabel("P_m: weights kept (%)")
            ax.set_title(f"{dataset}: {TITLES[measure]}", fontsize=9)
            ax.grid(True, which="both", alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="best")
    width = int(18 * 4.2 * len(cols))  # characters a line of 7-point text holds across the figure
    lines = [textwrap.fill(f"{d}: {n}", width) for d, n in (notes or {}).items()]
    if lines:
        fig.supxlabel("\n".join(lines), fontsize=7, ha="left", x=0.01)
    save_png(fig, png_path)
