"""The dependency of PM, PM-finetuned, PM^T and RIPM^T on the dense model's train job, as both
front doors see it: the workflow spec's job, the DVC stage (the dense model file a dep, passed
as --source) and the train stage's own check; other studies' train jobs are unchanged."""

import subprocess
import sys
from pathlib import Path

from holistic.config import deep_merge, load_params
from holistic.workflow import spec as S
from holistic.workflow.dvc import stages

ROOT = Path(__file__).resolve().parents[3]
PROFILE = ROOT / "workflow/profiles/sparsevlr/params.yaml"


def _spec(extra=None):
    params = load_params([ROOT / "params.yaml", PROFILE])
    if extra:
        params = deep_merge(params, extra)
    return S.Spec(("params.yaml",), params, tuple(S.select(params)))


def test_sourced_methods_get_the_dense_model_as_input_and_others_do_not():
    jobs = {name: (stage, wc) for name, stage, wc, keys, code in _spec().jobs()}
    stage, wc = jobs["train_sparsevlr_pm_t@mnist"]
    assert stage is S.TRAIN_FROM and wc["source"] == "dense"
    assert stage.inputs["source"].format(**wc) == "models/sparsevlr/mnist/dense.safetensors"
    assert jobs["train_sparsevlr_rsm_t@mnist"][0] is S.TRAIN and jobs["train_sparsevlr_dense@mnist"][0] is S.TRAIN
    dvc = stages(_spec())
    pm = dvc["train_sparsevlr_pm"]["do"]
    assert "models/sparsevlr/${item}/dense.safetensors" in pm["deps"]
    assert pm["cmd"].endswith("--source models/sparsevlr/${item}/dense.safetensors")
    assert "--source" not in dvc["train_sparsevlr_rsm_t"]["do"]["cmd"]


def test_other_studies_train_jobs_have_no_source():
    params = load_params([ROOT / "params.yaml"])
    others = [s for s in S.select(params) if s.name != "sparsevlr"]
    assert others
    for s in others:
        for m in s.methods:
            assert s.train_stage(m) == (S.TRAIN, {})
    default = {s.name: s for s in S.select(params)}["sparsevlr"]  # the default run's slice: PM from dense
    assert default.train_stage("PM") == (S.TRAIN_FROM, {"source": "dense"})


def test_a_sourced_method_selected_alone_brings_its_source_method():
    s = S.select(deep_merge(load_params([ROOT / "params.yaml", PROFILE]), {"studies": {"sparsevlr": {"methods": ["PM-T"]}}}))
    assert [x for x in s if x.name == "sparsevlr"][0].methods == ("dense", "PM-T")


def test_the_train_stage_refuses_a_missing_or_misplaced_source(tmp_path):
    base = [sys.executable, "stages/train.py", "--params", "params.yaml", "--params", str(PROFILE), "--study",
            "sparsevlr", "--dataset", "mnist", "--data", "x", "--splits", "x", "--out", "x", "--log", "x",
            "--eval", "x", "--curves", "x"]
    for method, extra, words in (("PM-T", [], "starts from method 'dense'"),
                                 ("RSM-T", ["--source", "m.safetensors"], "--source does not apply")):
        r = subprocess.run(base + ["--method", method] + extra, cwd=ROOT, capture_output=True, text=True)
        assert r.returncode != 0 and words in r.stderr
