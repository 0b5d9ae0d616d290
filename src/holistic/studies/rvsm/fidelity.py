"""The study's fidelity document: the departures, the per-table comparison with the published
cells (:mod:`.tables`) and the claims table (:mod:`.claims`)."""

from __future__ import annotations

import pandas as pd

from ...render.tables import markdown_table
from . import claims as C
from .tables import SURROGATE_NOTE


def claims_markdown(claims: pd.DataFrame) -> str:
    rows = [[r.dataset, r.claim, r.paper, r.here, r.holds] for r in claims.itertuples()]
    return markdown_table(["data set", "claim", "paper", "here", "holds here"], rows, "lllll",
                          "**Claims (issue 16; notes 5.6).** " + SURROGATE_NOTE)


def fidelity_markdown(summary: pd.DataFrame, notes: dict[str, str]) -> str:
    """The whole document: per data set the departures, then the claims."""
    parts = ["# Fidelity: Dinh, Wang, Bertozzi, Osher, Xin (2020), RVSM / RGSM / ADMM and En_n nets", "",
             "Tables 1-4 beside the published cells: `tables.md` (every row names the paper's cell in the same "
             "role). Not reproduced: A5 (NAttack; out of scope), CIFAR-100 (Table 7), the nets without skip "
             "connections (Tables 5-6).", ""]
    for dataset in summary["dataset"].unique():
        parts += [f"- {dataset}: {notes.get(dataset, '')}"]
    parts += ["", claims_markdown(C.evaluate(summary)), ""]
    return "\n".join(parts)
