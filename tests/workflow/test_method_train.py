"""A method's own training (``studies.<study>.method_train``, issue 33): a partial ``train``
section merged over the run's for one method's train jobs only (its own, its replicates, its step
budgets), validated as ``train``, a params key of exactly those jobs, and read per method by the
study's departures (guo's linear models 20 epochs a round beside LeNets at 2)."""

import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from holistic.config import method_params, method_train
from holistic.errors import ParamsError
from holistic.fidelity import protocol as P
from holistic.jobs.train import run_params, train_config
from holistic.records.declared import Declared
from holistic.studies import STUDIES
from holistic.workflow import dvc
from holistic.workflow import spec as S

ROOT = Path(__file__).resolve().parents[2]
GUO = ROOT / "workflow/profiles/guo/params.yaml"


def _write(d: Path, name: str, text: str) -> Path:
    (d / name).write_text(text)
    return d / name


def _guo(tmp_path, extra: str = "") -> S.Spec:
    files = [ROOT / "params.yaml", GUO] + ([_write(tmp_path, "extra.yaml", extra)] if extra else [])
    return S.load(files)


@pytest.mark.parametrize("entry", [
    "{linear: {epochs: 3}}",
    "{linear: {epochs: 3, batch_size: 32, max_steps_per_round: 500, min_steps_per_round: null}}",
    "{linear: {grid: {lr: [0.01, 0.001]}}}",
    "{linear: {progressive: {prunes: 2, rate: 1/4}}, lenet300: {epochs: 1}}",
    "null",
])
def test_a_good_entry_loads(tmp_path, entry):
    spec = _guo(tmp_path, f"studies:\n  guo:\n    method_train: {entry}\n")
    assert spec.study("guo").methods[0] == "linear"


@pytest.mark.parametrize("entry, field, reason", [
    ("{linear: {epochs: 0}}", "studies.guo.method_train.linear.epochs", "less than the minimum of 1"),
    ("{linear: {epochs: two}}", "studies.guo.method_train.linear.epochs", "not of type 'integer'"),
    ("{linear: {foo: 1}}", "studies.guo.method_train.linear.foo", "'foo' was unexpected"),
    ("{linear: {progressive: {prunes: -1}}}", "studies.guo.method_train.linear.progressive.prunes", "minimum of 0"),
    ("{linear: {progressive: {bogus: 1}}}", "studies.guo.method_train.linear.progressive.bogus", "unexpected"),
    ("{linear: {grid: {lr: []}}}", "studies.guo.method_train.linear.grid.lr", "non-empty"),
    ("{linear: {grid: {nope: [1]}}}", "studies.guo.method_train.linear.grid.nope", "unexpected"),
    ("{linear: {batch_size: 0}}", "studies.guo.method_train.linear.batch_size", "minimum of 1"),
])
def test_a_bad_setting_is_refused_in_one_line_naming_the_file_and_field(tmp_path, entry, field, reason):
    with pytest.raises(ParamsError) as err:
        _guo(tmp_path, f"studies:\n  guo:\n    method_train: {entry}\n")
    text = str(err.value)
    assert "\n" not in text and f"field '{field}'" in text and reason in text, text
    assert text.startswith(str(tmp_path / "extra.yaml") + ":"), text  # the file that set it


@pytest.mark.parametrize("entry, field", [
    ("{nonesuch: {epochs: 3}}", "nonesuch"),
    ("{linear: {epochs: 3}, resnet: {epochs: 1}}", "resnet"),
])
def test_an_unknown_method_is_refused_naming_the_field(tmp_path, entry, field):
    with pytest.raises(ParamsError, match=f"field 'studies.guo.method_train.{field}': unknown method '{field}' "
                                          "of study 'guo'; known: linear, lenet300"):
        _guo(tmp_path, f"studies:\n  guo:\n    method_train: {entry}\n")


def test_a_method_that_does_not_run_is_refused(tmp_path):
    # params.yaml's guo slice runs the linear model only
    extra = _write(tmp_path, "x.yaml", "studies:\n  guo:\n    method_train: {lenet5: {epochs: 3}}\n")
    with pytest.raises(ParamsError, match="field 'studies.guo.method_train.lenet5': method 'lenet5' does not train"):
        S.load([ROOT / "params.yaml", extra])


def test_the_guo_profile_trains_each_family_at_its_own_length(tmp_path):
    p = _guo(tmp_path).params
    assert method_train(p, "guo", "linear") == {"epochs": 20} and method_train(p, "guo", "lenet300") == {"epochs": 6}
    assert method_train(p, "guo", "lenet5") is None
    linear, lenet300, lenet5 = (run_params(p, m, "guo") for m in ("linear", "lenet300", "lenet5"))
    assert linear["train"]["epochs"] == 20 and lenet300["train"]["epochs"] == 6
    assert lenet5["train"]["epochs"] == p["train"]["epochs"] == 4
    assert lenet5 is p  # no override: the run's params themselves
    assert {k: v for k, v in linear["train"].items() if k != "epochs"} == \
        {k: v for k, v in p["train"].items() if k != "epochs"}
    assert {k: v for k, v in linear.items() if k != "train"} == {k: v for k, v in p.items() if k != "train"}
    assert train_config(linear, 11_400).epochs == 20 and train_config(lenet5, 11_400).epochs == 4
    assert run_params(p, "linear")["train"]["epochs"] == 4  # without the study: the run's (as before)


def test_replicates_and_budgets_of_the_method_train_as_it_does_and_a_budget_sets_the_round(tmp_path):
    p = _guo(tmp_path, "studies:\n  guo:\n    method_train: {linear: {epochs: 20, max_steps_per_round: 50, "
                       "grid: {lr: [0.01, 0.001]}}}\n    replicates: {linear: [1]}\n"
                       "    step_budgets: {linear: [100]}\n").params
    rep = run_params(p, "linear@seed+1", "guo")
    assert rep["seed"] == p["seed"] + 1 and rep["train"]["epochs"] == 20 and rep["train"]["max_steps_per_round"] == 50
    budget = run_params(p, "linear@steps=100", "guo")
    assert budget["train"]["epochs"] == 20 and budget["train"]["grid"]["lr"] == [0.01, 0.001]
    assert budget["train"]["min_steps_per_round"] == budget["train"]["max_steps_per_round"] == 100  # the budget wins
    # the grid the records declare is the method's own
    declared = Declared(p, STUDIES["guo"])
    assert len(declared.configs("linear")) == len(declared.configs("linear@steps=100")) == 2
    assert len(declared.configs("lenet300")) == len(p["train"]["grid"]["lr"])


def test_dvc_and_snakemake_params_of_the_overridden_job_only(tmp_path):
    spec = _guo(tmp_path)
    jobs = {name: keys for name, _, _, keys, _ in spec.jobs()}
    own = "studies.guo.method_train.linear"
    assert own in jobs["train_guo_linear@mnist"] and own in jobs["train_guo_linear@mnist-1v7"]
    assert all(own not in keys for name, keys in jobs.items() if not name.startswith("train_guo_linear@"))
    assert "studies.guo" in jobs["levels_guo"]  # the report reads the departures per method
    stages = yaml.safe_load(dvc.dvc_yaml(spec, tuple(spec.files)))["stages"]
    listed = lambda st: [k for e in st["do"]["params"] for k in (e if isinstance(e, str) else  # noqa: E731
                                                                  [k for ks in e.values() for k in ks])]
    assert own in listed(stages["train_guo_linear"]) and own not in listed(stages["train_guo_lenet300"])
    by_file = {f: ks for e in stages["train_guo_linear"]["do"]["params"] if isinstance(e, dict) for f, ks in e.items()}
    assert own in by_file[str(GUO)]  # under the profile, the file that sets it
    # a change of the method's training changes its jobs' settings (Snakemake's params) and no other's
    other = _guo(tmp_path, "studies:\n  guo:\n    method_train: {linear: {epochs: 30}}\n")
    for name, keys in jobs.items():
        if name.startswith("train_guo_"):
            moved = S.settings(spec.params, keys) != S.settings(other.params, keys)
            assert moved == name.startswith("train_guo_linear@"), name


def test_the_default_run_has_no_method_train_key():
    spec = S.load([ROOT / "params.yaml"])
    assert all("method_train" not in k for _, _, _, keys, _ in spec.jobs() for k in keys)


def test_memory_follows_the_methods_budget(tmp_path):
    p = _guo(tmp_path, "studies:\n  guo:\n    method_train: {linear: {memory_budget_mb: 4096}}\n").params
    assert S.train_mem_mb(p, "mnist", "guo", "linear") - S.train_mem_mb(p, "mnist", "guo", "lenet300") == 4096 - 2048
    assert S.train_mem_mb(p, "mnist") == S.train_mem_mb(p, "mnist", "guo", "lenet300")


def test_per_method_words_each_methods_value():
    assert P.per_method({"a": 2, "b": 2}) == 2
    values = {"lenet300": 358, "lenet5": 358, "linear": 3580}
    assert P.per_method(values, ["lenet300", "lenet5"]) == "358 (linear: 3,580)"
    assert P.per_method({"linear": 3580, "lenet300": 358, "x": 3580}, ["lenet300"]) == "358 (linear, x: 3,580)"
    assert P.per_method({"a": 1, "b": 3}) == "1 (b: 3)" and P.per_method({}) is None


def test_guo_departures_name_each_methods_steps(tmp_path):
    from holistic.studies.guo import protocol as G

    p = _guo(tmp_path).params
    found = G.departures(p, "mnist")
    assert found["steps"] == "steps a round 716 (linear: 3,580; lenet300, lenet300-l1-none, lenet300-l1-mid, lenet300-l1-high: 1,074) (paper 50,000)"  # 179 steps an epoch x 4, x 20, x 6
    assert "linear" in G.note(found)
    assert G.departures(p, "mnist-1v7")["steps"] == "steps a round 3,880 (paper not given)"  # linear alone: 194 x 20
    # from the train logs (all rounds' steps / rounds), per method
    logs = pd.DataFrame({"dataset": ["mnist", "mnist", "mnist"], "method": ["linear", "lenet300", "lenet5"],
                         "steps": [3_580 * 17, 1_074 * 17, 716 * 17]})
    found = G.departures(p, "mnist", ("linear", "lenet300", "lenet5"), logs)
    assert found["steps"] == "steps a round 716 (linear: 3,580; lenet300: 1,074) (paper 50,000)"
    # without method_train: one value, as before
    plain = {**p, "studies": {**p["studies"], "guo": {k: v for k, v in p["studies"]["guo"].items()
                                                    if k != "method_train"}}}
    assert G.departures(plain, "mnist")["steps"] == "steps a round 716 (paper 50,000)"
    # a method's own prunes: its rounds (and the logs' steps a round) are its own
    p2 = _guo(tmp_path, "studies:\n  guo:\n    method_train: {linear: {progressive: {prunes: 2}}}\n").params
    logs = pd.DataFrame({"dataset": ["mnist"] * 3, "method": ["linear", "lenet300", "lenet5"],
                         "steps": [358 * 3, 1_074 * 17, 716 * 17]})
    found = G.departures(p2, "mnist", ("linear", "lenet300", "lenet5"), logs)
    assert found["prunes"] == "prunes 16 (linear: 2) (paper 16)" and "steps" in found
    assert found["steps"] == "steps a round 716 (linear: 358; lenet300: 1,074) (paper 50,000)"


def test_lth_and_hdl_departures_per_method(tmp_path):
    from holistic.studies.hdl.images.notes import run_epochs
    from holistic.studies.lth import protocol as L

    own = "studies:\n  lth:\n    method_train: {FGSM-init: {epochs: 4, batch_size: 128}}\n"
    p = S.load([ROOT / "params.yaml", _write(tmp_path, "l.yaml", own)]).params
    found = L.departures(p, "mnist", {"natural-init": 10, "FGSM-init": 80}, 1)
    assert found["steps"] == "steps a round 10 (FGSM-init: 80) (paper 50,000)"
    assert found["batch_size"] == f"batch {p['train']['batch_size']} (FGSM-init: 128) (paper 60)"
    base = S.load([ROOT / "params.yaml"]).params
    assert L.departures(base, "mnist", {"natural-init": 10, "FGSM-init": 10}, 1)["steps"] == \
        L.departures(base, "mnist", 10, 1)["steps"] == "steps a round 10 (paper 50,000)"
    h = S.load([ROOT / "params.yaml", _write(tmp_path, "h.yaml", "studies:\n  hdl:\n    method_train: "
                                                                  "{Robust: {epochs: 7}}\n")]).params
    assert run_epochs(h) == f"{h['train']['epochs']} (Robust: 7)" and run_epochs(base) == base["train"]["epochs"]
    assert method_params(h, "hdl", "Robust@seed+1")["train"]["epochs"] == 7


def test_a_snakemake_dry_run_of_the_guo_profile_plans_the_same_jobs(tmp_path):
    """The guo profile with and without the linear models' own training: the same jobs, rule by rule."""
    from pipeline import BIN, copy_project, env

    d = copy_project(tmp_path / "p")
    text = GUO.read_text()
    start = text.index("    method_train:")
    plain = text[:start] + text[text.index("\nsplit:", start) + 1:]
    assert plain != GUO.read_text()
    _write(d, "plain.yaml", plain)

    def stats(configfile: str) -> dict[str, int]:
        res = subprocess.run([str(BIN / "snakemake"), "-n", "--cores", "1", "--configfile", configfile],
                             cwd=d, env=env(d), capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
        table = (res.stdout + res.stderr).split("Job stats:", 1)[1]
        return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.M)}

    own, without = stats("workflow/profiles/guo/params.yaml"), stats("plain.yaml")
    assert own == without and own["train"] == 10 and own["total"] > 10, own
