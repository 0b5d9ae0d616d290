"""A tiny real run of study guo through the job layer (train job, attack job on the saved model
file, the study's report): the binary linear model through all 16 progressive prunes (the exact
2-of-784 end point), a LeNet-300-100 with 2 prunes and two activation-L1 methods on a small
28 x 28 image set; every round's model measured (FGS, rFGS, DeepFool, C&W)."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from holistic.config import deep_merge, load_params
from holistic.data.registry import get
from holistic.data.stacked import stack_pixels
from holistic.jobs import attack as attack_job
from holistic.io import write_json
from holistic.jobs import train as job
from holistic.records.train_log import log_record
from holistic.studies import STUDIES
from holistic.fidelity.engine import COLUMNS, NOT_TESTABLE
from holistic.studies.guo.levels import load_levels, summarize
from holistic.studies.guo.report import OUTPUTS, write_report

ROOT = Path(__file__).resolve().parents[3]
LOGS: list[Path] = []
TINY = {"train": {"epochs": 1, "batch_size": 16},
        "attack": {"eps": [0.1], "cw": {"steps": 20, "search_steps": 2}, "deepfool": {"steps": 10}}}


def images(k: int, n=100, seed=0):
    """k classes of 28 x 28 pixel images (class c brightens rows 7c..7c+6), 2 splits, 20 test points."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    X = rng.uniform(0, 0.4, size=(n, 1, 28, 28))
    for c in range(k):
        X[y == c, :, 7 * c:7 * c + 7] += 0.5
    pixels = np.round(255 * np.clip(X, 0, 1)).astype(np.uint8)
    idx = np.arange(n)
    return stack_pixels(pixels, y, {"test": idx[:20], "train": np.stack([idx[20:84], idx[36:100]]),
                                    "val": np.stack([idx[84:], idx[20:36]])})


def run(tmp_path, params, dataset, method_name, data, prunes=None):
    p = deep_merge(params, {"train": {"progressive": {"prunes": prunes}}}) if prunes is not None else params
    method = STUDIES["guo"].method(method_name, p)
    result, specs = job.run(p, method, data, label=method_name, log=None)
    meta = {"study": "guo", "dataset": dataset, "method": method_name, "model": method.model}
    model = tmp_path / f"{dataset}-{method_name}.safetensors"
    job.save_trained(model, result, specs, meta)
    ev = tmp_path / "eval" / dataset / f"{method_name}.json"
    ev.parent.mkdir(parents=True, exist_ok=True)
    attack_job.run(p, get(dataset), data, model, ev, log=None)
    log = tmp_path / "train" / dataset / f"{method_name}.json"
    log.parent.mkdir(parents=True, exist_ok=True)
    write_json(log, log_record(dataset, method_name, len(specs), result.steps, result.seconds, [0] * len(specs),
                               [0.0] * len(specs)))
    LOGS.append(log)
    return result, ev, specs


def test_study_through_the_jobs_gives_per_round_robustness_and_the_report(tmp_path):
    params = deep_merge(load_params([ROOT / "params.yaml", ROOT / "workflow/profiles/guo/params.yaml"]), TINY)
    binary, ten = images(2), images(4)
    result, ev_linear, specs = run(tmp_path, params, "mnist-1v7", "linear", binary, prunes=16)
    # Sec. 4.1: 16 rounds of floor(n/3) leave 2 of the binary model's 784 weights (99.745 % sparsity)
    w = result.rounds[-1]["params"]["linear.weight"]
    assert len(result.rounds) == 17 and ((w != 0).flatten(1).sum(dim=1) == 2).all()
    evals = [ev_linear, run(tmp_path, params, "mnist", "lenet300", ten, prunes=2)[1]]
    evals += [run(tmp_path, params, "mnist", m, ten)[1] for m in ("lenet300-l1-none", "lenet300-l1-mid")]

    levels = load_levels(evals)
    lin = levels[levels["method"] == "linear"]
    assert sorted(set(lin["round"])) == list(range(17)) and len(lin) == 34
    assert math.isclose(lin.loc[lin["round"] == 16, "sparsity"].iat[0], 100 * 782 / 784)
    for attack in ("fgsm", "rfgsm"):  # r_inf: an accuracy under attack never above the benign one
        assert (levels["natural"] >= levels[f"r_inf:{attack}@0.1"]).all()
    # eq. (1) on the binary linear model, every round: r_inf at x - eps y sign(w) (no box) keeps the correct
    # points of |w.x + b| / ||w||_1 > eps; r_2 = the mean over all test points of 1[correct] |w.x + b| / ||w||_2
    X = binary.X_test.flatten(2).double()
    for r, rec in enumerate(result.rounds):
        for g, spec in enumerate(specs):
            w, b = rec["params"]["linear.weight"][g, 0].double(), rec["params"]["linear.bias"][g, 0].double()
            m = X[spec.split] @ w + b
            correct = (m > 0).long() == binary.y_test[spec.split]
            row = lin[(lin["round"] == r) & (lin["split"] == spec.split)].iloc[0]
            assert row["r2:deepfool"] == pytest.approx(float((correct * m.abs()).sum() / w.norm()) / len(m), rel=1e-4)
            robust = correct & (m.abs() / w.abs().sum() > 0.1)
            assert row["r_inf:fgsm-nobox@0.1"] == pytest.approx(float(robust.double().mean()), abs=1e-9)
    net = summarize(levels).query("method == 'lenet300'").set_index("round")["kept_percent"]
    assert net[0] == 100.0 and net[0] > net[1] > net[2]
    l1 = levels[levels["method"].str.contains("-l1-")]
    assert (l1["round"] == 0).all()

    params["train"]["progressive"]["prunes"] = 16
    write_report(params, list(STUDIES["guo"].methods), evals, LOGS, tmp_path / "guo" / "levels",
                 tmp_path / "guo" / "claims.csv", tmp_path / "guo" / "fidelity.md")
    assert all((tmp_path / "guo" / "levels" / f).stat().st_size > 0 for f in OUTPUTS)
    claims = pd.read_csv(tmp_path / "guo" / "claims.csv", keep_default_na=False)
    assert list(claims.columns) == COLUMNS and set(claims["study"]) == {"guo"}
    linear = claims[(claims["dataset"] == "mnist-1v7") & claims["key"].str.startswith("G1")]
    assert len(linear) == 3 and linear["preconditions"].str.startswith("measured: ").all()
    assert (linear["verdict"] == NOT_TESTABLE).all() and linear["reason"].str.contains("n = 2 references").all()
    assert linear["preconditions"].str.contains("(met)", regex=False).all()  # measured: both rounds are there
    assert linear["departures"].str.contains("reference models 2 (paper 10)", regex=False).all()
    levels_md = (tmp_path / "guo" / "levels" / "levels.md").read_text()
    assert "Departs from the paper (Sec. 4.1-4.2)" in levels_md and "| DeepFool failed |" in levels_md
    assert "| r_inf FGS (eps 0.1) | r_inf rFGS (eps 0.1) | r_inf FGS clipped (eps 0.1) |" in levels_md
    assert "Each round's model: its last weights (no early stopping), as the paper." in levels_md
    assert "Each net: its epoch of best validation accuracy (early stopping) (paper: its last weights" in levels_md
    assert "no early stopping, as the paper)" not in levels_md  # the typed sentence, wrong for Table 1
    fidelity = (tmp_path / "guo" / "fidelity.md").read_text()
    assert "| Table 1 |" in fidelity and "| G1-rinf | mnist-1v7 |" in fidelity
