import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "workflow"))  # `pipeline`: the end-to-end tests' project helpers


def shared_once(tmp_path_factory, worker_id: str, name: str, make) -> Path:
    """``make(directory)`` run once for the whole test session, whether it runs in one process or
    in pytest-xdist workers (``make test`` runs ``-n 2``): the first worker to ask builds it under
    a file lock in the directory all workers share, the others wait and reuse it (pytest-xdist's
    recipe for session fixtures)."""
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    root = base if worker_id == "master" else base.parent
    d, done = root / name / "project", root / name / "done"
    d.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root / f"{name}.lock")):
        if not done.exists():
            make(d)
            done.touch()
    return d


@pytest.fixture(scope="session")
def snakemake_run(tmp_path_factory, worker_id):
    """A copy of the project after `snakemake` on the tiny profile: run once per session and
    shared by the end-to-end tests (which copy it before changing anything)."""
    from pipeline import smk, tiny_project

    return shared_once(tmp_path_factory, worker_id, "smk", lambda d: smk(tiny_project(d)))


@pytest.fixture(autouse=True)
def _deterministic_torch():
    torch.set_num_threads(1)
    yield


def blobs(n=240, p=5, k=3, seed=0):
    """A small separable-ish classification problem in [0, 1]^p."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(0.2, 0.8, size=(k, p))
    y = np.arange(n) % k
    X = centers[y] + rng.normal(scale=0.08, size=(n, p))
    return X, y.astype(np.int64)


def write_evals(root, evals):
    """Eval dicts as files ``<root>/eval/<dataset>/<method>.json``; their paths, in order."""
    import json

    paths = []
    for ev in evals:
        path = root / "eval" / ev["dataset"] / f"{ev['method']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(ev))
        paths.append(path)
    return paths


def hdl(name):
    """A method of HDL's Table 1 as a composition of registered pieces."""
    from holistic.studies.hdl.methods import METHODS

    return METHODS[name]


def Wb(params):
    """The MLP's ``(W, b)`` lists of a stacked params dict."""
    from holistic.models.mlp import MLP

    return MLP.split(params)
