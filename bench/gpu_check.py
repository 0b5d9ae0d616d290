"""The same grid on CPU and CUDA: results agree to float tolerance (run where a GPU is present)."""

import sys
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_throughput import CONFIG, synthetic  # noqa: E402
from holistic.jobs.attack import measure  # noqa: E402
from holistic.methods import ModelSpec  # noqa: E402
from holistic.studies.hdl.methods import METHODS  # noqa: E402
from holistic.train.config import TrainConfig  # noqa: E402
from holistic.train.loop import train_grid  # noqa: E402

data = synthetic(96, 4, 3, n_splits=4)
worst = 0.0
for name, method in METHODS.items():
    specs = [ModelSpec(0, CONFIG, g % 4) for g in range(8)]
    res = {}
    for device in ("cpu", "cuda"):
        r = train_grid(data, method, specs, TrainConfig(epochs=3, batch_size=32, rounds=1, device=device), log=None)
        res[device] = r
    diff = max(float((res["cpu"].params[n] - res["cuda"].params[n].cpu()).abs().max()) for n in res["cpu"].params)
    worst = max(worst, diff)
    print(f"{name:14s} max |W_cpu - W_cuda| = {diff:.2e}  best val cpu {res['cpu'].best_val_accuracy.mean():.3f}"
          f" cuda {res['cuda'].best_val_accuracy.mean():.3f}")
cuda_data = data.to("cuda")
specs = [ModelSpec(0, CONFIG, g % 4) for g in range(8)]
r = train_grid(cuda_data, METHODS["HDL"], specs, TrainConfig(epochs=2, batch_size=32, rounds=1, device="cuda"), log=None)
params = {"threads": 1, "train": {"memory_budget_mb": 2048},
          "attack": {"eps": [0.1], "pgd_steps": 10, "pgd_step_size": 2.5, "seed": 0}}
rows = measure(params, "mlp", r.params, specs, data, device="cuda")
print("evaluation on cuda ok:", rows[0]["rows"][:4])
print("worst weight difference", worst)
