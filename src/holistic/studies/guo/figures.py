"""The study's figure in the paper's style (Guo et al. 2018, Figs. 1-3: robustness against the
weight sparsity of progressively pruned models, mean and a ± sd band over the reference
models): per (data set, pruned method) a row of panels, r_inf under FGS and rFGS (eps 0.1; eq.
(1)'s points without the input box, solid; clipped to it, dashed), r_2 under DeepFool and C&W,
and the benign accuracy, against the share of weights kept (log x
axis, dense at the left); the run's departures from the paper's protocol at the bottom."""

from __future__ import annotations

import os
import textwrap

import pandas as pd

from ...render.figures import new_figure, save_png
from .levels import CLIPPED, EPS, L2_ATTACKS, LINF_ATTACKS, eps_label
from .methods import PRUNED
from .tables import ATTACK_LABELS

COLOURS = {"fgsm-nobox": "tab:blue", "rfgsm-nobox": "tab:orange", "fgsm": "tab:blue", "rfgsm": "tab:orange",
           "deepfool": "tab:green", "cw": "tab:red", "natural": "black"}
#: The clipped r_inf variants dashed (their attack of eq. 1 solid, in the same colour).
DASHED = set(CLIPPED)


def panels(summary: pd.DataFrame, eps: float = EPS) -> list[tuple[str, list[tuple[str, str]]]]:
    """(title, [(measure, colour key)]) of the measured panels."""
    out = [(f"r_inf (eps {eps:g})", [(f"r_inf:{a}@{eps_label(eps)}", a) for a in LINF_ATTACKS]),
           ("r_2", [(f"r2:{a}", a) for a in L2_ATTACKS]), ("benign accuracy", [("natural", "natural")])]
    return [(t, [(m, c) for m, c in ms if f"{m}_mean" in summary and summary[f"{m}_mean"].notna().any()])
            for t, ms in out if any(f"{m}_mean" in summary for m, _ in ms)]


def write_levels_figure(summary: pd.DataFrame, png_path: str | os.PathLike, note: str = "", eps: float = EPS) -> None:
    """One row per (data set, pruned method) of the run, one panel per :func:`panels` entry;
    ``note`` (the departures, :func:`.protocol.note`) below the panels."""
    rows = [(d, m) for d in summary["dataset"].unique() for m in PRUNED
            if ((summary["dataset"] == d) & (summary["method"] == m)).any()]
    cols = panels(summary, eps)
    fig = new_figure((4.0 * len(cols), 3.0 * max(1, len(rows))), layout="constrained")
    axes = fig.subplots(max(1, len(rows)), len(cols), squeeze=False)
    for i, (dataset, method) in enumerate(rows):
        s = summary[(summary["dataset"] == dataset) & (summary["method"] == method)].sort_values("round")
        x = s["kept_percent"]
        for j, (title, measures) in enumerate(cols):
            ax = axes[i][j]
            for measure, key in measures:
                mean, sd = s[f"{measure}_mean"], s[f"{measure}_sd"].fillna(0.0)
                label = ATTACK_LABELS.get(key, "benign")
                ax.plot(x, mean, "--" if key in DASHED else "-", color=COLOURS[key], marker="o", markersize=3,
                        label=label)
                ax.fill_between(x, mean - sd, mean + sd, color=COLOURS[key], alpha=0.2)
            ax.set_xscale("log")
            ax.invert_xaxis()
            ax.set_xlabel("weights kept (%)")
            ax.set_title(f"{dataset}, {method}: {title}", fontsize=8)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=7, loc="best")
    if note:
        fig.supxlabel(textwrap.fill(note, width=int(19 * 4.0 * len(cols))), fontsize=7, ha="left", x=0.01)
    save_png(fig, png_path)
