"""Per-model evaluation (Section 4): natural accuracy, PGD adversarial accuracy per rho,
FGSM accuracy per rho (a weaker reference attack) and sparsity, all in percent."""

from __future__ import annotations

import torch
from torch import Tensor

from ..attacks.fgsm import fgsm
from ..attacks.pgd import pgd
from ..data.stacked import SplitTensors
from ..evaluate_keys import rho_key
from ..models.mlp import predict
from ..procedures.continuous_sparsification import sparsity_percent
from ..train.engine import accuracy


def _accuracy(W, b, X, y) -> Tensor:
    return 100.0 * accuracy(W, b, X, y)


def adversarial_accuracy(W, b, X: Tensor, y: Tensor, rho: float, attack: str, steps: int, step_size: float,
                         box, generator, chunk: int = 2048) -> Tensor:
    """Accuracy ``[G]`` (percent) on adversarial inputs, attacking N in chunks to bound memory."""
    correct = torch.zeros(X.shape[0], dtype=torch.float64)
    for start in range(0, X.shape[1], chunk):
        xc, yc = X[:, start:start + chunk], y[:, start:start + chunk]
        if attack == "pgd":
            x_adv = pgd(W, b, xc, yc, rho, steps, step_size * rho / steps, box, generator)
        else:
            x_adv = fgsm(W, b, xc, yc, rho, box)
        correct += (predict(W, b, x_adv) == yc).to(torch.float64).sum(dim=1).cpu()
    return 100.0 * correct / X.shape[1]


def models_per_chunk(data: SplitTensors, hidden: int, budget_mb: float, rows: int = 2048) -> int:
    """How many models' evaluations fit in ``budget_mb`` at once (at least one)."""
    M, K = data.n_features, data.k
    n = data.X_val.shape[1] + data.X_test.shape[1]
    floats = n * (M + 1) + rows * (4 * M + 4 * hidden + 2 * K)  # the model's copy of the data, one PGD chunk
    return max(1, int(budget_mb * 2**20) // (4 * floats))


def evaluate_models(W: list[Tensor], b: list[Tensor], data: SplitTensors, split: Tensor, rho_test: list[float],
                    pgd_steps: int, pgd_step_size: float, seed: int, models_per_call: int | None = None) -> list[dict]:
    """Metrics of each of the G models; model g is evaluated on split ``split[g]``.

    Models are evaluated ``models_per_call`` at a time (all by default); each model's
    random PGD starts come from its own generator, seeded by ``seed`` and its index,
    so the chunking never changes a result.
    """
    G = len(split)
    size = models_per_call or G
    rows = []
    for start in range(0, G, size):
        sl = slice(start, start + size)
        gens = [torch.Generator().manual_seed(1_000_003 * seed + g) for g in range(start, min(G, start + size))]
        rows += _evaluate_chunk([w[sl] for w in W], [v[sl] for v in b], data, split[sl], rho_test, pgd_steps,
                                pgd_step_size, gens)
    return rows


def _evaluate_chunk(W, b, data: SplitTensors, split: Tensor, rho_test, pgd_steps, pgd_step_size, gen) -> list[dict]:
    sets = {"val": (data.X_val[split], data.y_val[split]), "test": (data.X_test[split], data.y_test[split])}
    out = {"natural": {k: _accuracy(W, b, *v) for k, v in sets.items()}, "adversarial": {}, "fgsm": {}}
    for name in ("val", "test"):
        X, y = sets[name]
        out["adversarial"][name] = {rho_key(r): adversarial_accuracy(W, b, X, y, r, "pgd", pgd_steps, pgd_step_size,
                                                                     data.box, gen) for r in rho_test}
    X, y = sets["test"]
    out["fgsm"]["test"] = {rho_key(r): adversarial_accuracy(W, b, X, y, r, "fgsm", 1, 1.0, data.box, gen)
                           for r in rho_test}
    sparsity = sparsity_percent(W)
    rows = []
    for g in range(len(split)):
        rows.append({
            "natural": {k: float(v[g]) for k, v in out["natural"].items()},
            "adversarial": {k: {r: float(t[g]) for r, t in d.items()} for k, d in out["adversarial"].items()},
            "fgsm": {k: {r: float(t[g]) for r, t in d.items()} for k, d in out["fgsm"].items()},
            "sparsity": float(sparsity[g]),
        })
    return rows
