"""Claims of a paper as small predicates, and their evaluation here and in the published tables.

A :class:`Claim` is a qualitative statement (e.g. "Robust beats DL on adversarial
accuracy") with a predicate on a table ``{metric: {method: value}}``. It is evaluated
per data set (the share of data sets where it holds) or once on the means over data
sets (scope :data:`PER_DATASET` or :data:`MEAN`). Values are rounded to the result
tables' decimals first (``holistic.selection.tables``: 2, 3 for the rank), so "beats"
compares what the tables print. A predicate reads values with :func:`value`, which
raises :class:`MissingValue` when the table lacks one: the case is then not evaluable
and is left out of the count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import pandas as pd

from ..records.selected import RANK, check_selected
from ..selection.tables import RANK_DECIMALS, TABLE_DECIMALS

#: ``{metric: {method: value}}``: one data set, or means over data sets.
Table = Mapping[str, Mapping[str, float]]

PER_DATASET, MEAN = "per data set", "mean"


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


@dataclass(frozen=True)
class Claim:
    """A statement of the paper checked per data set or on the means over data sets."""
    key: str
    statement: str
    citation: str
    scope: str                          # PER_DATASET | MEAN
    metrics: tuple[str, ...]            # metrics the predicate reads
    holds: Callable[[Table], bool]


@dataclass(frozen=True)
class ClaimResult:
    """``holds`` of ``of`` evaluable cases (1 case for a mean claim); ``note`` when
    nothing was evaluable."""
    holds: int
    of: int
    note: str = ""

    def text(self, scope: str) -> str:
        if self.of == 0:
            return self.note or "n/a"
        if scope == MEAN:
            return "yes" if self.holds else "no"
        return f"{self.holds}/{self.of} ({100 * self.holds / self.of:.0f}%)"


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


def mean_table(values: pd.DataFrame, datasets: Sequence[str]) -> dict:
    """``{metric: {method: mean over the data sets where it has a value}}``, rounded."""
    sub = values[values["dataset"].isin(set(datasets))]
    means = sub.groupby(["metric", "method"])["value"].mean()
    out: dict = {}
    for (metric, method), v in means.items():
        out.setdefault(metric, {})[method] = round(float(v), decimals(metric))
    return out


def evaluate_claim(claim: Claim, values: pd.DataFrame, datasets: Sequence[str],
                   untabulated: Mapping[str, str] | None = None) -> ClaimResult:
    """Evaluate ``claim`` on ``values`` (long dataset, metric, method, value) restricted
    to ``datasets``: per data set, the number where it holds among those where it is
    evaluable; for a mean claim, once on the means. Not computable when ``values`` lacks
    a metric the claim needs; the note is ``untabulated[metric]`` (the publication's
    reason a metric is not published) if given, else names the metrics."""
    have = set(values["metric"])
    lacking = [m for m in claim.metrics if m not in have]
    if lacking:
        why = [untabulated[m] for m in lacking if untabulated and m in untabulated]
        return ClaimResult(0, 0, why[0] if why else f"not computable: no {', '.join(lacking)}")
    present = [d for d in datasets if d in set(values["dataset"])]
    if not present:
        return ClaimResult(0, 0, "n/a (no data set)")
    tables = [mean_table(values, present)] if claim.scope == MEAN else \
        [t for _, t in sorted(claim_tables(values, present).items())]
    holds = of = 0
    for t in tables:
        try:
            ok = claim.holds(t)
        except MissingValue:
            continue
        of += 1
        holds += bool(ok)
    return ClaimResult(holds, of, "" if of else "n/a (methods missing)")


__all__ = ["Table", "PER_DATASET", "MEAN", "MissingValue", "value", "Claim", "ClaimResult",
           "decimals", "values_from_selected", "claim_tables", "mean_table", "evaluate_claim"]
