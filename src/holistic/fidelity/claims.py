"""Claims of a paper on a study's result tables: the values the claims engine
(:mod:`holistic.fidelity.engine`) pairs, and the older predicates.

The values: :func:`values_from_selected` (a selection's test values, long ``dataset, metric,
method, value``), :func:`published_values` (the published tables' values of the same data
sets, under the run's names), :func:`split_values` (the selected configurations' test values
per split, from the eval files' models) and :func:`by_unit` (one metric of one method as
``{data set or split: value}``, what :func:`holistic.fidelity.engine.paired` pairs).

Reading helpers (used by the sanity checks of ``holistic.studies.hdl.images.sanity``): a table
``{metric: {method: value}}`` per data set (:func:`claim_tables`, values rounded to the result
tables' decimals, ``holistic.selection.tables``: 2, 3 for the rank) read with :func:`value`,
which raises :class:`MissingValue` when the table lacks a value. Verdicts come from the engine
only.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import pandas as pd

from ..records.selected import RANK, check_selected
from ..selection.tables import RANK_DECIMALS, TABLE_DECIMALS

#: ``{metric: {method: value}}``: one data set, or means over data sets.
Table = Mapping[str, Mapping[str, float]]


class MissingValue(Exception):
    """A value a claim needs is absent: the claim is not evaluable on that table."""


def value(t: Table, metric: str, method: str) -> float:
    """``t[metric][method]`` as float; :class:`MissingValue` if absent or NaN."""
    try:
        v = t[metric][method]
    except KeyError:
        raise MissingValue(f"{metric}/{method}") from None
    if v is None or (isinstance(v, float) and math.isnan(v)):
        raise MissingValue(f"{metric}/{method}")
    return float(v)


def decimals(metric: str) -> int:
    """Decimals of a metric in the result tables (the rank has 3, the others 2)."""
    return RANK_DECIMALS if metric == RANK else TABLE_DECIMALS


def values_from_selected(selected: pd.DataFrame,
                         methods: Sequence[str] | None = None) -> pd.DataFrame:
    """Long ``dataset, metric, method, value`` of a selection's test values (the four
    metrics and the multi-objective rank), checked (``methods``: the study's)."""
    sel = check_selected(selected, methods=methods)
    return sel.rename(columns={"test": "value"})[["dataset", "metric", "method", "value"]]


def claim_tables(values: pd.DataFrame, datasets: Sequence[str]) -> dict[str, dict]:
    """Per data set of ``datasets`` present in ``values``: ``{metric: {method: value}}``,
    values rounded to the tables' decimals."""
    sub = values[values["dataset"].isin(set(datasets))]
    out: dict[str, dict] = {}
    for r in sub.itertuples():
        out.setdefault(r.dataset, {}).setdefault(r.metric, {})[r.method] = \
            round(float(r.value), decimals(r.metric))
    return out


def published_values(reference: pd.DataFrame, matched: pd.DataFrame) -> pd.DataFrame:
    """Long ``dataset, metric, method, value``: the published values of the run's data sets
    that ``matched`` (:func:`holistic.fidelity.match.match_datasets`) compares, under the
    run's names."""
    from .match import COMPARED

    names = {m["paper_name"]: d for d, m in matched[matched["status"] == COMPARED].iterrows()}
    sub = reference[reference["dataset"].isin(set(names))]
    return sub.assign(dataset=sub["dataset"].map(names))[["dataset", "metric", "method", "value"]] \
        .reset_index(drop=True)


#: The per-model column of ``holistic.records.evals.MODEL_COLUMNS`` holding a metric's test value
#: of one split (the stability and the rank have none: one value per data set).
SPLIT_COLUMNS = {"natural_accuracy": "nat_test", "adversarial_accuracy": "adv_test", "sparsity": "sparsity"}


def split_values(models: pd.DataFrame, selected: pd.DataFrame) -> pd.DataFrame:
    """Long ``dataset, metric, method, split, value``: per data set, method and metric of
    :data:`SPLIT_COLUMNS`, the test value of every split of the configuration the selection
    chose for that metric (``models``: the eval files' rows, ``holistic.records.evals.load_evals``)."""
    rows = []
    chosen = selected[selected["metric"].isin(set(SPLIT_COLUMNS))]
    for r in chosen.itertuples():
        sub = models[(models["dataset"] == r.dataset) & (models["method"] == r.method)
                     & (models["config_id"] == int(r.config_id))]
        col = SPLIT_COLUMNS[r.metric]
        rows += [{"dataset": r.dataset, "metric": r.metric, "method": r.method, "split": int(m.split),
                  "value": float(getattr(m, col))} for m in sub.itertuples()]
    return pd.DataFrame(rows, columns=["dataset", "metric", "method", "split", "value"])


def by_unit(values: pd.DataFrame, metric: str, method: str, unit: str = "dataset",
            where: Mapping[str, object] | None = None) -> dict:
    """``{unit value: value}`` of one metric of one method in a long frame (``unit``: the
    column naming the paired unit, ``dataset`` or ``split``; ``where``: other columns' values
    the rows must have, e.g. ``{"dataset": "iris"}`` for the splits of one data set)."""
    sub = values[(values["metric"] == metric) & (values["method"] == method)]
    for col, v in (where or {}).items():
        sub = sub[sub[col] == v]
    return {k: float(v) for k, v in zip(sub[unit], sub["value"])}


__all__ = ["published_values", "SPLIT_COLUMNS", "split_values", "by_unit", "Table", "MissingValue", "value",
           "decimals", "values_from_selected", "claim_tables"]
