"""Wall time of the paper profile on one data set: all methods of a study, the full grid,
every split, training and attack, timed stage by stage through the jobs the pipeline runs
(``holistic.jobs.train``, ``holistic.jobs.attack``: same validation, same step cap, same attack suite).

    python bench/paper_profile_time.py --dataset iris [--study hdl] [--device cpu|cuda] [--threads 2]

Parameters: params.yaml + workflow/profiles/paper/params.yaml (override with --params).
Writes results/bench/paper_profile_<dataset>.json.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from holistic.jobs import attack as attack_job  # noqa: E402
from holistic.jobs import train as train_job  # noqa: E402
from holistic.config import load_params  # noqa: E402
from holistic.data.fetch import fetch, load_dataset  # noqa: E402
from holistic.data.registry import get  # noqa: E402
from holistic.data.splits import make_splits  # noqa: E402
from holistic.data.stacked import stack_splits  # noqa: E402
from holistic.io import write_json  # noqa: E402
from holistic.studies import STUDIES  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--study", default="hdl", choices=sorted(STUDIES))
    ap.add_argument("--params", action="append",
                    default=[str(ROOT / "params.yaml"), str(ROOT / "workflow/profiles/paper/params.yaml")])
    ap.add_argument("--mirror", help="directory with <stem>_X.csv / _Y.csv (default: params data.uci.mirror)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    params = load_params(args.params)  # schema-checked, as the pipeline's stages
    if args.mirror:
        params["data"]["uci"] = {"mirror": args.mirror, "url": None}

    start = time.perf_counter()
    info = get(args.dataset)
    with tempfile.TemporaryDirectory() as tmp:
        fetch(info, params["data"].get("uci"), Path(tmp) / "d.npz")
        X, y, _ = load_dataset(Path(tmp) / "d.npz")
    s = params["split"]
    splits = make_splits(y, s["n_splits"], s["test_fraction"], s["val_fraction"], params["seed"])
    data = stack_splits(X, y, splits, s["preprocessing"])
    per_method = {}
    for name, method in STUDIES[args.study].methods.items():
        t0 = time.perf_counter()
        res, specs = train_job.run(params, method, data.to(args.device), log=None, device=args.device)
        t1 = time.perf_counter()
        attack_job.measure(params, method.model, res.params, specs, data, device=args.device)
        t2 = time.perf_counter()
        per_method[name] = {"models": len(specs), "steps": res.steps, "train_seconds": t1 - t0,
                            "attack_seconds": t2 - t1}
        print(f"{name:14s} {len(specs):5d} models  train {t1 - t0:8.1f} s  attack {t2 - t1:7.1f} s", flush=True)
    total = time.perf_counter() - start
    print(f"total {total:.1f} s ({total / 60:.1f} min)")
    out = Path(args.out or ROOT / "results" / "bench" / f"paper_profile_{args.dataset}.json")
    t = params["train"]
    write_json(out, {"dataset": args.dataset, "study": args.study, "total_seconds": total, "per_method": per_method,
                     "n_splits": s["n_splits"], "epochs": t["epochs"], "grid": t["grid"],
                     "sparse_rounds": t["sparsity"]["rounds"] + 1, "device": args.device,
                     "threads": torch.get_num_threads(), "machine": platform.platform(), "torch": torch.__version__})


if __name__ == "__main__":
    main()
