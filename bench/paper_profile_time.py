"""Wall time of the paper profile on one data set: all eight methods, the full grid,
every split, training and attack, timed stage by stage (the pipeline's own library calls).

    python bench/paper_profile_time.py --dataset iris [--device cpu|cuda] [--threads 2]

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
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from holistic.config import deep_merge  # noqa: E402
from holistic.data.fetch import fetch, load_dataset  # noqa: E402
from holistic.data.registry import get  # noqa: E402
from holistic.data.splits import make_splits  # noqa: E402
from holistic.data.stacked import stack_splits  # noqa: E402
from holistic.evaluation.run import evaluate_models, models_per_chunk  # noqa: E402
from holistic.io import write_json  # noqa: E402
from holistic.train.engine import TrainConfig, train_in_chunks  # noqa: E402
from holistic.train.methods import METHODS, model_grid  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--params", action="append",
                    default=[str(ROOT / "params.yaml"), str(ROOT / "workflow/profiles/paper/params.yaml")])
    ap.add_argument("--mirror", help="directory with <stem>_X.csv / _Y.csv (default: params data.uci.mirror)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    params = {}
    for f in args.params:
        params = deep_merge(params, yaml.safe_load(Path(f).read_text()))
    if args.mirror:
        params["data"]["uci"] = {"mirror": args.mirror, "url": None}

    start = time.perf_counter()
    info = get(args.dataset)
    with tempfile.TemporaryDirectory() as tmp:
        fetch(info, params["data"].get("uci"), Path(tmp) / "d.npz")
        X, y = load_dataset(Path(tmp) / "d.npz")
    s = params["split"]
    splits = make_splits(y, s["n_splits"], s["test_fraction"], s["val_fraction"], params["seed"])
    data = stack_splits(X, y, splits, s["preprocessing"]).to(args.device)
    t = params["train"]
    cfg = TrainConfig(epochs=t["epochs"], batch_size=t["batch_size"], rounds=t["sparsity"]["rounds"],
                      rewind_epoch=t["sparsity"]["rewind_epoch"], seed=params["seed"], device=args.device)
    a = params["attack"]
    per_method = {}
    for method in METHODS:
        specs = model_grid(method, t["grid"], s["n_splits"])
        t0 = time.perf_counter()
        res = train_in_chunks(data, method, specs, cfg, t["memory_budget_mb"], log=None)
        t1 = time.perf_counter()
        W = [w.to(args.device) for w in res.W]
        b = [v.to(args.device) for v in res.b]
        split = torch.tensor([sp.split for sp in specs], device=args.device)
        evaluate_models(W, b, data, split, a["rho_test"], a["pgd_steps"], a["pgd_step_size"], a.get("seed", 0),
                        models_per_chunk(data, W[0].shape[-1], t["memory_budget_mb"]))
        t2 = time.perf_counter()
        per_method[method] = {"models": len(specs), "steps": res.steps, "train_seconds": t1 - t0,
                              "attack_seconds": t2 - t1}
        print(f"{method:14s} {len(specs):5d} models  train {t1 - t0:8.1f} s  attack {t2 - t1:7.1f} s", flush=True)
    total = time.perf_counter() - start
    print(f"total {total:.1f} s ({total / 60:.1f} min)")
    out = Path(args.out or ROOT / "results" / "bench" / f"paper_profile_{args.dataset}.json")
    write_json(out, {"dataset": args.dataset, "total_seconds": total, "per_method": per_method,
                     "n_splits": s["n_splits"], "epochs": t["epochs"], "grid": t["grid"],
                     "sparse_rounds": t["sparsity"]["rounds"] + 1, "device": args.device,
                     "threads": torch.get_num_threads(), "machine": platform.platform(), "torch": torch.__version__})


if __name__ == "__main__":
    main()
