"""What the claims of study ``lth`` read from a run (:mod:`.claims`, :mod:`.strategies`): the
:class:`Run`, each method's round models at a P_m level, paired over splits, and the preconditions
they share (measured, voiding departures, ``converged`` from the step sweep or the kept checkpoints).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from ...fidelity import engine as E
from ...fidelity.protocol import voiding

DENSE = 100.0
#: P_m matches a level within this many points (the closed form 1.85 of the paper's "01.8" included).
TOLERANCE = 0.06

@dataclass(frozen=True)
class Run:
    """What the readers measure: the round models (:func:`.levels.model_levels`), the optimizer
    steps of a round per (data set, method), the run's departures per data set
    (:func:`.protocol.departures`) and its step sweep, if any (the rows of
    ``holistic.records.sweep`` with :data:`.levels.MEASURES`, at the study's radius; None: no sweep)."""
    levels: pd.DataFrame
    round_steps: dict = field(default_factory=dict)
    departures: dict = field(default_factory=dict)
    sweep: pd.DataFrame | None = None


Reading = tuple[list, list, str]  # (one Paired or None per part, preconditions, the value here)


def units(d: pd.DataFrame) -> pd.Series:
    """The paired unit of each row: its split (with the configuration where a grid has several)."""
    if d["config_id"].nunique() <= 1:
        return d["split"]
    return pd.Series(list(zip(d["config_id"], d["split"])), index=d.index)


def method_rows(run: Run, dataset: str, method: str, level: float | None = None) -> pd.DataFrame:
    lv = run.levels
    d = lv[(lv["dataset"] == dataset) & (lv["method"] == method)]
    if level is not None:
        d = d[(d["kept_percent"] - level).abs() <= TOLERANCE]
    return d.assign(unit=units(d))


def at_level(run: Run, dataset: str, method: str, level: float, measure: str) -> dict:
    """``{unit: measure}`` of ``method``'s models at P_m ``level`` (NaN where not measured)."""
    d = method_rows(run, dataset, method, level)
    return dict(zip(d["unit"], d[measure]))


def finite_count(values) -> int:
    return sum(1 for v in values if v is not None and math.isfinite(float(v)))


def mean(values) -> float:
    v = [float(x) for x in values if x is not None and math.isfinite(float(x))]
    return math.fsum(v) / len(v) if v else math.nan


def measured(parts: dict[str, dict]) -> E.Precondition:
    """``measured``: every named set of values has a finite value on some unit."""
    missing = [name for name, values in parts.items() if not finite_count(values.values())]
    text = "; ".join(f"{name}: {finite_count(v.values())} split{'s' if finite_count(v.values()) != 1 else ''}"
                     for name, v in parts.items())
    return E.measured(not missing, text + (f" (not measured: {', '.join(missing)})" if missing else ""))


def voiding_pre(run: Run, dataset: str, keys) -> E.Precondition:
    return E.protocol(voiding(run.departures.get(dataset, {}), keys))


def at_levels(rows: pd.DataFrame, levels) -> pd.DataFrame:
    """The rows at the P_m ``levels`` (None: every level)."""
    if levels is None:
        return rows
    return rows[rows["kept_percent"].map(lambda k: any(abs(k - lv) <= TOLERANCE for lv in levels))]


def swept_rows(run: Run, dataset: str, method: str) -> pd.DataFrame:
    """The step sweep's rows of ``method`` on ``dataset`` (its own job's and its budgets'), empty
    where the run did not sweep it."""
    if run.sweep is None:
        return pd.DataFrame(columns=["steps", "job", "config_id", "split", "kept_percent", "measure", "value"])
    sw = run.sweep
    rows = sw[(sw["dataset"] == dataset) & (sw["method"] == method)]
    return rows if (rows["job"] != method).any() else rows.iloc[:0]


def settled_pre(run: Run, dataset: str, methods, levels, measures) -> E.Precondition:
    """``converged`` from the step sweep (:func:`holistic.fidelity.engine.settled`): each of
    ``measures`` of each method at each of the P_m ``levels`` (None: every level swept), as a
    function of the steps of a round, paired over (configuration, split); the claim's models are
    the method's own job's."""
    curves, run_steps = {}, {}
    for m in methods:
        rows = at_levels(swept_rows(run, dataset, m), levels)
        own = rows.loc[rows["job"] == m, "steps"]
        for measure in measures:
            at = rows[rows["measure"] == measure]
            for _, level in at.groupby("round"):  # P_m from 100 % down
                q = f"{m} {measure} at P_m {float(level['kept_percent'].iloc[0]):.1f} %"
                curves[q] = {int(s): dict(zip(zip(g["config_id"], g["split"]), g["value"]))
                             for s, g in level.groupby("steps")}
                if len(own):
                    run_steps[q] = int(own.iloc[0])
    return E.settled(curves, run_steps)


def checkpoint_pre(run: Run, dataset: str, methods, levels=None) -> E.Precondition:
    """``converged`` from the checkpoints (issue 28): the latest kept checkpoint (stop step) of
    ``methods``' models (at the P_m ``levels``; None: every level) as a share of its round's
    steps. A checkpoint in the last 10 % of the round means the validation loss was still
    falling: the models were cut off while learning, so an accuracy compared there measures how
    fast they learn, not what they reach (issue 33: PGD accuracy still rising at 504 steps)."""
    shares = []
    for m in methods:
        steps = run.round_steps.get((dataset, m))
        rows = at_levels(method_rows(run, dataset, m), levels)
        if steps and "stop_step" in rows:
            shares += [float(v) / steps for v in rows["stop_step"] if finite_count([v])]
    if not shares:
        return E.Precondition("converged", False, "no kept checkpoint and round length measured")
    return E.converged(max(shares))


def converged(run: Run, dataset: str, methods, levels=None, measures=("natural",)) -> E.Precondition:
    """``converged`` over the compared models: where the run has a step sweep of a method
    (``studies.lth.step_budgets``), the claim's ``measures`` of it at the ``levels`` must have
    stopped moving between the sweep's last two budgets (:func:`settled_pre`, issue 33: a claim judged
    where its quantity has stopped moving); the other methods' kept checkpoints must be before the
    last 10 % of their rounds (:func:`checkpoint_pre`), with "no step sweep in this run" (or of which
    methods) said. Met when both parts are."""
    methods = list(methods)
    swept = [m for m in methods if len(swept_rows(run, dataset, m))]
    rest = [m for m in methods if m not in swept]
    parts = [settled_pre(run, dataset, swept, levels, measures)] if swept else []
    if rest or not swept:
        check = checkpoint_pre(run, dataset, rest, levels)
        note = "; no step sweep in this run" if run.sweep is None else \
            f"; no step sweep of {', '.join(rest)} in this run" if rest else ""
        parts.append(E.Precondition(check.name, check.met, check.value + note))
    return E.Precondition("converged", all(p.met for p in parts), "; ".join(p.value for p in parts))


def worst(pairs: list[tuple[dict, dict]]) -> tuple[dict, dict]:
    """Per unit, the pair (a, b) of the smallest ``a - b`` among the cases ``pairs``
    (each ``({unit: a}, {unit: b})``): the claim "at every level" judged where it is closest to failing."""
    a, b = {}, {}
    for xa, xb in pairs:
        for u in set(xa) & set(xb):
            if finite_count([xa[u]]) and finite_count([xb[u]]) and (u not in a or xa[u] - xb[u] < a[u] - b[u]):
                a[u], b[u] = float(xa[u]), float(xb[u])
    return a, b
