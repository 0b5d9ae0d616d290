"""A training-length sweep (``studies.<study>.step_budgets``): a method trained again at each step
budget as its own train job (``natural-init@steps=2016``), in no table, its records and figure from
stage ``sweep``, which the study's report reads for its claims' ``converged`` (issue 33)."""

import subprocess
from pathlib import Path

import pytest
import yaml

from holistic.errors import ParamsError
from holistic.jobs.train import run_params, train_config
from holistic.methods import base_method, budget_name, split_budget
from holistic.train.schedule import steps_per_epoch
from holistic.workflow import dvc
from holistic.workflow import spec as S

ROOT = Path(__file__).resolve().parents[2]
SWEEP = "studies:\n  lth:\n    step_budgets: {natural-init: [168, 1008]}\n"


def _write(d: Path, name: str, text: str) -> Path:
    (d / name).write_text(text)
    return d / name


def test_names_of_step_budgets():
    assert budget_name("natural-init", 2016) == "natural-init@steps=2016"
    assert split_budget("natural-init@steps=2016") == ("natural-init", 2016)
    assert split_budget("natural-init") == ("natural-init", None) and split_budget("DL@seed+1") == ("DL@seed+1", None)
    for name in ("natural-init@steps=2016", "natural-init@seed+1", "natural-init"):
        assert base_method(name) == "natural-init"
    for bad in ("DL@steps=0", "DL@steps=x", "@steps=5", "DL@steps=-3"):
        with pytest.raises(ValueError, match="step budget name"):
            split_budget(bad)


def test_a_budget_sets_the_round_length_and_nothing_else():
    params = S.load([ROOT / "params.yaml"]).params
    assert run_params(params, "natural-init") is params
    budget = run_params(params, "natural-init@steps=1000")
    assert budget["train"]["min_steps_per_round"] == budget["train"]["max_steps_per_round"] == 1000
    assert {k: v for k, v in budget["train"].items() if not k.endswith("_steps_per_round")} == \
        {k: v for k, v in params["train"].items() if not k.endswith("_steps_per_round")}
    assert {k: v for k, v in budget.items() if k != "train"} == {k: v for k, v in params.items() if k != "train"}
    assert params["train"]["min_steps_per_round"] is None    # the run's params are not changed
    # the most whole epochs within the budget, whatever train.epochs says (at least one)
    spe = steps_per_epoch(320, params["train"]["batch_size"])   # 10 steps an epoch
    for steps, epochs in ((1000, 100), (1009, 100), (15, 1), (3, 1), (200, 20)):
        assert train_config(run_params(params, f"natural-init@steps={steps}"), 320).epochs == epochs, steps
    assert spe == 10


def test_the_spec_lists_each_budget_as_its_own_train_job_in_no_table(tmp_path):
    spec = S.load([ROOT / "params.yaml", _write(tmp_path, "s.yaml", SWEEP)])
    s = spec.study("lth")
    assert s.budgets == (("natural-init", (168, 1008)),)
    assert s.budget_names == ("natural-init@steps=168", "natural-init@steps=1008")
    assert s.trained == s.methods + s.budget_names
    assert s.method("natural-init@steps=168") == s.method("natural-init")
    assert s.datasets_of("natural-init@steps=168") == s.datasets
    jobs = {name: (stage, wc, keys) for name, stage, wc, keys, _ in spec.jobs()}
    stage, wc, keys = jobs["train_lth_natural_init_steps_168@mnist"]
    assert stage is S.TRAIN and wc["method"] == "natural-init@steps=168"
    assert keys == jobs["train_lth_natural_init@mnist"][2]
    assert s.sweep_evals == ["results/lth/eval/mnist/natural-init.json",
                             "results/lth/eval/mnist/natural-init@steps=168.json",
                             "results/lth/eval/mnist/natural-init@steps=1008.json"]
    assert s.sweep_logs == [p.replace("/eval/", "/train/") for p in s.sweep_evals]
    # no budget in the tables, analyses or claims: only stage sweep reads their files
    assert all("@steps=" not in p for p in s.evals + s.train_logs + s.curves)
    for name, stage, *_ in spec.jobs():
        if name.startswith("train_"):
            continue
        files = [p for v in stage.inputs.values() for p in (v if isinstance(v, list) else [v])]
        swept = [p for p in files if "@steps=" in p or "/sweep/" in p]
        allowed = {"sweep_lth": s.sweep_evals[1:] + s.sweep_logs[1:], "levels_lth": [s.sweep_models]}
        assert swept == allowed.get(name, []), name
    stages = yaml.safe_load(dvc.dvc_yaml(spec, tuple(spec.files)))["stages"]
    assert stages["train_lth_natural_init_steps_1008"]["foreach"] == ["mnist"]
    assert "--method natural-init@steps=1008 " in stages["train_lth_natural_init_steps_1008"]["do"]["cmd"]
    sweep = stages["sweep_lth"]
    assert sweep["outs"] == ["results/lth/sweep/models.csv", "results/lth/sweep/steps.png",
                             "results/lth/sweep/steps.csv"]
    assert sweep["cmd"].startswith("python stages/sweep.py ") and "--study lth --evals " in sweep["cmd"]
    assert stages["levels_lth"]["cmd"].endswith(" --sweep results/lth/sweep/models.csv")


def test_without_a_sweep_every_stage_is_as_it_was(tmp_path):
    spec = S.load([ROOT / "params.yaml", _write(tmp_path, "s.yaml", SWEEP)])
    off = S.load([ROOT / "params.yaml", _write(tmp_path, "o.yaml", "studies:\n  lth:\n    step_budgets: null\n")])
    assert not any(s.budgets for s in off.studies)
    plain = yaml.safe_load(dvc.dvc_yaml(off, tuple(off.files)))["stages"]
    swept = yaml.safe_load(dvc.dvc_yaml(spec, tuple(spec.files)))["stages"]
    assert set(swept) - set(plain) == {"train_lth_natural_init_steps_168", "train_lth_natural_init_steps_1008",
                                       "sweep_lth"}
    assert not any("sweep" in n or "steps" in n for n in plain) and "--sweep" not in plain["levels_lth"]["cmd"]
    for name, body in plain.items():
        if name != "levels_lth":
            assert yaml.safe_dump(body).replace(str(off.files[1]), "F") == \
                yaml.safe_dump(swept[name]).replace(str(spec.files[1]), "F"), name
    assert not any(s.budgets for s in S.load([ROOT / "params.yaml"]).studies)   # the default run has none


@pytest.mark.parametrize("entry, field, reason", [
    ("{PGD-initX: [100]}", "studies.lth.step_budgets", "unknown method 'PGD-initX'"),
    ("{PGD-init: [100]}", "studies.lth.step_budgets", "method 'PGD-init' does not train in this run"),
    ("{natural-init: [0]}", "studies.lth.step_budgets.natural-init.0", "less than the minimum of 1"),
    ("{natural-init: [100, 100]}", "studies.lth.step_budgets.natural-init", "non-unique"),
    ("{natural-init: [200, 100]}", "studies.lth.step_budgets.natural-init", "distinct and ascending"),
    ("{natural-init: []}", "studies.lth.step_budgets.natural-init", "non-empty"),
    ("{natural-init: [1.5]}", "studies.lth.step_budgets.natural-init.0", "not of type 'integer'"),
])
def test_a_bad_step_budgets_entry_is_refused_with_the_file_and_field(tmp_path, entry, field, reason):
    bad = _write(tmp_path, "bad.yaml", f"studies:\n  lth:\n    step_budgets: {entry}\n")
    with pytest.raises(ParamsError, match=f"field '{field}'") as err:
        S.load([ROOT / "params.yaml", bad])
    assert reason in str(err.value) and "bad.yaml" in str(err.value)
    # the spec's own check, for params that did not come through the schema
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["studies"]["lth"]["step_budgets"] = yaml.safe_load(entry)
    if reason in ("non-unique", "less than the minimum of 1", "not of type 'integer'"):
        reason = {"non-unique": "distinct and ascending"}.get(reason, "integers >= 1")
    with pytest.raises(ParamsError, match=f"field '{field.rsplit('.0', 1)[0]}'") as err:
        S.select(params, "mine.yaml")
    assert reason in str(err.value) and "mine.yaml" in str(err.value)


def test_snakemake_plans_the_budget_jobs_and_the_sweep(tmp_path):
    """A dry run on a copy of the project: each budget's train job, then stage sweep, then the report."""
    from pipeline import BIN, copy_project, env

    d = copy_project(tmp_path / "p")
    _write(d, "sweep.yaml", SWEEP)
    res = subprocess.run([str(BIN / "snakemake"), "-n", "--cores", "1", "results/lth/claims.csv", "--configfile",
                          "sweep.yaml"], cwd=d, env=env(d), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    out = res.stdout + res.stderr
    for job in ("natural-init@steps=168", "natural-init@steps=1008"):
        assert f"dataset=mnist, method={job}" in out, job
    assert "rule sweep_lth:" in out and "rule levels_lth:" in out
