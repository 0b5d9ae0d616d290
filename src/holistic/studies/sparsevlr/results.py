"""Per model: standard, PGD and verified error (percent, test points), from the train jobs'
eval files; per (method, p): their mean and spread over the seeds (splits); and the sparse
procedures' per-epoch logs (gradient flow, state changes, weight histograms) from the train logs.

Errors are ``100 - accuracy``: standard (clean), PGD (the attack ``pgd`` at the table radius,
PGD-200 in the study's profiles), verified by IBP (``ibp``, as the paper) and by CROWN
(``crown``), verified on every test point; a model's row is NaN where its eval file has no such
measurement. natural >= PGD >= verified accuracy is the platform's invariant
(:mod:`holistic.fidelity.invariants`), checked on every model there, not here.
"""

from __future__ import annotations

import json
import math

import pandas as pd

from ...records.evals import eps_key, load_eval, measurements, over_splits

#: Error columns: (metric, attack) of the eval rows they come from.
ERRORS = {"standard": ("accuracy", "none"), "pgd": ("accuracy", "pgd"),
          "ibp": ("verified_accuracy", "ibp"), "crown": ("verified_accuracy", "crown")}
MODEL_COLUMNS = ["dataset", "method", "sparsity", "split", "lr", *ERRORS, "measured_sparsity", "chance"]
KEYS = ["dataset", "method", "sparsity"]


def _at(m: dict, metric: str, attack: str, eps: float | None, part: str = "test") -> float:
    for (mt, at, e, pt), v in m.items():
        if (mt, at, pt) == (metric, attack, part) and (eps is None or (e is not None and eps_key(e) == eps_key(eps))):
            return float(v)
    return math.nan


def model_errors(evals, eps: float) -> pd.DataFrame:
    """One row per model (:data:`MODEL_COLUMNS`): p (``target_sparsity``, 0 for dense), its
    learning rate, the four errors at ``eps``, the share of zero weights the eval measured and
    the accuracy of chance (``100 / k``, percent)."""
    rows = []
    for path in evals:
        ev = load_eval(path)
        for i, model in enumerate(ev["models"]):
            m = measurements(model, str(path), f"models[{i}]")
            row = {"dataset": ev["dataset"], "method": ev["method"],
                   "sparsity": float(model["config"].get("target_sparsity", 0.0)), "split": int(model["split"]),
                   "lr": float(model["config"].get("lr", math.nan)),
                   "chance": 100.0 / int(ev["info"]["k"]) if (ev.get("info") or {}).get("k") else math.nan}
            for name, (metric, attack) in ERRORS.items():
                row[name] = 100.0 - _at(m, metric, attack, None if attack == "none" else eps)
            row["measured_sparsity"] = _at(m, "sparsity", "none", None, "model")
            rows.append(row)
    return pd.DataFrame(rows, columns=MODEL_COLUMNS)


def summarize(models: pd.DataFrame) -> pd.DataFrame:
    """Per (data set, method, p): n models, mean and sample sd (NaN for n = 1) of every error."""
    return over_splits(models, KEYS, ERRORS)


def row(summary: pd.DataFrame, dataset: str, method: str, sparsity: float) -> pd.Series | None:
    rows = summary[(summary["dataset"] == dataset) & (summary["method"] == method) & (summary["sparsity"] == sparsity)]
    return None if rows.empty else rows.iloc[0]


#: The prune logs (row column, trace key): one entry a prune.
PRUNE_LOGS = (("state_changes", "sparse_state_changes"), ("active_before_prune", "sparse_active_before_prune"))


def prune_values(trace: dict, epoch: int, g: int) -> dict[str, float]:
    """Model g's prune logs of ``epoch``: its one prune (after every epoch, the default cadence),
    or, with ``sparse_prune_epoch`` (``train.dynamic_sparse.prune_every_steps``), the state changes
    summed over the prunes that fell in the epoch and the last one's active count; NaN where the
    trace has no such log or no prune fell in the epoch."""
    at = trace.get("sparse_prune_epoch")
    out = {}
    for name, key in PRUNE_LOGS:
        values = [] if key not in trace else [trace[key][epoch][g]] if at is None else \
            [row[g] for row, e in zip(trace[key], at) if e == epoch]
        out[name] = math.nan if not values else sum(values) if name == "state_changes" else values[-1]
    return out


def load_traces(evals, logs) -> pd.DataFrame:
    """The per-epoch logs of the sparse procedures (and of ``single_traced``: the histogram alone),
    one row per (data set, method, p, split, epoch): ``gradient_flow`` (mean L1 norm of the step
    gradients), ``state_changes`` (weights switching between active and dormant at the epoch's
    prunes, :func:`prune_values`; NaN for the static mask), ``active_before_prune`` and
    ``histogram`` (the magnitude histogram after the epoch, ``holistic.procedures.sparse_trace``);
    epoch -1 holds the seed's histogram (a seeded procedure's). Models are matched to their eval
    file's models by position (both in the job's grid order)."""
    specs = {}
    for path in evals:
        ev = load_eval(path)
        specs[(ev["dataset"], ev["method"])] = [(float(m["config"].get("target_sparsity", 0.0)), int(m["split"]))
                                                 for m in ev["models"]]
    rows = []
    for path in logs:
        with open(path) as f:
            log = json.load(f)
        trace = log.get("trace") or {}
        models = specs.get((log["dataset"], log["method"]))
        if not trace or models is None:
            continue
        base = {"dataset": log["dataset"], "method": log["method"]}
        for g, (p, split) in enumerate(models):
            if "sparse_seed_histogram" in trace:
                rows.append({**base, "sparsity": p, "split": split, "epoch": -1,
                             "histogram": trace["sparse_seed_histogram"][g]})
            for e, hist in enumerate(trace.get("sparse_weight_histogram", [])):
                flow = trace["sparse_gradient_flow"][e][g] if "sparse_gradient_flow" in trace else math.nan
                rows.append({**base, "sparsity": p, "split": split, "epoch": e, "histogram": hist[g],
                             "gradient_flow": flow, **prune_values(trace, e, g)})
    cols = ["dataset", "method", "sparsity", "split", "epoch", "gradient_flow", "state_changes",
            "active_before_prune", "histogram"]
    return pd.DataFrame(rows, columns=cols)
