"""Per pruning round: every round model's robustness as Guo et al. (2018) measure it, and the
mean and spread over the reference models (splits) of a (data set, method, round).

Measures of one model (test points; from the attack job's eval rows, ``holistic.evaluation.run``):

* ``natural``: benign accuracy, a fraction;
* ``r_inf:<attack>@<eps>``: eq. (1)/(5), the accuracy (a fraction) at the FGS (``fgsm``) or
  rFGS (``rfgsm``) points of radius eps;
* ``r2:<attack>``: eq. (1)/(5), ``E[1{y = y_hat} ||x - x_adv||_2]`` of DeepFool (``deepfool``) or
  C&W (``cw``); points the attack failed on are left out (their count: ``failures:<attack>``);
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
#: The l_inf and l_2 attacks of Sec. 4 (r_inf, r_2), in the paper's order.
LINF_ATTACKS = ("fgsm", "rfgsm")
L2_ATTACKS = ("deepfool", "cw")
#: Sec. 4.1: eps = 0.1 for the l_inf attacks (pixels in [0, 1]).
EPS = 0.1


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
    sample standard deviation (NaN for n = 1) of every measure."""
    return over_splits(levels, SUMMARY_KEYS, measures(levels), kept_percent=("kept_percent", "mean"))


def sparsity_label(kept_percent: float) -> str:
    """The weight sparsity ``100 - kept`` as the paper prints it (two decimals)."""
    return f"{100.0 - kept_percent:.2f}"
