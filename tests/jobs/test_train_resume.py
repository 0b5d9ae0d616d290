"""The train job killed mid-training (SIGKILL) and run again goes on from its resume checkpoint
to byte-identical outputs; a checkpoint of other params is not resumed."""

import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace as NS

import pytest

from holistic.data import registry
from holistic.data.fetch import fetch, load_dataset
from holistic.data.splits import make_splits, save_splits
from holistic.workflow import spec as S

ROOT = Path(__file__).resolve().parents[2]
JOB = NS(study="hdl", dataset="sklearn-iris", method="HDL")
# HDL on iris (1 soft-mask search round, then the final round), one model a chunk (a tiny
# memory budget): 2 configurations x 2 splits = 4 chunks of 2 rounds; PGD alone measures them.
TINY = """
split: {n_splits: 2}
train:
  epochs: 8
  memory_budget_mb: 0.1
  grid: {lr: [0.01], rho: [0.1], lambda: [1.0e-6], beta_bar: [200], a: [0.8, 0.9]}
  sparsity: {rounds: 1, rewind_epoch: 1}
attack:
  eps: [0.1]
  pgd_steps: 5
  suite: {pgd: [val, test], ensemble: [], fgsm: [], rfgsm: [], deepfool: []}
  adversarial: pgd
  verify: []
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("inputs")
    fetch(registry.get(JOB.dataset), {}, d / "data.npz")
    y = load_dataset(d / "data.npz").y
    save_splits(d / "splits.npz", make_splits(y, n_splits=2, test_fraction=0.2, val_fraction=0.2, seed=0))
    for name, extra in (("tiny", ""), ("other", "seed: 1\n")):
        (d / f"{name}.yaml").write_text(TINY + extra)
    return d


def command(inputs: Path, params: str, d: Path) -> list[str]:
    """The train job's command, as the workflow spec writes it, with its outputs under ``d``."""
    outputs = {name: str(d / o.path.format(**vars(JOB))) for name, o in S.TRAIN.outputs.items()}
    args = S.TRAIN.args.format(wildcards=JOB, input=NS(data=inputs / "data.npz", splits=inputs / "splits.npz"),
                               output=NS(**outputs))
    return [sys.executable, S.TRAIN.script, "--params", "params.yaml", "--params", str(inputs / params), *args.split()]


def model_file(d: Path) -> Path:
    return d / S.model(**vars(JOB))


def resume_dir(d: Path) -> Path:
    return model_file(d).with_suffix(".resume")


def run(cmd) -> str:
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    return res.stderr


def run_until_checkpoint(cmd, d: Path) -> None:
    """Start the job; SIGKILL it as soon as its first resume checkpoint file is there."""
    with open(d.parent / f"{d.name}.killed.log", "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
        try:
            while proc.poll() is None and not any(resume_dir(d).glob("*.safetensors")):
                time.sleep(0.005)
        finally:
            proc.kill()
            proc.wait()
    assert proc.returncode == -9, "the job ended before it could be killed"
    assert not model_file(d).exists()


def outputs(d: Path) -> dict[str, bytes]:
    """Every output's bytes but the timing log's."""
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*"))
            if p.is_file() and "/train/" not in p.as_posix()}


def test_a_killed_train_job_resumes_to_byte_identical_outputs(inputs, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    # a checkpoint of other params (seed 1) where the uninterrupted run will look: not resumed
    run_until_checkpoint(command(inputs, "other.yaml", a), a)
    log = run(command(inputs, "tiny.yaml", a))
    assert "resuming" not in log
    assert "[hdl/HDL] train 100%" in log and "[hdl/HDL] eval 100%" in log
    assert not resume_dir(a).exists()            # the job done, its checkpoint is gone

    run_until_checkpoint(command(inputs, "tiny.yaml", b), b)
    log = run(command(inputs, "tiny.yaml", b))
    assert f"[hdl/HDL] resuming from {resume_dir(b)}: " in log
    assert not resume_dir(b).exists()
    expected = outputs(a)
    assert {Path(p).suffix for p in expected} >= {".safetensors", ".json"}
    assert outputs(b) == expected
