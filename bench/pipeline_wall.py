"""Wall time of the whole pipeline: a base commit and a new one, side by side in one run.

    python bench/pipeline_wall.py [--base 6e5cd1f] [--new HEAD] [--cores 2] [--params FILE ...]

Each revision is cloned into a temporary folder (with ``../shared`` linked beside it, as in CI)
and runs ``snakemake --cores N`` from nothing, one after the other on the same machine, with
this venv's tools and the clone's own ``src`` first on ``PYTHONPATH``. Measured per revision:

* wall time of the run, CPU time of everything it started (``getrusage`` of the children),
  the number of jobs, and the sha256 of every study's ``results/<study>/metrics.json`` (each
  of the base's must be byte-identical in the new run);
* the start-up of one torch job (the train/attack stage's imports and its deterministic-torch
  setting, before any work): the median of 3 fresh processes, and the share of the run's CPU
  time that ``start-up x torch jobs`` is;
* where the train logs record it (``eval_seconds``, the new layout): the sums of training and
  evaluation time inside the jobs, and their share of ``cores x wall``.

``--params`` adds profile files (``--configfile``), e.g. a subset of the ``uci`` profile;
``--new-params`` adds files to the new revision only, e.g. ``bench/hdl_only.yaml``: since the
default run shows every study, the base's quick profile (HDL alone) is compared with the new
one's HDL part (``run_studies: [hdl]``, a key the base's schema does not know).
Writes ``results/bench/pipeline_wall.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

#: What a train (or attack) job does before its first piece of work, in either layout.
STARTUP = ("import holistic.jobs.train, holistic.jobs.attack, holistic.data.stacked, holistic.records.train_log\n"
           "from holistic.jobs import deterministic_torch\n"
           "deterministic_torch({'threads': 1})\n")


def clone(rev: str, into: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(ROOT), str(into)], check=True)
    subprocess.run(["git", "-C", str(into), "checkout", "-q", rev], check=True)
    return into


def env_for(checkout: Path) -> dict:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(checkout / "src"),
            "DVC_NO_ANALYTICS": "1", "PYTHONUNBUFFERED": "1"}


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def startup_seconds(checkout: Path, repeats: int = 3) -> float:
    """Median wall time of a fresh process doing a torch job's imports and setup."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", STARTUP], cwd=checkout, env=env_for(checkout), check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def inside_jobs(checkout: Path) -> dict:
    """Sums over the train logs: training seconds, and evaluation seconds where logged."""
    train = evaluate = 0.0
    logs = list(checkout.glob("results/*/train/*/*.json"))
    for path in logs:
        log = json.loads(path.read_text())
        train += log["seconds"]
        evaluate += log.get("eval_seconds") or 0.0
    return {"train_logs": len(logs), "train_seconds": train,
            "eval_seconds": evaluate if any("eval_seconds" in json.loads(p.read_text()) for p in logs) else None}


def run(checkout: Path, cores: int, extra: list[str]) -> dict:
    # one --configfile with every file: given twice, Snakemake keeps only the last flag's files
    configfiles = ["--configfile", *(str(Path(f).resolve()) for f in extra)] if extra else []
    cpu0, t0 = children_cpu(), time.perf_counter()
    proc = subprocess.run([str(BIN / "snakemake"), "--cores", str(cores), *configfiles], cwd=checkout,
                          env=env_for(checkout), capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, children_cpu() - cpu0
    if proc.returncode:
        sys.exit(f"snakemake failed in {checkout}:\n{proc.stderr[-3000:]}")
    jobs = sum(1 for line in proc.stderr.splitlines() if line.startswith("Finished job"))
    torch_jobs = len(list(checkout.glob("benchmarks/*/*/*/*.tsv")))  # train (and attack) jobs
    metrics = {str(p.relative_to(checkout)): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in sorted(checkout.glob("results/*/metrics.json"))}
    start = startup_seconds(checkout)
    inside = inside_jobs(checkout)
    out = {"wall_seconds": wall, "cpu_seconds": cpu, "jobs": jobs, "torch_jobs": torch_jobs,
           "startup_seconds_per_torch_job": start, "startup_share_of_cpu": start * torch_jobs / cpu,
           "metrics_sha256": metrics, **inside}
    if inside["eval_seconds"] is not None:
        out["train_eval_share_of_wall"] = (inside["train_seconds"] + inside["eval_seconds"]) / (cores * wall)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="6e5cd1f", help="the revision before the change (default: before issue 12)")
    ap.add_argument("--new", default="HEAD")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--params", action="append", default=[], help="profile file(s) added with --configfile")
    ap.add_argument("--new-params", action="append", default=[],
                    help="profile file(s) added to the new revision only (e.g. bench/hdl_only.yaml)")
    ap.add_argument("--new-only", action="store_true", help="time only --new (e.g. a profile the base cannot run)")
    ap.add_argument("--keep", action="store_true", help="keep the clones (printed)")
    ap.add_argument("--out", default=str(ROOT / "results" / "bench" / "pipeline_wall.json"))
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="pipeline_wall_"))
    (tmp / "shared").symlink_to((ROOT.parent / "shared").resolve())
    result = {"cores": args.cores, "params": args.params, "new_params": args.new_params,
              "machine": platform.platform(), "runs": {}}
    try:
        for label, rev in ((("base", args.base),) if not args.new_only else ()) + (("new", args.new),):
            checkout = clone(rev, tmp / label)
            sha = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
                                 capture_output=True, text=True, check=True).stdout.strip()
            print(f"[{label}] {sha}: snakemake --cores {args.cores} ...", flush=True)
            r = run(checkout, args.cores, args.params + (args.new_params if label == "new" else []))
            result["runs"][label] = {"revision": sha, **r}
            print(f"[{label}] wall {r['wall_seconds']:.1f} s, cpu {r['cpu_seconds']:.1f} s, {r['jobs']} jobs, "
                  f"start-up {r['startup_seconds_per_torch_job']:.2f} s x {r['torch_jobs']} torch jobs = "
                  f"{100 * r['startup_share_of_cpu']:.0f}% of the CPU time", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"clones kept in {tmp}")
    new = result["runs"]["new"]
    if "base" in result["runs"]:
        base = result["runs"]["base"]
        result["wall_ratio_new_over_base"] = new["wall_seconds"] / base["wall_seconds"]
        # the base's metrics files, each byte-identical in the new run (the clone also holds the
        # committed metrics.json of studies the new run may not have run: not compared)
        result["identical_metrics"] = all(new["metrics_sha256"].get(p) == h for p, h in base["metrics_sha256"].items())
        print(f"wall new / base = {result['wall_ratio_new_over_base']:.3f}; identical metrics.json: "
              f"{result['identical_metrics']}")
    if "train_eval_share_of_wall" in new:
        print(f"new: training {new['train_seconds']:.0f} s + evaluation {new['eval_seconds']:.0f} s inside the jobs "
              f"= {100 * new['train_eval_share_of_wall']:.0f}% of cores x wall")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_suffix(".json.tmp")
    tmp_out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    tmp_out.replace(out)


if __name__ == "__main__":
    main()
