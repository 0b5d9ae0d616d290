"""Where an engine step's time goes, and the arithmetic each method does: the floors under the
targets of ``bench/train_throughput.py``.

    python bench/step_breakdown.py [--models 48] [--steps 300] [--threads N]

For the iris-sized and the spambase-sized data of ``bench/train_throughput.py``, in one run:

* **Matmul FLOPs** of a whole ``train_grid`` run of every method (``torch.utils.flop_counter``:
  the batched matmuls of the forward, the Jacobian chain and every backward, validation
  included, as in the timed runs), per model-step and in all, relative to DL. A method whose
  step does r times DL's matmul arithmetic is r times slower per batch wherever the step is
  compute-bound, so these ratios are the floors of Table 5's slowdowns for a fast engine (the
  smaller the fixed costs, the closer a measured ratio comes to them).
* **The step's time by part**, DL and Robust at G = ``--models`` (the engine's chunk):
  ``StackedAdam.step`` timed on its own (a wrapper around it), the batched matmuls' share of the
  rest from ``torch.profiler`` (self time of ``bmm``, ``baddbmm``, ``mm``, ``addmm``, applied to
  the run without the profiler), the remainder (element-wise work, Python, the batch gather).
  With the plain loop measured beside it (``bench/plain_loop.py``, fused Adam), it reports how
  many times the plain loop the engine would reach if everything but the matmuls and Adam took
  no time: the ceiling of ``torch_loop_ratio_*`` with these kernels, which a bit-identical
  engine must keep (``holistic.train.adam``).

Writes results/bench/step_breakdown.{json,md}.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from train_throughput import CONFIG, N_SPLITS, SHAPES, machine, plain, specs, synthetic  # noqa: E402
from holistic.io import write_json, write_text  # noqa: E402
from holistic.studies.hdl.methods import METHODS  # noqa: E402
from holistic.train import adam as adam_module  # noqa: E402
from holistic.train.config import TrainConfig  # noqa: E402
from holistic.train.loop import train_grid  # noqa: E402

MATMULS = ("aten::bmm", "aten::baddbmm", "aten::mm", "aten::addmm")


def flops(data, cfg: TrainConfig) -> dict:
    """Matmul FLOPs per model-step and in all of every method (G = 2: FLOPs scale with G)."""
    out = {}
    for name, method in METHODS.items():
        counter = FlopCounterMode(display=False)
        with counter:
            res = train_grid(data, method, specs(2), cfg, log=None)
        total = counter.get_total_flops() / 2
        out[name] = {"flops_per_model": total, "steps": res.steps, "flops_per_model_step": total / res.steps}
    dl = out["DL"]
    for v in out.values():
        v["batch_vs_dl"] = v["flops_per_model_step"] / dl["flops_per_model_step"]
        v["total_vs_dl"] = v["flops_per_model"] / dl["flops_per_model"]
    return out


class AdamClock:
    """Wraps ``StackedAdam.step`` to add up the seconds spent in it."""

    def __init__(self):
        self.seconds = 0.0
        self.inner = adam_module.StackedAdam.step

    def __enter__(self):
        clock = self

        def step(opt):
            t = time.perf_counter()
            clock.inner(opt)
            clock.seconds += time.perf_counter() - t

        adam_module.StackedAdam.step = step
        return self

    def __exit__(self, *exc):
        adam_module.StackedAdam.step = self.inner


def breakdown(data, method: str, G: int, cfg: TrainConfig, reps: int) -> dict:
    """Per optimizer step of G models (ms): the whole step, Adam, the matmuls, the rest;
    fastest of ``reps`` runs (Adam's time from the same run)."""
    best = None
    for _ in range(reps):
        with AdamClock() as clock:
            res = train_grid(data, METHODS[method], specs(G), cfg, log=None)
        if best is None or res.seconds < best[0]:
            best = (res.seconds, clock.seconds, res.steps)
    seconds, adam_seconds, steps = best
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        train_grid(data, METHODS[method], specs(G), cfg, log=None)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    share = sum(e.self_cpu_time_total for e in events if e.key in MATMULS) / total
    step_ms, adam_ms = 1e3 * seconds / steps, 1e3 * adam_seconds / steps
    matmul_ms = share * (step_ms - adam_ms)
    return {"G": G, "steps": steps, "step_ms": step_ms, "adam_ms": adam_ms, "matmul_ms": matmul_ms,
            "other_ms": step_ms - adam_ms - matmul_ms, "rate": G * steps / seconds,
            "floor_rate": G / (1e-3 * (matmul_ms + adam_ms))}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=48, help="G of the timed steps (the engine's CPU chunk: 48)")
    ap.add_argument("--steps", type=int, default=300, help="about this many optimizer steps a timed run")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--out", default=str(ROOT / "results" / "bench" / "step_breakdown"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    result = {"machine": machine(argparse.Namespace(device="cpu")), "torch": torch.__version__,
              "models": args.models, "shapes": {}}
    md = [f"Engine step by part at G = {args.models} ({torch.get_num_threads()} torch threads, torch "
          f"{torch.__version__}); matmul FLOPs of each method relative to DL (sparse methods 5 rounds).", ""]
    for name, (n_train, p, k, epochs) in SHAPES.items():
        data = synthetic(n_train, p, k, n_splits=N_SPLITS)
        spe = -(-n_train // 32)
        counted = flops(data, TrainConfig(epochs=epochs, batch_size=32, rounds=4))
        cfg = TrainConfig(epochs=max(1, round(args.steps / spe)), batch_size=32)
        train_grid(data, METHODS["DL"], specs(2), cfg, log=None)  # warm-up
        parts, loop = {}, {}
        for method in ("DL", "Robust"):
            loop[method] = max(plain(data, method, 2, max(1, round(args.steps / spe)), "fused")["rate"]
                               for _ in range(args.reps))
            parts[method] = {**breakdown(data, method, args.models, cfg, args.reps), "plain_rate": loop[method]}
            b = parts[method]
            b["vs_plain"], b["floor_vs_plain"] = b["rate"] / loop[method], b["floor_rate"] / loop[method]
            print(f"{name:15s} {method:7s} step {b['step_ms']:.2f} ms: matmul {b['matmul_ms']:.2f}, Adam "
                  f"{b['adam_ms']:.2f}, rest {b['other_ms']:.2f} | {b['rate']:.0f} model-steps/s = "
                  f"{b['vs_plain']:.1f}x plain; matmul + Adam only: {b['floor_vs_plain']:.1f}x", flush=True)
        result["shapes"][name] = {"flops": counted, "parts": parts}
        md += [f"**{name}** (n_train {n_train}, p {p}, k {k})", "",
               "| method | matmul MFLOP / model-step | per batch vs DL | whole run vs DL |", "|---|---:|---:|---:|"]
        md += [f"| {m} | {v['flops_per_model_step'] / 1e6:.2f} | {v['batch_vs_dl']:.2f} | {v['total_vs_dl']:.2f} |"
               for m, v in counted.items()]
        md += ["", "| method | step (ms) | matmul | Adam | rest | model-steps/s | x plain loop | "
               "matmul + Adam only: x plain loop |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
        md += [f"| {m} | {b['step_ms']:.2f} | {b['matmul_ms']:.2f} | {b['adam_ms']:.2f} | {b['other_ms']:.2f} | "
               f"{b['rate']:.0f} | {b['vs_plain']:.1f} | {b['floor_vs_plain']:.1f} |" for m, b in parts.items()]
        md.append("")
    out = Path(args.out)
    write_json(out.with_suffix(".json"), result)
    write_text(out.with_suffix(".md"), "\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
