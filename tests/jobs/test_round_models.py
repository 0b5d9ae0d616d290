"""Per-round models through the train job (a procedure with ``round_results``, e.g. ``imp``):
every round's checkpoint saved in the one model file with its round, kept share and
early-stopping iteration, measured by the attack job round by round; a method without rounds
writes the same grid entries as before."""

import json

import numpy as np
import pytest
import torch

from conftest import blobs
from holistic.checkpoint import load_models
from holistic.data.stacked import stack_splits
from holistic.jobs import attack as attack_job
from holistic.jobs import train as job
from holistic.methods import Method, ModelSpec, model_grid
from holistic.records.evals import flatten_eval, tidy_rows, write_eval
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid

SHAPE = (1, 6, 6)
PARAMS = {"train": {"memory_budget_mb": 64},
          "attack": {"eps": [0.3], "suite": {"pgd": ["val", "test"]}, "adversarial": "pgd",
                     "pgd_steps": 3, "pgd_step_size": 2.5, "verify": [], "seed": 0}}


def images(n=120, k=3):
    X, y = blobs(n, 36, k)
    idx = np.arange(n)
    pixels = np.round(255 * np.clip(X, 0, 1)).astype(np.uint8).reshape(n, *SHAPE)
    return stack_splits(pixels, y, {"test": idx[:24], "train": np.stack([idx[24:88], idx[56:120]]),
                                    "val": np.stack([idx[88:], idx[24:56]])}, "minmax")


@pytest.fixture(scope="module")
def trained():
    method = Method(model="lenet300-nobias", procedure="imp")
    specs = model_grid(method, {"lr": [0.01]}, 2)
    cfg = TrainConfig(epochs=2, batch_size=16, settings={"imp": {"prunes": 2}})
    data = images()
    return data, train_grid(data, method, specs, cfg, log=None), specs


def test_every_round_is_saved_with_its_round_kept_share_and_stop_step(trained, tmp_path):
    data, result, specs = trained
    params, _, extra, out = job.saved_models(result, specs)
    assert [(s.round, s.split) for s in out] == [(r, s) for r in range(3) for s in (0, 1)]
    shares = [s.kept_percent for s in out]
    assert shares[:2] == [100.0, 100.0] and shares[2] > shares[4] and shares[4] < 100.0
    for i, s in enumerate(out):
        rec = result.rounds[s.round]
        assert s.stop_step == int(rec["stop_step"][s.split]) > 0
        assert torch.equal(params["1.weight"][i], rec["params"]["1.weight"][s.split])
    assert extra["val_curve"].shape == (2, 6)
    job.save_trained(tmp_path / "m.safetensors", result, specs, {"model": "lenet300-nobias"})
    loaded, specs2, _ = load_models(tmp_path / "m.safetensors")
    assert specs2 == out and torch.equal(loaded["5.weight"], params["5.weight"])


def test_the_attack_job_measures_every_round_and_the_selection_reads_the_last(trained, tmp_path):
    data, result, specs = trained
    params, _, _, out = job.saved_models(result, specs)
    models = attack_job.measure(PARAMS, "lenet300-nobias", params, out, data)
    assert [(m["round"], m["split"]) for m in models] == [(s.round, s.split) for s in out]
    for m in models:
        acc = {(r["attack"], r["part"]): r["value"] for r in m["rows"] if r["metric"] == "accuracy"}
        assert acc[("none", "test")] >= acc[("pgd", "test")]
    ev = {"study": "x", "dataset": "toy", "method": "m", "adversarial": "pgd", "models": models}
    flat = flatten_eval(ev, 0.3)
    assert len(flat) == 2  # the final round of each split: the method's result
    sparsity = [r["value"] for m in models[-2:] for r in m["rows"] if r["metric"] == "sparsity"]
    assert flat["sparsity"].tolist() == sparsity
    write_eval(tmp_path / "e.json", {k: v for k, v in ev.items() if k != "models"}, models)
    tidy = tidy_rows([tmp_path / "e.json"], fields=("round", "kept_percent", "stop_step"))
    assert sorted(tidy["round"].unique()) == [0, 1, 2]
    assert tidy.groupby("round")["kept_percent"].max().is_monotonic_decreasing


def test_a_method_without_rounds_keeps_its_grid_entries():
    spec = ModelSpec(0, {"lr": 0.01}, 1)
    assert spec.record() == {"config_id": 0, "config": {"lr": 0.01}, "split": 1}
    assert json.dumps(spec.record(), sort_keys=True) == '{"config": {"lr": 0.01}, "config_id": 0, "split": 1}'


def test_fixed_method_settings_win_over_the_params_sections():
    method = Method(procedure="imp", settings=(("imp.reset", "random"), ("adversarial.attack", "fgsm")))
    params = {"train": {"imp": {"prunes": 3, "reset": "init"}}}
    assert job.piece_sections(params, method) == {"imp": {"prunes": 3, "reset": "random"},
                                                  "adversarial": {"attack": "fgsm"}}
    assert params["train"]["imp"]["reset"] == "init"
