"""Model selection of Section 4 ("Training Methodology"), as pure functions.

Given one row per trained model (data set, method, configuration, split), choose
for each data set, method and evaluation metric the hyperparameter
configuration with the best validation value of that metric and report the test
value of the chosen configuration:

==================== ===================================== ================================
metric               validation criterion (higher better)  reported test value
==================== ===================================== ================================
natural_accuracy     mean over splits of natural val acc    mean over splits of nat test acc
adversarial_accuracy mean over splits of adv val acc (rho)  mean over splits of adv test acc
stability            worst (min) split's natural val acc    worst split's natural test acc
sparsity             mean sparsity (% of zero parameters)   mean sparsity
==================== ===================================== ================================

Ties go to the lowest ``config_id``. The multi-objective rank (Section 4.1, the
paragraph before Fig. 2): within each (data set, method) rank the configurations
on the four validation criteria (1 = best, ties averaged), average the four
ranks, keep the configuration with the lowest average; then within each data
set rank the kept models of the methods on the four test values and average.

Values are compared after rounding to ``TIE_DECIMALS`` decimals so that
floating-point noise in means (e.g. 2/3 computed two ways) does not break ties.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from ..evaluation.metrics import METRICS, Metric
from ..render.tables import ordered

#: The per-model column of ``holistic.records.evals.MODEL_COLUMNS`` each measurement reads.
_SOURCES = {("accuracy", "none"): "nat", ("accuracy", "pgd"): "adv", ("sparsity", "none"): "sparsity"}


def criterion(metric: Metric) -> tuple[str, str]:
    """(validation column, test column) of :func:`summarize`'s output for a metric: its
    measurement summarised over splits (``mean`` or ``min``); a per-model measurement
    without parts (sparsity) is its own criterion."""
    src = _SOURCES[(metric.measurement, metric.attack)]
    if metric.measurement == "sparsity":
        return (f"{src}_{metric.over_splits}",) * 2
    return f"{src}_val_{metric.over_splits}", f"{src}_test_{metric.over_splits}"


#: metric -> (validation column, test column), derived from the registry.
CRITERIA: dict[str, tuple[str, str]] = {name: criterion(m) for name, m in METRICS.items()}

#: Decimals kept when comparing values for ties.
TIE_DECIMALS = 9


# --------------------------------------------------------------------------- select

def summarize(models: pd.DataFrame) -> pd.DataFrame:
    """Per (dataset, method, config_id): split means / minima used by the selection.

    Columns: dataset, method, config_id, config, n_splits, nat_val_mean,
    nat_val_min, adv_val_mean, sparsity_mean, nat_test_mean, nat_test_min,
    adv_test_mean.
    """
    g = models.groupby(["dataset", "method", "config_id"], sort=True)
    out = g.agg(config=("config", "first"), n_splits=("split", "size"),
                nat_val_mean=("nat_val", "mean"), nat_val_min=("nat_val", "min"),
                adv_val_mean=("adv_val", "mean"), sparsity_mean=("sparsity", "mean"),
                nat_test_mean=("nat_test", "mean"), nat_test_min=("nat_test", "min"),
                adv_test_mean=("adv_test", "mean"))
    return out.reset_index()


def _pick(df: pd.DataFrame, by: str, ascending: bool) -> pd.DataFrame:
    """Per (dataset, method) the row with the best ``by``; ties -> lowest config_id."""
    key = df[by].round(TIE_DECIMALS)
    tmp = df.assign(_key=key).sort_values(
        ["dataset", "method", "_key", "config_id"], ascending=[True, True, ascending, True],
        kind="mergesort")
    return tmp.groupby(["dataset", "method"], sort=True).head(1).drop(columns="_key") \
              .sort_values(["dataset", "method"], kind="mergesort").reset_index(drop=True)


def select_best(summary: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per (dataset, method) the configuration with the best validation value of ``metric``.

    Returns columns dataset, method, metric, config_id, config, validation, test.
    """
    if metric not in CRITERIA:
        raise ValueError(f"unknown metric {metric!r}; expected one of {list(CRITERIA)}")
    val, test = CRITERIA[metric]
    best = _pick(summary, val, ascending=not METRICS[metric].higher_is_better)
    return pd.DataFrame({
        "dataset": best["dataset"], "method": best["method"], "metric": metric,
        "config_id": best["config_id"], "config": best["config"],
        "validation": best[val], "test": best[test],
    })


def _rank_desc(values: pd.Series) -> pd.Series:
    """Rank 1 = highest value, ties get the average rank."""
    return values.round(TIE_DECIMALS).rank(method="average", ascending=False)


def multi_objective_choice(summary: pd.DataFrame) -> pd.DataFrame:
    """Per (dataset, method) the configuration with the lowest average validation rank.

    Each configuration is ranked within its (dataset, method) on mean natural,
    mean adversarial, worst-split natural validation accuracy and mean sparsity.
    Returns the chosen rows of ``summary`` plus ``val_rank`` (their average rank).
    """
    vals = [CRITERIA[m][0] for m in METRICS]
    ranks = pd.concat([summary.groupby(["dataset", "method"])[c].transform(_rank_desc) for c in vals],
                      axis=1)
    scored = summary.assign(val_rank=ranks.mean(axis=1))
    return _pick(scored, "val_rank", ascending=True)


def multi_objective_rank(chosen: pd.DataFrame) -> pd.DataFrame:
    """Rank the chosen models of the methods of each data set on the four test values.

    ``chosen`` is :func:`multi_objective_choice`'s output. Returns it with the
    column ``rank``: the average over the four test metrics of the method's rank
    among the methods present on that data set (1 = best, ties averaged).
    """
    tests = [CRITERIA[m][1] for m in METRICS]
    ranks = pd.concat([chosen.groupby("dataset")[c].transform(_rank_desc) for c in tests], axis=1)
    return chosen.assign(rank=ranks.mean(axis=1))


def select_all(models: pd.DataFrame, order: Sequence[str] = ()) -> pd.DataFrame:
    """All selections: the four metrics plus ``multi_objective``, long format.

    Columns dataset, method, metric, config_id, config, validation, test; for
    ``multi_objective`` validation is the average validation rank within the
    method and test the multi-objective rank among the methods of the data set. Rows
    follow data set, then ``order`` (the study's methods; others sorted by name).
    """
    order = {m: i for i, m in enumerate(ordered(models["method"], order))}
    summary = summarize(models)
    parts = [select_best(summary, m) for m in METRICS]
    mo = multi_objective_rank(multi_objective_choice(summary))
    parts.append(pd.DataFrame({
        "dataset": mo["dataset"], "method": mo["method"], "metric": "multi_objective",
        "config_id": mo["config_id"], "config": mo["config"],
        "validation": mo["val_rank"], "test": mo["rank"],
    }))
    out = pd.concat(parts, ignore_index=True)
    morder = {m: i for i, m in enumerate(list(METRICS) + ["multi_objective"])}
    return out.assign(_m=out["method"].map(order), _k=out["metric"].map(morder)) \
              .sort_values(["dataset", "_m", "_k"], kind="mergesort") \
              .drop(columns=["_m", "_k"]).reset_index(drop=True)


def wide(selected: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Test values of one metric: index dataset, one column per method (Table 1 order)."""
    sub = selected[selected["metric"] == metric]
    tab = sub.pivot(index="dataset", columns="method", values="test")
    return tab.reindex(columns=list(dict.fromkeys(sub["method"])))  # the selection's method order


def mean_over_datasets(selected: pd.DataFrame) -> dict[str, dict[str, float]]:
    """``{metric: {method: mean test value over the data sets where it ran}}``."""
    out = {}
    for metric, name in [(m, m) for m in METRICS] + [("multi_objective", "multi_objective_rank")]:
        tab = wide(selected, metric)
        out[name] = {m: float(tab[m].mean()) for m in tab.columns if tab[m].notna().any()}
    return out


__all__ = ["METRICS", "CRITERIA", "TIE_DECIMALS", "summarize", "select_best",
           "multi_objective_choice", "multi_objective_rank", "select_all", "wide",
           "mean_over_datasets"]
