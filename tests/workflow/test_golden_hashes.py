"""Golden hashes: three small train jobs (an MLP on iris, a Robust MLP on an MNIST slice, the
small conv net ``cnn_4layer`` on the same slice; params.yaml + tests/golden/params.yaml) give model
and eval files whose SHA-256 are committed in tests/golden/hashes.json.

Under portable numerics (holistic.numerics) the hashes are the same on every x86-64 CPU with AVX2, so a CI machine that differs from the one that wrote them catches a code path left unpinned.
The caller's own dispatch settings (``MKL_CBWR``, ``ATEN_CPU_CAPABILITY``, numpy's features) must
not reach a portable job, and must reach a native one.

``python tests/workflow/test_golden_hashes.py`` rewrites hashes.json (after a change meant to
change results: say why in the commit)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests/golden"
JOBS = (("hdl", "sklearn-iris", "DL"), ("hdl", "mnist", "Robust"), ("sparsevlr", "mnist", "dense"))
#: Other code paths (ATen's and numpy's most generic): a portable job must ignore them, a native one obeys them.
CALLER_DISPATCH = {"MKL_CBWR": "AUTO", "ATEN_CPU_CAPABILITY": "default",
                   "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"}


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    return next((set(line.split(":")[1].split()) for line in text.splitlines() if line.startswith("flags")), set())


def _portable_machine() -> str | None:
    """Why this machine is outside portable numerics' promise, or None."""
    flags = _cpu_flags()
    if "avx2" not in flags or "fma" not in flags:
        return "no AVX2 / FMA: portable numerics assume them"
    return None


def _env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("HOLISTIC_NUMERICS") and k not in CALLER_DISPATCH and k != "ONEDNN_MAX_CPU_ISA"}
    env.update(extra or {})
    return env


def _run(tmp: Path, tag: str, env: dict, params: tuple[str, ...] = ()) -> dict[str, str]:
    """Fetch, split and train the golden jobs into ``tmp``; ``{file: sha256}`` of models and evals."""
    files = ["--params", "params.yaml", "--params", str(GOLDEN / "params.yaml")]
    for extra in params:
        files += ["--params", extra]
    out = tmp / tag
    out.mkdir()
    hashes = {}
    for dataset in sorted({d for _, d, _ in JOBS}):
        data, splits = tmp / f"{dataset}.npz", tmp / f"{dataset}.splits.npz"
        if not splits.exists():
            for cmd in (["stages/fetch.py", *files, "--dataset", dataset, "--out", str(data)],
                        ["stages/split.py", *files, "--dataset", dataset, "--data", str(data), "--out", str(splits)]):
                subprocess.run([sys.executable, *cmd], cwd=ROOT, env=env, check=True, capture_output=True)
    for study, dataset, method in JOBS:
        name = f"{study}-{dataset}-{method}"
        r = subprocess.run([sys.executable, "stages/train.py", *files, "--study", study, "--dataset", dataset,
                            "--method", method, "--data", str(tmp / f"{dataset}.npz"),
                            "--splits", str(tmp / f"{dataset}.splits.npz"),
                            "--out", str(out / f"{name}.safetensors"), "--log", str(out / f"{name}.log.json"),
                            "--eval", str(out / f"{name}.eval.json"), "--curves", str(out / f"{name}.csv")],
                           cwd=ROOT, env=env, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr[-2000:]
        for suffix in (".safetensors", ".eval.json"):
            hashes[name + suffix] = hashlib.sha256((out / (name + suffix)).read_bytes()).hexdigest()
    return hashes


@pytest.fixture(scope="module")
def portable(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("golden")
    return tmp, _run(tmp, "portable", _env())


def test_portable_jobs_give_the_committed_hashes(portable):
    why = _portable_machine()
    if why:
        pytest.skip(f"this machine is outside portable numerics' promise: {why}")
    committed = json.loads((GOLDEN / "hashes.json").read_text())["sha256"]
    _, hashes = portable
    differ = sorted(k for k in committed if hashes.get(k) != committed[k])
    assert not differ and hashes.keys() == committed.keys(), (
        f"portable numerics gave other bits than tests/golden/hashes.json for {differ}: a numeric code path "
        "depends on this CPU (holistic.numerics), or a change altered results (rerun "
        "`python tests/workflow/test_golden_hashes.py` and say why)")


def test_the_callers_dispatch_settings_do_not_reach_a_portable_job(portable):
    tmp, hashes = portable
    assert _run(tmp, "caller", _env(CALLER_DISPATCH)) == hashes


def test_a_native_job_runs_under_the_callers_settings(portable, tmp_path):
    """``numerics: native`` restarts the job without the pinning, so the caller's settings (here
    ATen's generic kernels and MKL's automatic branch) change the trained weights."""
    tmp, hashes = portable
    native = tmp_path / "native.yaml"
    native.write_text("numerics: native\n")
    got = _run(tmp, "native", _env(CALLER_DISPATCH), (str(native),))
    models = [k for k in hashes if k.endswith(".safetensors")]
    assert all(got[k] != hashes[k] for k in models)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        result = _run(Path(d), "portable", _env())
    (GOLDEN / "hashes.json").write_text(json.dumps(
        {"about": "SHA-256 of the golden jobs' model and eval files under portable numerics "
                  "(tests/workflow/test_golden_hashes.py)", "sha256": result}, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN / 'hashes.json'}")
