"""Stage `train`: every configuration x split of one method on one data set."""

from holistic import cli
from holistic.checkpoint import save_models
from holistic.data.stacked import load_stacked
from holistic.io import write_json
from holistic.train.engine import TrainConfig, epochs_per_round, train_in_chunks
from holistic.train.methods import model_grid


def main():
    p = cli.parser(__doc__)
    p.add_argument("--dataset", required=True)
    p.add_argument("--method", required=True)
    p.add_argument("--data", required=True, help="data/raw/<dataset>.npz")
    p.add_argument("--splits", required=True, help="data/splits/<dataset>.npz")
    p.add_argument("--out", required=True, help="models/<dataset>/<method>.safetensors")
    p.add_argument("--log", required=True, help="logs/train/<dataset>/<method>.json (timing, curves)")
    args = p.parse_args()
    params = cli.params_from(args)
    cli.deterministic_torch(params)

    data = load_stacked(args.data, args.splits, params["split"]["preprocessing"])
    t = params["train"]
    specs = model_grid(args.method, t["grid"], data.X_train.shape[0])
    epochs = epochs_per_round(t["epochs"], data.X_train.shape[1], t["batch_size"], t.get("max_steps_per_round"))
    cfg = TrainConfig(epochs=epochs, batch_size=t["batch_size"], rounds=t["sparsity"]["rounds"],
                      rewind_epoch=t["sparsity"]["rewind_epoch"], seed=params["seed"], device=t.get("device", "cpu"))
    result = train_in_chunks(data, args.method, specs, cfg, t["memory_budget_mb"])
    save_models(args.out, result, specs, {"dataset": args.dataset, "method": args.method})
    write_json(args.log, {"dataset": args.dataset, "method": args.method, "models": len(specs),
                          "steps": result.steps, "seconds": result.seconds,
                          "seconds_per_batch": result.seconds / max(result.steps, 1),
                          "best_epoch": result.best_epoch.tolist(),
                          "best_val_accuracy": result.best_val_accuracy.tolist()})


if __name__ == "__main__":
    cli.run(main)
