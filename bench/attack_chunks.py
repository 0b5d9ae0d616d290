"""Minimal attacks (C&W L2, DeepFool) against the number of points per call, side by side.

    python bench/attack_chunks.py [--quick] [--threads N]

The evaluation attacks G stacked models on N points in chunks of points
(``holistic.evaluation.run.minimal_distances``). A chunk's input is ``[G, rows, *features]``
and each attack step allocates many temporaries of that size; this benchmark times the same
attack, on the same models and points, with several chunk sizes in one run, and records
whether every chunk size gives bitwise the same distances (and the largest difference). The
rows the evaluation picks itself (``attack_rows``: at most ``ATTACK_FLOATS`` input floats a
chunk) are among those measured.

Cases (Guo et al.'s study, the evaluation's costliest attacks): ``linear``, ``lenet300`` and
``lenet5`` on MNIST-shaped inputs, G = 26 models (a progressive job's 51 round models in two
chunks), random weights and points. Each cell is timed ``--reps`` times in turn with the others
and the fastest kept; each attack runs 10 steps (a point costs its steps times one such step).
Writes results/bench/attack_chunks.{json,md}.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from holistic.attacks import lookup  # noqa: E402
from holistic.evaluation.run import ATTACK_FLOATS, ROWS_PER_CALL, attack_rows, minimal_distances  # noqa: E402
from holistic.io import write_json, write_text  # noqa: E402
from holistic.models import MODELS  # noqa: E402

SHAPES = {"linear": (784,), "lenet300": (784,), "lenet5": (1, 28, 28)}
ATTACKS = {"cw": {"steps": 10, "search_steps": 1, "c0": 1.0, "lr": 0.2}, "deepfool": {"steps": 10}}


def case(model_name: str, G: int, N: int, k: int, seed: int = 0):
    """Logits function of G random models of ``model_name`` and N random points ``[G, N, ...]``."""
    model = MODELS[model_name]
    shape = SHAPES[model_name]
    params = model.init(shape, k, [torch.Generator().manual_seed(seed + g) for g in range(G)])
    gen = torch.Generator().manual_seed(seed)
    X = torch.rand((G, N, *shape), generator=gen)
    y = torch.randint(0, k, (G, N), generator=gen)
    return (lambda x: model.forward(params, x)[0]), X, y


def timed(f, X, y, attack, rows: int) -> tuple[float, torch.Tensor]:
    start = time.perf_counter()
    dist, _ = minimal_distances(f, X, y, attack, (0.0, 1.0), None, chunk=rows)
    return time.perf_counter() - start, dist


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer points and cases (a check of the script)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "results" / "bench" / "attack_chunks"))
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    G, N = (4, 64) if args.quick else (26, 500)
    models = ("linear",) if args.quick else tuple(SHAPES)
    rows_grid = (ROWS_PER_CALL, 256, 64, 16)
    out = []
    for model_name in models:
        for attack_name, settings in ATTACKS.items():
            k = 10
            f, X, y = case(model_name, G, N if model_name != "lenet5" else N // 2, k)
            n = X.shape[1]
            picked = min(attack_rows(X), n)  # rows >= N: one chunk
            attack = lookup(attack_name)(**settings)
            grid = sorted({min(r, n) for r in (*rows_grid, picked)}, reverse=True)
            best: dict[int, float] = {}
            dists: dict[int, torch.Tensor] = {}
            for _ in range(args.reps):
                for rows in grid:
                    seconds, dists[rows] = timed(f, X, y, attack, rows)
                    best[rows] = min(best.get(rows, float("inf")), seconds)
            same = all(torch.equal(dists[r], dists[grid[0]]) for r in grid)
            diff = max(float((dists[r] - dists[grid[0]]).abs().max()) for r in grid)
            one_chunk = best[n]
            for rows in grid:
                out.append({"model": model_name, "attack": attack_name, "G": G, "N": n, "rows": rows,
                            "input_mib": G * rows * X[0, 0].numel() * 4 / 2**20,
                            "picked": rows == picked, "seconds": best[rows],
                            "speedup_vs_one_chunk": one_chunk / best[rows], "bitwise_same": same,
                            "max_distance_difference": diff})
                print(f"{model_name:9s} {attack_name:9s} rows {rows:5d}{' (picked)' if rows == picked else '':9s} "
                      f"{best[rows]:8.2f} s  x{one_chunk / best[rows]:.2f}  same={same}", flush=True)
    meta = {"machine": platform.processor() or platform.machine(), "torch": torch.__version__,
            "threads": torch.get_num_threads(), "attack_floats": ATTACK_FLOATS, "attacks": ATTACKS}
    write_json(f"{args.out}.json", {**meta, "cells": out})
    lines = ["| model | attack | G x N | rows a call | input a chunk (MiB) | s | x one chunk | same bits |",
             "|---|---|---|---:|---:|---:|---:|---|"]
    for r in out:
        rows = f"**{r['rows']}** (picked)" if r["picked"] else str(r["rows"])
        lines.append(f"| {r['model']} | {r['attack']} | {r['G']} x {r['N']} | {rows} | {r['input_mib']:.1f} | "
                     f"{r['seconds']:.2f} | {r['speedup_vs_one_chunk']:.2f} | {r['bitwise_same']} |")
    write_text(f"{args.out}.md", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
