"""A tiny real run of study lth through the job layer (train job, then the attack job on the
saved model file): one PGD-AT method, 2 prunes, 1 epoch a round, two splits of a small image set;
every round's model measured, with its P_m, and natural accuracy >= PGD accuracy."""

from pathlib import Path

import numpy as np

from conftest import blobs
from holistic.config import deep_merge, load_params
from holistic.data.registry import get
from holistic.data.stacked import stack_splits
from holistic.jobs import attack as attack_job
from holistic.jobs import train as job
from holistic.studies import STUDIES
from holistic.studies.lth.levels import load_levels, summarize

ROOT = Path(__file__).resolve().parents[3]
TINY = {"train": {"epochs": 1, "batch_size": 16, "imp": {"prunes": 2}}, "attack": {"pgd_steps": 3}}


def images(n=120, k=3):
    X, y = blobs(n, 36, k)
    idx = np.arange(n)
    pixels = np.round(255 * np.clip(X, 0, 1)).astype(np.uint8).reshape(n, 1, 6, 6)
    return stack_splits(pixels, y, {"test": idx[:24], "train": np.stack([idx[24:88], idx[56:120]]),
                                    "val": np.stack([idx[88:], idx[24:56]])}, "minmax")


def test_one_method_through_the_train_and_attack_jobs_gives_per_round_rows(tmp_path):
    params = deep_merge(load_params([ROOT / "params.yaml", ROOT / "workflow/profiles/lth/params.yaml"]), TINY)
    method = STUDIES["lth"].method("PGD-init", params)
    data = images()
    result, specs = job.run(params, method, data, label="lth/PGD-init", log=None)
    assert len(result.rounds) == 3 and len(specs) == 2
    meta = {"study": "lth", "dataset": "mnist", "method": "PGD-init", "model": method.model}
    job.save_trained(tmp_path / "m.safetensors", result, specs, meta)
    attack_job.run(params, get("mnist"), data, tmp_path / "m.safetensors", tmp_path / "e.json", log=None)
    levels = load_levels([tmp_path / "e.json"])
    assert sorted(levels["round"]) == [0, 0, 1, 1, 2, 2]
    assert (levels["natural"] >= levels["pgd"]).all() and (levels["natural"] >= levels["fgsm"]).all()
    kept = summarize(levels).set_index("round")["kept_percent"]
    assert kept[0] == 100.0 and kept[0] > kept[1] > kept[2]
    assert (levels["stop_step"] >= 4).all()  # one epoch of 4 steps (64 rows, batch 16)
