"""The claims of Cosentino et al. (2019) (issue 14; notes 6.6), checked on a run's per-level
summary (:func:`.levels.summarize`): each gives rows of (data set, claim, paper value, value
here, holds here). A claim that cannot be checked (its methods or levels not run) says why
with ``holds`` "n/a"; a refuted claim is reported as measured."""

from __future__ import annotations

import pandas as pd

from .levels import at_level
from .published import cell

DENSE = 100.0
#: Sec. 5, Tables 1-2: the two levels of the best robust tickets.
TICKET_LEVELS = (51.3, 16.9)
#: "Within 1 point" of the dense network's natural accuracy (issue 14).
NATURAL_MARGIN = 1.0
#: "Near 0": the naturally trained nets' largest PGD accuracy in Tables 1-2 is 5.69 % (Fashion, P_m 3.6).
NEAR_ZERO = 6.0
#: "High sparsity" (Sec. 6: original is best at P_m 3.6 and 1.8; notes L4: every P_m <= 16.9).
HIGH_SPARSITY = 16.9
COLUMNS = ["dataset", "claim", "paper", "here", "holds"]


def _f(v) -> str:
    return "-" if v is None or pd.isna(v) else f"{v:.2f}"


def _row(dataset, claim, paper, here, holds) -> dict:
    return {"dataset": dataset, "claim": claim, "paper": paper, "here": here,
            "holds": "n/a" if holds is None else ("yes" if holds else "no")}


def tickets_claim(summary: pd.DataFrame, published: pd.DataFrame, dataset: str, method: str = "PGD-init") -> list[dict]:
    """Tables 1-2: PGD-AT winning tickets at P_m 51.3 and 16.9 % are at least as robust under PGD as
    the dense PGD-AT net, their natural accuracy within 1 point of its."""
    out = []
    dense = at_level(summary, dataset, method, DENSE)
    for level in TICKET_LEVELS:
        claim = (f"{method} ticket at P_m {level:g} %: PGD accuracy >= dense, natural accuracy within "
                 f"{NATURAL_MARGIN:g} of dense")
        p = {k: cell(published, dataset, lv, "pgd", "adversarial", m)
             for k, (lv, m) in {"pgd": (level, "attacked"), "pgd0": (DENSE, "attacked"),
                                "nat": (level, "natural"), "nat0": (DENSE, "natural")}.items()}
        paper = "-" if p["pgd"] is None else f"PGD {_f(p['pgd'])} vs {_f(p['pgd0'])}; natural {_f(p['nat'])} vs {_f(p['nat0'])}"
        t = at_level(summary, dataset, method, level)
        if dense is None or t is None:
            out.append(_row(dataset, claim, paper, f"not measured ({method} at P_m {level:g} % and 100 %)", None))
            continue
        here = (f"PGD {_f(t['pgd_mean'])} vs {_f(dense['pgd_mean'])}; "
                f"natural {_f(t['natural_mean'])} vs {_f(dense['natural_mean'])}")
        holds = t["pgd_mean"] >= dense["pgd_mean"] and t["natural_mean"] >= dense["natural_mean"] - NATURAL_MARGIN
        out.append(_row(dataset, claim, paper, here, bool(holds)))
    return out


def natural_broken_claim(summary: pd.DataFrame, published: pd.DataFrame, dataset: str) -> list[dict]:
    """Tables 1-2: naturally trained networks have PGD accuracy near 0 (<= :data:`NEAR_ZERO`) at every P_m."""
    claim = f"naturally trained nets: PGD accuracy <= {NEAR_ZERO:g} % at every P_m"
    pub = published[(published["dataset"] == dataset) & (published["attack"] == "pgd")
                    & (published["training"] == "natural") & (published["measure"] == "attacked")]
    paper = "-" if pub.empty else f"at most {pub['mean'].max():.2f}"
    d = summary[(summary["dataset"] == dataset) & (summary["training"] == "natural")]
    if d.empty or d["pgd_mean"].isna().all():
        return [_row(dataset, claim, paper, "not measured (no natural method with PGD)", None)]
    worst = d.loc[d["pgd_mean"].idxmax()]
    here = f"at most {_f(worst['pgd_mean'])} ({worst['method']}, P_m {worst['kept_percent']:.1f})"
    return [_row(dataset, claim, paper, here, bool(d["pgd_mean"].max() <= NEAR_ZERO))]


def init_beats_random_claim(summary: pd.DataFrame, dataset: str) -> list[dict]:
    """Sec. 6, Figs. 1-2 and 7-8: ``init`` (the ticket) >= ``random`` in natural accuracy at high
    sparsity (every P_m <= 16.9 %; where the run stops above that, its sparsest level, said so)."""
    d = summary[summary["dataset"] == dataset]
    claim = f"init >= random (natural accuracy) at P_m <= {HIGH_SPARSITY:g} %"
    paper = "holds (Sec. 6; Figs. 1-2, 7-8; figures only)"
    wins, cases, sparse_only = 0, 0, False
    for training in d["training"].unique():
        init, rand = (d[(d["training"] == training) & (d["reset"] == r)].set_index("round") for r in ("init", "random"))
        rounds = sorted(set(init.index) & set(rand.index))
        if not rounds:
            continue
        high = [r for r in rounds if init.at[r, "kept_percent"] <= HIGH_SPARSITY + 0.06]
        if not high:
            high, sparse_only = [rounds[-1]], True
        for r in high:
            cases += 1
            wins += int(init.at[r, "natural_mean"] >= rand.at[r, "natural_mean"])
    if not cases:
        return [_row(dataset, claim, paper, "not measured (no training run with both init and random)", None)]
    here = f"{wins}/{cases} (training, level) cases"
    if sparse_only:
        here += f"; only the sparsest level measured ({d['kept_percent'].min():.1f} %)"
    return [_row(dataset, claim, paper, here, wins == cases)]


def early_stop_claim(summary: pd.DataFrame, dataset: str) -> list[dict]:
    """Sec. 5, Figs. 3, 5, 9, 11: the early-stopping iteration falls as P_m goes from 100 % to about
    16.9 % (tickets train faster), natural and adversarial: per ``init`` method, the mean iteration at
    the sparsest level >= 16.9 % against the dense one's."""
    d = summary[(summary["dataset"] == dataset) & (summary["reset"] == "init")]
    claim = "early-stopping iteration falls from P_m 100 % to ~16.9 % (init)"
    paper = "falls (Figs. 3, 5, 9, 11; figures only)"
    parts, holds = [], []
    for method in d["method"].unique():
        m = d[d["method"] == method].sort_values("round")
        down = m[m["kept_percent"] >= HIGH_SPARSITY - 0.06]
        if len(down) < 2:
            continue
        first, last = down.iloc[0], down.iloc[-1]
        parts.append(f"{method} {first['stop_step_mean']:.0f} -> {last['stop_step_mean']:.0f} "
                     f"(P_m {last['kept_percent']:.1f})")
        holds.append(bool(last["stop_step_mean"] < first["stop_step_mean"]))
    if not holds:
        return [_row(dataset, claim, paper, "not measured (no init method with a pruned level)", None)]
    return [_row(dataset, claim, paper, "; ".join(parts), all(holds))]


def evaluate(summary: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Every claim on every data set of the run (columns :data:`COLUMNS`)."""
    rows = []
    for dataset in summary["dataset"].unique():
        rows += tickets_claim(summary, published, dataset)
        rows += natural_broken_claim(summary, published, dataset)
        rows += init_beats_random_claim(summary, dataset)
        rows += early_stop_claim(summary, dataset)
    return pd.DataFrame(rows, columns=COLUMNS)
