"""The two front doors: Snakemake and DVC run the same stages and agree bitwise."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from holistic.config import deep_merge, load_params
from holistic.train.methods import METHODS, param_keys

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "profiles" / "tiny.yaml"
PROJECT_FILES = ["Snakefile", "dvc.yaml", "params.yaml", "pyproject.toml", "src", "stages", "workflow"]
BIN = Path(sys.executable).parent
TABLES = ["natural_accuracy", "adversarial_accuracy", "stability", "sparsity", "rank"]


def copy_project(dst: Path) -> Path:
    dst.mkdir()
    for name in PROJECT_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, dst / name)
    return dst


def env():
    e = dict(os.environ, DVC_NO_ANALYTICS="1", PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    e["PYTHONPATH"] = ""  # the stage scripts import the installed package
    return e


def run(cmd, cwd):
    res = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, f"{cmd} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


def outputs(d: Path) -> dict:
    files = [d / "results" / "metrics.json"] + [d / "results" / "tables" / f"{t}.csv" for t in TABLES]
    return {f.relative_to(d).as_posix(): f.read_bytes() for f in files}


@pytest.fixture(scope="module")
def snakemake_run(tmp_path_factory):
    d = copy_project(tmp_path_factory.mktemp("smk") / "project")
    shutil.copy2(TINY, d / "tiny.yaml")
    run([str(BIN / "snakemake"), "--cores", "2", "--configfile", "tiny.yaml"], d)
    return d


@pytest.mark.e2e
def test_snakemake_runs_the_dag_and_writes_tables(snakemake_run):
    d = snakemake_run
    metrics = json.loads((d / "results" / "metrics.json").read_text())
    assert set(metrics["natural_accuracy"]) == set(METHODS)
    assert metrics["n_datasets"] == 1
    # 8 methods; grid sizes 1 (DL, Stable), 1 (Robust...), times 2 splits
    assert metrics["n_models"] == 16
    header = (d / "results" / "tables" / "natural_accuracy.csv").read_text().splitlines()[0]
    assert header == "dataset,n,p,k," + ",".join(METHODS)
    assert (d / "models" / "sklearn-iris" / "HDL.safetensors").is_file()


@pytest.mark.e2e
def test_snakemake_rerun_is_bitwise_identical(snakemake_run, tmp_path):
    d = snakemake_run
    before = outputs(d)
    run([str(BIN / "snakemake"), "--cores", "2", "--configfile", "tiny.yaml", "--forceall"], d)
    assert outputs(d) == before


@pytest.mark.e2e
def test_dvc_repro_gives_the_same_metrics_as_snakemake(snakemake_run, tmp_path):
    d = copy_project(tmp_path / "project")
    merged = deep_merge(yaml.safe_load((ROOT / "params.yaml").read_text()), yaml.safe_load(TINY.read_text()))
    (d / "params.yaml").write_text(yaml.safe_dump(merged, sort_keys=False))
    run(["git", "init", "-q"], d)
    run([str(BIN / "dvc"), "init", "-q"], d)
    run([str(BIN / "dvc"), "repro"], d)
    assert outputs(d) == outputs(snakemake_run)


def test_dvc_train_stages_list_exactly_the_params_each_method_uses():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    for method in METHODS:
        stage = stages[f"train_{method.lower().replace('+', '_')}"]
        assert stage["do"]["params"] == param_keys(method)
        assert f"--method '{method}'" in stage["do"]["cmd"]


def test_default_params_validate():
    params = load_params([ROOT / "params.yaml"])
    assert params["split"]["preprocessing"] == "minmax"


def test_snakemake_rejects_bad_params_before_running_anything(tmp_path):
    d = copy_project(tmp_path / "project")
    (d / "bad.yaml").write_text("train:\n  epochs: 0\n")
    res = subprocess.run([str(BIN / "snakemake"), "--cores", "1", "--configfile", "bad.yaml", "-n"], cwd=d,
                         env=env(), capture_output=True, text=True, timeout=300)
    assert res.returncode != 0
    assert "train.epochs" in res.stdout + res.stderr
    assert not (d / "data").exists()
