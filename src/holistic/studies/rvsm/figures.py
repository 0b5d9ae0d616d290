"""The study's figure in the style of the paper's Tables 1-3 read as curves: per network, the
sparsity (RVSM, against beta) and the channel sparsity (RGSM, against lambda_1), and the clean
and IFGSM-20 test accuracy beside them; log x axis, one line per network; at the bottom, per data
set, the run's departures from the paper's protocol (:mod:`.protocol`)."""

from __future__ import annotations

import os
import textwrap

import pandas as pd

from ...render.figures import new_figure, save_png

PANELS = (("RVSM", "sparsity", "beta"), ("RVSM", "A1", "beta"), ("RVSM", "A3", "beta"),
          ("RGSM", "channel_sparsity", "lambda_1"), ("RGSM", "A1", "lambda_1"), ("RGSM", "A3", "lambda_1"))
LABELS = {"sparsity": "sparsity (%)", "channel_sparsity": "channel sparsity (%)", "A1": "clean accuracy (%)",
          "A3": "IFGSM-20 accuracy (%)"}


def write_figure(summary: pd.DataFrame, png_path: str | os.PathLike, notes: dict[str, str] | None = None) -> None:
    """Six panels (:data:`PANELS`) per data set, stacked (mean over splits); ``notes``: per data
    set the header note of its departures, written under the panels."""
    datasets = list(summary["dataset"].unique()) or ["-"]
    fig = new_figure((13, 3.6 * len(datasets)), layout="constrained")
    axes = fig.subplots(len(datasets), len(PANELS), squeeze=False)
    for i, dataset in enumerate(datasets):
        d = summary[summary["dataset"] == dataset]
        for j, (pruning, measure, xlabel) in enumerate(PANELS):
            ax = axes[i][j]
            p = d[d["pruning"] == pruning]
            for net in p["network"].unique():
                q = p[p["network"] == net].sort_values("hyper")
                ax.plot(q["hyper"], q[measure], marker="o", label=net)
            if len(p):
                ax.set_xscale("log")
            else:
                ax.text(0.5, 0.5, "not run", ha="center", va="center", transform=ax.transAxes)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(LABELS[measure])
            ax.set_title(f"{dataset}: {pruning}", fontsize=9)
            if j == 0 and len(p):
                ax.legend(fontsize=7)
    text = "\n".join(textwrap.fill(f"{d}: {n}", 260) for d, n in (notes or {}).items())
    if text:
        fig.supxlabel(text, x=0.005, ha="left", fontsize=6)   # constrained layout keeps room for it
    save_png(fig, png_path)
