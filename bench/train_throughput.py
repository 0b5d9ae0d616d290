"""Training throughput: the one-model loop versus the batched grid engine, side by side.

    python bench/train_throughput.py [--quick] [--device cpu|cuda]

For an iris-sized (n_train 96, p 4, k 3) and a spambase-sized (n_train 2944, p 57, k 2)
synthetic data set and every method it measures models x optimizer steps per second
  * of the plain loop: models trained one after another (``train_grid`` with G = 1),
  * of the batched engine: G models in one ``train_grid`` call, G in {1, 8, 64, 256},
and the per-batch and total slowdown of each method relative to DL (the ratios of the
paper's Table 5). Writes results/bench/train_throughput.{json,md}.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from holistic.data.stacked import SplitTensors  # noqa: E402
from holistic.io import write_json, write_text  # noqa: E402
from holistic.methods import ModelSpec  # noqa: E402
from holistic.studies.hdl.methods import METHODS  # noqa: E402
from holistic.train.loop import TrainConfig, train_grid  # noqa: E402

CONFIG = {"lr": 0.01, "rho": 0.01, "a": 0.8, "lambda": 1e-6, "beta_bar": 200.0}
SHAPES = {"iris-sized": (96, 4, 3, 10), "spambase-sized": (2944, 57, 2, 1)}  # n_train, p, k, epochs


def synthetic(n_train: int, p: int, k: int, n_splits: int, seed: int = 0) -> SplitTensors:
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n_splits, n_train, p, generator=g)
    y = torch.randint(0, k, (n_splits, n_train), generator=g)
    n_val = max(32, n_train // 4)
    Xv = torch.rand(n_splits, n_val, p, generator=g)
    yv = torch.randint(0, k, (n_splits, n_val), generator=g)
    return SplitTensors(X, y, Xv, yv, Xv, yv, k, (0.0, 1.0))


def timed(data, method, G, cfg) -> tuple[float, int]:
    specs = [ModelSpec(0, CONFIG, g % data.X_train.shape[0]) for g in range(G)]
    res = train_grid(data, METHODS[method], specs, cfg, log=None)
    return res.seconds, res.steps


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="G in {1, 8} and fewer loop models (smoke run)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--rounds", type=int, default=4, help="sparse search rounds (paper: 4 + the final round)")
    ap.add_argument("--out", default=str(ROOT / "results" / "bench" / "train_throughput"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    sizes = [1, 8] if args.quick else [1, 8, 64, 256]
    loop_models = 2 if args.quick else 4

    rows = []
    for name, (n_train, p, k, epochs) in SHAPES.items():
        data = synthetic(n_train, p, k, n_splits=8).to(args.device)
        cfg = TrainConfig(epochs=epochs, batch_size=32, rounds=args.rounds, device=args.device)
        timed(data, "DL", 2, cfg)  # warm-up
        for method in METHODS:
            seconds, steps = 0.0, 0
            for _ in range(loop_models):  # the plain loop: one model after another
                s, n = timed(data, method, 1, cfg)
                seconds, steps = seconds + s, steps + n
            loop = steps / seconds
            for G in sizes:
                s, n = timed(data, method, G, cfg)
                rows.append({"data": name, "method": method, "G": G, "steps": n, "seconds": s,
                             "batched": G * n / s, "loop": loop, "speedup": G * n / s / loop,
                             "seconds_per_batch": s / n})
                print(f"{name:15s} {method:14s} G={G:4d} batched {G * n / s:10.0f} loop {loop:8.0f} "
                      f"models*steps/s  speedup {G * n / s / loop:6.1f}x", flush=True)

    def find(data, method, G):
        return next(r for r in rows if r["data"] == data and r["method"] == method and r["G"] == G)

    Gmax = sizes[-1]
    slow = {}
    for name in SHAPES:
        dl = find(name, "DL", Gmax)
        slow[name] = {m: {"batch": find(name, m, Gmax)["seconds_per_batch"] / dl["seconds_per_batch"],
                          "total": find(name, m, Gmax)["seconds"] / dl["seconds"]} for m in METHODS}
    result = {
        "speedup_at_256": find("iris-sized", "DL", Gmax)["speedup"] if Gmax == 256 else None,
        "speedup_at_256_by_method": {m: find("iris-sized", m, Gmax)["speedup"] for m in METHODS}
        if Gmax == 256 else None,
        "robust_batch_slowdown": slow["spambase-sized"]["Robust"]["batch"],
        "hdl_total_slowdown": slow["spambase-sized"]["HDL"]["total"],
        "slowdown_G": Gmax, "slowdowns": slow, "sparse_rounds": args.rounds + 1,
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "threads": torch.get_num_threads(), "device": args.device,
                    "gpu": torch.cuda.get_device_name(0) if args.device == "cuda" else None},
        "torch": torch.__version__, "rows": rows,
    }
    out = Path(args.out)
    write_json(out.with_suffix(".json"), result)
    md = ["| data | method | G | batched models*steps/s | loop models*steps/s | speedup |",
          "|---|---|---:|---:|---:|---:|"]
    md += [f"| {r['data']} | {r['method']} | {r['G']} | {r['batched']:.0f} | {r['loop']:.0f} | {r['speedup']:.1f}x |"
           for r in rows]
    md += ["", f"Slowdown vs DL at G = {Gmax} (per batch / total, sparse methods {args.rounds + 1} rounds):", "",
           "| method | " + " | ".join(f"{n} per batch | {n} total" for n in SHAPES) + " |",
           "|---|" + "---:|" * (2 * len(SHAPES))]
    md += [f"| {m} | " + " | ".join(f"{slow[n][m]['batch']:.2f} | {slow[n][m]['total']:.2f}" for n in SHAPES) + " |"
           for m in METHODS]
    write_text(out.with_suffix(".md"), "\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
