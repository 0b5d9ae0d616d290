"""The cost of portable numerics: train jobs under ``numerics: portable``, ``intel`` and ``native``, side by side.

    python bench/numerics_cost.py [--repeats 3] [--out results/bench/numerics_cost.json]

Each job is one ``stages/train.py`` process (train + attack suite, as in the pipeline), run under
each mode in turn (the order rotating), ``repeats`` times each; the best wall time per mode and job,
and each mode's ratio to native, are reported. The jobs: the default run's Robust MLP on its MNIST slice (the
pipeline's commonest kind of work) and the small conv net ``cnn_4layer`` on the same slice, where
portable numerics turn oneDNN's convolutions off (holistic.numerics). Every job's model file is
also hashed: the modes give other bits on a CPU with AVX-512 (the reason for the setting).
The whole pipeline's wall time under both modes: ``bench/pipeline_wall.py --base HEAD --new HEAD
--new-params bench/native.yaml``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: (study, data set, method, extra params): the default run's settings; cnn_4layer for the conv net
#: (IBP-verified only: CROWN on cnn_4layer costs about 1/3 s a point).
JOBS = (("hdl", "mnist", "Robust", {}),
        ("sparsevlr", "mnist", "dense", {"studies": {"sparsevlr": {"model": "cnn_4layer"}},
                                         "attack": {"verify": ["ibp"]}}))  # CROWN on it: minutes a run


def _job(tmp: Path, study: str, dataset: str, method: str, extra: dict, mode: str, tag: str) -> tuple[float, str]:
    overlay = tmp / f"{tag}.yaml"
    overlay.write_text(json.dumps({**extra, "numerics": mode}))  # JSON is YAML
    out = tmp / tag
    cmd = [sys.executable, "stages/train.py", "--params", "params.yaml", "--params", str(overlay),
           "--study", study, "--dataset", dataset, "--method", method,
           "--data", str(tmp / f"{dataset}.npz"), "--splits", str(tmp / f"{dataset}.splits.npz"),
           "--out", f"{out}.safetensors", "--log", f"{out}.log.json", "--eval", f"{out}.eval.json",
           "--curves", f"{out}.csv"]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start, hashlib.sha256(Path(f"{out}.safetensors").read_bytes()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "results/bench/numerics_cost.json"))
    args = ap.parse_args()
    result = {"machine": platform.platform(), "processor": platform.processor(), "repeats": args.repeats, "jobs": {}}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for dataset in sorted({j[1] for j in JOBS}):
            base = ["--params", "params.yaml", "--dataset", dataset]
            subprocess.run([sys.executable, "stages/fetch.py", *base, "--out", str(tmp / f"{dataset}.npz")],
                           cwd=ROOT, check=True, capture_output=True)
            subprocess.run([sys.executable, "stages/split.py", *base, "--data", str(tmp / f"{dataset}.npz"),
                            "--out", str(tmp / f"{dataset}.splits.npz")], cwd=ROOT, check=True, capture_output=True)
        for study, dataset, method, extra in JOBS:
            name = f"{study}/{dataset}/{method}" + (f" ({extra['studies'][study]['model']})" if extra else "")
            modes = ("portable", "intel", "native")
            times = {m: [] for m in modes}
            hashes = {}
            for r in range(args.repeats):
                for mode in modes[r % 3:] + modes[:r % 3]:
                    seconds, hashes[mode] = _job(tmp, study, dataset, method, extra, mode, f"{mode}{r}")
                    times[mode].append(seconds)
            best = {m: min(t) for m, t in times.items()}
            result["jobs"][name] = {"seconds": times, "best_seconds": best,
                                    "over_native": {m: best[m] / best["native"] for m in modes},
                                    "distinct_model_hashes": len(set(hashes.values()))}
            print(f"{name}: " + ", ".join(f"{m} {best[m]:.1f} s ({best[m] / best['native']:.2f}x)" for m in modes)
                  + f"; distinct model hashes: {len(set(hashes.values()))}", flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
