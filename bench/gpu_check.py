"""The same grid on CPU and CUDA: results agree to float tolerance (run where a GPU is present)."""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_throughput import CONFIG, synthetic  # noqa: E402
from holistic.evaluation.run import evaluate_models  # noqa: E402
from holistic.train.engine import TrainConfig, train_grid  # noqa: E402
from holistic.train.methods import METHODS, ModelSpec  # noqa: E402

data = synthetic(96, 4, 3, n_splits=4)
worst = 0.0
for method in METHODS:
    specs = [ModelSpec(0, CONFIG, g % 4) for g in range(8)]
    res = {}
    for device in ("cpu", "cuda"):
        r = train_grid(data, method, specs, TrainConfig(epochs=3, batch_size=32, rounds=1, device=device), log=None)
        res[device] = r
    diff = max(float((a - c).abs().max()) for a, c in zip(res["cpu"].W, res["cuda"].W))
    worst = max(worst, diff)
    print(f"{method:14s} max |W_cpu - W_cuda| = {diff:.2e}  best val cpu {res['cpu'].best_val_accuracy.mean():.3f}"
          f" cuda {res['cuda'].best_val_accuracy.mean():.3f}")
cuda_data = data.to("cuda")
r = train_grid(cuda_data, "HDL", [ModelSpec(0, CONFIG, g % 4) for g in range(8)],
               TrainConfig(epochs=2, batch_size=32, rounds=1, device="cuda"), log=None)
rows = evaluate_models([w.cuda() for w in r.W], [v.cuda() for v in r.b], cuda_data,
                       torch.arange(8, device="cuda") % 4, [0.1], 10, 2.5, 0)
print("evaluation on cuda ok:", rows[0]["adversarial"]["test"])
print("worst weight difference", worst)
