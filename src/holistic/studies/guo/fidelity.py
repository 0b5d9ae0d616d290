"""The study's fidelity document (``results/guo/fidelity.md``): this run beside every published
number of Guo et al. (2018) (``reference/``: Sec. 4.1-4.2, Tables 1-2), then the judged claims
(:mod:`.claims`, :func:`holistic.fidelity.outputs.claims_markdown`); every table's header names
the run's departures from the paper's protocol."""

from __future__ import annotations

import pandas as pd

from ...fidelity.outputs import claims_markdown
from ...render.tables import markdown_table, mean_sd, number
from .claims import ACCURACY_MARGIN, TABLE2_ACCURACY
from .levels import MAX_FAILED
from .tables import failures_cell

COLUMNS = ["source", "dataset", "method", "round", "sparsity", "measure", "paper", "here_mean", "here_sd", "n",
           "here_round", "here_sparsity", "failed"]
#: Table 2's cells are compared with the run's round of nearest sparsity only within this many points.
SPARSITY_TOLERANCE = 1.0
#: The benign accuracy: percent in the paper, a fraction here.
SCALE = {"percent": 100.0, "fraction": 1.0, "l2": 1.0}


def _here_row(summary: pd.DataFrame, p) -> pd.Series | None:
    """The run's summary row of a published cell: its round, or (Table 2, no round) the dense
    round for 0 % and else the round whose weight sparsity is closest to the published one, within
    :data:`SPARSITY_TOLERANCE` points (None otherwise)."""
    s = summary[(summary["dataset"] == p.dataset) & (summary["method"] == p.method)]
    if s.empty:
        return None
    if not pd.isna(p.round):
        s = s[s["round"] == int(p.round)]
        return None if s.empty else s.iloc[0]
    gap = ((100 - s["kept_percent"]) - p.sparsity).abs()
    return s.loc[gap.idxmin()] if gap.min() <= SPARSITY_TOLERANCE else None


def comparison(summary: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """One row per published cell the run measured."""
    rows = []
    for p in published.itertuples():
        r = _here_row(summary, p)
        if r is None or f"{p.measure}_mean" not in r:
            continue
        fails = f"{p.measure.replace('r2:', 'failures:')}_mean"
        undefined = p.measure.startswith("r2:") and fails in r and not pd.isna(r[fails])
        if pd.isna(r[f"{p.measure}_mean"]) and not undefined:  # an undefined r_2 (.levels.defined_r2): '-'
            continue
        scale = SCALE[p.unit] if p.measure == "natural" else 1.0
        rows.append({"source": p.source, "dataset": p.dataset, "method": p.method, "round": p.round,
                     "sparsity": p.sparsity, "measure": p.measure, "paper": p.mean,
                     "here_mean": scale * r[f"{p.measure}_mean"], "here_sd": scale * r[f"{p.measure}_sd"],
                     "n": int(r["n"]), "here_round": int(r["round"]), "here_sparsity": 100 - r["kept_percent"],
                     "failed": failures_cell(r, p.measure.replace("r2:", "failures:")) if p.measure.startswith("r2:")
                     else "-"})
    return pd.DataFrame(rows, columns=COLUMNS)


def comparison_markdown(comp: pd.DataFrame, note: str) -> str:
    rows = [[r.source, r.dataset, r.method, number(r.sparsity, 2), f"{r.here_round} ({number(r.here_sparsity, 2)})",
             r.measure, number(r.paper, 4), mean_sd(r.here_mean, r.here_sd, 4),
             number(r.here_mean - r.paper, 4, sign=True, missing="-"), r.failed] for r in comp.itertuples()]
    caption = ("**Published numbers against this run (accuracy in %, r_inf a fraction, r_2 in L2 pixel units, "
               "with its attack's failures: the correctly classified points it found no adversarial point for, "
               f"over the references, undefined ('-') where they exceed {100 * MAX_FAILED:g} % of the correctly "
               f"classified points; Table 2 against the run's round of nearest sparsity).** {note}")
    return markdown_table(["source", "data set", "method", "paper sparsity (%)", "here: round (sparsity %)",
                           "measure", "paper", "here (mean ± sd)", "here - paper", "attack failed"], rows,
                          "lllrrlrrrr", caption)


def fidelity_markdown(summary: pd.DataFrame, published: pd.DataFrame, claims: pd.DataFrame, note: str) -> str:
    """The whole document: the cell comparison, then the claims (a frame of
    :func:`holistic.fidelity.engine.claims_frame`); ``note``: the departures."""
    comp = comparison(summary, published)
    parts = ["# Fidelity: Guo et al. (2018), \"Sparse DNNs with improved adversarial robustness\"", ""]
    parts += [comparison_markdown(comp, note) if len(comp) else f"No published cell measured by this run. {note}", ""]
    caption = ("**Claims (notes 4.6), judged on paired differences over the reference models (95 % interval); "
               "r_inf: FGS at eps 0.1 without the input box (eq. 1), r_2: DeepFool unless named. A claim is "
               "`not testable here` when a "
               "precondition is unmet: fewer than 3 references, an attack failing on more than 5 % of the "
               f"correctly classified points, benign accuracies of the compared models more than {ACCURACY_MARGIN:g} "
               f"point apart ({TABLE2_ACCURACY:g} for Table 2), a voiding departure.** {note}")
    parts += [claims_markdown(claims, caption), ""]
    return "\n".join(parts)
