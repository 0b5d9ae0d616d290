"""A GPU slice of Cosentino et al. (2019), Table 1 (MNIST, PGD): the lth study's ``PGD-init``
lottery tickets at P_m 51.3 and 16.9 % against the dense PGD-trained net, rounds of 30,000 steps.

    python bench/gpu_lth.py [--device cuda] [--budget-s 420] [--out $OUT/gpu_lth.json]
    python bench/gpu_lth.py --smoke --device cpu          # a few hundred rows, tens of steps (CI)

The setting (issue 33, item 5): MNIST, 50,000 / 10,000 training / validation rows of each split
(one split a trial), the 10,000 official test points; LeNet-300-100 without biases, the study's
method ``PGD-init`` (``holistic.studies.lth.methods.METHODS``: adversarial training 0.5 CE + 0.5
CE at PGD-10 of step 0.05 with a random start, eps 0.3; iterative magnitude pruning at 20 % / 10 %
(output), each ticket rewound to theta_0, each round's model its checkpoint of lowest validation
loss), Adam lr 1.2e-3, batch 60, the rest as the ``lth-paper`` profile has it. The trials are
stacked in one grid (G models, one per split) on one device. The rounds: the dense net, then the
tickets straight at the paper's 3rd and 8th prune levels (``train.imp.paper_prunes``
:data:`PAPER_PRUNES`: two prunes, every round trained). Each round's model is measured as the attack job measures it
(``holistic.jobs.attack.measure``: natural and PGD-10 accuracy at eps 0.3 on the test points),
read by the study's own ``levels``, with the paper's Table 1 values beside (``published``).

A round is whole epochs of 834 steps: 36 epochs = 30,024 steps for the paper's 30,000. The time
budget (``--budget-s``, training only) may cut it (``bench/gpu_slices_common.py``: the probe,
the extrapolation and the rule); the JSON says what ran.
"""

from __future__ import annotations

import copy
import sys
import time
from pathlib import Path

import torch

from gpu_slices_common import (default_mirror, default_out, device_info, finite, load_mnist, parser,
                               profile_params, rows, run_slice)
from holistic.data.registry import get
from holistic.jobs import attack as attack_job
from holistic.jobs import train as train_job
from holistic.methods import model_grid
from holistic.records.evals import write_eval
from holistic.studies.lth import levels as lth_levels
from holistic.studies.lth.methods import METHODS
from holistic.studies.lth.protocol import TABLE_LEVELS
from holistic.studies.lth.published import cell, load_published
from holistic.train.schedule import steps_per_epoch

METHOD = "PGD-init"
PROFILE = "lth-paper"
#: The paper's prune counts of the two tickets (P_m 51.3 and 16.9 %): ``train.imp.paper_prunes``.
PAPER_PRUNES = [3, 8]
#: Tables 1-2: each level's accuracy after 30,000 iterations.
STEPS_PER_ROUND = 30_000
TRIALS = 3
PROBE_STEPS = 200
#: The smoke run: rows of train + validation, test points, trials, steps a round, probe unit.
SMOKE = {"trainval": 300, "test": 100, "trials": 2, "steps": 10, "probe_steps": 2}
#: The tables' attack radius (Sec. 4.2).
EPS = 0.3


def slice_params(args) -> dict:
    """The ``lth-paper`` profile's params with this slice's trials, rows, prunes and attacks."""
    p = profile_params(PROFILE)
    smoke = args.smoke
    trials = args.trials or (SMOKE["trials"] if smoke else TRIALS)
    p["seed"] = args.seed
    p["split"]["per_dataset"]["mnist"] = {"n_splits": trials, "max_trainval_rows": SMOKE["trainval"] if smoke else None,
                                          "max_test_rows": SMOKE["test"] if smoke else None}
    t = p["train"]
    t.update(device=args.device, min_steps_per_round=None, max_steps_per_round=None)
    if args.select_every is not None:  # the paper checks every 500 steps; the profile's (null: epoch ends) otherwise
        t["select_every_steps"] = args.select_every or None
    t["imp"] = {**t["imp"], "paper_prunes": list(PAPER_PRUNES)}
    t["memory_budget_mb"] = args.memory_mb or (8192 if args.device.startswith("cuda") else 1024)
    a = p["attack"]
    a.update(eps=[EPS], suite={"pgd": ["test"]}, verify=[], adversarial="pgd")
    return p


def config(params: dict, n_train: int, method, epochs: int, one_round: bool = False):
    """The train job's ``TrainConfig`` with ``epochs`` a round (``one_round``: no prune: the probe's)."""
    p = copy.deepcopy(params)
    p["train"]["epochs"] = epochs
    if one_round:
        p["train"]["imp"] = {**{k: v for k, v in p["train"]["imp"].items() if k != "paper_prunes"}, "prunes": 0}
    return train_job.train_config(p, n_train, p["train"]["device"], method)


def measure(params: dict, method, result, specs, data, eval_path, device: str):
    """Every round model measured by the attack job, written as an eval file, and read by the
    study's levels: ``(per-model frame, summary frame)``."""
    params_r, _, _, round_specs = train_job.saved_models(result, specs)
    rows_ = attack_job.measure(params, method.model, params_r, round_specs, data, device=device)
    meta = {"study": "lth", "dataset": "mnist", "method": METHOD}
    write_eval(eval_path, attack_job.eval_header(params, meta, get("mnist")), rows_)
    per_model = lth_levels.load_levels([eval_path], EPS)
    return per_model, lth_levels.summarize(per_model)


def paper_level(kept: float) -> float | None:
    """The table level (51.3, 16.9, ...) that P_m ``kept`` is, within the study's tolerance."""
    return next((lv for lv in TABLE_LEVELS.values() if abs(lv - kept) <= 0.06), None)


def level_rows(per_model, summary) -> list[dict]:
    """One entry per round: P_m, the paper's level, each trial's accuracies and kept step, the means,
    and the paper's Table 1 values (PGD-trained: natural and PGD accuracy)."""
    pub = load_published()
    out = []
    for _, s in summary.sort_values("round").iterrows():
        r = int(s["round"])
        level = paper_level(float(s["kept_percent"]))
        models = per_model[per_model["round"] == r].sort_values("split")
        paper = {m: None if level is None else cell(pub, "mnist", level, "pgd", "adversarial", k)
                 for m, k in (("natural", "natural"), ("pgd", "attacked"))}
        out.append({"round": r, "kept_percent": float(s["kept_percent"]), "paper_level": level,
                    "natural_mean": finite(s["natural_mean"]), "natural_sd": finite(s["natural_sd"]),
                    "pgd_mean": finite(s["pgd_mean"]), "pgd_sd": finite(s["pgd_sd"]),
                    "stop_step_mean": finite(s["stop_step_mean"]), "paper": paper,
                    "trials": [{"split": int(m["split"]), "natural": finite(m["natural"]), "pgd": finite(m["pgd"]),
                                "stop_step": int(m["stop_step"])} for _, m in models.iterrows()]})
    return out


def table(levels: list[dict], steps: int) -> str:
    fmt = lambda v: "   -  " if v is None else f"{v:6.2f}"  # noqa: E731
    lines = [f"PGD-init on MNIST, {steps:,} steps a round (paper: Table 1 at 30,000), eps {EPS} PGD-10, test points",
             "  P_m   | natural (paper)  | PGD (paper)      | kept step (mean)", "-" * 66]
    for lv in levels:
        lines.append(f"{lv['kept_percent']:6.2f} | {fmt(lv['natural_mean'])} ({fmt(lv['paper']['natural'])}) "
                     f"| {fmt(lv['pgd_mean'])} ({fmt(lv['paper']['pgd'])}) | {lv['stop_step_mean'] or 0:,.0f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    ap = parser(__doc__, "gpu_lth.json")
    ap.add_argument("--select-every", type=int, default=None,
                    help="validate the round's checkpoints every K steps (paper: 500; default: the profile's)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    start = time.perf_counter()
    out = default_out("gpu_lth.json") if args.out is None else Path(args.out)
    eval_path = out.with_name(out.stem + "_eval.json")
    params = slice_params(args)
    method = METHODS[METHOD]
    data, source = load_mnist(params, None if args.synthetic else (args.mirror or default_mirror()), args.synthetic)
    data = data.to(args.device)
    n_train = data.X_train.shape[1]
    specs = model_grid(method, params["train"]["grid"], data.X_train.shape[0])
    batch = params["train"]["batch_size"]
    spe = steps_per_epoch(n_train, batch)
    rounds = method.pieces()[3].n_rounds(config(params, n_train, method, 1))
    info = {"script": "gpu_lth", "smoke": args.smoke, **device_info(args.device), "data": source, "rows": rows(data),
            "method": METHOD, "model": method.model, "G": len(specs), "batch_size": batch,
            "lr": params["train"]["grid"]["lr"], "settings": config(params, n_train, method, 1).settings,
            "paper_prunes": list(PAPER_PRUNES), "rounds": rounds,
            "select_every_steps": params["train"].get("select_every_steps"), "eps": EPS,
            "eval_attack": {"pgd_steps": params["attack"]["pgd_steps"],
                            "pgd_step": params["attack"]["pgd_step_size"] * EPS / params["attack"]["pgd_steps"]}}
    print(f"{METHOD}: G = {len(specs)} on {info['device_name']}; rows {info['rows']}; {rounds} rounds "
          f"(paper_prunes {PAPER_PRUNES})", flush=True)
    return run_slice(out, eval_path, info, data, method, specs,
                     lambda e, one_round=False: config(params, n_train, method, e, one_round=one_round), batch,
                     args.probe_steps or (SMOKE["probe_steps"] if args.smoke else PROBE_STEPS),
                     args.steps or (SMOKE["steps"] if args.smoke else STEPS_PER_ROUND), spe, args.budget_s,
                     lambda result, path: measure(params, method, result, specs, data, path, args.device),
                     level_rows, table, start)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
