"""Training throughput: the plain PyTorch loop versus the batched grid engine, side by side.

    python bench/train_throughput.py [--quick] [--sweep] [--device cpu|cuda] [--threads N]

For an iris-sized (n_train 96, p 4, k 3) and a spambase-sized (n_train 2944, p 57, k 2)
synthetic data set it measures, in one run and with one thread count (default: torch's),
  * the plain loop (``bench/plain_loop.py``: ``nn.Module`` + ``torch.optim.Adam``, double
    backprop for the robust term), models trained one after another, with Adam's default
    and its fused implementation: optimizer steps per second;
  * the engine on one model at a time (``train_grid`` with G = 1): the G = 1 path;
  * the engine on a grid of ``--models`` models through ``train_in_chunks``, with the chunk
    size the engine picks itself (``holistic.train.chunks.chunk_size``): model-steps per second;
  * the engine at fixed G in {1, 8, 64, 256}, for DL and Robust (one run each);
  * the per-batch and total slowdown of every method relative to DL at one G (the ratios of
    the paper's Table 5), the sparse methods with ``--rounds`` search rounds plus the final one.
Measurements of one cell are repeated (``--reps``) in turn with those they are compared with,
and the fastest repetition is kept (the machine is shared). Writes
results/bench/train_throughput.{json,md}; the key figures are ``torch_loop_ratio_dl`` and
``torch_loop_ratio_robust``: the engine's model-steps per second on the grid over the plain
loop's steps per second (the faster Adam), the smaller over the two data sets.

``--sweep`` measures model-steps per second against G for DL and Robust instead (the curve
behind the chunk size; results/bench/chunk_sweep.{json,md}).

On a machine whose cores are busy with other work, pass ``--threads 1``: with more torch
threads than idle cores every operation waits for a descheduled thread (2026-12-04, 2 cores,
another pipeline running: iris DL at G = 64, 235 model-steps/s with 2 threads, 2237 with 1).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from plain_loop import train_one  # noqa: E402
from holistic.data.stacked import SplitTensors  # noqa: E402
from holistic.io import write_json, write_text  # noqa: E402
from holistic.methods import ModelSpec  # noqa: E402
from holistic.studies.hdl.methods import METHODS  # noqa: E402
from holistic.train.chunks import chunk_size, last_level_cache, train_in_chunks  # noqa: E402
from holistic.train.config import TrainConfig  # noqa: E402
from holistic.train.loop import train_grid  # noqa: E402

CONFIG = {"lr": 0.01, "rho": 0.01, "a": 0.8, "lambda": 1e-6, "beta_bar": 200.0}
SHAPES = {"iris-sized": (96, 4, 3, 10), "spambase-sized": (2944, 57, 2, 1)}  # n_train, p, k, epochs
LOOP_METHODS = ("DL", "Robust")          # what the plain loop implements
ADAMS = ("default", "fused")             # torch.optim.Adam variants of the plain loop
N_SPLITS = 8


def synthetic(n_train: int, p: int, k: int, n_splits: int, seed: int = 0) -> SplitTensors:
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n_splits, n_train, p, generator=g)
    y = torch.randint(0, k, (n_splits, n_train), generator=g)
    n_val = max(32, n_train // 4)
    Xv = torch.rand(n_splits, n_val, p, generator=g)
    yv = torch.randint(0, k, (n_splits, n_val), generator=g)
    return SplitTensors(X, y, Xv, yv, Xv, yv, k, (0.0, 1.0))


def specs(G: int) -> list[ModelSpec]:
    """G models of one configuration, spread over the splits."""
    return [ModelSpec(0, CONFIG, g % N_SPLITS) for g in range(G)]


def engine(data, method: str, G: int, cfg: TrainConfig) -> dict:
    """One ``train_grid`` call of G models: model-steps per second, seconds, steps."""
    res = train_grid(data, METHODS[method], specs(G), cfg, log=None)
    return {"rate": G * res.steps / res.seconds, "seconds": res.seconds, "steps": res.steps}


def engine_g1(data, method: str, n_models: int, cfg: TrainConfig) -> dict:
    """``n_models`` models one after another, each its own ``train_grid`` call (G = 1)."""
    runs = [engine(data, method, 1, cfg) for _ in range(n_models)]
    seconds, steps = sum(r["seconds"] for r in runs), sum(r["steps"] for r in runs)
    return {"rate": steps / seconds, "seconds": seconds, "steps": steps}


def engine_auto(data, method: str, n_models: int, cfg: TrainConfig, budget_mb: float) -> dict:
    """``n_models`` models through ``train_in_chunks`` with the chunk size the engine picks."""
    res = train_in_chunks(data, METHODS[method], specs(n_models), cfg, budget_mb, log=None)
    return {"rate": n_models * res.steps / res.seconds, "seconds": res.seconds, "steps": res.steps,
            "chunk": chunk_size(data, METHODS[method], cfg, budget_mb)}


def plain(data, method: str, n_models: int, epochs: int, adam: str) -> dict:
    """``n_models`` models of the plain loop, one after another (split g's rows for model g)."""
    seconds, steps = 0.0, 0
    for g in range(n_models):
        s, n = train_one(data.X_train[g], data.y_train[g], data.X_val[g], data.y_val[g], method, epochs,
                         lr=CONFIG["lr"], rho=CONFIG["rho"], seed=g, adam=adam)
        seconds, steps = seconds + s, steps + n
    return {"rate": steps / seconds, "seconds": seconds, "steps": steps}


def fastest(cells: dict, reps: int) -> dict:
    """Run every cell (name -> thunk) ``reps`` times in turn; keep each cell's fastest run."""
    best = {}
    for _ in range(reps):
        for name, run in cells.items():
            r = run()
            if name not in best or r["rate"] > best[name]["rate"]:
                best[name] = r
    return best


def compare(args, data, name: str, epochs: int, cfg: TrainConfig) -> list[dict]:
    """Plain loop vs engine (G = 1 and the self-chosen chunks) for DL and Robust."""
    rows = []
    for method in LOOP_METHODS:
        cells = {f"plain-{a}": (lambda a=a: plain(data, method, args.loop_models, epochs, a)) for a in ADAMS}
        cells["engine-G1"] = lambda: engine_g1(data, method, args.loop_models, cfg)
        best = fastest(cells, args.reps)
        best["engine-auto"] = engine_auto(data, method, args.models, cfg, args.budget_mb)
        loop = max(best[f"plain-{a}"]["rate"] for a in ADAMS)
        row = {"data": name, "method": method, "plain_rate": loop,
               **{f"plain_{a}_rate": best[f"plain-{a}"]["rate"] for a in ADAMS},
               "g1_rate": best["engine-G1"]["rate"], "g1_vs_plain": best["engine-G1"]["rate"] / loop,
               "grid_models": args.models, "chunk": best["engine-auto"]["chunk"],
               "grid_rate": best["engine-auto"]["rate"], "grid_vs_plain": best["engine-auto"]["rate"] / loop}
        rows.append(row)
        print(f"{name:15s} {method:7s} plain {loop:6.0f} steps/s (default Adam "
              f"{row['plain_default_rate']:.0f}) | engine G=1 {row['g1_rate']:6.0f} ({row['g1_vs_plain']:.2f}x) | "
              f"{args.models} models, chunks of {row['chunk']}: {row['grid_rate']:6.0f} model-steps/s "
              f"({row['grid_vs_plain']:.1f}x)", flush=True)
    return rows


def fixed_g(args, data, name: str, cfg: TrainConfig, loop: dict) -> list[dict]:
    """The engine at fixed G for DL and Robust (each G in turn, once: these runs are long)."""
    rows = []
    for method in LOOP_METHODS:
        best = fastest({G: (lambda G=G: engine(data, method, G, cfg)) for G in args.sizes}, 1)
        for G in args.sizes:
            r = best[G]
            rows.append({"data": name, "method": method, "G": G, "steps": r["steps"], "seconds": r["seconds"],
                         "batched": r["rate"], "loop": loop[method], "speedup": r["rate"] / loop[method]})
            print(f"{name:15s} {method:7s} G={G:4d} {r['rate']:7.0f} model-steps/s  {r['rate'] / loop[method]:5.1f}x "
                  f"the plain loop", flush=True)
    return rows


def slowdowns(args, data, name: str, cfg: TrainConfig) -> dict:
    """Per-batch and total time of every method relative to DL at G = ``args.slow_g``."""
    G = args.slow_g
    runs = {m: train_grid(data, METHODS[m], specs(G), cfg, log=None) for m in METHODS}
    per_batch = {m: r.seconds / r.steps for m, r in runs.items()}
    out = {m: {"batch": per_batch[m] / per_batch["DL"], "total": runs[m].seconds / runs["DL"].seconds,
               "steps": runs[m].steps, "seconds": runs[m].seconds} for m in METHODS}
    print(f"{name:15s} slowdown vs DL at G={G}: " +
          ", ".join(f"{m} {v['batch']:.2f}/{v['total']:.2f}" for m, v in out.items()), flush=True)
    return out


def machine(args) -> dict:
    llc, shared = last_level_cache()
    return {"platform": platform.platform(), "processor": platform.processor(), "cpus": os.cpu_count(),
            "threads": torch.get_num_threads(), "device": args.device, "last_level_cache_bytes": llc,
            "cache_shared_by_cpus": shared,
            "gpu": torch.cuda.get_device_name(0) if args.device == "cuda" else None}


def run_main(args) -> None:
    rows, table, slow = [], [], {}
    for name, (n_train, p, k, epochs) in SHAPES.items():
        data = synthetic(n_train, p, k, n_splits=N_SPLITS).to(args.device)
        cfg = TrainConfig(epochs=epochs, batch_size=32, rounds=args.rounds, device=args.device)
        engine(data, "DL", 2, cfg)  # warm-up
        cmp_rows = compare(args, data, name, epochs, cfg)
        rows += cmp_rows
        table += fixed_g(args, data, name, cfg, {r["method"]: r["plain_rate"] for r in cmp_rows})
        slow[name] = slowdowns(args, data, name, cfg)

    def worst(method: str, key: str) -> float:
        return min(r[key] for r in rows if r["method"] == method)

    result = {
        "torch_loop_ratio_dl": worst("DL", "grid_vs_plain"),
        "torch_loop_ratio_robust": worst("Robust", "grid_vs_plain"),
        "g1_vs_plain_dl": worst("DL", "g1_vs_plain"),
        "g1_vs_plain_robust": worst("Robust", "g1_vs_plain"),
        "robust_batch_slowdown": slow["spambase-sized"]["Robust"]["batch"],
        "hdl_total_slowdown": slow["spambase-sized"]["HDL"]["total"],
        "slowdown_G": args.slow_g, "slowdowns": slow, "sparse_rounds": args.rounds + 1,
        "plain_yardstick": "the faster of torch.optim.Adam default and fused=True",
        "machine": machine(args), "torch": torch.__version__, "quick": args.quick,
        "rows": rows, "fixed_g": table,
    }
    out = Path(args.out)
    write_json(out.with_suffix(".json"), result)
    write_text(out.with_suffix(".md"), markdown(result, args))
    print(markdown(result, args))


def markdown(result: dict, args) -> str:
    m = result["machine"]
    md = [f"Training throughput ({m['cpus']} CPUs, {m['threads']} torch threads, torch {result['torch']}, "
          f"{'quick' if args.quick else 'full'} run). Plain loop: the faster of `torch.optim.Adam` "
          "default and `fused=True` (steps/s); engine: model-steps/s.", "",
          "| data | method | plain (fused) | plain (default Adam) | engine G=1 | G=1 / plain | "
          "grid of | chunk | engine grid | grid / plain |",
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    md += [f"| {r['data']} | {r['method']} | {r['plain_fused_rate']:.0f} | {r['plain_default_rate']:.0f} | "
           f"{r['g1_rate']:.0f} | {r['g1_vs_plain']:.2f}x | {r['grid_models']} | {r['chunk']} | "
           f"{r['grid_rate']:.0f} | {r['grid_vs_plain']:.1f}x |" for r in result["rows"]]
    md += ["", f"`torch_loop_ratio_dl` = {result['torch_loop_ratio_dl']:.1f}, "
           f"`torch_loop_ratio_robust` = {result['torch_loop_ratio_robust']:.1f} (the smaller over the data sets).",
           "", "Fixed G:", "", "| data | method | G | engine model-steps/s | plain steps/s | speedup |",
           "|---|---|---:|---:|---:|---:|"]
    md += [f"| {r['data']} | {r['method']} | {r['G']} | {r['batched']:.0f} | {r['loop']:.0f} | {r['speedup']:.1f}x |"
           for r in result["fixed_g"]]
    slow = result["slowdowns"]
    md += ["", f"Slowdown vs DL at G = {result['slowdown_G']} (per batch / total, sparse methods "
           f"{result['sparse_rounds']} rounds):", "",
           "| method | " + " | ".join(f"{n} per batch | {n} total" for n in slow) + " |",
           "|---|" + "---:|" * (2 * len(slow))]
    md += [f"| {meth} | " + " | ".join(f"{slow[n][meth]['batch']:.2f} | {slow[n][meth]['total']:.2f}" for n in slow)
           + " |" for meth in METHODS]
    return "\n".join(md) + "\n"


def run_sweep(args) -> None:
    """Model-steps per second against G (DL, Robust; both shapes), about ``--sweep-steps``
    model-steps a measurement, all G in turn, fastest of ``--reps``."""
    rows = []
    for name, (n_train, p, k, _) in SHAPES.items():
        data = synthetic(n_train, p, k, n_splits=N_SPLITS).to(args.device)
        spe = -(-n_train // 32)
        for method in LOOP_METHODS:
            def run(G):
                epochs = max(1, round(max(10, args.sweep_steps / G) / spe))
                return engine(data, method, G, TrainConfig(epochs=epochs, batch_size=32, device=args.device))
            best = fastest({G: (lambda G=G: run(G)) for G in args.sweep_g}, args.reps)
            cfg = TrainConfig(epochs=1, batch_size=32, device=args.device)
            chosen = chunk_size(data, METHODS[method], cfg, args.budget_mb)
            peak = max(args.sweep_g, key=lambda G: best[G]["rate"])
            rows += [{"data": name, "method": method, "G": G, "rate": best[G]["rate"], "peak": G == peak,
                      "chosen_chunk": chosen} for G in args.sweep_g]
            print(f"{name:15s} {method:7s} " + " ".join(f"G{G}:{best[G]['rate']:.0f}" for G in args.sweep_g)
                  + f"  peak G={peak}, engine picks {chosen}", flush=True)
    out = Path(args.out).with_name("chunk_sweep")
    write_json(out.with_suffix(".json"), {"machine": machine(args), "torch": torch.__version__, "rows": rows,
                                          "date": time.strftime("%Y-%m-%d")})
    head = "| data | method | " + " | ".join(str(G) for G in args.sweep_g) + " | engine picks |"
    md = [f"Model-steps/s against G ({torch.get_num_threads()} torch threads)", "", head,
          "|---|---|" + "---:|" * (len(args.sweep_g) + 1)]
    for name in SHAPES:
        for method in LOOP_METHODS:
            rs = [r for r in rows if r["data"] == name and r["method"] == method]
            md.append(f"| {name} | {method} | " + " | ".join(
                f"**{r['rate']:.0f}**" if r["peak"] else f"{r['rate']:.0f}" for r in rs) + f" | {rs[0]['chosen_chunk']} |")
    write_text(out.with_suffix(".md"), "\n".join(md) + "\n")
    print("\n".join(md))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run of under a minute")
    ap.add_argument("--sweep", action="store_true", help="model-steps/s against G instead (the chunk-size curve)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--rounds", type=int, default=None, help="sparse search rounds (default 4, paper: 4 + the final round)")
    ap.add_argument("--models", type=int, default=None, help="grid size of the self-chunked measurement (default 256)")
    ap.add_argument("--reps", type=int, default=None, help="repetitions of each cell, the fastest kept (default 3)")
    ap.add_argument("--budget-mb", type=float, default=2048.0, help="train.memory_budget_mb (params.yaml: 2048)")
    ap.add_argument("--out", default=str(ROOT / "results" / "bench" / "train_throughput"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    q = args.quick
    args.rounds = args.rounds if args.rounds is not None else (1 if q else 4)
    args.models = args.models or (16 if q else 256)
    args.reps = args.reps or (1 if q else 3)
    args.loop_models = 2 if q else 4
    args.sizes = [1, 8] if q else [1, 8, 64, 256]
    args.slow_g = 8 if q else 32
    args.sweep_g = [1, 4, 16, 64] if q else [1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512]
    args.sweep_steps = 1000 if q else 4000
    run_sweep(args) if args.sweep else run_main(args)


if __name__ == "__main__":
    main()
