"""Stage `attack`: natural, PGD and FGSM accuracy and sparsity of every model of one job."""

import torch

from holistic import cli
from holistic.checkpoint import load_models
from holistic.data.registry import get
from holistic.data.stacked import load_stacked
from holistic.evaluation.run import evaluate_models, models_per_chunk
from holistic.io import write_json


def main():
    p = cli.parser(__doc__)
    p.add_argument("--dataset", required=True)
    p.add_argument("--method", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--splits", required=True)
    p.add_argument("--models", required=True)
    p.add_argument("--out", required=True, help="results/eval/<dataset>/<method>.json")
    args = p.parse_args()
    params = cli.params_from(args)
    cli.deterministic_torch(params)

    info = get(args.dataset)
    data = load_stacked(args.data, args.splits, params["split"]["preprocessing"])
    W, b, specs, _ = load_models(args.models)
    a = params["attack"]
    rows = evaluate_models(W, b, data, torch.tensor([s.split for s in specs]), a["rho_test"], a["pgd_steps"],
                           a["pgd_step_size"], a.get("seed", 0),
                           models_per_chunk(data, max(W[0].shape[-1], 1), params["train"]["memory_budget_mb"]))
    models = [{"config_id": s.config_id, "config": s.config, "split": s.split, **row}
              for s, row in zip(specs, rows)]
    write_json(args.out, {"dataset": args.dataset, "method": args.method,
                          "info": {"n": info.n, "p": info.p, "k": info.k, "paper_name": info.paper_name},
                          "rho_test": a["rho_test"], "models": models})


if __name__ == "__main__":
    cli.run(main)
