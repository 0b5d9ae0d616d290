"""A training-length sweep's records: one home for their format, writer and reader.

A step sweep (``studies.<study>.step_budgets``: method -> step budgets) trains a method again at
each budget (train job ``natural-init@steps=2016``: rounds of at most that many optimizer steps,
:func:`holistic.jobs.train.run_params`) and measures it as the method's own job. Its records are
every model of each swept method's own job and budget jobs, one row per measure, with the job's
steps a round: each measured quantity as a function of training length. Stage ``sweep`` writes
them (``results/<study>/sweep/models.csv``, :func:`sweep_rows`), draws each quantity's mean against
steps (:mod:`holistic.render.sweep`), and a study's claims read them for their ``converged``
precondition (:func:`holistic.fidelity.engine.settled`).

Format (CSV, header first, columns :data:`COLUMNS`), one row per model and measure::

    dataset,method,job,steps,config_id,split,round,kept_percent,measure,eps,value
    mnist,natural-init,natural-init@steps=2016,2016,0,1,3,51.28,pgd,0.3,12.5

``method``: the study's method; ``job``: the train job's method name (the method itself, the
run's own length, or one of its budgets); ``steps``: optimizer steps a round of that job (its
train log's ``steps``, all rounds, over its number of rounds); ``config_id``, ``split`` and, for a
round model (``holistic.methods.ModelSpec``), ``round`` and ``kept_percent`` name the model as
its eval file does (empty where a model has none); ``measure``: ``natural`` (clean test
accuracy), an attack's name (its test accuracy at radius ``eps``) or ``stop_step`` (a round
model's early-stopping iteration); ``value``: percent, or steps for ``stop_step``. One job per
(data set, method, steps): a budget whose rounds come out as long as the method's own job's
repeats it and is left out.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Callable, Iterable

from ..errors import DataError
from ..methods import ROUND_FIELDS, base_method
from .evals import eps_key, tidy_rows
from .train_log import load_logs

if TYPE_CHECKING:
    import pandas as pd

    from .declared import Declared

#: The columns of the sweep's records, in order.
COLUMNS = ["dataset", "method", "job", "steps", "config_id", "split", "round", "kept_percent", "measure", "eps",
           "value"]
#: The measure of a round model's early-stopping iteration (steps, not a percentage).
STOP_STEP = "stop_step"
#: The measure of the clean test accuracy.
NATURAL = "natural"


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def sweep_rows(evals: Iterable[str | os.PathLike], logs: Iterable[str | os.PathLike],
               declared: Declared | None = None) -> pd.DataFrame:
    """The records (:data:`COLUMNS`) of the sweep's eval files and train logs (each job's both;
    checked against ``declared`` when given), rows in the files' order. DataError naming the job
    whose train log is missing."""
    import pandas as pd

    tidy = tidy_rows(evals, fields=ROUND_FIELDS, declared=declared)
    logged = load_logs(logs, declared=declared)
    total = {(r.dataset, r.method): int(r.steps) for r in logged.itertuples()}
    steps = {}
    for (dataset, job), models in tidy.groupby(["dataset", "method"], sort=False):
        if (dataset, job) not in total:
            raise DataError(f"step sweep: no train log of job {job!r} on {dataset!r} among the logs given")
        rounds = models["round"].dropna().nunique()
        steps[(dataset, job)] = total[(dataset, job)] // max(1, rounds)
    acc = tidy[(tidy["metric"] == "accuracy") & (tidy["part"] == "test")]
    rows = acc.assign(measure=acc["attack"].where(acc["attack"] != "none", NATURAL))
    models = tidy.drop_duplicates(["dataset", "method", "config_id", "split", "round"])
    stops = models[models["stop_step"].map(lambda v: not _missing(v))]
    stops = stops.assign(measure=STOP_STEP, eps=None, value=stops["stop_step"])
    out = pd.concat([rows, stops], ignore_index=True) if len(stops) else rows.reset_index(drop=True)
    out = out.assign(job=out["method"], method=out["method"].map(base_method),
                     steps=[steps[(d, j)] for d, j in zip(out["dataset"], out["method"])])
    # one job per (data set, method, steps): the method's own job first, so a repeating budget goes
    own = {(d, m): steps[(d, m)] for d, m in steps if base_method(m) == m}
    repeat = [j != m and own.get((d, m)) == s for d, m, j, s in zip(out["dataset"], out["method"], out["job"],
                                                                    out["steps"])]
    return out[[not r for r in repeat]][COLUMNS].reset_index(drop=True)


def write_sweep(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    """The records as CSV (:data:`COLUMNS`), written atomically."""
    from ..io import write_text
    from ..render.tables import frame_csv

    write_text(path, frame_csv(frame[COLUMNS], decimals=None))


def read_sweep(path: str | os.PathLike) -> pd.DataFrame:
    """The records of ``path`` (:data:`COLUMNS`; DataError naming the file where one is missing)."""
    import pandas as pd

    frame = pd.read_csv(path)
    missing = [c for c in COLUMNS if c not in frame]
    if missing:
        raise DataError(f"{path}: not a step sweep's records: no column(s) {', '.join(missing)}")
    return frame


def mean_steps(frame: pd.DataFrame, eps_of: Callable[[str], float]) -> pd.DataFrame:
    """The figure's data: per data set, method, measure (the clean accuracy and each attack's at the
    data set's radius ``eps_of(dataset)``; no ``stop_step``), level (``round``, ``kept_percent``;
    empty for a method without rounds) and steps, the mean ``value`` over the models and their
    number ``models``, in order of first appearance, steps ascending."""
    keep = [m != STOP_STEP and (m == NATURAL or (not _missing(e) and eps_key(e) == eps_key(eps_of(d))))
            for d, m, e in zip(frame["dataset"], frame["measure"], frame["eps"])]
    keys = ["dataset", "method", "measure", "eps", "round", "kept_percent", "steps"]
    means = (frame[keep].groupby(keys, sort=False, dropna=False)["value"]
             .agg(value="mean", models="size").reset_index())
    line = means.groupby(keys[:-1], sort=False, dropna=False).ngroup()
    return means.assign(line=line).sort_values(["line", "steps"], kind="mergesort") \
        .drop(columns="line").reset_index(drop=True)


__all__ = ["COLUMNS", "STOP_STEP", "NATURAL", "sweep_rows", "write_sweep", "read_sweep", "mean_steps"]
