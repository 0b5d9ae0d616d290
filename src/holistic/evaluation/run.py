"""Per-model evaluation (Section 4): natural accuracy, the accuracy under each budgeted
attack of the suite at each radius, and sparsity; all in percent, as tidy records
(``holistic.records.evals``: one row per metric, attack, norm, eps and part)."""

from __future__ import annotations

import torch
from torch import Tensor

from ..data.stacked import SplitTensors
from .metrics import accuracy_percent, sparsity_percent

ROWS_PER_CALL = 2048


def attacked_accuracy(f, X: Tensor, y: Tensor, attack, eps: float, box, generator,
                      chunk: int = ROWS_PER_CALL) -> Tensor:
    """Accuracy ``[G]`` (percent) on adversarial inputs, attacking N in chunks to bound memory."""
    correct = torch.zeros(X.shape[0], dtype=torch.float64)
    for start in range(0, X.shape[1], chunk):
        xc, yc = X[:, start:start + chunk], y[:, start:start + chunk]
        x_adv = attack(f, xc, yc, eps, box, generator)
        with torch.no_grad():
            correct += (f(x_adv).argmax(-1) == yc).to(torch.float64).sum(dim=1).cpu()
    return 100.0 * correct / X.shape[1]


def models_per_eval_chunk(data: SplitTensors, model, budget_mb: float, rows: int = ROWS_PER_CALL) -> int:
    """How many models' evaluations fit in ``budget_mb`` at once (at least one)."""
    M, K = data.n_features, data.k
    _, width = model.memory_floats(data.input_shape, K, rows)
    n = data.X_val.shape[1] + data.X_test.shape[1]
    floats = n * (M + 1) + rows * 4 * width  # the model's copy of the data, one attack chunk
    return max(1, int(budget_mb * 2**20) // (4 * floats))


def evaluate_models(model, params: dict[str, Tensor], data: SplitTensors, split: Tensor,
                    suite: list[tuple[str, object, tuple[str, ...]]], eps: list[float], seed: int,
                    models_per_call: int | None = None) -> list[list[dict]]:
    """Tidy rows of each of the G models; model g is evaluated on split ``split[g]``.

    ``suite`` lists ``(name, attack, parts)``: each attack runs at every radius of ``eps``
    on the given parts (``val``, ``test``), in that order. Models are evaluated
    ``models_per_call`` at a time (all by default); each model's random starts come
    from its own generator, seeded by ``seed`` and its index, so the chunking never
    changes a result.
    """
    G = len(split)
    size = models_per_call or G
    rows = []
    for start in range(0, G, size):
        sl = slice(start, start + size)
        gens = [torch.Generator().manual_seed(1_000_003 * seed + g) for g in range(start, min(G, start + size))]
        rows += _evaluate_chunk(model, {n: p[sl] for n, p in params.items()}, data, split[sl], suite, eps, gens)
    return rows


def _evaluate_chunk(model, params, data: SplitTensors, split: Tensor, suite, eps, gens) -> list[list[dict]]:
    f = lambda x: model.forward(params, x)[0]  # noqa: E731
    sets = {"val": (data.X_val[split], data.y_val[split]), "test": (data.X_test[split], data.y_test[split])}
    columns = []  # (row template, [G] values)
    for part, (X, y) in sets.items():
        columns.append((_row("accuracy", "none", None, None, part), accuracy_percent(model.predict(params, X), y)))
    for name, attack, parts in suite:
        for part in parts:
            X, y = sets[part]
            for e in eps:
                columns.append((_row("accuracy", name, attack.norm, float(e), part),
                                attacked_accuracy(f, X, y, attack, e, data.box, gens)))
    prunable = [params[n] for n in model.prunable(params)]
    columns.append((_row("sparsity", "none", None, None, "model"), sparsity_percent(prunable)))
    return [[{**row, "value": float(v[g])} for row, v in columns] for g in range(len(split))]


def _row(metric: str, attack: str, norm: str | None, eps: float | None, part: str) -> dict:
    return {"metric": metric, "attack": attack, "norm": norm, "eps": eps, "part": part}
