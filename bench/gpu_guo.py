"""A GPU slice of Guo et al. (2018), Sec. 4.2 / Fig. 2: the guo study's LeNet-5 progressive sweep
(a dense reference, then 16 prunes of floor(n/3) of each layer's nonzero weights, each retrained
from the trained weights) at the paper's length a round, every round's r_inf and r_2.

    python bench/gpu_guo.py [--device cuda] [--budget-s 420] [--points 1000] [--out $OUT/gpu_guo.json]
    python bench/gpu_guo.py --smoke --device cpu          # a few hundred rows, tens of steps (CI)

The setting (issue 33, item 5): MNIST as the ``guo-paper`` profile splits it (the 60,000 training
rows less ~1,000 validation rows, the official test set), the study's method ``lenet5``
(``holistic.studies.guo.methods.METHODS``: cross-entropy, procedure ``progressive``: 16 prunes of
1/3, each round's model its last weights), Adam lr 1e-3, batch 64 (the profile's; the paper:
Caffe's LeNet solver, SGD), rounds of 50,000 steps (Caffe's ``lenet_solver``: 50,000 iterations
of batch 64, the reference's length; the paper does not state the retraining's, the profile
retrains as long). The references (G, one per split) are stacked in one grid. Every round's
model is measured as the attack job measures it (``holistic.jobs.attack.measure``) with the
profile's attack settings: r_inf, the accuracy at FGS points without the input box at eps 0.1
(``fgsm-nobox``: eq. 1), and r_2 under DeepFool (no box, its distance without the overshoot, the
mean over all points), on ``--points`` test points; read by the study's own ``levels``, with the
paper's LeNet-5 values beside where it has one (the dense net, Table 1's unregularised LeNet-5;
Table 2's Deep Compression model at the nearest sparsity).

A round is whole epochs (922 steps: 54 epochs = 49,788 steps); the time budget (``--budget-s``,
training only) may cut it (``bench/gpu_slices_common.py``); the JSON says what ran.
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
from holistic.studies.guo import levels as guo_levels
from holistic.studies.guo.methods import METHODS
from holistic.studies.guo.published import load_published
from holistic.train.schedule import steps_per_epoch

METHOD = "lenet5"
PROFILE = "guo-paper"
#: Caffe's lenet_solver (Sec. 4.2): 50,000 iterations of batch 64; every round as long.
STEPS_PER_ROUND = 50_000
REFERENCES = 3
POINTS = 1_000
PROBE_STEPS = 200
#: The smoke run: rows of train + validation, test points, references, steps a round, prunes, probe
#: unit, validation share.
SMOKE = {"trainval": 300, "test": 40, "trials": 2, "steps": 12, "prunes": 2, "probe_steps": 2, "val_fraction": 0.2}
#: Sec. 4.1: the l_inf attacks at eps 0.1.
EPS = guo_levels.EPS
R_INF, R_2 = f"r_inf:fgsm-nobox@{guo_levels.eps_label(EPS)}", "r2:deepfool"


def slice_params(args) -> dict:
    """The ``guo-paper`` profile's params with this slice's references, rows, prunes and attacks."""
    p = profile_params(PROFILE)
    smoke = args.smoke
    p["seed"] = args.seed
    p["split"]["per_dataset"]["mnist"] = {"n_splits": args.trials or (SMOKE["trials"] if smoke else REFERENCES),
                                          "max_trainval_rows": SMOKE["trainval"] if smoke else None,
                                          "max_test_rows": SMOKE["test"] if smoke else args.points}
    t = p["train"]
    t.update(device=args.device, min_steps_per_round=None, max_steps_per_round=None)
    if smoke:  # and a validation share that stratifies on a few hundred rows
        t["progressive"] = {**t["progressive"], "prunes": SMOKE["prunes"]}
        p["split"]["val_fraction"] = SMOKE["val_fraction"]
    t["memory_budget_mb"] = args.memory_mb or (8192 if args.device.startswith("cuda") else 1024)
    a = p["attack"]
    a.update(eps=[EPS], suite={"fgsm-nobox": ["test"], "deepfool": ["test"]}, verify=[], adversarial="fgsm-nobox")
    return p


def config(params: dict, n_train: int, method, epochs: int, one_round: bool = False):
    """The train job's ``TrainConfig`` with ``epochs`` a round (``one_round``: no prune: the probe's)."""
    p = copy.deepcopy(params)
    p["train"]["epochs"] = epochs
    if one_round:
        p["train"]["progressive"] = {**p["train"]["progressive"], "prunes": 0}
    return train_job.train_config(p, n_train, p["train"]["device"], method)


def measure(params: dict, method, result, specs, data, eval_path, device: str):
    """Every round model measured by the attack job, written as an eval file, and read by the
    study's levels (with the correct-point counts): ``(per-model frame, summary frame)``."""
    params_r, _, _, round_specs = train_job.saved_models(result, specs)
    rows_ = attack_job.measure(params, method.model, params_r, round_specs, data, device=device)
    meta = {"study": "guo", "dataset": "mnist", "method": METHOD}
    write_eval(eval_path, attack_job.eval_header(params, meta, get("mnist")), rows_)
    per_model = guo_levels.with_correct(guo_levels.load_levels([eval_path]), {"mnist": data.X_test.shape[1]})
    return per_model, guo_levels.summarize(per_model)


def paper_values(sparsity: float, r: int) -> dict:
    """The paper's LeNet-5 numbers for round ``r`` (weight sparsity ``sparsity`` %): the dense
    net's (Sec. 4.2 accuracy, Table 1's unregularised LeNet-5), and Table 2's sparse Deep
    Compression model for the round nearest its 99.07 % (within 0.5 points); accuracies as fractions."""
    pub = load_published()
    pub = pub[pub["dataset"] == "mnist"]
    pick = lambda rows, m: next((float(v) for v in rows[rows["measure"] == m]["mean"]), None)  # noqa: E731
    if r == 0:
        t1 = pub[(pub["method"] == "lenet5-l1-none") & (pub["source"] == "Table 1")]
        nat = pick(pub[(pub["method"] == "lenet5") & (pub["source"] == "Sec. 4.2")], "natural")
        return {"source": "Sec. 4.2 / Table 1 (no L1)", "natural": None if nat is None else nat / 100,
                "r_inf": pick(t1, R_INF), "r2": pick(t1, R_2)}
    t2 = pub[(pub["method"] == "lenet5") & (pub["source"] == "Table 2") & (pub["sparsity"] > 0)]
    if len(t2) and abs(float(t2["sparsity"].iloc[0]) - sparsity) <= 0.5:
        return {"source": f"Table 2 (Deep Compression, {float(t2['sparsity'].iloc[0]):.2f} %)", "natural": None,
                "r_inf": pick(t2, R_INF), "r2": pick(t2, R_2)}
    return {"source": None, "natural": None, "r_inf": None, "r2": None}


def level_rows(per_model, summary) -> list[dict]:
    """One entry per round: P_m and sparsity, each reference's measures, the means, the paper's."""
    out = []
    col = lambda s, m, k: finite(s[f"{m}_{k}"]) if f"{m}_{k}" in s else None  # noqa: E731
    for _, s in summary.sort_values("round").iterrows():
        r = int(s["round"])
        kept = float(s["kept_percent"])
        models = per_model[per_model["round"] == r].sort_values("split")
        out.append({"round": r, "kept_percent": kept, "sparsity": 100.0 - kept,
                    "natural_mean": col(s, "natural", "mean"), "natural_sd": col(s, "natural", "sd"),
                    "r_inf_mean": col(s, R_INF, "mean"), "r_inf_sd": col(s, R_INF, "sd"),
                    "r2_mean": col(s, R_2, "mean"), "r2_sd": col(s, R_2, "sd"),
                    "deepfool_failures_mean": col(s, "failures:deepfool", "mean"),
                    "paper": paper_values(100.0 - kept, r),
                    "references": [{"split": int(m["split"]), "natural": finite(m.get("natural")),
                                    "r_inf": finite(m.get(R_INF)), "r2": finite(m.get(R_2)),
                                    "deepfool_failures": finite(m.get("failures:deepfool"))}
                                   for _, m in models.iterrows()]})
    return out


def table(levels: list[dict], steps: int, points: int) -> str:
    fmt = lambda v, w=6, d=4: " " * (w - 1) + "-" if v is None else f"{v:{w}.{d}f}"  # noqa: E731
    lines = [f"LeNet-5 progressive on MNIST, {steps:,} steps a round (paper: 50,000), {points} test points; "
             f"r_inf: FGS without the box at eps {EPS}; r_2: DeepFool",
             "round | sparsity % | accuracy (paper) | r_inf (paper)   | r_2 (paper)", "-" * 74]
    for lv in levels:
        p = lv["paper"]
        lines.append(f"{lv['round']:5d} | {lv['sparsity']:10.2f} | {fmt(lv['natural_mean'])} ({fmt(p['natural'])}) "
                     f"| {fmt(lv['r_inf_mean'])} ({fmt(p['r_inf'])}) | {fmt(lv['r2_mean'])} ({fmt(p['r2'])})"
                     + (f"  [{p['source']}]" if p["source"] else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    ap = parser(__doc__, "gpu_guo.json")
    ap.add_argument("--points", type=int, default=POINTS, help="test points of the attacks (default 1,000)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    start = time.perf_counter()
    out = default_out("gpu_guo.json") if args.out is None else Path(args.out)
    eval_path = out.with_name(out.stem + "_eval.json")
    params = slice_params(args)
    method = METHODS[METHOD]
    data, source = load_mnist(params, None if args.synthetic else (args.mirror or default_mirror()), args.synthetic)
    data = data.to(args.device)
    n_train = data.X_train.shape[1]
    specs = model_grid(method, params["train"]["grid"], data.X_train.shape[0])
    batch = params["train"]["batch_size"]
    spe = steps_per_epoch(n_train, batch)
    cfg1 = config(params, n_train, method, 1)
    rounds = method.pieces()[3].n_rounds(cfg1)
    info = {"script": "gpu_guo", "smoke": args.smoke, **device_info(args.device), "data": source, "rows": rows(data),
            "method": METHOD, "model": method.model, "G": len(specs), "batch_size": batch,
            "lr": params["train"]["grid"]["lr"], "settings": cfg1.settings, "rounds": rounds, "eps": EPS,
            "deepfool": params["attack"].get("deepfool"), "measures": {"r_inf": R_INF, "r2": R_2}}
    print(f"{METHOD}: G = {len(specs)} references on {info['device_name']}; rows {info['rows']}; {rounds} rounds",
          flush=True)
    return run_slice(out, eval_path, info, data, method, specs,
                     lambda e, one_round=False: config(params, n_train, method, e, one_round=one_round), batch,
                     args.probe_steps or (SMOKE["probe_steps"] if args.smoke else PROBE_STEPS),
                     args.steps or (SMOKE["steps"] if args.smoke else STEPS_PER_ROUND), spe, args.budget_s,
                     lambda result, path: measure(params, method, result, specs, data, path, args.device),
                     level_rows, lambda levels, steps: table(levels, steps, data.X_test.shape[1]), start)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
