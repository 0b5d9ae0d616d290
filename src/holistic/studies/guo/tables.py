"""The study's tables: per data set and pruned method, the robustness of every round (Figs. 1-3
as numbers: benign accuracy, r_inf under FGS and rFGS, r_2 under DeepFool and C&W, mean ± sd over
the reference models, each minimal attack's failures beside its r_2); Table 1 (activation L1,
three strengths); every header names the run's departures from the paper's protocol
(:mod:`.protocol`)."""

from __future__ import annotations

import pandas as pd

from ...render.tables import markdown_table, mean_sd
from .levels import EPS, L2_ATTACKS, LINF_ATTACKS, eps_label, sparsity_label
from .methods import L1_STRENGTHS, PRUNED, l1_name, parse_l1

#: Table 1's row order: per network, none, mid, high.
L1_ORDER = {l1_name(n, s): i for i, (n, s) in enumerate((n, s) for n in L1_STRENGTHS for s in L1_STRENGTHS[n])}

ATTACK_LABELS = {"fgsm": "FGS", "rfgsm": "rFGS", "deepfool": "DeepFool", "cw": "C&W"}


def columns(summary: pd.DataFrame, eps: float = EPS) -> list[tuple[str, str, int]]:
    """(measure, header, decimals) of the round tables: benign accuracy, r_inf at eps, r_2 and
    its attack's failures (decimals None: :func:`failures_cell`)."""
    cols = [("natural", "accuracy", 4)]
    cols += [(f"r_inf:{a}@{eps_label(eps)}", f"r_inf {ATTACK_LABELS[a]} (eps {eps:g})", 4) for a in LINF_ATTACKS]
    for a in L2_ATTACKS:
        cols += [(f"r2:{a}", f"r_2 {ATTACK_LABELS[a]}", 4), (f"failures:{a}", f"{ATTACK_LABELS[a]} failed", None)]
    return [c for c in cols if f"{c[0]}_mean" in summary and summary[f"{c[0]}_mean"].notna().any()]


def failures_cell(r, measure: str) -> str:
    """A minimal attack's failures summed over the references, of their correctly classified
    test points (``12 of 1,470``; the count alone where ``correct`` is unknown)."""
    mean = r.get(f"{measure}_mean")
    if mean is None or pd.isna(mean):
        return "-"
    failed = int(round(mean * r["n"]))
    correct = r.get("correct_mean")
    return f"{failed:,}" if correct is None or pd.isna(correct) else f"{failed:,} of {int(round(correct * r['n'])):,}"


def cell(r, measure: str, decimals: int | None) -> str:
    return failures_cell(r, measure) if decimals is None else mean_sd(r.get(f"{measure}_mean"), r.get(f"{measure}_sd"),
                                                                       decimals)


def round_table(summary: pd.DataFrame, dataset: str, method: str, note: str, eps: float = EPS) -> str:
    """Rows: the rounds (weight sparsity %); columns :func:`columns`; cells mean ± sd."""
    d = summary[(summary["dataset"] == dataset) & (summary["method"] == method)].sort_values("round")
    cols = columns(d, eps)
    rows = [[str(int(r["round"])), sparsity_label(r["kept_percent"]), str(int(r["n"]))]
            + [cell(r, m, dec) for m, _, dec in cols] for _, r in d.iterrows()]
    caption = (f"**{dataset}, {method}: robustness per progressive-pruning round (mean ± sd over the "
               f"reference models; accuracies as fractions; an attack's failures: the correctly classified "
               f"points it found no adversarial point for, over the references, left out of r_2).** {note}")
    return markdown_table(["round", "weight sparsity (%)", "models"] + [h for _, h, _ in cols], rows,
                          "r" * (3 + len(cols)), caption)


def table1(summary: pd.DataFrame, note: str, eps: float = EPS) -> str | None:
    """Table 1 as measured: per activation-L1 method, r_inf (FGS), r_2 (DeepFool), benign accuracy
    (%) and the last ReLU's activation sparsity (%); None when no such method ran."""
    d = summary[summary["method"].map(lambda m: parse_l1(m) is not None)]
    d = d.sort_values(["dataset", "method"], key=lambda c: c.map(L1_ORDER.get) if c.name == "method" else c,
                      kind="mergesort")
    if d.empty:
        return None
    rinf = f"r_inf:fgsm@{eps_label(eps)}"
    rows = []
    for _, r in d.iterrows():
        net, strength = parse_l1(r["method"])
        rows.append([r["dataset"], net, strength, mean_sd(r.get(f"{rinf}_mean"), r.get(f"{rinf}_sd"), 4),
                     mean_sd(r.get("r2:deepfool_mean"), r.get("r2:deepfool_sd"), 4),
                     failures_cell(r, "failures:deepfool"),
                     mean_sd(100 * r["natural_mean"], 100 * r["natural_sd"], 2),
                     mean_sd(r.get("activation_sparsity_mean"), r.get("activation_sparsity_sd"), 2)])
    caption = (f"**Table 1 as measured: activation-L1 regularisation (r_inf: FGS at eps {eps:g}; r_2: DeepFool, "
               f"with the correctly classified points it failed on, over the references; sparsity (a): zero "
               f"outputs of the last ReLU).** {note}")
    return markdown_table(["data set", "network", "L1 strength", "r_inf", "r_2", "DeepFool failed", "accuracy (%)",
                           "sparsity (a) (%)"], rows, "lllrrrrr", caption)


def levels_markdown(summary: pd.DataFrame, notes: dict[str, str], eps: float = EPS) -> str:
    """Every (data set, pruned method)'s round table, then Table 1."""
    parts = ["# Robustness per pruning round (Guo et al. 2018, Figs. 1-3) and Table 1", "",
             "Each round's model is its retrained weights at the round's end (no early stopping, as the paper).", ""]
    for dataset in summary["dataset"].unique():
        for method in [m for m in PRUNED if m in set(summary.loc[summary["dataset"] == dataset, "method"])]:
            parts += [round_table(summary, dataset, method, notes.get(dataset, ""), eps), ""]
    t1 = table1(summary[summary["dataset"] == "mnist"] if (summary["dataset"] == "mnist").any() else summary,
                notes.get("mnist", ""), eps)
    if t1:
        parts += [t1, ""]
    return "\n".join(parts)
