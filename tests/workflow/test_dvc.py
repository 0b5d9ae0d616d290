"""DVC as the second front door on the tiny profile: Snakemake's run adopted by `dvc commit`,
`dvc repro` of its stages agrees bitwise with Snakemake,
an edit makes `dvc status` name exactly the stages whose code imports it, and a run shared through
a DVC remote needs no rerun in a fresh clone (a file of its own, so that pytest-xdist's
`--dist loadfile` runs it beside the other end-to-end files)."""

import json
import shutil
from pathlib import Path

import pytest
import yaml

from holistic.config import deep_merge

from pipeline import BIN, METRICS, run, spec_jobs, tree_bytes


def dvc_project(d: Path) -> Path:
    """The project in ``d`` with its tiny.yaml merged into params.yaml (DVC reads that one file),
    dvc.yaml generated for it, and git and DVC initialised."""
    merged = deep_merge(yaml.safe_load((d / "params.yaml").read_text()), yaml.safe_load((d / "tiny.yaml").read_text()))
    (d / "params.yaml").write_text(yaml.safe_dump(merged, sort_keys=False))
    (d / "tiny.yaml").unlink()
    (d / "dvc.yaml").write_text(run([str(BIN / "python"), "-m", "holistic.workflow", "dvc-yaml"], d).stdout)
    run(["git", "init", "-q"], d)
    run([str(BIN / "dvc"), "init", "-q"], d)
    return d


@pytest.fixture(scope="module")
def dvc_run(snakemake_run, tmp_path_factory):
    """The finished tiny Snakemake run adopted by DVC as the README says: `dvc commit -f` records
    its outputs in dvc.lock (the whole run through `dvc repro`, one stage at a time, took longer
    than the rest of the suite; `dvc repro` is checked stage by stage below)."""
    d = tmp_path_factory.mktemp("dvc") / "project"
    shutil.copytree(snakemake_run, d, symlinks=True)
    dvc_project(d)
    run([str(BIN / "dvc"), "commit", "-f", "-q"], d)
    return d


#: Stages `dvc repro --force --single-item` reruns: a train job of each kind of data set and the
#: aggregation that reads every train job.
REPRO = ["train_hdl_dl@sklearn-iris", "train_hdl_hdl@mnist", "aggregate_hdl"]


@pytest.mark.e2e
def test_dvc_repro_gives_the_same_bytes_as_snakemake(dvc_run, tmp_path):
    """DVC's front door reruns Snakemake's jobs to byte-identical outputs: after `dvc repro -f -s`
    of train jobs and the aggregation, every output's hash in dvc.lock and every file are unchanged
    (but the train jobs' timing logs)."""
    def outs(d):  # path -> md5 of every stage output, timing logs left out
        stages = yaml.safe_load((d / "dvc.lock").read_text())["stages"]
        return {o["path"]: o["md5"] for s in stages.values() for o in s.get("outs", []) if "/train/" not in o["path"]}

    def files(d):
        return {p: b for p, b in {**tree_bytes(d, "models"), **tree_bytes(d, "results")}.items() if "/train/" not in p}

    d = tmp_path / "repro"
    shutil.copytree(dvc_run, d, symlinks=True)
    lock, before = outs(d), files(d)
    names = {name for name, *_ in spec_jobs(d)}
    assert set(REPRO) <= names, sorted(names)
    for stage in REPRO:
        res = run([str(BIN / "dvc"), "repro", "--force", "--single-item", stage], d)
        assert f"Running stage '{stage}'" in res.stdout, res.stdout[-2000:]
    assert outs(d) == lock and files(d) == before
    # what is left to do: only the stages that read the rerun jobs' timing logs (Table 5)
    status = json.loads(run([str(BIN / "dvc"), "status", "--json"], d).stdout)
    changed = {p for changes in status.values() for c in changes if isinstance(c, dict)
               for p in c.get("changed deps", {})}
    assert changed and all("/train/" in p for p in changed), status
    # an edit of the sparsity counter: `dvc status` names exactly the stages whose code imports it
    d = tmp_path / "edited"
    shutil.copytree(dvc_run, d, symlinks=True)
    expected = {name for name, *_ , code in spec_jobs(d) if METRICS in code}
    (d / METRICS).write_text((d / METRICS).read_text() + "\n# edited\n")
    status = json.loads(run([str(BIN / "dvc"), "status", "--json"], d).stdout)
    changed = {name for name, changes in status.items()
               if any(isinstance(c, dict) and METRICS in c.get("changed deps", {}) for c in changes)}
    assert changed == expected and expected
    assert any(n.startswith("train_") for n in changed)   # a train job measures what it trains
    assert not any(n.startswith(("fetch", "split")) for n in changed)


GIT_ID = ["-c", "user.name=holistic-test", "-c", "user.email=test@holistic.invalid"]


@pytest.mark.e2e
def test_models_shared_through_a_dvc_remote_need_no_rerun(dvc_run, tmp_path):
    """docs/operations.md, "Sharing models and metrics (DVC)": commit, `dvc push` to a remote (here a directory); a fresh clone
    `dvc pull`s and has nothing to rerun, for DVC and for Snakemake; a pulled model file measures
    to the eval file that was pulled beside it; `dvc metrics diff` compares against the commit."""
    d, remote = tmp_path / "shared", tmp_path / "remote"
    shutil.copytree(dvc_run, d, symlinks=True)
    run([str(BIN / "dvc"), "remote", "add", "-d", "shared", str(remote)], d)
    run(["git", "add", "-A"], d)
    run(["git", *GIT_ID, "commit", "-q", "-m", "tiny run"], d)
    tracked = run(["git", "ls-files"], d).stdout.split()
    assert "dvc.lock" in tracked and "results/hdl/metrics.json" in tracked
    assert not [f for f in tracked if f.startswith(("data/", "models/")) or f.endswith(".safetensors")]
    run([str(BIN / "dvc"), "push", "-q"], d)

    c = tmp_path / "clone"
    run(["git", "clone", "-q", str(d), str(c)], tmp_path)
    run([str(BIN / "dvc"), "pull", "-q"], c)
    status = run([str(BIN / "dvc"), "status"], c).stdout
    assert "Data and pipelines are up to date" in status, status
    run([str(BIN / "snakemake"), "--cores", "1", "--touch"], c)  # pulled files: mtimes in job order
    dry = run([str(BIN / "snakemake"), "--cores", "1", "-n"], c)
    assert "Nothing to be done" in dry.stdout + dry.stderr, (dry.stdout + dry.stderr)[-3000:]
    assert tree_bytes(c, "models") == tree_bytes(d, "models")
    assert "no changes" in run([str(BIN / "dvc"), "metrics", "diff"], c).stdout.lower() or \
        not run([str(BIN / "dvc"), "metrics", "diff", "--json"], c).stdout.strip("{}\n ")

    # holistic.cli first, as every stage: it pins the numerics before torch loads (unpinned, MKL
    # takes its native branch, AVX-512 where the CPU has it, and DeepFool's r_2 moves in its 8th digit)
    measure = ("import sys; import holistic.cli; from holistic.config import load_params; from holistic.data.registry import get;"
               "from holistic.data.stacked import load_stacked; from holistic.jobs import attack, deterministic_torch;"
               "p = load_params(['params.yaml']); deterministic_torch(p);"
               "data = load_stacked('data/raw/sklearn-wine.npz', 'data/splits/sklearn-wine.npz', p['split']['preprocessing']);"
               "attack.run(p, get('sklearn-wine'), data, 'models/hdl/sklearn-wine/HDL.safetensors', sys.argv[1])")
    run([str(BIN / "python"), "-c", measure, str(tmp_path / "again.json")], c)
    assert (tmp_path / "again.json").read_bytes() == (c / "results/hdl/eval/sklearn-wine/HDL.json").read_bytes()
