"""Replicates (``studies.<study>.replicates``): a method trained again with ``seed`` + offset as its
own train job (``DL@seed+1``), in no table, analysis or claim, with its own selection, which HDL's
fidelity stage compares with the run's (the seed-to-seed ceiling, issue 28 item 5)."""

import shlex
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace as NS

import pytest
import yaml

from holistic.checkpoint import load_models
from holistic.data import registry
from holistic.data.fetch import fetch, load_dataset
from holistic.data.splits import make_splits, save_splits
from holistic.errors import ParamsError
from holistic.methods import replicate_name, split_replicate
from holistic.records.selected import read_selected
from holistic.workflow import dvc
from holistic.workflow import spec as S

ROOT = Path(__file__).resolve().parents[2]
DATASET = "sklearn-iris"
# DL on iris: one configuration x 2 splits, 8 epochs, PGD alone measures them (seconds a job).
TINY = """
studies:
  hdl:
    datasets: [sklearn-iris]
    methods: [DL]
    replicates: null
split: {n_splits: 2}
train:
  epochs: 8
  grid: {lr: [0.01], rho: [0.1], lambda: [1.0e-6], beta_bar: [200], a: [0.8]}
attack:
  eps: [0.1]
  pgd_steps: 5
  suite: {pgd: [val, test], ensemble: [], fgsm: [], rfgsm: [], deepfool: []}
  adversarial: pgd
  verify: []
"""
WITH_REPLICATE = TINY.replace("replicates: null", "replicates: {DL: [1]}")
SEED_1 = TINY + "seed: 1\n"


def _write(d: Path, name: str, text: str) -> Path:
    (d / name).write_text(text)
    return d / name


def train(inputs: Path, params: Path, method: str, out: Path) -> dict[str, Path]:
    """The train job of ``method`` as the workflow spec writes it, its outputs under ``out``."""
    outputs = {k: out / o.path.format(study="hdl", dataset=DATASET, method=method)
               for k, o in S.TRAIN.outputs.items()}
    args = S.TRAIN.args.format(wildcards=NS(study="hdl", dataset=DATASET, method=method),
                               input=NS(data=inputs / "data.npz", splits=inputs / "splits.npz"), output=NS(**outputs))
    cmd = [sys.executable, S.TRAIN.script, "--params", "params.yaml", "--params", str(params), *args.split()]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    return outputs


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """DL on iris with seed 0 (params without and with a replicate), its replicate DL@seed+1, and
    DL trained directly with seed 1."""
    d = tmp_path_factory.mktemp("replicates")
    fetch(registry.get(DATASET), {}, d / "data.npz")
    y = load_dataset(d / "data.npz").y
    save_splits(d / "splits.npz", make_splits(y, n_splits=2, test_fraction=0.2, val_fraction=0.2, seed=0))
    plain, replicated, seed1 = (_write(d, n, t) for n, t in (("tiny.yaml", TINY), ("rep.yaml", WITH_REPLICATE),
                                                             ("seed1.yaml", SEED_1)))
    return NS(dir=d, plain=plain, replicated=replicated,
              base=train(d, plain, "DL", d / "plain"),
              base_rep=train(d, replicated, "DL", d / "rep"),
              replicate=train(d, replicated, "DL@seed+1", d / "rep"),
              seed1=train(d, seed1, "DL", d / "seed1"))


def test_names_of_replicates():
    assert replicate_name("Robust+Sparse", 2) == "Robust+Sparse@seed+2"
    assert split_replicate("Robust+Sparse@seed+2") == ("Robust+Sparse", 2) and split_replicate("DL") == ("DL", 0)
    for bad in ("DL@seed+0", "DL@seed+x", "@seed+1"):
        with pytest.raises(ValueError, match="replicate name"):
            split_replicate(bad)


def test_a_replicate_trains_with_seed_plus_its_offset_and_the_base_is_untouched(runs):
    base, _, meta = load_models(runs.base["model"])
    rep, rep_specs, rep_meta = load_models(runs.replicate["model"])
    direct, direct_specs, _ = load_models(runs.seed1["model"])
    assert rep_meta["method"] == "DL@seed+1" and meta["method"] == "DL"
    # other weights than the base's (another seed), bitwise those of DL trained with seed 1
    assert any(not (base[n] == rep[n]).all() for n in base)
    assert base.keys() == rep.keys() == direct.keys() and all((rep[n] == direct[n]).all() for n in rep)
    assert rep_specs == direct_specs
    # measured as its method is: the eval file of seed 1's DL but for the method's name
    text = runs.replicate["eval"].read_text()
    assert text.replace('"method": "DL@seed+1"', '"method": "DL"') == runs.seed1["eval"].read_text()
    # the base method's files are byte-identical with and without a replicate in the params
    for key in ("model", "eval", "curves"):
        assert runs.base[key].read_bytes() == runs.base_rep[key].read_bytes(), key


def test_the_spec_lists_a_replicate_as_its_own_train_job_and_in_no_analysis(tmp_path):
    spec = S.load([ROOT / "params.yaml", _write(tmp_path, "r.yaml", "studies:\n  hdl:\n    replicates: {DL: [2, 1]}\n")])
    s = spec.study("hdl")
    assert s.replicates == (("DL", (1, 2)),) and s.offsets == (1, 2)
    assert s.replicate_names == ("DL@seed+1", "DL@seed+2") and s.trained == s.methods + s.replicate_names
    assert s.method("DL@seed+1") == s.method("DL") and s.datasets_of("DL@seed+1") == s.datasets
    jobs = {name: (stage, wc, keys) for name, stage, wc, keys, _ in spec.jobs()}
    stage, wc, keys = jobs["train_hdl_dl_seed_1@sklearn-iris"]
    assert stage is S.TRAIN and wc["method"] == "DL@seed+1" and keys == jobs["train_hdl_dl@sklearn-iris"][2]
    assert "seed" in keys   # params.seed moves: the replicate reruns
    # no replicate in the tables, analyses, claims or report: only aggregate's selection and fidelity
    assert all("@seed+" not in p for p in s.evals + s.train_logs + s.curves)
    for name, stage, *_ in spec.jobs():
        if name.startswith("train_"):
            continue
        files = [p for v in stage.inputs.values() for p in (v if isinstance(v, list) else [v])]
        replicated = [p for p in files if "@seed+" in p or "/replicates/" in p]
        allowed = {"aggregate_hdl": s.replicate_evals, "fidelity_hdl": [s.replicate_selected(1)]}
        assert replicated == allowed.get(name, []), name
    stages = yaml.safe_load(dvc.dvc_yaml(spec, tuple(spec.files)))["stages"]
    assert stages["train_hdl_dl_seed_2"]["foreach"] == list(s.datasets)
    assert "--method DL@seed+2 " in stages["train_hdl_dl_seed_2"]["do"]["cmd"]
    agg = stages["aggregate_hdl"]
    assert {"results/hdl/replicates/seed+1/selected.csv", "results/hdl/replicates/seed+2/selected.csv"} <= set(agg["outs"])
    assert "--replicate-tables results/hdl/replicates" in agg["cmd"]
    # the smallest offset's selection is the fidelity stage's second seed
    assert stages["fidelity_hdl"]["cmd"].endswith(" --seed-run minmax=results/hdl/replicates/seed+1")
    # without replicates every other stage is as it was
    off = S.load([ROOT / "params.yaml", _write(tmp_path, "o.yaml", "studies:\n  hdl:\n    replicates: null\n")])
    plain = yaml.safe_load(dvc.dvc_yaml(off, tuple(off.files)))["stages"]
    assert not any("seed" in n for n in plain) and "--replicates" not in plain["aggregate_hdl"]["cmd"]
    assert "--seed-run" not in plain["fidelity_hdl"]["cmd"]
    for name, body in plain.items():
        if name not in ("aggregate_hdl", "fidelity_hdl"):
            assert yaml.safe_dump(body).replace(str(off.files[1]), "F") == \
                yaml.safe_dump(stages[name]).replace(str(spec.files[1]), "F"), name


@pytest.mark.parametrize("entry, field, reason", [
    ("{DLX: [1]}", "studies.hdl.replicates", "unknown method 'DLX'"),
    ("{DL: [0]}", "studies.hdl.replicates.DL.0", "less than the minimum of 1"),
    ("{DL: [1, 1]}", "studies.hdl.replicates.DL", "non-unique"),
    ("{DL: []}", "studies.hdl.replicates.DL", "non-empty"),
    ("{HDL: [1]}", "studies.hdl.replicates", "method 'HDL' does not train in this run"),
])
def test_a_bad_replicates_entry_is_refused_with_the_field(tmp_path, entry, field, reason):
    text = f"studies:\n  hdl:\n    methods: [DL]\n    replicates: {entry}\n"
    with pytest.raises(ParamsError, match=f"field '{field}'") as err:
        S.load([ROOT / "params.yaml", _write(tmp_path, "bad.yaml", text)])
    assert reason in str(err.value)
    # the spec's own check, for params that did not come through the schema
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["studies"]["hdl"].update(methods=["DL"], replicates=yaml.safe_load(entry))
    with pytest.raises(ParamsError, match=f"field '{field.rsplit('.0', 1)[0]}"):
        S.select(params)


def stage_command(stage, files, cwd: Path) -> list[str]:
    """A per-study stage's command as dvc.yaml writes it, its script in this checkout."""
    cmd = shlex.split(dvc.command(stage, files, {"study": "hdl"}))
    return [sys.executable, str(ROOT / cmd[1]), *cmd[2:]]


def test_replicates_are_in_no_table_and_the_fidelity_document_shows_the_ceiling(runs, tmp_path):
    """aggregate, then fidelity, as the workflow runs them on the train jobs' eval files."""
    files = (str(ROOT / "params.yaml"), str(runs.replicated))
    spec = S.load(files)
    s = spec.study("hdl")
    (tmp_path / Path(s.evals[0]).parent).mkdir(parents=True)
    for path, src in ((s.evals[0], runs.base_rep["eval"]), (s.replicate_evals[0], runs.replicate["eval"])):
        (tmp_path / path).write_bytes(src.read_bytes())
    stages = {st.name: st for st in S.study_stages(s)}
    for name in ("aggregate", "fidelity"):
        res = subprocess.run(stage_command(stages[name], files, tmp_path), cwd=tmp_path, capture_output=True,
                             text=True, timeout=300)
        assert res.returncode == 0, res.stderr[-3000:]
    tables = tmp_path / "results/hdl/tables"
    assert all("seed" not in p.read_text() for p in tables.iterdir()), "a replicate in a table"
    # the replicate's selection: the tables' selection code on its eval file, under its method's name,
    # i.e. the selection of DL trained with seed 1
    rep = read_selected(tmp_path / s.replicate_selected(1))
    assert set(rep["method"]) == {"DL"}
    direct = tmp_path / "direct"
    res = subprocess.run([sys.executable, str(ROOT / "stages/aggregate.py"), "--params", files[0], "--params", files[1],
                          "--study", "hdl", "--evals", str(runs.seed1["eval"]), "--tables", str(direct),
                          "--metrics", str(direct / "m.json"), "--plots", str(direct)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert (direct / "selected.csv").read_text() == (tmp_path / s.replicate_selected(1)).read_text()
    assert (tables / "selected.csv").read_text() != (direct / "selected.csv").read_text()
    md = (tmp_path / "results/hdl/fidelity.md").read_text()
    assert "- Seed-to-seed ceiling (DL; the same protocol run with another seed): " in md
    assert "/4 (" in md.split("- Seed-to-seed ceiling", 1)[1].splitlines()[0]   # iris: 4 cells of DL


def test_snakemake_plans_the_replicate_jobs(tmp_path):
    """A dry run on a copy of the project: the replicate's train job per data set, before aggregate."""
    from pipeline import BIN, copy_project, env

    d = copy_project(tmp_path / "p")
    res = subprocess.run([str(BIN / "snakemake"), "-n", "--cores", "1", "results/hdl/replicates/seed+1/selected.csv"],
                         cwd=d, env=env(d), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    out = res.stdout + res.stderr
    for dataset in S.load([ROOT / "params.yaml"]).study("hdl").datasets:
        assert f"dataset={dataset}, method=DL@seed+1" in out, dataset
