"""The study's figures in the paper's style: Fig. 4 ((a) the seed networks' weight distribution,
(b) the gradient flow per epoch) and Fig. 5 (weights changing state at each prune), for the
seeds RSM, PM and RIPM at one sparsity, plus the final weights' distribution (App. D); and
Table 2's errors against sparsity (one panel per error). Each figure carries the run's departures
from the paper's protocol as a line at its bottom (:func:`footnote`)."""

from __future__ import annotations

import os
import textwrap

import numpy as np
import pandas as pd

from ...procedures.sparse_trace import EDGES
from ...render.figures import new_figure, save_png
from .methods import LABELS

COLOURS = {"RSM-T": "tab:blue", "PM-T": "tab:red", "RIPM-T": "tab:green", "PM-finetuned": "tab:orange",
           "RSM-T-IBP": "tab:purple", "RSM-T-CROWN": "tab:brown", "RSM-T-CROWN-Fast": "tab:gray",
           "dense": "black", "PM": "tab:pink", "dense-natural": "tab:olive"}
#: The dense methods (p = 0 only): a horizontal line in the errors figure.
DENSE = ("dense", "dense-natural")
#: Labels of the magnitude histogram's nonzero bins: the upper edge's log10.
BIN_LABELS = [f"{np.log10(e):.2g}" for e in EDGES] + [">1"]


def footnote(fig, note: str, chars_per_inch: float = 16.0) -> None:
    """``note`` (:func:`.protocol.note`) wrapped across the figure's bottom, below the panels."""
    if not note:
        return
    width, height = fig.get_size_inches()
    lines = textwrap.wrap(note, max(40, int(width * chars_per_inch)))
    share = min(0.4, (len(lines) * 0.13 + 0.1) / height)
    fig.get_layout_engine().set(rect=(0, share, 1, 1 - share))
    fig.text(0.005, 0.005, "\n".join(lines), ha="left", va="bottom", fontsize=7)


def _mean_histogram(t: pd.DataFrame) -> np.ndarray:
    """The active (nonzero) weights' shares per magnitude bin, mean over the seeds (the zero bin
    left out: at p = 99 % it would hold 99 % of the mass)."""
    h = np.array(t["histogram"].tolist(), dtype=float).mean(axis=0)[1:]
    return h / max(h.sum(), 1.0)


def write_dynamics_figure(traces: pd.DataFrame, png_path: str | os.PathLike, sparsity: float | None = None,
                          note: str = "") -> None:
    """Four panels at ``sparsity`` (default: the largest logged): the seeds' and the final weight
    distributions (share of the active weights per magnitude bin, log10 edges), the gradient flow
    and the state changes per epoch; one line per method (mean over seeds)."""
    fig = new_figure((16, 4.2), layout="constrained")
    footnote(fig, note)
    axes = fig.subplots(1, 4)
    if traces.empty:
        for ax in axes:
            ax.text(0.5, 0.5, "no sparse training logged", ha="center", va="center")
        save_png(fig, png_path)
        return
    p = float(traces["sparsity"].max()) if sparsity is None else sparsity
    t = traces[traces["sparsity"] == p]
    x = np.arange(len(BIN_LABELS))
    for method in t["method"].unique():
        m = t[t["method"] == method]
        c = COLOURS.get(method)
        seed, last = m[m["epoch"] == -1], m[m["epoch"] == m["epoch"].max()]
        axes[0].step(x, _mean_histogram(seed), where="mid", color=c, label=LABELS.get(method, method))
        axes[1].step(x, _mean_histogram(last), where="mid", color=c, label=LABELS.get(method, method))
        per_epoch = m[m["epoch"] >= 0].groupby("epoch")
        flow = per_epoch["gradient_flow"].mean()
        axes[2].plot(flow.index + 1, flow.values, color=c, label=LABELS.get(method, method))
        changes = per_epoch["state_changes"].mean()
        if changes.notna().any():
            axes[3].plot(changes.index + 1, changes.values, color=c, marker="o", markersize=2,
                         label=LABELS.get(method, method))
    for ax, title in zip(axes[:2], ("(a) seed networks' weights", "final weights (App. D)")):
        ax.set_xticks(x[::4], BIN_LABELS[::4], fontsize=7)
        ax.set_xlabel("log10 |w| (bin upper edge)")
        ax.set_ylabel("share of the active weights")
        ax.set_title(f"{title}, p = {p:g} %", fontsize=9)
    axes[2].set_title(f"(b) gradient flow (L1 norm of the gradients), p = {p:g} %", fontsize=9)
    axes[2].set_xlabel("epoch")
    axes[2].set_yscale("log")
    axes[3].set_title(f"Fig. 5: weights changing state per prune, p = {p:g} %", fontsize=9)
    axes[3].set_xlabel("epoch")
    for ax in axes:
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=7)
    axes[2].legend(fontsize=7)
    save_png(fig, png_path)


def write_errors_figure(summary: pd.DataFrame, methods: list[str], png_path: str | os.PathLike, note: str = "") -> None:
    """Table 2 as a figure: standard, PGD and IBP-verified error against p, one line per method
    (the dense methods as horizontal lines), one row of panels per data set."""
    datasets = list(summary["dataset"].unique())
    fig = new_figure((13, 3.4 * len(datasets) + 0.8), layout="constrained")
    footnote(fig, note)
    axes = fig.subplots(len(datasets), 3, squeeze=False)
    for i, dataset in enumerate(datasets):
        d = summary[summary["dataset"] == dataset]
        for j, (measure, title) in enumerate((("standard", "standard error"), ("pgd", "PGD error"),
                                              ("ibp", "IBP-verified error"))):
            ax = axes[i][j]
            for method in [m for m in methods if m in set(d["method"])]:
                s = d[d["method"] == method].sort_values("sparsity")
                if method in DENSE:
                    ax.axhline(float(s[f"{measure}_mean"].iat[0]), color=COLOURS[method], ls="--",
                               label=LABELS.get(method, method))
                    continue
                ax.plot(s["sparsity"], s[f"{measure}_mean"], marker="o", color=COLOURS.get(method),
                        label=LABELS.get(method, method))
            ax.set_xlabel("sparsity p (%)")
            ax.set_ylabel("error (%)")
            ax.set_title(f"{dataset}: {title}", fontsize=9)
            ax.grid(True, alpha=0.3)
    axes[0][-1].legend(fontsize=7)
    save_png(fig, png_path)
