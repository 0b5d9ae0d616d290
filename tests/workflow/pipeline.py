"""The tiny profile's project copies and commands, shared by the end-to-end tests
(tests/workflow/test_*.py); the run itself is the session fixture ``snakemake_run`` of
tests/conftest.py."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from holistic.studies import STUDIES

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "profiles" / "tiny.yaml"
PROJECT_FILES = [".gitignore", "Snakefile", "profiles", "dvc.yaml", "params.yaml", "pyproject.toml", "src", "stages", "workflow"]
BIN = Path(sys.executable).parent
TABLES = ["natural_accuracy", "adversarial_accuracy", "stability", "sparsity", "rank", "robustness", "verified_accuracy"]
P_OBJECTIVES = {"natural_accuracy", "adversarial_accuracy", "stability", "sparsity", "mean", "weighted"}
HDL = list(STUDIES["hdl"].methods)
METRICS = "src/holistic/evaluation/metrics.py"


def tiny_params() -> dict:
    """tests/profiles/tiny.yaml, its MNIST mirror made absolute (the copies live elsewhere)."""
    tiny = yaml.safe_load(TINY.read_text())
    tiny["data"]["mnist"]["mirror"] = str((ROOT / tiny["data"]["mnist"]["mirror"]).resolve())
    return tiny


def copy_project(dst: Path) -> Path:
    dst.mkdir(parents=True)
    for name in PROJECT_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, dst / name)
    return dst


def env(project=None):
    e = dict(os.environ, DVC_NO_ANALYTICS="1", PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    # the stage scripts import the copy's package (the project's code is what the test edits)
    e["PYTHONPATH"] = str(project / "src") if project else ""
    return e


def run(cmd, cwd):
    res = subprocess.run(cmd, cwd=cwd, env=env(cwd), capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, f"{cmd} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


def smk(d, *args):
    return run([str(BIN / "snakemake"), "--cores", "2", "--configfile", "tiny.yaml", *args], d)


def outputs(d: Path, study="hdl") -> dict:
    r = d / "results" / study
    files = [r / "metrics.json"] + [r / "tables" / f"{t}.csv" for t in TABLES] + [r / "analysis" / "images.csv"]
    return {f.relative_to(d).as_posix(): f.read_bytes() for f in files}


def tree_bytes(d: Path, *parts) -> dict:
    base = d.joinpath(*parts)
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


def spec_jobs(d):
    """(name, ..., code) of every job of the project in ``d``, from its own spec."""
    code = ("import json, sys; sys.path.insert(0, 'src');"
            "from holistic.workflow import spec as S;"
            "print(json.dumps([[n, c] for n, st, w, k, c in S.load(sys.argv[1:]).jobs()]))")
    files = ["params.yaml"] + (["tiny.yaml"] if (d / "tiny.yaml").exists() else [])
    return json.loads(run([str(BIN / "python"), "-c", code, *files], d).stdout)


def tiny_project(dst: Path) -> Path:
    """A copy of the project with tests/profiles/tiny.yaml beside it as ``tiny.yaml``."""
    d = copy_project(dst)
    (d / "tiny.yaml").write_text(yaml.safe_dump(tiny_params(), sort_keys=False))
    return d


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc), parents first."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop(0)
        tree.append(p)
        todo += children.get(p, [])
    return tree


def kill_tree(pid: int) -> None:
    """SIGKILL a process and everything it started, as a crash or an OOM killer would: stopped
    first, so nothing starts a new job between the kills."""
    import signal

    tree = process_tree(pid)
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for p in tree:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
