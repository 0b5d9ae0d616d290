"""A GPU slice of SparseVLR (Kaur & Salekin), Table 2's decisive comparison on MNIST: the dense
certified ``cnn_4layer`` against RSM^T at 99 % sparsity, std / PGD-200 / IBP-verified error at eps 0.4.

    python bench/gpu_sparsevlr.py [--device cuda] [--budget-s 420] [--points 10000] [--out $OUT/gpu_sparsevlr.json]
    python bench/gpu_sparsevlr.py --smoke --device cpu     # a few hundred rows, tens of steps (CI)

The setting (issue 32, item 5): MNIST as the ``sparsevlr-paper`` profile splits it (55,000 / 5,000
training / validation rows of each split, one split a trial, the official test points), the study's
methods ``dense`` (procedure ``single_traced``) and ``RSM-T`` (``dynamic_sparse``: Algorithm 1 from
a random sparse seed, no source model) of ``holistic.studies.sparsevlr.methods.METHODS``, both with
the methods' own loss ``certified`` (eq. 4: CROWN-IBP / IBP mixture, eq. 5) at eps_max 0.4 under
the smoothed perturbation schedule, Adam lr 1e-4, batch 256, StepLR(10, 0.5) after eps_max, RSM^T
at target_sparsity 99 with the per-layer Erdos-Renyi-Kernel seed (``train.dynamic_sparse.seed_scope:
erk``) and a prune / regrow every 235 optimizer steps, as the profile has them. (T, s, l) = (100,
10, 60) epochs: the time budget (``--budget-s``, training only, half for each method, the second
also what the first left) may cut T (``bench/gpu_slices_common.py``); s, l and the lr decay's step
are then cut in the same proportion (s = max(1, round(0.1 T')), l = max(1, round(0.6 T'))): the
schedule counts epochs from 1); the 235 steps
a prune stay. Each model is measured as the attack job measures it (``holistic.jobs.attack.measure``:
clean accuracy, PGD-200 of step 2.5 eps / 200, IBP-verified accuracy, eps 0.4) on ``--points`` test
points, read by the study's own ``results.model_errors``, beside the paper's Table 2 values.

Out: ``gpu_sparsevlr.json`` (both methods: ``methods.<name>``, each the shared slice payload, and a
side-by-side ``comparison``), and per method ``gpu_sparsevlr_<tag>.json`` (written as it goes) and
``gpu_sparsevlr_<tag>_eval.json``. The smoke run uses PGD-10 (the CI's seconds), the full run PGD-200.
"""

from __future__ import annotations

import copy
import sys
import time
from pathlib import Path

import torch

from gpu_slices_common import (default_mirror, default_out, device_info, finish_pair, finite, load_mnist, parser,
                               profile_params, rows, run_slice, write)
from holistic.data.registry import get
from holistic.jobs import attack as attack_job
from holistic.jobs import train as train_job
from holistic.methods import model_grid
from holistic.records.evals import write_eval
from holistic.studies.sparsevlr.methods import LABELS, METHODS
from holistic.studies.sparsevlr.results import model_errors, summarize
from holistic.train.schedule import steps_per_epoch

PROFILE = "sparsevlr-paper"
#: The methods compared (file tag of each).
RUN = {"dense": "dense", "RSM-T": "rsmt"}
#: (T, s, l): epochs, the perturbation ramp's start and length (App. A / B.1).
EPOCHS, START, LENGTH = 100, 10, 60
TARGET_SPARSITY = 99
PRUNE_EVERY_STEPS = 235
EPS = 0.4
TRIALS = 2
POINTS = 10_000
PROBE_STEPS = 100
#: Table 2 (MNIST, cnn_4layer, eps 0.4): std / PGD / verified error, percent.
PAPER = {"dense": {"standard": 5.29, "pgd": 10.93, "ibp": 18.07},
         "RSM-T": {"standard": 8.09, "pgd": 10.63, "ibp": 23.14}}
#: The smoke run: rows of train + validation, test points, trials, epochs (T), batch, steps a prune,
#: probe unit, validation share, PGD steps.
SMOKE = {"trainval": 300, "test": 40, "trials": 2, "epochs": 3, "batch_size": 64, "prune_every_steps": 2,
         "probe_steps": 1, "val_fraction": 0.2, "pgd_steps": 10}


def slice_params(args) -> dict:
    """The ``sparsevlr-paper`` profile's params with this slice's trials, rows, sparsity and attacks."""
    p = profile_params(PROFILE)
    smoke = args.smoke
    p["seed"] = args.seed
    p["split"]["per_dataset"]["mnist"] = {"n_splits": args.trials or (SMOKE["trials"] if smoke else TRIALS),
                                          "max_trainval_rows": SMOKE["trainval"] if smoke else None,
                                          "max_test_rows": SMOKE["test"] if smoke else args.points}
    t = p["train"]
    t.update(device=args.device, min_steps_per_round=None, max_steps_per_round=None, epochs=EPOCHS)
    t["grid"] = {**t["grid"], "target_sparsity": [TARGET_SPARSITY]}
    t["dynamic_sparse"] = {**t["dynamic_sparse"], "seed_scope": "erk", "prune_every_steps": PRUNE_EVERY_STEPS}
    t["certified"] = {**t["certified"], "eps": EPS, "start": START, "length": LENGTH}
    if smoke:
        t.update(epochs=SMOKE["epochs"], batch_size=SMOKE["batch_size"])
        t["dynamic_sparse"]["prune_every_steps"] = SMOKE["prune_every_steps"]
        p["split"]["val_fraction"] = SMOKE["val_fraction"]
    t["memory_budget_mb"] = args.memory_mb or (8192 if args.device.startswith("cuda") else 1024)
    a = p["attack"]
    a.update(eps=[EPS], suite={"pgd": ["test"]}, verify=["ibp"], adversarial="pgd")
    if smoke:
        a["pgd_steps"] = SMOKE["pgd_steps"]
    return p


def config(params: dict, n_train: int, method, epochs: int, one_round: bool = False):
    """The train job's ``TrainConfig`` with ``epochs`` (both procedures train one round:
    ``one_round`` changes nothing); the ramp's start and length and the lr decay's step cut in
    proportion to ``epochs`` / T."""
    del one_round
    p = copy.deepcopy(params)
    t = p["train"]
    f = epochs / EPOCHS
    c = t["certified"]
    c.update(start=max(1, round(c["start"] * f)), length=max(1, round(c["length"] * f)))
    if c.get("lr_decay"):
        c["lr_decay"] = {**c["lr_decay"], "step_size": max(1, round(c["lr_decay"]["step_size"] * f))}
    t["epochs"] = epochs
    return train_job.train_config(p, n_train, t["device"], method)


def measure(params: dict, name: str, method, result, specs, data, eval_path, device: str):
    """Every model measured by the attack job, written as an eval file, read by the study's
    ``model_errors``: ``(per-model frame, summary frame)``."""
    params_r, _, _, round_specs = train_job.saved_models(result, specs)
    rows_ = attack_job.measure(params, method.model, params_r, round_specs, data, device=device)
    meta = {"study": "sparsevlr", "dataset": "mnist", "method": name}
    write_eval(eval_path, attack_job.eval_header(params, meta, get("mnist")), rows_)
    per_model = model_errors([eval_path], EPS)
    return per_model, summarize(per_model)


def level_rows(name: str, per_model, summary) -> list[dict]:
    """One entry (the method at its p): the mean and sd of each error, each trial's, the paper's."""
    s = summary.iloc[0]
    col = lambda k: finite(s[k]) if k in s else None  # noqa: E731
    return [{"method": name, "label": LABELS[name], "sparsity": float(s["sparsity"]),
             **{f"{e}_{k}": col(f"{e}_{k}") for e in ("standard", "pgd", "ibp") for k in ("mean", "sd")},
             "paper": PAPER[name],
             "trials": [{"split": int(m["split"]), "standard": finite(m["standard"]), "pgd": finite(m["pgd"]),
                         "ibp": finite(m["ibp"]), "measured_sparsity": finite(m["measured_sparsity"])}
                        for _, m in per_model.sort_values("split").iterrows()]}]


def table(levels: list[dict], steps: int) -> str:
    fmt = lambda v: "   -  " if v is None else f"{v:6.2f}"  # noqa: E731
    lines = [f"cnn_4layer on MNIST, eps {EPS}, CROWN-IBP training, {steps:,} steps (paper: T = {EPOCHS} epochs); "
             "errors %, test points",
             "method         | p %  | std (paper)      | PGD (paper)      | IBP-verified (paper)",
             "-" * 84]
    for lv in levels:
        p = lv["paper"]
        lines.append(f"{lv['label']:14s} | {lv['sparsity']:4.0f} | {fmt(lv['standard_mean'])} ({fmt(p['standard'])}) "
                     f"| {fmt(lv['pgd_mean'])} ({fmt(p['pgd'])}) | {fmt(lv['ibp_mean'])} ({fmt(p['ibp'])})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    ap = parser(__doc__, "gpu_sparsevlr.json")
    ap.add_argument("--points", type=int, default=POINTS, help="test points of the attacks (default 10,000)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    start = time.perf_counter()
    out = default_out("gpu_sparsevlr.json") if args.out is None else Path(args.out)
    params = slice_params(args)
    data, source = load_mnist(params, None if args.synthetic else (args.mirror or default_mirror()), args.synthetic)
    data = data.to(args.device)
    n_train = data.X_train.shape[1]
    batch = params["train"]["batch_size"]
    spe = steps_per_epoch(n_train, batch)
    target_steps = args.steps or params["train"]["epochs"] * spe
    probe_steps = args.probe_steps or (SMOKE["probe_steps"] if args.smoke else PROBE_STEPS)
    combined = {"script": "gpu_sparsevlr", "smoke": args.smoke, **device_info(args.device), "data": source,
                "rows": rows(data), "eps": EPS, "target_sparsity": TARGET_SPARSITY, "T_s_l": [EPOCHS, START, LENGTH],
                "pgd_steps": params["attack"]["pgd_steps"], "budget_s": args.budget_s, "methods": {},
                "status": "training"}
    left = args.budget_s
    for i, (name, tag) in enumerate(RUN.items()):
        method = METHODS[name]
        specs = model_grid(method, params["train"]["grid"], data.X_train.shape[0])
        cfg1 = config(params, n_train, method, EPOCHS)
        info = {"script": "gpu_sparsevlr", "smoke": args.smoke, **device_info(args.device), "data": source,
                "rows": rows(data), "method": name, "model": method.model, "loss": method.loss,
                "procedure": method.procedure, "G": len(specs), "batch_size": batch,
                "lr": params["train"]["grid"]["lr"], "settings_at_T": cfg1.settings,
                "rounds": method.pieces()[3].n_rounds(cfg1), "eps": EPS}
        budget = left / (len(RUN) - i)
        print(f"== {name}: G = {len(specs)} on {info['device_name']}; rows {info['rows']}; training budget "
              f"{budget:.0f} s", flush=True)
        t0 = time.perf_counter()
        payload = run_slice(out.with_name(f"{out.stem}_{tag}.json"), out.with_name(f"{out.stem}_{tag}_eval.json"),
                            info, data, method, specs,
                            lambda e, one_round=False, m=method: config(params, n_train, m, e, one_round), batch,
                            probe_steps, target_steps, spe, budget,
                            lambda result, path, n=name, m=method, s=specs: measure(params, n, m, result, s, data,
                                                                                    path, args.device),
                            lambda pm, sm, n=name: level_rows(n, pm, sm), table, t0)
        left = max(0.0, left - payload["timing"]["train_s"])
        payload["settings"] = config(params, n_train, method, payload["epochs_per_round"]).settings  # what ran
        combined["methods"][name] = payload
        write(out, combined)
    return finish_pair(out, combined, table, start)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
