"""A GPU slice of Dinh et al. (2020): RVSM against ADMM with the final projection on the rvsm
study's residual surrogate (ResMLP), natural and IFGSM-20 accuracy and sparsity of each model.

    python bench/gpu_rvsm.py [--device cuda] [--budget-s 420] [--points 10000] [--out $OUT/gpu_rvsm.json]
    python bench/gpu_rvsm.py --smoke --device cpu          # a few hundred rows, tens of steps (CI)

The setting (issue 32, item 5): the study's methods ``ResMLP-RVSM`` (Alg. 1) and ``ResMLP-ADMM-proj``
(ADMM, then the final projection and a masked retraining round) of
``holistic.studies.rvsm.methods.METHODS``, both trained by the methods' PGD adversarial training
(PGD-10 of step 2/255 at eps 8/255 from a random start, the loss on the adversarial points only,
the last iterate as the profile has it), with the ``rvsm-paper`` profile's optimizer: Nesterov SGD,
lr 0.1, momentum 0.9, weight decay 5e-4, batch 128, x0.1 at 40 / 60 / 80 % of the epochs (the
profile's 80 / 120 / 160 of 200: cut in the same proportion with the epochs), its grids (RVSM beta
0.01 / 0.1 / 0.5 at lambda 1e-6; ADMM rho 0.01 at target sparsity 0.25 and 0.8), 200 epochs a
round (ADMM-proj: two rounds, the retraining from the ADMM round's last weights:
``rewind_epoch`` = the epochs; the probe's unit trains both rounds, so the plan's ``rounds`` is 1 and
``procedure_rounds`` 2, its steps a round those of each). The time budget (``--budget-s``, training only, half for each
method, the second also what the first left) may cut the epochs (``bench/gpu_slices_common.py``).
Each model is measured as the attack job measures it (``holistic.jobs.attack.measure``: natural
and IFGSM-20 accuracy (step 0.25 eps) at eps 8/255 on ``--points`` test points, and its share of
zero weights).

Departures, said here and in the JSON (``departures``): MNIST, not Fashion-MNIST (the study's CPU
profile) nor CIFAR-10 (the paper): ``bench/gpu_slices_common.py`` has only an MNIST loader. ADMM-proj
at the fixed targets of the profile's grid, not ``ResMLP-ADMM-proj-matched`` at the sparsity each
RVSM model reached: that method needs the RVSM models as its source (``train_grid(source=...)``),
which the shared ``run_slice`` / ``fit`` do not pass.

Out: ``gpu_rvsm.json`` (both methods: ``methods.<name>``, each the shared slice payload), and per
method ``gpu_rvsm_<tag>.json`` (written as it goes) and ``gpu_rvsm_<tag>_eval.json``.
"""

from __future__ import annotations

import copy
import math
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
from holistic.records.evals import eps_key, load_eval, measurements, write_eval
from holistic.studies.rvsm.methods import METHODS
from holistic.train.schedule import steps_per_epoch

PROFILE = "rvsm-paper"
#: The methods compared (file tag of each).
RUN = {"ResMLP-RVSM": "rvsm", "ResMLP-ADMM-proj": "admm"}
#: The profile's epochs and the lr milestones' shares of them (80 / 120 / 160 of 200).
EPOCHS = 200
MILESTONES = (0.4, 0.6, 0.8)
EPS = 8 / 255
TRIALS = 1
POINTS = 10_000
PROBE_STEPS = 100
DEPARTURES = ["MNIST, not Fashion-MNIST / CIFAR-10: bench/gpu_slices_common.py has only an MNIST loader",
              "ADMM-proj at the profile's fixed targets (0.25, 0.8), not ADMM-proj-matched at RVSM's sparsity: "
              "the shared run_slice does not pass a source model"]
#: The smoke run: rows of train + validation, test points, trials, epochs, batch, probe unit,
#: validation share, the grids (G = 2 each).
SMOKE = {"trainval": 300, "test": 40, "trials": 1, "epochs": 2, "batch_size": 32, "probe_steps": 2,
         "val_fraction": 0.2, "rvsm_beta": [0.01, 0.5]}


def slice_params(args) -> dict:
    """The ``rvsm-paper`` profile's params on MNIST with this slice's trials, rows and attacks."""
    p = profile_params(PROFILE)
    smoke = args.smoke
    p["seed"] = args.seed
    p["split"]["per_dataset"]["mnist"] = {"n_splits": args.trials or (SMOKE["trials"] if smoke else TRIALS),
                                          "max_trainval_rows": SMOKE["trainval"] if smoke else None,
                                          "max_test_rows": SMOKE["test"] if smoke else args.points}
    t = p["train"]
    t.update(device=args.device, min_steps_per_round=None, max_steps_per_round=None, epochs=EPOCHS)
    if smoke:
        t.update(epochs=SMOKE["epochs"], batch_size=SMOKE["batch_size"])
        t["grid"] = {**t["grid"], "rvsm_beta": SMOKE["rvsm_beta"]}
        p["split"]["val_fraction"] = SMOKE["val_fraction"]
    t["memory_budget_mb"] = args.memory_mb or (8192 if args.device.startswith("cuda") else 1024)
    a = p["attack"]
    a.update(eps=[EPS], suite={"ifgsm": ["test"]}, verify=[], adversarial="ifgsm")
    return p


def config(params: dict, n_train: int, method, epochs: int, one_round: bool = False):
    """The train job's ``TrainConfig`` with ``epochs`` a round: the lr milestones at
    :data:`MILESTONES` of them, ADMM-proj's retraining from the ADMM round's last weights
    (``rewind_epoch`` = ``epochs``); ``one_round`` (the probe's) changes nothing (the probe's
    one-epoch rounds cost what the run's do)."""
    del one_round
    p = copy.deepcopy(params)
    t = p["train"]
    t["epochs"] = epochs
    t["sparsity"] = {**t["sparsity"], "rewind_epoch": epochs}
    t["lr_schedule"] = {**t["lr_schedule"], "milestones": [max(1, round(m * epochs)) for m in MILESTONES]}
    return train_job.train_config(p, n_train, t["device"], method)


def _at(m: dict, metric: str, attack: str, eps: float | None, part: str) -> float | None:
    for (mt, at, e, pt), v in m.items():
        if (mt, at, pt) == (metric, attack, part) and (eps is None or (e is not None and eps_key(e) == eps_key(eps))):
            return finite(float(v))
    return None


def measure(params: dict, name: str, method, result, specs, data, eval_path, device: str):
    """Every model measured by the attack job, written as an eval file and read back: one dict a
    model (its grid entry, natural and IFGSM-20 accuracy in percent, sparsity in percent)."""
    params_r, _, _, round_specs = train_job.saved_models(result, specs)
    rows_ = attack_job.measure(params, method.model, params_r, round_specs, data, device=device)
    meta = {"study": "rvsm", "dataset": "mnist", "method": name}
    write_eval(eval_path, attack_job.eval_header(params, meta, get("mnist")), rows_)
    ev = load_eval(eval_path)
    per_model = []
    for i, model in enumerate(ev["models"]):
        m = measurements(model, str(eval_path), f"models[{i}]")
        per_model.append({"split": int(model["split"]), "round": model.get("round"),
                          "config": {k: v for k, v in model["config"].items() if k.startswith(("rvsm_", "admm_"))},
                          "natural": _at(m, "accuracy", "none", None, "test"),
                          "ifgsm": _at(m, "accuracy", "ifgsm", EPS, "test"),
                          "sparsity": _at(m, "sparsity", "none", None, "model")})
    return per_model, None


def level_rows(name: str, per_model: list[dict], summary=None) -> list[dict]:
    """One entry a model (the last round's: ADMM-proj's models after the projection and retraining)."""
    del summary
    last = max((m["round"] for m in per_model if m["round"] is not None), default=None)
    return [{"method": name, **m} for m in per_model if m["round"] == last]


def table(levels: list[dict], steps: int) -> str:
    fmt = lambda v: "   -  " if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:6.2f}"  # noqa: E731
    lines = [f"ResMLP on MNIST, PGD-10 AT at eps 8/255, {steps:,} steps a round (profile: {EPOCHS} epochs); "
             "accuracy % on the test points",
             "method             | setting                | natural | IFGSM-20 | sparsity %",
             "-" * 78]
    for lv in levels:
        setting = ", ".join(f"{k} {v:g}" for k, v in lv["config"].items() if k in ("rvsm_beta", "admm_sparsity"))
        lines.append(f"{lv['method']:18s} | {setting:22s} | {fmt(lv['natural'])}  | {fmt(lv['ifgsm'])}   "
                     f"| {fmt(lv['sparsity'])}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    ap = parser(__doc__, "gpu_rvsm.json")
    ap.add_argument("--points", type=int, default=POINTS, help="test points of the attacks (default 10,000)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    start = time.perf_counter()
    out = default_out("gpu_rvsm.json") if args.out is None else Path(args.out)
    params = slice_params(args)
    data, source = load_mnist(params, None if args.synthetic else (args.mirror or default_mirror()), args.synthetic)
    data = data.to(args.device)
    n_train = data.X_train.shape[1]
    batch = params["train"]["batch_size"]
    spe = steps_per_epoch(n_train, batch)
    target_steps = args.steps or params["train"]["epochs"] * spe
    probe_steps = args.probe_steps or (SMOKE["probe_steps"] if args.smoke else PROBE_STEPS)
    combined = {"script": "gpu_rvsm", "smoke": args.smoke, **device_info(args.device), "data": source,
                "dataset": "mnist", "rows": rows(data), "eps": EPS, "departures": DEPARTURES,
                "budget_s": args.budget_s, "methods": {}, "status": "training"}
    left = args.budget_s
    for i, (name, tag) in enumerate(RUN.items()):
        method = METHODS[name]
        specs = model_grid(method, params["train"]["grid"], data.X_train.shape[0])
        cfg = config(params, n_train, method, params["train"]["epochs"])
        info = {"script": "gpu_rvsm", "smoke": args.smoke, **device_info(args.device), "data": source,
                "dataset": "mnist", "rows": rows(data), "method": name, "model": method.model,
                "procedure": method.procedure, "optimizer": method.optimizer, "G": len(specs), "batch_size": batch,
                "grid": {k: v for k, v in params["train"]["grid"].items()
                         if k in ("lr", "momentum", "weight_decay") or k.startswith(method.procedure[:4])},
                "settings": cfg.settings, "procedure_rounds": method.pieces()[3].n_rounds(cfg), "eps": EPS,
                "eval_attack": {"ifgsm": params["attack"]["ifgsm"]}}
        # the probe's unit trains every round of the procedure (ADMM-proj: ADMM, then the masked retraining, each
        # the unit's epochs), so its step already costs all the rounds: the plan counts one
        info["rounds"] = 1
        budget = left / (len(RUN) - i)
        print(f"== {name}: G = {len(specs)} on {info['device_name']}; rows {info['rows']}; "
              f"{info['procedure_rounds']} rounds; training budget {budget:.0f} s", flush=True)
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
