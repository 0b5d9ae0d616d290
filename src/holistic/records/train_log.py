"""The training log of one (data set, method) job: one home for its format and reader.

Format (JSON object, written atomically by the ``train`` stage)::

    {"dataset": "iris", "method": "HDL", "models": 8, "steps": 1200, "seconds": 30.5,
     "seconds_per_batch": 0.0254, "best_epoch": [...], "best_val_accuracy": [...],
     "eval_seconds": 12.1}

``models``: number of models of the grid, trained together in one vectorised batch;
``steps``: optimizer steps per model, all rounds included (0 for a method that only prunes); ``seconds``: wall time of the
whole grid; ``seconds_per_batch``: ``seconds / steps``, the time of one vectorised step
of all ``models`` models; ``best_epoch`` and ``best_val_accuracy``: per model, the epoch
kept and its validation accuracy; ``eval_seconds``: wall time of the attack suite on the saved
models (the same job measures them; null in logs written before). The reader checks the first six fields (the ones the
timing analyses use) and names the file and field of anything missing or malformed; where
they are given, ``best_epoch`` (one integer >= 0 per model), ``best_val_accuracy`` (one share
in [0, 1] per model) and ``eval_seconds`` (>= 0); and with the run's declarations
(:class:`holistic.records.declared.Declared`) ``models``, the size of the job's grid.
"""

from __future__ import annotations

import json
import math
import os
from typing import TYPE_CHECKING, Iterable, Sequence

from ..errors import DataError, RecordError

if TYPE_CHECKING:  # the train job writes these records and never needs the run's declarations
    from .declared import Declared

#: Every field of a training log, in the order above.
FIELDS = ("dataset", "method", "models", "steps", "seconds", "seconds_per_batch",
          "best_epoch", "best_val_accuracy", "eval_seconds")
#: The fields :func:`parse_log` checks and :func:`load_logs` returns, as frame columns.
LOG_COLUMNS = list(FIELDS[:6])


def parse_log(log, source: str = "<log>", methods: Sequence[str] | None = None,
              declared: Declared | None = None) -> dict:
    """Validate one training log dict (a method outside ``methods``, the study's, is an
    error; None: any; with ``declared``, ``models`` must be the job's grid size); return its
    :data:`LOG_COLUMNS`. DataError naming ``source`` and the field (and the model, for a
    per-model field)."""
    if not isinstance(log, dict):
        raise DataError(f"{source}: top level must be a JSON object")
    out = {}
    for f in ("dataset", "method"):
        if not isinstance(log.get(f), str) or not log[f]:
            raise DataError(f"{source}: field '{f}' missing or not a non-empty string")
        out[f] = log[f]
    if methods is not None and out["method"] not in methods:
        raise DataError(f"{source}: field 'method' is {out['method']!r}, not one of "
                        f"{', '.join(methods)}")
    for f, low in (("models", 1), ("steps", 0)):  # steps 0: a method that only prunes (SparseVLR's PM)
        v = log.get(f)
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise DataError(f"{source}: field '{f}' must be an integer >= {low}, got {v!r}")
        out[f] = v
    for f in ("seconds", "seconds_per_batch"):
        v = log.get(f)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            raise DataError(f"{source}: field '{f}' must be a positive finite number, got {v!r}")
        out[f] = float(v)
    if declared is not None and declared.has_grid:
        try:
            want = declared.n_models(out["dataset"], out["method"])
        except ValueError as exc:
            raise RecordError(f"{source}: field 'method': {exc}") from None
        if out["models"] != want:
            raise RecordError(f"{source}: field 'models': {out['models']}, but the grid of {out['method']} on "
                              f"{out['dataset']} has {want} models (configurations x splits)")
    v = log.get("eval_seconds")
    if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0):
        raise RecordError(f"{source}: field 'eval_seconds': must be null or a finite number >= 0, got {v!r}")
    for f in ("best_epoch", "best_val_accuracy"):
        _per_model(log, f, out, source, declared)
    return out


def _per_model(log: dict, f: str, out: dict, source: str, declared: Declared | None) -> None:
    """A per-model field where given: a list of one value per model, ``best_epoch`` integers >= 0,
    ``best_val_accuracy`` shares in [0, 1]; RecordError naming the model (its index in the job's
    grid; with ``declared``, its configuration and split) and the field."""
    values = log.get(f)
    if values is None:
        return
    if not isinstance(values, list) or len(values) != out["models"]:
        got = f"{len(values)} values" if isinstance(values, list) else repr(values)
        raise RecordError(f"{source}: field '{f}': must be a list of one value per model ({out['models']}), got {got}")
    n_splits = None
    if declared is not None and declared.has_grid:
        n_splits = declared.n_splits(out["dataset"])
    for g, v in enumerate(values):
        if f == "best_epoch":
            bad = isinstance(v, bool) or not isinstance(v, int) or v < 0
            want = "an integer >= 0"
        else:
            bad = isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not 0 <= v <= 1
            want = "a share in [0, 1]"
        if bad:
            name = f"{out['method']} " + (f"config {g // n_splits} split {g % n_splits}" if n_splits
                                          else f"#{g}")
            raise RecordError(f"{source}: model {name}: field '{f}[{g}]': must be {want}, got {v!r}")


def load_logs(paths: Iterable[str | os.PathLike],
              methods: Sequence[str] | None = None, declared: Declared | None = None) -> "pd.DataFrame":
    """Training logs as a frame (columns :data:`LOG_COLUMNS`) sorted by data set, then method
    in the order of ``methods`` (None: order of first appearance). DataError naming the
    file for a missing or invalid log (:func:`parse_log`, with ``declared``) or a (data set,
    method) given twice."""
    import pandas as pd  # here, not at the top: the train job writes logs, and pays no pandas import

    from ..render.tables import ordered

    rows, seen = [], {}
    for path in paths:
        src = str(path)
        try:
            with open(path) as f:
                log = json.load(f)
        except FileNotFoundError:
            raise DataError(f"{src}: training log not found") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"{src}: not valid JSON: {exc}") from None
        row = parse_log(log, src, methods, declared)
        key = (row["dataset"], row["method"])
        if key in seen:
            raise DataError(f"{src}: data set {key[0]!r}, method {key[1]!r} already given by "
                            f"{seen[key]}")
        seen[key] = src
        rows.append(row)
    if not rows:
        raise DataError("no training logs given")
    df = pd.DataFrame(rows, columns=LOG_COLUMNS)
    first = list(dict.fromkeys(df["method"]))
    order = {m: i for i, m in enumerate(first if methods is None else ordered(first, methods))}
    return df.assign(_o=df["method"].map(order)).sort_values(["dataset", "_o"], kind="mergesort") \
             .drop(columns="_o").reset_index(drop=True)


def log_record(dataset: str, method: str, models: int, steps: int, seconds: float,
               best_epoch: list[int], best_val_accuracy: list[float], eval_seconds: float | None = None,
               trace: dict | None = None) -> dict:
    """A training job's log (:data:`FIELDS`); ``seconds_per_batch`` is derived. ``trace``: the
    procedure's per-epoch logs (e.g. sparse training's ``sparse_*`` entries, per epoch then per
    model), written as field ``trace`` only when given and not empty (other logs are unchanged)."""
    out = {"dataset": dataset, "method": method, "models": models, "steps": steps, "seconds": seconds,
           "seconds_per_batch": seconds / max(steps, 1), "best_epoch": best_epoch,
           "best_val_accuracy": best_val_accuracy, "eval_seconds": eval_seconds}
    if trace:
        out["trace"] = trace
    return out


__all__ = ["FIELDS", "LOG_COLUMNS", "parse_log", "load_logs", "log_record"]
