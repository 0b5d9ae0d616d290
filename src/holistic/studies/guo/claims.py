"""The claims of Guo et al. (2018) (issue 14; notes 4.6), checked on a run's per-round models
(:func:`.levels.model_levels`) and their summary (:func:`.levels.summarize`): each gives rows of
(claim, paper value, value here, holds here). A claim whose methods or rounds were not run says
so with ``holds`` "n/a"; a refuted claim is reported as measured. r_inf is FGS at eps 0.1, r_2
DeepFool unless a row names C&W or rFGS."""

from __future__ import annotations

import pandas as pd

from .levels import EPS, eps_label
from .methods import parse_l1

COLUMNS = ["claim", "paper", "here", "holds"]
RINF = f"r_inf:fgsm@{eps_label(EPS)}"
#: G1: "the first rounds" over which the linear model's r_inf rises (Fig. 1 shows 12 points).
FIRST_ROUNDS = 4
#: G2: the "moderately sparse" range of weight sparsity (issue 14), percent.
MODERATE = (80.0, 97.0)
#: G3 / Table 2: "extremely sparse" (the Deep-Compression models are at 98.21 % and 99.07 %).
EXTREME = 98.0
#: G3: benign accuracy "within 0.5 pt" of the dense model (as a fraction).
ACCURACY_MARGIN = 0.005


def _row(claim, paper, here, holds) -> dict:
    return {"claim": claim, "paper": paper, "here": here, "holds": "n/a" if holds is None else ("yes" if holds else "no")}


def _method(summary: pd.DataFrame, dataset: str, method: str) -> pd.DataFrame:
    return summary[(summary["dataset"] == dataset) & (summary["method"] == method)].sort_values("round")


def _has(frame: pd.DataFrame, measure: str) -> bool:
    return f"{measure}_mean" in frame and frame[f"{measure}_mean"].notna().any() if not frame.empty else False


def linear_r2_falls(levels: pd.DataFrame, dataset: str = "mnist-1v7") -> list[dict]:
    """G1 (Sec. 4.1, Thm. 3.1): the binary linear model's r_2 falls after the first prune (paired over
    the references: round 1 against round 0 of each model), under DeepFool and under C&W."""
    out = []
    papers = {"deepfool": "2.0103 ± 0.0022 -> 2.0009 ± 0.0016", "cw": "2.3151 ± 0.0023 -> 2.3061 ± 0.0023"}
    for attack, paper in papers.items():
        claim = f"{dataset} linear: r_2 ({attack}) falls after the first prune (every reference, paired)"
        m = levels[(levels["dataset"] == dataset) & (levels["method"] == "linear")]
        col = f"r2:{attack}"
        if col not in m or not {0, 1} <= set(m["round"]):
            out.append(_row(claim, paper, f"not measured (linear on {dataset}, rounds 0-1, {attack})", None))
            continue
        w = m.pivot_table(index="split", columns="round", values=col)
        diff = (w[1] - w[0]).dropna()
        here = (f"{w[0].mean():.4f} -> {w[1].mean():.4f} (mean change {diff.mean():+.4f}; "
                f"falls for {int((diff < 0).sum())}/{len(diff)} references)")
        out.append(_row(claim, paper, here, bool(len(diff) and (diff < 0).all())))
    return out


def linear_rinf_rises(summary: pd.DataFrame, dataset: str = "mnist-1v7") -> list[dict]:
    """G1 (Fig. 1, Thm. 3.1): the linear model's r_inf rises over the first prunes (some round
    1..:data:`FIRST_ROUNDS` above the dense one)."""
    claim = f"{dataset} linear: r_inf (FGS, eps {EPS:g}) rises over the first {FIRST_ROUNDS} prunes"
    paper = "rises (Fig. 1, until benign accuracy drops; figures only)"
    s = _method(summary, dataset, "linear")
    if not _has(s, RINF) or len(s) < 2:
        return [_row(claim, paper, "not measured (linear with a pruned round)", None)]
    dense = s.iloc[0][f"{RINF}_mean"]
    early = s[(s["round"] >= 1) & (s["round"] <= FIRST_ROUNDS)]
    best = early.loc[early[f"{RINF}_mean"].idxmax()]
    here = f"dense {dense:.4f}; best of rounds 1-{int(early['round'].max())} {best[f'{RINF}_mean']:.4f} (round {int(best['round'])})"
    return [_row(claim, paper, here, bool(best[f"{RINF}_mean"] > dense))]


def dnn_moderate_beats_dense(summary: pd.DataFrame, method: str, dataset: str = "mnist") -> list[dict]:
    """G2 (Fig. 2, Thm. 3.3): some moderately sparse model (weight sparsity in :data:`MODERATE`)
    beats the dense one on both r_inf and r_2; and over-sparsified models lose robustness (the
    sparsest round, beyond :data:`MODERATE`, below the best round on both)."""
    lo, hi = MODERATE
    claim = f"{method}: a {lo:g}-{hi:g} % sparse model beats the dense one on r_inf and r_2"
    claim2 = f"{method}: over-sparsified, robustness falls (sparsest round below the best on r_inf and r_2)"
    paper = "holds (Fig. 2; figures only)"
    s = _method(summary, dataset, method)
    if not (_has(s, RINF) and _has(s, "r2:deepfool")) or len(s) < 2:
        return [_row(claim, paper, f"not measured ({method} on {dataset} with r_inf and r_2)", None),
                _row(claim2, paper, f"not measured ({method} on {dataset} with r_inf and r_2)", None)]
    dense = s.iloc[0]
    sparsity = 100.0 - s["kept_percent"]
    mid = s[(sparsity >= lo) & (sparsity <= hi)]
    if mid.empty:
        out = [_row(claim, paper, f"not measured (no round at {lo:g}-{hi:g} % sparsity)", None)]
    else:
        wins = mid[(mid[f"{RINF}_mean"] > dense[f"{RINF}_mean"]) & (mid["r2:deepfool_mean"] > dense["r2:deepfool_mean"])]
        pick = wins.iloc[0] if len(wins) else mid.loc[mid["r2:deepfool_mean"].idxmax()]
        here = (f"dense r_inf {dense[f'{RINF}_mean']:.4f}, r_2 {dense['r2:deepfool_mean']:.4f}; "
                f"{100 - pick['kept_percent']:.2f} %: r_inf {pick[f'{RINF}_mean']:.4f}, r_2 {pick['r2:deepfool_mean']:.4f}"
                f" ({len(wins)}/{len(mid)} rounds in range win both)")
        out = [_row(claim, paper, here, bool(len(wins)))]
    last = s.iloc[-1]
    if 100 - last["kept_percent"] <= hi:
        return out + [_row(claim2, paper, f"not measured (sparsest round {100 - last['kept_percent']:.2f} %, "
                                          f"not beyond {hi:g} %)", None)]
    best_inf, best_r2 = s[f"{RINF}_mean"].max(), s["r2:deepfool_mean"].max()
    here = (f"sparsest ({100 - last['kept_percent']:.2f} %): r_inf {last[f'{RINF}_mean']:.4f} (best {best_inf:.4f}), "
            f"r_2 {last['r2:deepfool_mean']:.4f} (best {best_r2:.4f})")
    out.append(_row(claim2, paper, here, bool(last[f"{RINF}_mean"] < best_inf and last["r2:deepfool_mean"] < best_r2)))
    return out


def extreme_sparsity_r2(summary: pd.DataFrame, method: str, paper: str, dataset: str = "mnist") -> list[dict]:
    """G3 (Sec. 4.3, Table 2): at >= :data:`EXTREME` % weight sparsity r_2 is below the dense r_2
    while the benign accuracy is within :data:`ACCURACY_MARGIN` of the dense one (the first such round)."""
    claim = f"{method}: at >= {EXTREME:g} % sparsity r_2 < dense r_2 with accuracy within 0.5 pt"
    s = _method(summary, dataset, method)
    if not _has(s, "r2:deepfool") or len(s) < 2:
        return [_row(claim, paper, f"not measured ({method} on {dataset})", None)]
    dense = s.iloc[0]
    ok = s[(100 - s["kept_percent"] >= EXTREME) & (s["natural_mean"] >= dense["natural_mean"] - ACCURACY_MARGIN)]
    if ok.empty:
        return [_row(claim, paper, f"not measured (no round at >= {EXTREME:g} % with accuracy within 0.5 pt; "
                                   f"sparsest {100 - s['kept_percent'].min():.2f} %)", None)]
    r = ok.iloc[0]
    here = (f"{100 - r['kept_percent']:.2f} %: r_2 {r['r2:deepfool_mean']:.4f} vs dense {dense['r2:deepfool_mean']:.4f}; "
            f"accuracy {100 * r['natural_mean']:.2f} vs {100 * dense['natural_mean']:.2f}")
    return [_row(claim, paper, here, bool(r["r2:deepfool_mean"] < dense["r2:deepfool_mean"]))]


def activation_l1_claim(summary: pd.DataFrame, net: str, paper: str, dataset: str = "mnist") -> list[dict]:
    """G4 (Table 1): the middle activation-L1 strength beats no regularisation on r_inf and r_2."""
    claim = f"{net}: activation L1 'mid' beats 'none' on r_inf and r_2 (Table 1)"
    rows = {parse_l1(m)[1]: r for m, r in summary[summary["dataset"] == dataset].set_index("method").iterrows()
            if parse_l1(m) and parse_l1(m)[0] == net}
    if not {"none", "mid"} <= set(rows) or f"{RINF}_mean" not in rows["none"] or "r2:deepfool_mean" not in rows["none"]:
        return [_row(claim, paper, f"not measured ({net}-l1-none and -mid with r_inf and r_2)", None)]
    n, m = rows["none"], rows["mid"]
    here = (f"r_inf {n[f'{RINF}_mean']:.4f} -> {m[f'{RINF}_mean']:.4f}; "
            f"r_2 {n['r2:deepfool_mean']:.4f} -> {m['r2:deepfool_mean']:.4f}")
    return [_row(claim, paper, here, bool(m[f"{RINF}_mean"] > n[f"{RINF}_mean"] and m["r2:deepfool_mean"] > n["r2:deepfool_mean"]))]


def evaluate(levels: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Every claim (columns :data:`COLUMNS`)."""
    rows = linear_r2_falls(levels) + linear_rinf_rises(summary) + linear_rinf_rises(summary, "mnist")
    for method in ("lenet300", "lenet5"):
        rows += dnn_moderate_beats_dense(summary, method)
    rows += extreme_sparsity_r2(summary, "lenet300", "1.1058 < 1.3899 at 98.21 % (Table 2)")
    rows += extreme_sparsity_r2(summary, "lenet5", "1.7383 < 2.7226 at 99.07 % (Table 2)")
    rows += activation_l1_claim(summary, "lenet300", "r_inf 0.2862 -> 0.3993; r_2 1.3213 -> 1.5903")
    rows += activation_l1_claim(summary, "lenet5", "r_inf 0.7388 -> 0.7729; r_2 2.7831 -> 3.1688")
    return pd.DataFrame(rows, columns=COLUMNS)
