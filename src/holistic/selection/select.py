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

import json
import math
from typing import Iterable, Mapping

import pandas as pd

from ..errors import DataError
from ..evaluate_keys import rho_key
from ..train.methods import METHODS as _TABLE_1

#: The eight methods in the column order of Table 1 / Tables A1-A4.
METHODS: tuple[str, ...] = tuple(_TABLE_1)

#: The four single-objective metrics, in table order (A1-A4).
METRICS: tuple[str, ...] = ("natural_accuracy", "adversarial_accuracy", "stability", "sparsity")

#: metric -> (validation column, test column) of :func:`summarize`'s output.
CRITERIA: dict[str, tuple[str, str]] = {
    "natural_accuracy": ("nat_val_mean", "nat_test_mean"),
    "adversarial_accuracy": ("adv_val_mean", "adv_test_mean"),
    "stability": ("nat_val_min", "nat_test_min"),
    "sparsity": ("sparsity_mean", "sparsity_mean"),
}

#: Decimals kept when comparing values for ties.
TIE_DECIMALS = 9

MODEL_COLUMNS = ["dataset", "method", "config_id", "split", "config",
                 "nat_val", "nat_test", "adv_val", "adv_test", "sparsity"]


def method_order(methods: Iterable[str]) -> list[str]:
    """The given method names in Table 1 order; unknown names follow, sorted."""
    present = set(methods)
    known = [m for m in METHODS if m in present]
    return known + sorted(present - set(METHODS))


# --------------------------------------------------------------------------- flatten

def _get(obj, keys: tuple, source: str, where: str):
    """Follow ``keys`` into nested dicts/lists; DataError naming file and field if absent."""
    cur = obj
    path = where
    for key in keys:
        path = f"{path}.{key}" if path else str(key)
        try:
            cur = cur[key]
        except (KeyError, IndexError, TypeError):
            raise DataError(f"{source}: field '{path}' missing") from None
    return cur


def _number(value, source: str, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DataError(f"{source}: field '{field}' must be a finite number, got {value!r}")
    return float(value)


def flatten_eval(ev: Mapping, adversarial_rho: float, source: str = "<eval>") -> pd.DataFrame:
    """One row per model of one eval dict (columns ``MODEL_COLUMNS``).

    ``source`` (normally the file name) is named in every DataError: a missing
    field, a non-numeric value, ``adversarial_rho`` absent from a model's
    adversarial results, a (config_id, split) pair seen twice, or configurations
    that do not cover the same splits.
    """
    if not isinstance(ev, Mapping):
        raise DataError(f"{source}: top level must be a JSON object")
    dataset = _get(ev, ("dataset",), source, "")
    method = _get(ev, ("method",), source, "")
    models = _get(ev, ("models",), source, "")
    if not isinstance(models, list) or not models:
        raise DataError(f"{source}: field 'models' must be a non-empty list")
    key = rho_key(adversarial_rho)
    rows = []
    for i, m in enumerate(models):
        w = f"models[{i}]"

        def num(*keys):
            field = w + "".join(f".{k}" for k in keys)
            return _number(_get(m, keys, source, w), source, field)

        adv = {}
        for part in ("val", "test"):
            d = _get(m, ("adversarial", part), source, w)
            if not isinstance(d, Mapping) or key not in d:
                raise DataError(f"{source}: field '{w}.adversarial.{part}' has no result for "
                                f"rho {adversarial_rho} (key '{key}'); keys: {sorted(d) if isinstance(d, Mapping) else d!r}")
            adv[part] = _number(d[key], source, f"{w}.adversarial.{part}.{key}")
        config_id = _get(m, ("config_id",), source, w)
        split = _get(m, ("split",), source, w)
        for name, v in (("config_id", config_id), ("split", split)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise DataError(f"{source}: field '{w}.{name}' must be an integer, got {v!r}")
        config = _get(m, ("config",), source, w)
        rows.append({
            "dataset": str(dataset), "method": str(method),
            "config_id": config_id, "split": split,
            "config": json.dumps(config, sort_keys=True),
            "nat_val": num("natural", "val"), "nat_test": num("natural", "test"),
            "adv_val": adv["val"], "adv_test": adv["test"],
            "sparsity": num("sparsity"),
        })
    df = pd.DataFrame(rows, columns=MODEL_COLUMNS)
    dup = df.duplicated(["config_id", "split"])
    if dup.any():
        r = df[dup].iloc[0]
        raise DataError(f"{source}: config_id {r.config_id} appears twice for split {r.split}")
    splits = df.groupby("config_id")["split"].apply(lambda s: tuple(sorted(s)))
    if splits.nunique() > 1:
        raise DataError(f"{source}: configurations do not cover the same splits: "
                        + "; ".join(f"config {c}: {list(s)}" for c, s in splits.items()))
    return df.sort_values(["config_id", "split"], kind="mergesort").reset_index(drop=True)


def eval_info(ev: Mapping, source: str = "<eval>") -> dict:
    """``{"dataset", "n", "p", "k", "paper_name"}`` of one eval dict."""
    info = _get(ev, ("info",), source, "")
    out = {"dataset": str(_get(ev, ("dataset",), source, ""))}
    for f in ("n", "p", "k"):
        v = _get(info, (f,), source, "info")
        if isinstance(v, bool) or not isinstance(v, int):
            raise DataError(f"{source}: field 'info.{f}' must be an integer, got {v!r}")
        out[f] = v
    out["paper_name"] = info.get("paper_name") if isinstance(info, Mapping) else None
    return out


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
    best = _pick(summary, val, ascending=False)
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


def select_all(models: pd.DataFrame) -> pd.DataFrame:
    """All selections: the four metrics plus ``multi_objective``, long format.

    Columns dataset, method, metric, config_id, config, validation, test; for
    ``multi_objective`` validation is the average validation rank within the
    method and test the multi-objective rank among the methods of the data set.
    """
    summary = summarize(models)
    parts = [select_best(summary, m) for m in METRICS]
    mo = multi_objective_rank(multi_objective_choice(summary))
    parts.append(pd.DataFrame({
        "dataset": mo["dataset"], "method": mo["method"], "metric": "multi_objective",
        "config_id": mo["config_id"], "config": mo["config"],
        "validation": mo["val_rank"], "test": mo["rank"],
    }))
    out = pd.concat(parts, ignore_index=True)
    order = {m: i for i, m in enumerate(method_order(out["method"].unique()))}
    morder = {m: i for i, m in enumerate(list(METRICS) + ["multi_objective"])}
    return out.assign(_m=out["method"].map(order), _k=out["metric"].map(morder)) \
              .sort_values(["dataset", "_m", "_k"], kind="mergesort") \
              .drop(columns=["_m", "_k"]).reset_index(drop=True)


def wide(selected: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Test values of one metric: index dataset, one column per method (Table 1 order)."""
    sub = selected[selected["metric"] == metric]
    tab = sub.pivot(index="dataset", columns="method", values="test")
    return tab.reindex(columns=method_order(tab.columns))


def mean_over_datasets(selected: pd.DataFrame) -> dict[str, dict[str, float]]:
    """``{metric: {method: mean test value over the data sets where it ran}}``."""
    out = {}
    for metric, name in [(m, m) for m in METRICS] + [("multi_objective", "multi_objective_rank")]:
        tab = wide(selected, metric)
        out[name] = {m: float(tab[m].mean()) for m in tab.columns if tab[m].notna().any()}
    return out


__all__ = ["METHODS", "METRICS", "CRITERIA", "TIE_DECIMALS", "MODEL_COLUMNS", "rho_key",
           "method_order", "flatten_eval", "eval_info", "summarize", "select_best",
           "multi_objective_choice", "multi_objective_rank", "select_all", "wide",
           "mean_over_datasets"]
