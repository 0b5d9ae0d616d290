"""The second yardstick: the grid engine against PyTorch's ``torch.func`` model-ensembling recipe
(``bench/recipe.py``) and the plain one-model-at-a-time loop, side by side (issue 31, items 1 and 3).

    python bench/recipe_yardstick.py [--kinds dl,robust,pgd,ibp,sgd,eval] [--G 1,8,48,256]
                                     [--repeats 2] [--steps N] [--out results/bench/recipe_yardstick.json]

Training kinds, each on synthetic data of the shapes of ``bench/train_throughput.py`` (iris-sized
n_train 96, p 4, k 3; spambase-sized 2944, 57, 2; its ``synthetic``, 8 splits) or MNIST-sized
(512 training and 128 validation images ``1 x 28 x 28`` per split, k 10, class prototypes plus
noise in [0, 1]); batch 32:

===========  ============  ============================================================================
kind         model         engine (``train_grid``) / recipe (``bench/recipe.py``)
===========  ============  ============================================================================
``dl``       mlp 2 x 128   ``Method()``: cross-entropy, ``StackedAdam`` lr 0.01 / CE, fused Adam
``robust``   mlp 2 x 128   ``robust_linear`` rho 0.01: eq. 7 by the MLP's Jacobian chain / by ``jacrev``
``sgd``      mlp 2 x 128   ``optimizer="sgd"``, momentum 0.9, lr 0.01 / fused ``torch.optim.SGD``
``pgd``      lenet300      ``adversarial``: 0.5 CE(x) + 0.5 CE(PGD-10 x), eps 0.3, step 0.05; Adam 1e-3
``ibp``      cnn_4layer    ``certified_ibp``, eps 0.1 fixed, no lr decay, keeps the last epoch; Adam 1e-3
===========  ============  ============================================================================

Both sides do the same work: the same initial weights (the engine's initialisation, handed to the
recipe), the same per-model minibatch order (the engine's per-split generators), the same PGD
random starts (the engine's per-model draw seeds), the same steps (``--steps``, rounded to whole
epochs, at least one), and at every epoch's end the same selection: the validation accuracy of
every model on its own validation rows and a ``torch.where`` copy of the parameters of the models
that improved (every model for ``ibp``, whose loss keeps the last epoch). The engine's clock
(``TrainResult.seconds``) and the recipe's both start after the initialisation and stop after the
last selection. Where the arithmetic differs: the engine's seven-pass Adam against torch's fused
kernel, the robust term's Jacobian chain against ``jacrev``, bmm against vmapped matmuls; so the
kept models agree to rounding, checked at one G (the largest <= 8): the mean cross-entropy of the
kept models on their training rows, the relative parameter difference, the validation accuracy.

Measured per kind and data shape: the engine at each fixed G and on a grid of max(G) models with
the chunk size it picks itself (``train_in_chunks``, ``--budget-mb``), the recipe at each G (one
vmap over all models), and the plain loop on ``--plain-models`` models one after another
(``bench/plain_loop.py`` for dl and robust, ``recipe.train_plain`` for the others; fused optimizers).
Cells run in turn, ``--repeats`` times, the fastest kept; one torch thread unless ``--threads``.
G is capped where the estimated memory of one side exceeds ``--mem-mb`` (said in the output).
``eval`` runs ``recipe_eval.py`` (PGD and CROWN, engine against recipe; outputs compared).

Writes ``--out`` (JSON) and the table beside it (``.md``); prints the table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from recipe import (N_SPLITS, Setup, functional_call, init_stacked, structure, to_recipe, train_plain,  # noqa: E402
                    train_recipe, vmap)
from train_throughput import machine, plain, synthetic  # noqa: E402
from holistic.data.stacked import SplitTensors  # noqa: E402
from holistic.io import write_json, write_text  # noqa: E402
from holistic.methods import Method, ModelSpec  # noqa: E402
from holistic.models import MODELS  # noqa: E402
from holistic.train.chunks import chunk_size, train_in_chunks  # noqa: E402
from holistic.train.config import TrainConfig  # noqa: E402
from holistic.train.loop import train_grid  # noqa: E402

BATCH = 32
SHAPES = {"iris-sized": (96, (4,), 3), "spambase-sized": (2944, (57,), 2), "mnist-sized": (512, (1, 28, 28), 10)}
MLP_SHAPES = ("iris-sized", "spambase-sized")
KINDS = {
    "dl": (Setup("dl", "mlp", lr=0.01), Method(), MLP_SHAPES),
    "robust": (Setup("robust", "mlp", lr=0.01, rho=0.01), Method(loss="robust_linear"), MLP_SHAPES),
    "sgd": (Setup("sgd", "mlp", lr=0.01, momentum=0.9), Method(optimizer="sgd"), MLP_SHAPES),
    "pgd": (Setup("pgd", "lenet300", lr=1e-3, eps=0.3, steps=10, alpha=0.05, weight=0.5),
            Method(loss="adversarial", model="lenet300"), ("mnist-sized",)),
    "ibp": (Setup("ibp", "cnn_4layer", lr=1e-3, eps=0.1), Method(loss="certified_ibp", model="cnn_4layer"),
            ("mnist-sized",)),
}


def images(n_train: int, shape: tuple[int, ...], k: int, n_splits: int, n_val: int = 128, seed: int = 0):
    """MNIST-shaped data in [0, 1]: 0.6 x a class prototype + 0.4 x uniform noise (learnable)."""
    g = torch.Generator().manual_seed(seed)
    proto = torch.rand(k, *shape, generator=g)

    def draw(n):
        y = torch.randint(0, k, (n_splits, n), generator=g)
        return 0.6 * proto[y] + 0.4 * torch.rand(n_splits, n, *shape, generator=g), y

    (X, y), (Xv, yv) = draw(n_train), draw(n_val)
    return SplitTensors(X, y, Xv, yv, Xv, yv, k, (0.0, 1.0))


def dataset(name: str) -> SplitTensors:
    n, shape, k = SHAPES[name]
    return synthetic(n, shape[0], k, N_SPLITS) if len(shape) == 1 else images(n, shape, k, N_SPLITS)


def engine_parts(kind: str, epochs: int, G: int):
    setup, method, _ = KINDS[kind]
    config = {"lr": setup.lr, "rho": setup.rho, "momentum": setup.momentum, "weight_decay": 0.0}
    settings = {"pgd": {"adversarial": {"attack": "pgd", "eps": setup.eps, "steps": setup.steps,
                                        "step_size": setup.alpha, "weight": setup.weight}},
                "ibp": {"certified": {"eps": setup.eps, "schedule": "fixed", "lr_decay": None}}}.get(kind, {})
    return method, [ModelSpec(0, config, g % N_SPLITS) for g in range(G)], TrainConfig(epochs, BATCH, settings=settings)


def engine(kind: str, data, G: int, epochs: int, keep: bool) -> dict:
    method, specs, cfg = engine_parts(kind, epochs, G)
    res = train_grid(data, method, specs, cfg, log=None)
    return {"rate": G * res.steps / res.seconds, "seconds": res.seconds, "steps": res.steps,
            **({"result": res} if keep else {})}


def engine_auto(kind: str, data, n: int, epochs: int, budget_mb: float) -> dict:
    method, specs, cfg = engine_parts(kind, epochs, n)
    res = train_in_chunks(data, method, specs, cfg, budget_mb, log=None)
    return {"rate": n * res.steps / res.seconds, "seconds": res.seconds, "steps": res.steps,
            "chunk": chunk_size(data, method, cfg, budget_mb)}


def recipe(kind: str, data, G: int, epochs: int, keep: bool) -> dict:
    setup = KINDS[kind][0]
    splits = [g % N_SPLITS for g in range(G)]
    r = train_recipe(setup, data, splits, to_recipe(setup.model, init_stacked(setup.model, data, splits)), epochs)
    return {"rate": G * r.steps / r.seconds, "seconds": r.seconds, "steps": r.steps, **({"result": r} if keep else {})}


def plain_loop(kind: str, data, n_models: int, epochs: int) -> dict:
    if kind in ("dl", "robust"):
        return plain(data, {"dl": "DL", "robust": "Robust"}[kind], n_models, epochs, "fused")
    setup, seconds, steps = KINDS[kind][0], 0.0, 0
    for g in range(n_models):
        init = {k: v[0] for k, v in to_recipe(setup.model, init_stacked(setup.model, data, [g])).items()}
        r = train_plain(setup, data, g, init, epochs)
        seconds, steps = seconds + r.seconds, steps + r.steps
    return {"rate": steps / seconds, "seconds": seconds, "steps": steps}


def memory_mb(kind: str, data, G: int) -> float:
    """A rough peak of one side at G: parameters, gradients, Adam's moments, the kept and initial
    copies, plus activations of a batch (x 11 passes for PGD) and the validation rows."""
    setup = KINDS[kind][0]
    P, A = MODELS[setup.model].memory_floats(data.input_shape, data.k, BATCH)
    passes = setup.steps + 2 if kind == "pgd" else 4
    return G * (7 * P + 2 * passes * BATCH * A + data.X_val.shape[1] * data.n_features) * 4 / 2**20


def train_ce(model: str, data, splits: list[int], params: dict) -> float:
    """The mean cross-entropy of the models (recipe names) on their own training rows."""
    base = structure(model, data.input_shape, data.k)
    X, y = data.X_train[splits], data.y_train[splits]
    with torch.no_grad():
        z = vmap(lambda p, x: functional_call(base, p, (x,)))(params, X)
        return float((torch.logsumexp(z, -1) - z.gather(-1, y[..., None]).squeeze(-1)).mean())


def agreement(kind: str, data, G: int, eng: dict, rec: dict) -> dict:
    model = KINDS[kind][0].model
    splits = [g % N_SPLITS for g in range(G)]
    pe, pr = to_recipe(model, eng["result"].params), rec["result"].params
    flat = lambda p: torch.cat([p[k].flatten(1) for k in sorted(p)], 1)  # noqa: E731
    fe, fr = flat(pe), flat(pr)
    ce_e, ce_r = train_ce(model, data, splits, pe), train_ce(model, data, splits, pr)
    ve, vr = eng["result"].best_val_accuracy, rec["result"].val
    return {"G": G, "engine_train_ce": ce_e, "recipe_train_ce": ce_r, "train_ce_rel_diff": abs(ce_e - ce_r) / ce_e,
            "param_rel_diff": float(((fe - fr).norm(dim=1) / fe.norm(dim=1)).max()),
            "engine_val_acc": float(ve.mean()), "recipe_val_acc": float(vr.mean()),
            "val_acc_equal_share": float((ve == vr).double().mean())}


def measure(args, kind: str, name: str, data) -> tuple[list[dict], dict, dict]:
    """One kind on one data shape: fixed-G rows, the self-chunked row, the agreement."""
    spe = -(-data.X_train.shape[1] // BATCH)
    epochs = max(1, round(args.steps / spe))
    Gs = [G for G in args.G if memory_mb(kind, data, G) <= args.mem_mb]
    capped = [G for G in args.G if G not in Gs]
    if not Gs:
        raise SystemExit(f"{kind} on {name}: every G is over --mem-mb {args.mem_mb:.0f}")
    check = max([G for G in Gs if G <= 8], default=min(Gs))
    engine(kind, data, 2, 1, False), recipe(kind, data, 2, 1, False)  # warm-up
    cells = {}
    for G in Gs:
        cells[("engine", G)] = lambda G=G: engine(kind, data, G, epochs, G == check)
        cells[("recipe", G)] = lambda G=G: recipe(kind, data, G, epochs, G == check)
    cells[("plain",)] = lambda: plain_loop(kind, data, args.plain_models, epochs)
    cells[("auto",)] = lambda: engine_auto(kind, data, max(Gs), epochs, args.budget_mb)
    best = {}
    for _ in range(args.repeats):
        for key, run in cells.items():
            r = run()
            if key not in best or r["rate"] > best[key]["rate"]:
                best[key] = r
    loop = best[("plain",)]["rate"]
    rows = [{"kind": kind, "data": name, "G": G, "steps": best[("engine", G)]["steps"],
             "engine_rate": best[("engine", G)]["rate"], "recipe_rate": best[("recipe", G)]["rate"],
             "plain_rate": loop, "engine_vs_recipe": best[("engine", G)]["rate"] / best[("recipe", G)]["rate"],
             "engine_vs_plain": best[("engine", G)]["rate"] / loop,
             "recipe_vs_plain": best[("recipe", G)]["rate"] / loop} for G in Gs]
    top = max(Gs, key=lambda G: best[("recipe", G)]["rate"])
    a = best[("auto",)]
    auto = {"kind": kind, "data": name, "models": max(Gs), "chunk": a["chunk"], "engine_rate": a["rate"],
            "recipe_rate": best[("recipe", max(Gs))]["rate"], "recipe_best_G": top,
            "recipe_best_rate": best[("recipe", top)]["rate"], "plain_rate": loop,
            "engine_vs_recipe": a["rate"] / best[("recipe", max(Gs))]["rate"],
            "engine_vs_best_recipe": a["rate"] / best[("recipe", top)]["rate"], "engine_vs_plain": a["rate"] / loop,
            "capped_G": capped}
    agree = {"kind": kind, "data": name, **agreement(kind, data, check, best[("engine", check)],
                                                      best[("recipe", check)])}
    return rows, auto, agree


def markdown(result: dict) -> str:
    m = result["machine"]
    md = [f"Engine vs the torch.func recipe vs the plain loop ({m['cpus']} CPUs, {m['threads']} torch threads, torch "
          f"{result['torch']}, --steps {result['steps']} in whole epochs, best of {result['repeats']}): "
          "model-steps/s.", "",
          "| kind | data | G | engine | recipe | plain | engine / recipe | engine / plain |",
          "|---|---|---:|---:|---:|---:|---:|---:|"]
    for kind, name in dict.fromkeys((r["kind"], r["data"]) for r in result["rows"]):
        for r in (r for r in result["rows"] if (r["kind"], r["data"]) == (kind, name)):
            md.append(f"| {kind} | {name} | {r['G']} | {r['engine_rate']:.0f} | {r['recipe_rate']:.0f} | "
                      f"{r['plain_rate']:.0f} | {r['engine_vs_recipe']:.2f} | {r['engine_vs_plain']:.2f} |")
        a = next(a for a in result["auto"] if (a["kind"], a["data"]) == (kind, name))
        md.append(f"| {kind} | {name} | {a['models']} in chunks of {a['chunk']} | {a['engine_rate']:.0f} | "
                  f"{a['recipe_rate']:.0f} (best: {a['recipe_best_rate']:.0f} at G={a['recipe_best_G']}) | "
                  f"{a['plain_rate']:.0f} | {a['engine_vs_recipe']:.2f} ({a['engine_vs_best_recipe']:.2f}) | "
                  f"{a['engine_vs_plain']:.2f} |" + (f" capped: G {a['capped_G']}" if a["capped_G"] else ""))
    if result["agreement"]:
        md += ["", "Same work: the kept models of both sides at one G (mean training cross-entropy, max relative "
               "parameter difference, validation accuracy).", "",
               "| kind | data | G | engine CE | recipe CE | rel. diff | param rel. diff | val acc engine / recipe |",
               "|---|---|---:|---:|---:|---:|---:|---:|"]
        md += [f"| {a['kind']} | {a['data']} | {a['G']} | {a['engine_train_ce']:.4f} | {a['recipe_train_ce']:.4f} | "
               f"{a['train_ce_rel_diff']:.1e} | {a['param_rel_diff']:.1e} | {a['engine_val_acc']:.3f} / "
               f"{a['recipe_val_acc']:.3f} |" for a in result["agreement"]]
    if result["eval"]:
        md += ["", f"Evaluation (eps {result['eval_eps']}): model-points/s, outputs compared (points equal: PGD).",
               "", "| eval | model | data | G | points | engine | recipe | engine / recipe | max abs diff | points "
               "equal | decisions agree | within tolerance |",
               "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for e in result["eval"]:
            head = f"| {e['eval']} | {e['model']} | {e['data']} | {e['G']} |"
            if "skipped" in e:
                md.append(f"{head} | | | | | | | {e['skipped']} |")
                continue
            equal = f"{e['points_equal']:.3f}" if "points_equal" in e else ""
            md.append(f"{head} {e['points']} | {e['engine_rate']:.1f} | {e['recipe_rate']:.1f} | "
                      f"{e['engine_vs_recipe']:.2f} | {e['max_abs_diff']:.1e} | {equal} | {e['decisions_agree']:.3f} | "
                      f"{'yes' if e['ok'] else 'NO'} |")
    return "\n".join(md) + "\n"


def run(args, datasets: dict | None = None) -> dict:
    """The measurement of ``args`` (:func:`parse`); ``datasets``: other data of the shapes' names (tests)."""
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    datasets = datasets or {name: dataset(name) for name in SHAPES}
    result = {"machine": machine(argparse.Namespace(device="cpu")), "torch": torch.__version__, "steps": args.steps,
              "repeats": args.repeats, "G": args.G, "date": time.strftime("%Y-%m-%d"), "rows": [], "auto": [],
              "agreement": [], "eval": [], "recipe": "torch.func: stack_module_state, vmap(grad(loss of "
              "functional_call)), one fused torch.optim over the stack"}
    for kind in [k for k in args.kinds if k in KINDS]:
        for name in KINDS[kind][2]:
            rows, auto, agree = measure(args, kind, name, datasets[name])
            result["rows"] += rows
            result["auto"].append(auto)
            result["agreement"].append(agree)
            for r in rows:
                print(f"{kind:6s} {name:15s} G={r['G']:4d} engine {r['engine_rate']:8.0f} recipe "
                      f"{r['recipe_rate']:8.0f} plain {r['plain_rate']:6.0f} | engine/recipe "
                      f"{r['engine_vs_recipe']:5.2f} engine/plain {r['engine_vs_plain']:5.2f}", flush=True)
            print(f"{kind:6s} {name:15s} {auto['models']} models, chunks of {auto['chunk']}: engine "
                  f"{auto['engine_rate']:.0f} ({auto['engine_vs_recipe']:.2f}x the recipe at G={auto['models']}); "
                  f"same work: CE {agree['engine_train_ce']:.4f} / {agree['recipe_train_ce']:.4f}, params "
                  f"{agree['param_rel_diff']:.1e}", flush=True)
    if "eval" in args.kinds:
        from recipe_eval import EPS, run_eval

        result["eval"], result["eval_eps"] = run_eval(datasets, args.G, args.points, args.repeats, args.mem_mb), EPS
    result["wall_seconds"] = time.perf_counter() - start
    out = Path(args.out)
    write_json(out, result)
    write_text(out.with_suffix(".md"), markdown(result))
    print(markdown(result))
    return result


def parse(argv=None):
    ints = lambda s: [int(v) for v in s.split(",")]  # noqa: E731
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kinds", type=lambda s: s.split(","), default=[*KINDS, "eval"])
    ap.add_argument("--G", type=ints, default=[1, 8, 48, 256])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--steps", type=int, default=64, help="optimizer steps a model, rounded to whole epochs")
    ap.add_argument("--plain-models", type=int, default=2, help="models of the plain loop, one after another")
    ap.add_argument("--points", type=int, default=64, help="evaluation points a model")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--budget-mb", type=float, default=2048.0, help="the engine's train.memory_budget_mb")
    ap.add_argument("--mem-mb", type=float, default=8192.0, help="cap G where one side's estimate exceeds this")
    ap.add_argument("--out", default=str(ROOT / "results" / "bench" / "recipe_yardstick.json"))
    args = ap.parse_args(argv)
    unknown = set(args.kinds) - {*KINDS, "eval"}
    if unknown:
        ap.error(f"unknown kinds {sorted(unknown)}; known: {', '.join([*KINDS, 'eval'])}")
    return args


if __name__ == "__main__":
    run(parse())
