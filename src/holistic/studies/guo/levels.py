"""Per pruning round: every round model's robustness as Guo et al. (2018) measure it, and the
mean and spread over the reference models (splits) of a (data set, method, round).

Measures of one model (test points; from the attack job's eval rows, ``holistic.evaluation.run``):

* ``natural``: benign accuracy, a fraction;
* ``r_inf:<attack>@<eps>``: eq. (1)/(5), the accuracy (a fraction) at the FGS (``fgsm-nobox``) or
  rFGS (``rfgsm-nobox``) points of radius eps, without the input box as eq. (1) defines them; the
  same attacks clipped to the box [0, 1] (``fgsm``, ``rfgsm``) are a labelled variant;
* ``r2:<attack>``: eq. (1)/(5), ``E[1{y = y_hat} ||x - x_adv||_2]`` of DeepFool (``deepfool``) or
  C&W (``cw``), as the evaluation computed it under the attack's ``failed`` setting (the study's
  profiles: ``returned``, every point in the mean, a failed one at the distance of the point the
  attack returned; ``exclude``: failed points left out); their count: ``failures:<attack>``;
  the summary leaves an r_2 undefined where its attack failed on more than :data:`MAX_FAILED` of
  the correctly classified points (:func:`defined_r2`);
* ``sparsity``: percent of weights exactly 0; ``activation_sparsity``: percent of zero outputs
  of the last ReLU ("sparsity (a)" of Table 1; absent for the linear models);
* ``correct`` (:func:`with_correct`): the number of correctly classified test points, the
  denominator of a minimal attack's failures (``attack_succeeds``).

A method without rounds (the activation-L1 methods) is its dense model: round 0, 100 % kept.
"""

from __future__ import annotations

import math

import pandas as pd

from ...methods import ROUND_FIELDS
from ...records.evals import over_splits, tidy_rows

MODEL_KEYS = ["dataset", "method", "config_id", "split", "round"]
SUMMARY_KEYS = ["dataset", "method", "round"]
#: The l_inf attacks of Sec. 4 (r_inf) in the paper's order, eq. (1)'s points without the input box
#: (FGS, rFGS), then the variants clipped to the box (:data:`CLIPPED`).
LINF_ATTACKS = ("fgsm-nobox", "rfgsm-nobox", "fgsm", "rfgsm")
#: The clipped variant -> the attack of eq. (1) it clips.
CLIPPED = {"fgsm": "fgsm-nobox", "rfgsm": "rfgsm-nobox"}
#: The l_2 attacks of Sec. 4 (r_2), in the paper's order.
L2_ATTACKS = ("deepfool", "cw")
#: Sec. 4.1: eps = 0.1 for the l_inf attacks (pixels in [0, 1]).
EPS = 0.1
#: r_2 is undefined where its attack failed on more than this share of the correctly classified
#: test points, pooled over the references (:func:`defined_r2`; the claims' ``attack_succeeds``).
MAX_FAILED = 0.05


def eps_label(eps: float) -> str:
    return f"{eps:g}"


def measure_name(metric: str, attack: str, eps) -> str | None:
    """The column of one tidy row, or None for a row the study does not read."""
    if metric == "accuracy" and attack == "none":
        return "natural"
    if metric == "accuracy" and attack in LINF_ATTACKS and eps is not None and not math.isnan(eps):
        return f"r_inf:{attack}@{eps_label(eps)}"
    if metric in ("r2", "failures") and attack in L2_ATTACKS:
        return f"{metric}:{attack}"
    if metric == "sparsity":
        return "sparsity"
    if metric == "last_activation_sparsity":
        return "activation_sparsity"
    return None


def model_levels(tidy: pd.DataFrame) -> pd.DataFrame:
    """One row per model (columns ``MODEL_KEYS``, kept_percent, and one per measure; accuracies
    as fractions) from :func:`holistic.records.evals.tidy_rows` with the round fields."""
    t = tidy[(tidy["part"].isin(["test", "model"]))].copy()
    t["measure"] = [measure_name(m, a, e) for m, a, e in zip(t["metric"], t["attack"], t["eps"])]
    t = t[t["measure"].notna()]
    t.loc[t["measure"].str.startswith(("natural", "r_inf")), "value"] /= 100.0
    t["round"] = t["round"].fillna(0).astype(int)
    t["kept_percent"] = t["kept_percent"].fillna(100.0).astype(float)
    wide = t.pivot_table(index=MODEL_KEYS + ["kept_percent"], columns="measure", values="value",
                         aggfunc="first").reset_index()
    wide.columns.name = None
    return wide.sort_values(MODEL_KEYS, kind="mergesort").reset_index(drop=True)


def with_correct(levels: pd.DataFrame, test_points) -> pd.DataFrame:
    """``levels`` with ``correct``: the benign accuracy times the data set's number of test
    points (``test_points``: data set -> count; NaN for a data set without one)."""
    out = levels.copy()
    n = out["dataset"].map(lambda d: test_points.get(d, math.nan)).astype(float)
    out["correct"] = (out["natural"] * n).round()
    return out


def load_levels(evals) -> pd.DataFrame:
    """:func:`model_levels` of eval files."""
    return model_levels(tidy_rows(evals, fields=ROUND_FIELDS))


def measures(levels: pd.DataFrame) -> list[str]:
    """The measure columns of a :func:`model_levels` frame, in a fixed order."""
    return [c for c in levels.columns if c not in MODEL_KEYS + ["kept_percent"]]


def summarize(levels: pd.DataFrame) -> pd.DataFrame:
    """Per (data set, method, round): kept_percent, the number of models n, and the mean and
    sample standard deviation (NaN for n = 1) of every measure; each r_2 undefined (NaN) where
    its attack failed too often (:func:`defined_r2`)."""
    return defined_r2(over_splits(levels, SUMMARY_KEYS, measures(levels), kept_percent=("kept_percent", "mean")))


def failed_share(summary: pd.DataFrame, attack: str) -> pd.Series:
    """Per summary row, the share of the correctly classified test points (pooled over the
    references) on which the minimal ``attack`` failed; NaN where either count is unknown."""
    fails, correct = summary.get(f"failures:{attack}_mean"), summary.get("correct_mean")
    if fails is None or correct is None:
        return pd.Series(math.nan, index=summary.index)
    return (fails / correct).where(correct > 0)


def defined_r2(summary: pd.DataFrame) -> pd.DataFrame:
    """``summary`` with ``r2:<attack>_mean`` and ``_sd`` set to NaN (undefined, ``-`` in the
    tables) where the attack failed on more than :data:`MAX_FAILED` of the correctly classified
    points (:func:`failed_share`): a failed point enters r_2 at a stated but not a minimal
    distance (the point the attack returned), and above that share the mean would mostly measure
    the attack. The failures stay in their own columns."""
    out = summary.copy()
    for a in L2_ATTACKS:
        if f"r2:{a}_mean" in out:
            over = failed_share(out, a) > MAX_FAILED
            out.loc[over, [f"r2:{a}_mean", f"r2:{a}_sd"]] = math.nan
    return out


def sparsity_label(kept_percent: float) -> str:
    """The weight sparsity ``100 - kept`` as the paper prints it (two decimals)."""
    return f"{100.0 - kept_percent:.2f}"
