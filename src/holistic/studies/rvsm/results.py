"""Per model and per (data set, method, configuration): the measures of Dinh et al.'s tables from
the attack jobs' eval files, mean over the splits.

Measures (test points, percent), at the evaluation radius (:func:`.protocol.evaluation_eps`):
``A1`` clean, ``A2`` FGSM, ``A3`` IFGSM^20, ``A4`` the paper-style weak C&W (``cw-scaled``: its
perturbation scaled by eps; flagged wherever shown), ``cw_r2`` the suite's strong C&W (minimal
L2, r_2) where run, ``pgd`` the suite's PGD where run; for a noise-injected net (En_n) the noise
is off in these, and with the noise on: ``A1_noise``, ``A2_noise``, ``A3_noise``, ``A4_noise`` and
``eot`` (IFGSM^20 on gradients averaged over >= 10 noise draws); ``obfuscation``: EOT lowers the
noisy net's IFGSM^20 accuracy by more than :data:`OBFUSCATION_POINTS`. ``sparsity`` (zero
weights) and ``channel_sparsity`` (input groups of norm < 1e-15), of the prunable layers;
``init_below_gamma``: for RVSM (RGSM) the share of the model's prunable weights (input groups)
already at or below the threshold sqrt(2 lambda / beta) at initialisation, from the train job's
log (:data:`holistic.procedures.rvsm.INIT_KEY`; :func:`init_shares`), beside the final
(channel) sparsity it bounds from below at the first epoch's end.
"""

from __future__ import annotations

import json
import math

import pandas as pd

from ...evaluation.metrics import NOISE_SUFFIX
from ...records.evals import eps_key
from .methods import PRUNINGS, parse

#: The issue's threshold for flagging gradient obfuscation (points of accuracy).
OBFUSCATION_POINTS = 2.0
#: measure -> the attack whose test accuracy it is (None: clean).
ATTACKS = {"A1": "none", "A2": "fgsm", "A3": "ifgsm", "A4": "cw-scaled", "pgd": "pgd",
           "A1_noise": "none" + NOISE_SUFFIX, "A2_noise": "fgsm" + NOISE_SUFFIX, "A3_noise": "ifgsm" + NOISE_SUFFIX,
           "A4_noise": "cw-scaled" + NOISE_SUFFIX, "eot": "eot-ifgsm" + NOISE_SUFFIX}
MEASURES = (*ATTACKS, "cw_r2", "sparsity", "channel_sparsity", "init_below_gamma")
#: The train logs' trace entry of the initial share below gamma (``holistic.procedures.rvsm.INIT_KEY``,
#: not imported: the report pays no torch import).
INIT_KEY = "sparse_init_below_gamma"
#: pruning -> its grid axis shown as the table's setting (the paper's rows).
HYPER = {"RVSM": "rvsm_beta", "RGSM": "rgsm_lambda1", "ADMM": "admm_sparsity", "ADMM-proj": "admm_sparsity",
         "ADMMch": "admm_sparsity", "ADMMch-proj": "admm_sparsity", "ADMM-proj-matched": "rvsm_beta",
         "ADMMch-proj-matched": "rgsm_lambda1"}
KEYS = ["dataset", "method", "network", "pruning", "config_id", "hyper"]


def _at(eps, target: float) -> bool:
    return eps is not None and not (isinstance(eps, float) and math.isnan(eps)) and eps_key(eps) == eps_key(target)


def model_rows(tidy: pd.DataFrame, configs: dict, eps: float, init: dict | None = None) -> pd.DataFrame:
    """One row per model (``KEYS`` + split + :data:`MEASURES`, NaN where not measured) from
    :func:`holistic.records.evals.tidy_rows`; ``configs``: (dataset, method, config_id) -> config;
    ``init``: (dataset, method, config_id, split) -> the initial share below gamma (:func:`init_shares`)."""
    out = {}
    for key, value in (init or {}).items():
        out.setdefault(key, {})["init_below_gamma"] = value
    for r in tidy.itertuples(index=False):
        key = (r.dataset, r.method, r.config_id, r.split)
        row = out.setdefault(key, {})
        if r.metric in ("sparsity", "channel_sparsity"):
            row[r.metric] = r.value
        elif r.metric == "r2" and r.attack == "cw" and r.part == "test":
            row["cw_r2"] = r.value
        elif r.metric == "accuracy" and r.part == "test":
            for m, a in ATTACKS.items():
                if r.attack == a and (a.startswith("none") or _at(r.eps, eps)):
                    row[m] = r.value
    rows = []
    for (dataset, method, config_id, split), vals in out.items():
        net, pruning = parse(method)
        axis = HYPER.get(pruning)
        cfg = configs.get((dataset, method, config_id), {})
        rows.append({"dataset": dataset, "method": method, "network": net, "pruning": pruning,
                     "config_id": config_id, "hyper": float(cfg[axis]) if axis in cfg else float("nan"),
                     "split": split, **{m: vals.get(m, float("nan")) for m in MEASURES}})
    return pd.DataFrame(rows, columns=KEYS + ["split", *MEASURES])


def summarize(models: pd.DataFrame) -> pd.DataFrame:
    """Mean over the splits per (data set, method, configuration), with ``n`` models and the
    gradient-obfuscation flag (``A3_noise - eot > OBFUSCATION_POINTS``; None where EOT did not run)."""
    g = models.groupby(KEYS, dropna=False, sort=False)
    s = g[list(MEASURES)].mean().reset_index()
    s["n"] = g.size().values
    measured = s["A3_noise"].notna() & s["eot"].notna()
    s["obfuscation"] = ((s["A3_noise"] - s["eot"]) > OBFUSCATION_POINTS).where(measured, None)
    order = {p: i for i, p in enumerate(PRUNINGS)}
    return s.assign(_o=s["pruning"].map(order)).sort_values(["dataset", "network", "_o", "hyper"],
                                                             kind="stable").drop(columns="_o").reset_index(drop=True)


def init_shares(evals, logs) -> dict:
    """(dataset, method, config_id, split) -> the share (%) of the model's prunable weights (RGSM:
    input groups) at or below gamma at initialisation, from the train logs' ``trace``
    (:data:`INIT_KEY`: one entry, per model in the job's grid order, matched to the eval file's
    models by position, as both are written)."""
    from ...records.evals import load_eval

    order = {}
    for p in evals:
        ev = load_eval(p)
        order[(ev["dataset"], ev["method"])] = [(int(m["config_id"]), int(m["split"])) for m in ev["models"]]
    out = {}
    for p in logs:
        with open(p) as f:
            log = json.load(f)
        shares = ((log.get("trace") or {}).get(INIT_KEY) or [None])[0]
        models = order.get((log["dataset"], log["method"]))
        if shares is None or models is None:
            continue
        for (config_id, split), share in zip(models, shares):
            out[(log["dataset"], log["method"], config_id, split)] = float(share)
    return out


def configs_of(paths) -> dict:
    """(dataset, method, config_id) -> the grid entry, from the eval files."""
    from ...records.evals import load_eval

    out = {}
    for p in paths:
        ev = load_eval(p)
        for m in ev["models"]:
            out[(ev["dataset"], ev["method"], int(m["config_id"]))] = m.get("config", {})
    return out

