"""A tiny real run of study sparsevlr through the job layer on the `sparsevlr` profile's settings:
the dense certified cnn_4layer and its naturally trained twin, then PM (pruned, no retraining) and
PM^T from its model file (the dependency the workflow wires), and RSM^T from scratch (a per-layer
seed, a prune every 2 optimizer steps); every model measured (PGD, IBP- and CROWN-verified), then
the study's report. Checks: PM is the dense model pruned, the sparse procedures' per-prune and
per-epoch logs and the dense models' histograms reach the train log and the report's traces,
every model's errors are measured, the outputs (the claims in the engine's format, with the
departures, and not testable on one split)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from conftest import blobs
from holistic.checkpoint import load_models
from holistic.config import deep_merge, load_params
from holistic.data.registry import get
from holistic.data.stacked import stack_splits
from holistic.io import write_json
from holistic.jobs import attack as attack_job
from holistic.jobs import train as job
from holistic.records.train_log import log_record
from holistic.studies import STUDIES
from holistic.fidelity.engine import COLUMNS, NOT_TESTABLE
from holistic.studies.sparsevlr.claims import CLAIMS
from holistic.studies.sparsevlr.protocol import evaluation_eps
from holistic.studies.sparsevlr.report import OUTPUTS, write_report
from holistic.studies.sparsevlr.results import load_traces, model_errors

ROOT = Path(__file__).resolve().parents[3]
TINY = {"train": {"epochs": 2, "batch_size": 16, "grid": {"lr": [0.0005], "target_sparsity": [99]},
                  "certified": {"start": 1, "length": 1}, "dynamic_sparse": {"prune_every_steps": 2}},
        "attack": {"pgd_steps": 5, "verify": ["ibp", "crown"]}}
METHODS = ("dense", "dense-natural", "PM", "PM-T", "RSM-T")


def images(n=72, k=3):
    """28 x 28 one-channel blobs (cnn_4layer needs H, W divisible by 4); 6 test points (CROWN: ~3 points/s)."""
    X, y = blobs(n, 784, k)
    idx = np.arange(n)
    pixels = np.round(255 * np.clip(X, 0, 1)).astype(np.uint8).reshape(n, 1, 28, 28)
    return stack_splits(pixels, y, {"test": idx[:6], "train": idx[None, 6:54], "val": idx[None, 54:]}, "minmax")


def test_dense_then_pruned_methods_through_the_jobs_and_the_report(tmp_path):
    params = deep_merge(load_params([ROOT / "params.yaml", ROOT / "workflow/profiles/sparsevlr/params.yaml"]), TINY)
    data = images()
    evals, logs = [], []
    for name in METHODS:
        method = STUDIES["sparsevlr"].method(name, params)
        source = STUDIES["sparsevlr"].sources.get(name)
        result, specs = job.run(params, method, data, label=name, log=None,
                                source=None if source is None else tmp_path / f"{source}.safetensors")
        meta = {"study": "sparsevlr", "dataset": "mnist", "method": name, "model": method.model}
        job.save_trained(tmp_path / f"{name}.safetensors", result, specs, meta)
        attack_job.run(params, get("mnist"), data, tmp_path / f"{name}.safetensors", tmp_path / f"{name}.json", log=None)
        write_json(tmp_path / f"{name}.log.json",
                   log_record("mnist", name, len(specs), result.steps, result.seconds, result.best_epoch.tolist(),
                              result.best_val_accuracy.tolist(),
                              trace={k: v for k, v in result.extra.items() if k.startswith("sparse_")}))
        evals.append(tmp_path / f"{name}.json")
        logs.append(tmp_path / f"{name}.log.json")

    dense, pm = (load_models(tmp_path / f"{m}.safetensors")[0] for m in ("dense", "PM"))
    weights = [n for n in dense if n.endswith("weight")]
    kept = sum(int((pm[n] != 0).sum()) for n in weights) / sum(dense[n].numel() for n in weights)
    assert abs(kept - 0.01) < 1e-3  # 99 % of the prunable weights zeroed, by global magnitude
    assert all(torch.equal(pm[n][pm[n] != 0], dense[n][pm[n] != 0]) for n in dense)  # the rest: the dense model's
    assert json.loads((tmp_path / "PM.log.json").read_text())["steps"] == 0  # no retraining
    trace = json.loads((tmp_path / "RSM-T.log.json").read_text())["trace"]
    # the logs reach the train log (their values: tests/procedures/test_dynamic_sparse.py): 48 rows at batch 16,
    # 3 steps an epoch, 2 epochs: prunes after steps 2, 4 and 6 (epochs 0, 1, 1); the dense models' histograms
    assert len(trace["sparse_gradient_flow"]) == 2 and len(trace["sparse_state_changes"]) == 3
    assert trace["sparse_prune_epoch"] == [0, 1, 1]
    for name in ("dense", "dense-natural"):
        assert len(json.loads((tmp_path / f"{name}.log.json").read_text())["trace"]["sparse_weight_histogram"]) == 2
    traces = load_traces(evals, logs)
    rsm = traces[(traces["method"] == "RSM-T") & (traces["epoch"] == 1)]
    assert float(rsm["state_changes"].iat[0]) == sum(row[0] for row in trace["sparse_state_changes"][1:])
    assert set(traces.loc[traces["method"] == "dense-natural", "epoch"]) == {0, 1}  # no seed row

    models = model_errors(evals, evaluation_eps(params))
    assert len(models) == 5 and models[["standard", "pgd", "ibp", "crown"]].notna().all().all()
    assert (models["chance"] == 10.0).all() and (models["lr"] == 0.0005).all()

    out = tmp_path / "report"
    write_report(params, list(STUDIES["sparsevlr"].methods), evals, logs, out, tmp_path / "claims.csv",
                 tmp_path / "fidelity.md")
    assert all((out / f).stat().st_size > 0 for f in OUTPUTS)
    claims = pd.read_csv(tmp_path / "claims.csv", keep_default_na=False)
    assert list(claims.columns) == COLUMNS and list(claims["key"]) == [c.key for c in CLAIMS]
    assert set(claims["verdict"]) == {NOT_TESTABLE}  # one split: no claim is judged on it
    assert claims["departures"].str.contains("seeds 1 (paper 5)", regex=False).all()
    assert claims["departures"].str.contains("lr 0.0005 (paper 0.0001)", regex=False).all()
    tables = (out / "tables.md").read_text()
    assert "Departs from the paper (App. A)" in tables and "training bound IBP (paper CROWN-IBP)" in tables
    assert "| IBP (RSM^T) |" in tables and "| CROWN-IBP (RSM^T) |" not in tables  # Table 6's row as trained
    assert {"V1-99", "V7"} <= set(claims["key"])
    assert "| V4 | mnist |" in (tmp_path / "fidelity.md").read_text()
