"""The whole 45-set `paper` study's time, extrapolated from a few timed data sets.

    # on the lent GPU (or any machine), time a few data sets of different sizes first:
    for d in breast-cancer-wisconsin-diagnostic spambase magic-gamma-telescope; do
        python bench/paper_profile_time.py --dataset $d --device cuda --out results/bench/paper_profile_$d.json
    done
    python bench/paper_study_estimate.py results/bench/paper_profile_*.json

Method (stated in the output). A train job's cost is, per method m, linear in its optimizer work,
``train_seconds = a_m + b_m * W_d`` with ``W_d = models x steps per model`` (every configuration x
split, all rounds; the steps follow from the data set's training rows, ``train.epochs``, the batch
size and the step floor / cap exactly as the jobs compute them), and its evaluation is linear in
the attacked points, ``attack_seconds = c_m + e_m * models x (validation + test rows)``. The
coefficients are fitted by least squares on the timed sets (at least two of different sizes; with
one, the line goes through the origin), then summed over the 45 UCI sets of the profile, whose
row counts come from the data registry and the published split (test = ceil(n / 5), validation =
int(0.2 x the rest)). Per-set features (p, k) are ignored: on an accelerator the cost of these
small MLPs is dominated by the number of steps. Writes results/bench/paper_study_estimate.json.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from paper_profile_time import read_params  # noqa: E402  (schema-checked where jsonschema is installed)
from holistic.data import registry  # noqa: E402
from holistic.io import write_json  # noqa: E402
from holistic.methods import model_grid  # noqa: E402
from holistic.studies import STUDIES  # noqa: E402
from holistic.jobs.train import train_config  # noqa: E402
from holistic.train.schedule import steps_per_epoch  # noqa: E402


def published_rows(n: int) -> tuple[int, int, int]:
    """(train, validation, test) rows of the published split of an n-row data set."""
    test = math.ceil(n / 5)
    val = int(0.2 * (n - test))
    return n - test - val, val, test


def work(params: dict, method, n: int) -> tuple[int, int]:
    """(models x optimizer steps per model, models x attacked points) of one train job, with the
    round structure and epochs the job itself uses (``holistic.jobs.train.train_config``)."""
    n_train, n_val, n_test = published_rows(n)
    cfg = train_config(params, n_train, device="cpu")
    models = len(model_grid(method, params["train"]["grid"], params["split"]["n_splits"]))
    rounds = method.pieces()[3].n_rounds(cfg)
    return models * rounds * cfg.epochs * steps_per_epoch(n_train, cfg.batch_size), models * (n_val + n_test)


def fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares ``y = a + b x`` (through the origin with a single point; a >= 0)."""
    if len(xs) == 1:
        return 0.0, ys[0] / xs[0]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else my / mx
    a = my - b * mx
    if a < 0:  # a negative start-up cost is an artefact of two points: refit through the origin
        return 0.0, sum(x * y for x, y in zip(xs, ys)) / sum(x * x for x in xs)
    return a, b


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("timings", nargs="+", help="results/bench/paper_profile_<dataset>.json files")
    ap.add_argument("--params", action="append", help="default: params.yaml + the paper profile")
    ap.add_argument("--out", default=str(ROOT / "results" / "bench" / "paper_study_estimate.json"))
    args = ap.parse_args()
    params = read_params(args.params or [str(ROOT / "params.yaml"), str(ROOT / "workflow/profiles/paper/params.yaml")])
    study = STUDIES["hdl"]
    timed = [json.loads(Path(f).read_text()) for f in args.timings]
    uci = [registry.get(d) for d in registry.names() if registry.get(d).source == "uci"]
    estimate, coefficients = {}, {}
    for name in study.methods:
        method = study.method(name, params)
        rows = [(work(params, method, registry.get(t["dataset"]).n), t["per_method"][name])
                for t in timed if name in t["per_method"]]
        if not rows:
            continue
        a, b = fit([w for (w, _), _ in rows], [r["train_seconds"] for _, r in rows])
        c, e = fit([p for (_, p), _ in rows], [r["attack_seconds"] for _, r in rows])
        coefficients[name] = {"train": [a, b], "attack": [c, e]}
        for info in uci:
            w, p = work(params, method, info.n)
            estimate.setdefault(info.name, {})[name] = (a + b * w) + (c + e * p)
    total = sum(sum(v.values()) for v in estimate.values())
    devices = sorted({t["device"] for t in timed})
    print(f"timed: {', '.join(t['dataset'] for t in timed)} on {', '.join(devices)}")
    print(f"estimated paper study ({len(uci)} UCI sets, {len(coefficients)} methods): {total / 3600:.2f} h")
    write_json(Path(args.out), {"method": __doc__.split("Method (stated in the output). ")[1].split("Writes")[0]
                                .replace("\n", " ").strip(),
                                "timed": [t["dataset"] for t in timed], "devices": devices,
                                "coefficients": coefficients, "per_dataset_seconds": estimate,
                                "total_hours": total / 3600})


if __name__ == "__main__":
    main()
