"""Wall time of a profile on one data set: the methods of a study, the full grid, every
split, training and attack, timed stage by stage through the jobs the pipeline runs
(``holistic.jobs.train``, ``holistic.jobs.attack``: same validation, same step cap, same
attack suite), with each method's mean test accuracies.

    python bench/paper_profile_time.py --dataset iris [--study hdl] [--device cpu|cuda] [--threads 2]
    python bench/paper_profile_time.py --dataset mnist --device cuda --methods DL Robust HDL \
        --params params.yaml --params workflow/profiles/images-cnn/params.yaml \
        --params bench/images_cnn_smoke.yaml --mirror data/mirror/mnist      # the GPU smoke check

Parameters: params.yaml + workflow/profiles/paper/params.yaml (or the --params given).
They are schema-checked where ``jsonschema`` is installed (not on the GPU machines' image:
there they are only merged; the test suite checks every profile). Writes
results/bench/paper_profile_<dataset>.json (or --out).
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
from holistic.config import deep_merge, load_params  # noqa: E402
from holistic.data.fetch import fetch, load_dataset  # noqa: E402
from holistic.data.registry import get  # noqa: E402
from holistic.data.splits import make_splits, split_params  # noqa: E402
from holistic.data.stacked import stack_splits  # noqa: E402
from holistic.io import write_json  # noqa: E402
from holistic.studies import STUDIES  # noqa: E402


def read_params(files: list[str]) -> dict:
    """The merged params, schema-checked where jsonschema is installed."""
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        import yaml

        print("jsonschema not installed: params merged, not validated", flush=True)
        merged: dict = {}
        for f in files:
            merged = deep_merge(merged, yaml.safe_load(Path(f).read_text()) or {})
        return merged
    return load_params(files)


def value(rows: list[dict], metric: str, attack: str, eps) -> float:
    """A model's test value of (metric, attack, eps) from its tidy rows."""
    part = "model" if metric == "sparsity" else "test"
    return next(r["value"] for r in rows if r["metric"] == metric and r["attack"] == attack
                and (r["eps"] is None if eps is None else r["eps"] == eps) and r["part"] == part)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--study", default="hdl", choices=sorted(STUDIES))
    ap.add_argument("--params", action="append")
    ap.add_argument("--methods", nargs="+", help="a subset of the study's methods (default: all)")
    ap.add_argument("--mirror", help="the data set's mirror directory (default: from params)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    files = args.params or [str(ROOT / "params.yaml"), str(ROOT / "workflow/profiles/paper/params.yaml")]
    params = read_params(files)
    info = get(args.dataset)
    if args.mirror:
        params["data"][info.section] = {**params["data"].get(info.section, {}), "mirror": args.mirror, "url": None}

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        fetch(info, params["data"].get(info.section), Path(tmp) / "d.npz")
        X, y, test_start = load_dataset(Path(tmp) / "d.npz")
    s = split_params(params, args.dataset)
    splits = make_splits(y, s["n_splits"], s["test_fraction"], s["val_fraction"], params["seed"], test_start=test_start,
                         mode=s.get("mode", "auto"), max_trainval_rows=s.get("max_trainval_rows"),
                         max_test_rows=s.get("max_test_rows"))
    data = stack_splits(X, y, splits, s["preprocessing"])
    study = STUDIES[args.study]
    per_method = {}
    rho = params["attack"]["eps"][-1]
    print(f"{args.dataset}: train {tuple(data.X_train.shape)} test {tuple(data.X_test.shape)} on {args.device}"
          f" ({torch.cuda.get_device_name() if args.device == 'cuda' else 'cpu'})", flush=True)
    for name in args.methods or study.methods:
        method = study.method(name, params)
        t0 = time.perf_counter()
        res, specs = train_job.run(params, method, data.to(args.device), log=sys.stdout, device=args.device,
                                   label=f"{args.dataset}/{name}")
        t1 = time.perf_counter()
        rows = attack_job.measure(params, method.model, res.params, specs, data, device=args.device)
        t2 = time.perf_counter()
        acc = {key: sum(value(m["rows"], *sel) for m in rows) / len(rows) for key, sel in
               {"natural_test": ("accuracy", "none", None), f"pgd_{rho:g}_test": ("accuracy", "pgd", rho),
                "sparsity": ("sparsity", "none", None)}.items()}
        per_method[name] = {"model": method.model, "models": len(specs), "steps": res.steps,
                            "train_seconds": t1 - t0, "attack_seconds": t2 - t1, **acc}
        print(f"{name:14s} {method.model} {len(specs):5d} models  train {t1 - t0:8.1f} s  attack {t2 - t1:7.1f} s  "
              + "  ".join(f"{k} {v:.2f}" for k, v in acc.items()), flush=True)
    total = time.perf_counter() - start
    print(f"total {total:.1f} s ({total / 60:.1f} min)")
    out = Path(args.out or ROOT / "results" / "bench" / f"paper_profile_{args.dataset}.json")
    t = params["train"]
    write_json(out, {"dataset": args.dataset, "study": args.study, "params": files, "total_seconds": total,
                     "per_method": per_method,
                     "n_splits": s["n_splits"], "epochs": t["epochs"], "grid": t["grid"],
                     "sparse_rounds": t["sparsity"]["rounds"] + 1, "device": args.device,
                     "threads": torch.get_num_threads(), "machine": platform.platform(), "torch": torch.__version__})


if __name__ == "__main__":
    main()
