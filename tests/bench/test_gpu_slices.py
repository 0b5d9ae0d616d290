"""The GPU slices of issue 33 (``bench/gpu_lth.py``, ``bench/gpu_guo.py``, driver
``bench/gpu_slices.sh``) and of issue 32 (``bench/gpu_sparsevlr.py``, ``bench/gpu_rvsm.py``) in
smoke mode on the CPU: each runs end to end (probe, plan, training, the attack job's measurement,
the study's levels) and writes its JSON with sane values; the time budget rule cuts the steps a
round where the extrapolation exceeds it. MNIST from the mirror where there is one, else
MNIST-shaped synthetic data. Seconds each."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import gpu_guo  # noqa: E402
import gpu_lth  # noqa: E402
import gpu_rvsm  # noqa: E402
import gpu_sparsevlr  # noqa: E402
from gpu_slices_common import default_mirror, plan  # noqa: E402

DATA = [] if default_mirror() is not None else ["--synthetic"]


def run(module, tmp_path: Path, *extra: str) -> dict:
    out = tmp_path / f"{module.__name__}.json"
    payload = module.main(["--smoke", "--device", "cpu", "--out", str(out), *DATA, *extra])
    on_disk = json.loads(out.read_text())
    assert on_disk["status"] == "done" and on_disk["levels"] == json.loads(json.dumps(payload["levels"]))
    assert out.with_name(out.stem + "_eval.json").is_file()
    for key in ("device", "device_name", "torch", "G", "steps_per_round", "epochs_per_round", "steps_per_epoch",
                "target_steps_per_round", "scaled", "scale_note", "budget_s", "estimate_s", "rows"):
        assert key in on_disk, key
    t = on_disk["timing"]
    assert t["train_s"] > 0 and t["eval_s"] > 0 and t["total_s"] >= t["train_s"]
    assert t["probe"]["step_s"] > 0 and t["probe"]["probe_steps"] >= 1
    assert on_disk["G"] == 2 and on_disk["smoke"] is True
    assert on_disk["steps_per_round"] == on_disk["epochs_per_round"] * on_disk["steps_per_epoch"]
    return on_disk


def test_lth_slice_smoke(tmp_path):
    out = run(gpu_lth, tmp_path)
    assert out["method"] == "PGD-init" and out["model"] == "lenet300-nobias"
    assert out["settings"]["adversarial"]["attack"] == "pgd" and out["settings"]["imp"]["reset"] == "init"
    levels = out["levels"]
    assert [lv["round"] for lv in levels] == [0, 1, 2]  # straight to the paper's 3rd and 8th levels: 2 prunes
    hit = {lv["paper_level"]: lv for lv in levels if lv["paper_level"] is not None}
    assert set(hit) == {100.0, 51.3, 16.9}
    assert abs(hit[51.3]["kept_percent"] - 51.28) < 0.01 and abs(hit[16.9]["kept_percent"] - 16.88) < 0.01
    assert hit[100.0]["paper"] == {"natural": 98.38, "pgd": 45.32}
    assert hit[51.3]["paper"] == {"natural": 98.07, "pgd": 60.14}
    assert hit[16.9]["paper"] == {"natural": 97.73, "pgd": 59.91}
    for lv in levels:
        assert len(lv["trials"]) == 2
        for t in lv["trials"]:
            assert 0 <= t["natural"] <= 100 and 0 <= t["pgd"] <= 100 and t["pgd"] <= t["natural"]
            assert 0 < t["stop_step"] <= out["steps_per_round"]


def test_guo_slice_smoke_scaled_to_its_budget(tmp_path):
    out = run(gpu_guo, tmp_path, "--budget-s", "0.001")
    assert out["method"] == "lenet5" and out["settings"]["progressive"]["rate"] == "1/3"
    assert out["scaled"] and "SCALED DOWN" in out["scale_note"]
    assert out["epochs_per_round"] == 1 and out["steps_per_round"] == out["steps_per_epoch"]
    assert out["target_steps_per_round"] == gpu_guo.SMOKE["steps"]
    levels = out["levels"]
    assert [lv["round"] for lv in levels] == [0, 1, 2]
    for lv, kept in zip(levels, (100.0, 100 * 2 / 3, 100 * 4 / 9)):  # floor(n/3) of each layer a prune
        assert abs(lv["kept_percent"] - kept) < 0.2
        assert len(lv["references"]) == 2
        for r in lv["references"]:
            assert 0 <= r["natural"] <= 1 and 0 <= r["r_inf"] <= 1 and r["r2"] >= 0
    assert levels[0]["paper"]["natural"] == pytest.approx(0.9911) and levels[0]["paper"]["r2"] == pytest.approx(2.7831)


def run_pair(module, tmp_path: Path, *extra: str) -> dict:
    """A two-method slice (issue 32): the combined JSON, and each method's own as :func:`run` checks it."""
    out = tmp_path / f"{module.__name__}.json"
    payload = module.main(["--smoke", "--device", "cpu", "--out", str(out), *DATA, *extra])
    combined = json.loads(out.read_text())
    assert combined["status"] == "done" and combined["levels"] == json.loads(json.dumps(payload["levels"]))
    assert set(combined["methods"]) == set(module.RUN) and combined["smoke"] is True
    for name, tag in module.RUN.items():
        own = out.with_name(f"{out.stem}_{tag}.json")
        assert out.with_name(f"{out.stem}_{tag}_eval.json").is_file()
        on_disk = json.loads(own.read_text())
        assert on_disk["status"] == "done" and on_disk["method"] == name == combined["methods"][name]["method"]
        for key in ("device", "device_name", "torch", "G", "steps_per_round", "epochs_per_round", "steps_per_epoch",
                    "target_steps_per_round", "scaled", "scale_note", "budget_s", "estimate_s", "rows"):
            assert key in on_disk, key
        t = on_disk["timing"]
        assert t["train_s"] > 0 and t["eval_s"] > 0 and t["probe"]["step_s"] > 0
        assert on_disk["G"] == 2
        assert on_disk["steps_per_round"] == on_disk["epochs_per_round"] * on_disk["steps_per_epoch"]
    return combined


def test_sparsevlr_slice_smoke(tmp_path):
    out = run_pair(gpu_sparsevlr, tmp_path)
    dense, rsm = (out["methods"][m] for m in ("dense", "RSM-T"))
    assert dense["procedure"] == "single_traced" and rsm["procedure"] == "dynamic_sparse"
    assert dense["loss"] == rsm["loss"] == "certified" and out["pgd_steps"] == gpu_sparsevlr.SMOKE["pgd_steps"]
    at_t = rsm["settings_at_T"]["certified"]
    assert (at_t["eps"], at_t["start"], at_t["length"], at_t["lr_decay"]["step_size"]) == (0.4, 10, 60, 10)
    assert rsm["settings"]["dynamic_sparse"]["seed_scope"] == "erk"
    assert rsm["settings"]["certified"]["start"] == 1 and rsm["settings"]["certified"]["length"] == 2  # (3 / 100) T s l
    levels = {lv["method"]: lv for lv in out["levels"]}
    assert levels["dense"]["sparsity"] == 0 and levels["RSM-T"]["sparsity"] == 99
    assert levels["dense"]["paper"] == {"standard": 5.29, "pgd": 10.93, "ibp": 18.07}
    assert levels["RSM-T"]["paper"] == {"standard": 8.09, "pgd": 10.63, "ibp": 23.14}
    for name, lv in levels.items():
        assert len(lv["trials"]) == 2
        for t in lv["trials"]:
            assert 0 <= t["standard"] <= t["pgd"] <= t["ibp"] <= 100  # errors: verified >= PGD >= clean
            assert abs(t["measured_sparsity"] - (99 if name == "RSM-T" else 0)) < 0.5


def test_rvsm_slice_smoke_scaled_to_its_budget(tmp_path):
    out = run_pair(gpu_rvsm, tmp_path, "--budget-s", "0.001")
    assert out["dataset"] == "mnist" and len(out["departures"]) == 2
    rvsm, admm = (out["methods"][m] for m in ("ResMLP-RVSM", "ResMLP-ADMM-proj"))
    assert rvsm["procedure"] == "rvsm" and admm["procedure"] == "admm_project" and admm["procedure_rounds"] == 2
    for p in (rvsm, admm):
        assert p["scaled"] and p["epochs_per_round"] == 1 and "SCALED DOWN" in p["scale_note"]
        assert p["settings"]["adversarial"]["attack"] == "pgd" and p["optimizer"] == "sgd-nesterov"
    levels = out["levels"]
    assert [lv["method"] for lv in levels] == ["ResMLP-RVSM"] * 2 + ["ResMLP-ADMM-proj"] * 2
    assert [lv["config"]["admm_sparsity"] for lv in levels[2:]] == [0.25, 0.8]
    for lv in levels:
        assert 0 <= lv["ifgsm"] <= lv["natural"] <= 100 and 0 <= lv["sparsity"] <= 100
    for lv in levels[2:]:  # the final projection: exactly the target share of zeros
        assert abs(lv["sparsity"] - 100 * lv["config"]["admm_sparsity"]) < 0.5


def test_plan_cuts_the_epochs_to_the_budget():
    timing = {"step_s": 0.002, "epoch_end_s": 0.1, "fixed_s": 2.0}
    full = plan(timing, 3, 30_000, 834, 1e6)  # 36 epochs of 834 = 30,024 steps
    assert not full["scaled"] and full["epochs_per_round"] == 36 and full["steps_per_round"] == 30_024
    per_epoch = 834 * 0.002 + 0.1
    assert full["estimate_s"] == pytest.approx(3 * 36 * per_epoch + 2.0)
    cut = plan(timing, 3, 30_000, 834, 100.0)
    assert cut["scaled"] and cut["epochs_per_round"] == int((100.0 - 2.0) // (3 * per_epoch))
    assert cut["estimate_s"] <= 100.0 < cut["estimate_target_s"]
    assert plan(timing, 3, 30_000, 834, 0.0)["epochs_per_round"] == 1


def test_driver_is_valid_bash():
    subprocess.run(["bash", "-n", str(ROOT / "bench" / "gpu_slices.sh")], check=True)
