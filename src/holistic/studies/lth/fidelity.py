"""The study's fidelity document: this run's tickets (``init`` methods) beside the cells of
Tables 1-2 of Cosentino et al. (2019), then the judged claims (:mod:`.claims`,
:func:`holistic.fidelity.outputs.claims_markdown`); every table's header names the run's
departures from the paper's protocol (:mod:`.protocol`)."""

from __future__ import annotations

import pandas as pd

from ...fidelity.outputs import claims_markdown
from ...render.tables import markdown_table, mean_sd, number
from .levels import level_label
from .published import cell
from .tables import CHECKPOINT_NOTE

#: method -> [(the run's measure, the published cell (attack group, training, measure))]
CELLS = {
    "natural-init": [("natural", ("pgd", "natural", "natural")), ("pgd", ("pgd", "natural", "attacked")),
                     ("fgsm", ("fgsm", "natural", "attacked"))],
    "FGSM-init": [("natural", ("fgsm", "adversarial", "natural")), ("fgsm", ("fgsm", "adversarial", "attacked"))],
    "PGD-init": [("natural", ("pgd", "adversarial", "natural")), ("pgd", ("pgd", "adversarial", "attacked"))],
}
COLUMNS = ["dataset", "method", "kept_percent", "measure", "paper", "here_mean", "here_sd", "n", "difference"]


def comparison(summary: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """One row per (data set, ticket method, published level, measure) the run measured."""
    rows = []
    for _, s in summary[summary["method"].isin(list(CELLS))].iterrows():
        for measure, (attack, training, what) in CELLS[s["method"]]:
            paper = cell(published, s["dataset"], round(s["kept_percent"], 1), attack, training, what)
            if paper is None and abs(s["kept_percent"] - 1.85) < 0.01:
                paper = cell(published, s["dataset"], 1.8, attack, training, what)
            here = s[f"{measure}_mean"]
            if paper is None or pd.isna(here):
                continue
            rows.append({"dataset": s["dataset"], "method": s["method"], "kept_percent": s["kept_percent"],
                         "measure": measure, "paper": paper, "here_mean": here, "here_sd": s[f"{measure}_sd"],
                         "n": int(s["n"]), "difference": here - paper})
    return pd.DataFrame(rows, columns=COLUMNS)


def comparison_markdown(comp: pd.DataFrame, dataset: str, note: str) -> str:
    d = comp[comp["dataset"] == dataset]
    rows = [[r.method, level_label(r.kept_percent), r.measure, number(r.paper, 2), mean_sd(r.here_mean, r.here_sd),
             number(r.difference, 2, sign=True)] for r in d.itertuples()]
    caption = f"**{dataset}: tickets (reset init) against Tables 1-2 (test accuracy, %).** {note}"
    return markdown_table(["method", "P_m (%)", "measure", "paper", "here (mean ± sd)", "here - paper"], rows,
                          "llrrrr", caption)


def fidelity_markdown(summary: pd.DataFrame, published: pd.DataFrame, notes: dict[str, str],
                      claims: pd.DataFrame) -> str:
    """The whole document: the cell comparison per data set, then the claims (``claims``: the
    frame of ``claims.csv``), each table's header with the run's departures."""
    comp = comparison(summary, published)
    parts = ["# Fidelity: Cosentino et al. (2019), \"The search for sparse, robust neural networks\"", "",
             CHECKPOINT_NOTE, ""]
    for dataset in summary["dataset"].unique():
        if (comp["dataset"] == dataset).any():
            parts += [comparison_markdown(comp, dataset, notes.get(dataset, "")), ""]
        else:
            parts += [f"{dataset}: no published table (Tables 1-2 are MNIST and Fashion-MNIST). "
                      f"{notes.get(dataset, '')}", ""]
    caption = ("**Claims (notes 6.6), judged by the claims engine: a paired difference over splits, its 95 % "
               "interval against the claim's margin, after the preconditions.** "
               + " ".join(f"{d}: {n}" for d, n in notes.items()))
    parts += [claims_markdown(claims, caption), ""]
    return "\n".join(parts)
