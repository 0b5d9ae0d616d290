"""The study's tables: per data set and pruned method, the robustness of every round (Figs. 1-3
as numbers: benign accuracy, r_inf under FGS and rFGS without the input box (eq. 1) and clipped
to it (a labelled variant), r_2 under DeepFool and C&W, mean ± sd over the reference models, each
minimal attack's failures beside its r_2); Table 1 (activation L1, three strengths); every header
names the run's departures from the paper's protocol, and the captions' statements about the run
(checkpoints, what r_inf and r_2 are taken over, what the activation penalty covers) come from it
(:func:`.protocol.captions`), never typed."""

from __future__ import annotations

import pandas as pd

from ...render.tables import markdown_table, mean_sd
from .levels import EPS, L2_ATTACKS, LINF_ATTACKS, eps_label, sparsity_label
from .methods import L1_STRENGTHS, PRUNED, l1_name, parse_l1

#: Table 1's row order: per network, none, mid, high.
L1_ORDER = {l1_name(n, s): i for i, (n, s) in enumerate((n, s) for n in L1_STRENGTHS for s in L1_STRENGTHS[n])}

ATTACK_LABELS = {"fgsm-nobox": "FGS", "rfgsm-nobox": "rFGS", "fgsm": "FGS clipped", "rfgsm": "rFGS clipped",
                 "deepfool": "DeepFool", "cw": "C&W"}


def columns(summary: pd.DataFrame, eps: float = EPS) -> list[tuple[str, str, int]]:
    """(measure, header, decimals) of the round tables: benign accuracy, r_inf at eps, r_2 and
    its attack's failures (decimals None: :func:`failures_cell`)."""
    cols = [("natural", "accuracy", 4)]
    cols += [(rinf(a, eps), f"r_inf {ATTACK_LABELS[a]} (eps {eps:g})", 4) for a in LINF_ATTACKS]
    for a in L2_ATTACKS:
        cols += [(f"r2:{a}", f"r_2 {ATTACK_LABELS[a]}", 4), (f"failures:{a}", f"{ATTACK_LABELS[a]} failed", None)]
    present = lambda m: f"{m}_mean" in summary and summary[f"{m}_mean"].notna().any()  # noqa: E731
    # an r_2 undefined everywhere (:func:`.levels.defined_r2`) keeps its column ('-') beside its failures
    return [c for c in cols if present(c[0]) or (c[0].startswith("r2:") and present(c[0].replace("r2:", "failures:")))]


def rinf(attack: str, eps: float = EPS) -> str:
    """The measure of r_inf under ``attack`` at eps (:func:`.levels.measure_name`)."""
    return f"r_inf:{attack}@{eps_label(eps)}"


def caption_text(texts: dict[str, str] | None, *keys: str) -> str:
    """The protocol's sentences (:func:`.protocol.captions`) of ``keys``, joined (none: empty)."""
    return " ".join(texts[k] for k in keys if texts and k in texts)


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


def round_table(summary: pd.DataFrame, dataset: str, method: str, note: str, eps: float = EPS,
                texts: dict[str, str] | None = None) -> str:
    """Rows: the rounds (weight sparsity %); columns :func:`columns`; cells mean ± sd; ``texts``:
    the protocol's sentences of the data set (:func:`.protocol.captions`)."""
    d = summary[(summary["dataset"] == dataset) & (summary["method"] == method)].sort_values("round")
    cols = columns(d, eps)
    rows = [[str(int(r["round"])), sparsity_label(r["kept_percent"]), str(int(r["n"]))]
            + [cell(r, m, dec) for m, _, dec in cols] for _, r in d.iterrows()]
    caption = (f"**{dataset}, {method}: robustness per progressive-pruning round (mean ± sd over the "
               f"reference models; accuracies as fractions; an attack's failures: the correctly classified "
               f"points it found no adversarial point for, over the references).** "
               f"{caption_text(texts, 'rounds', 'rinf', 'r2')} {note}".replace("  ", " "))
    return markdown_table(["round", "weight sparsity (%)", "models"] + [h for _, h, _ in cols], rows,
                          "r" * (3 + len(cols)), caption)


def table1(summary: pd.DataFrame, note: str, eps: float = EPS, texts: dict[str, str] | None = None) -> str | None:
    """Table 1 as measured: per activation-L1 method, r_inf (FGS without the box, eq. 1, and
    clipped, each where measured), r_2 (DeepFool), benign accuracy (%) and the last ReLU's
    activation sparsity (%); None when no such method ran; ``texts``: :func:`.protocol.captions`."""
    d = summary[summary["method"].map(lambda m: parse_l1(m) is not None)]
    d = d.sort_values(["dataset", "method"], key=lambda c: c.map(L1_ORDER.get) if c.name == "method" else c,
                      kind="mergesort")
    if d.empty:
        return None
    fgs = [(rinf(a, eps), f"r_inf {ATTACK_LABELS[a]}") for a in ("fgsm-nobox", "fgsm")
           if f"{rinf(a, eps)}_mean" in d and d[f"{rinf(a, eps)}_mean"].notna().any()]
    rows = []
    for _, r in d.iterrows():
        net, strength = parse_l1(r["method"])
        rows.append([r["dataset"], net, strength, *(mean_sd(r.get(f"{m}_mean"), r.get(f"{m}_sd"), 4) for m, _ in fgs),
                     mean_sd(r.get("r2:deepfool_mean"), r.get("r2:deepfool_sd"), 4),
                     failures_cell(r, "failures:deepfool"),
                     mean_sd(100 * r["natural_mean"], 100 * r["natural_sd"], 2),
                     mean_sd(r.get("activation_sparsity_mean"), r.get("activation_sparsity_sd"), 2)])
    caption = (f"**Table 1 as measured: activation-L1 regularisation (r_inf: FGS at eps {eps:g}; r_2: DeepFool, "
               f"with the correctly classified points it failed on, over the references; sparsity (a): zero "
               f"outputs of the last ReLU).** {caption_text(texts, 'table1', 'rinf', 'r2')} {note}".replace("  ", " "))
    return markdown_table(["data set", "network", "L1 strength", *(h for _, h in fgs), "r_2", "DeepFool failed",
                           "accuracy (%)", "sparsity (a) (%)"], rows, "lll" + "r" * (len(fgs) + 4), caption)


def levels_markdown(summary: pd.DataFrame, notes: dict[str, str], eps: float = EPS,
                    texts: dict[str, dict[str, str]] | None = None) -> str:
    """Every (data set, pruned method)'s round table, then Table 1; ``notes``: per data set the
    departures (:func:`.protocol.note`); ``texts``: per data set :func:`.protocol.captions`."""
    texts = texts or {}
    parts = ["# Robustness per pruning round (Guo et al. 2018, Figs. 1-3) and Table 1", ""]
    for dataset in summary["dataset"].unique():
        for method in [m for m in PRUNED if m in set(summary.loc[summary["dataset"] == dataset, "method"])]:
            parts += [round_table(summary, dataset, method, notes.get(dataset, ""), eps, texts.get(dataset)), ""]
    at = "mnist" if (summary["dataset"] == "mnist").any() else None
    t1 = table1(summary[summary["dataset"] == at] if at else summary, notes.get("mnist", ""), eps,
                texts.get(at or "mnist"))
    if t1:
        parts += [t1, ""]
    return "\n".join(parts)
