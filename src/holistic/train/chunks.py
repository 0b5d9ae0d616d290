"""Training a grid in chunks of models sized to a memory budget (results unchanged)."""

from __future__ import annotations

import sys

import torch

from ..data.stacked import SplitTensors
from ..methods import Method, ModelSpec
from .loop import TrainConfig, TrainResult, train_grid


def model_bytes(model, input_shape: tuple[int, ...], k: int, n_val: int, batch_size: int) -> int:
    """A generous estimate of the memory one model of the grid needs while training."""
    n_params, width = model.memory_floats(input_shape, k, batch_size)
    floats = 8 * n_params                                # params, grads, Adam m and v, masks, best, rewind
    floats += 4 * batch_size * width                     # activations, gates and their gradients
    floats += 6 * batch_size * max(k - 1, 1) * width     # robust term: direction chain, forward and backward
    floats += min(n_val, 4096) * width                   # validation forward (evaluated in chunks of rows)
    return 4 * floats


def models_per_chunk(data: SplitTensors, model, cfg: TrainConfig, budget_mb: float) -> int:
    """How many models fit in ``budget_mb`` at once (at least one)."""
    per_model = model_bytes(model, data.input_shape, data.k, data.X_val.shape[1], cfg.batch_size)
    return max(1, int(budget_mb * 2**20) // per_model)


def train_in_chunks(data: SplitTensors, method: Method, specs: list[ModelSpec], cfg: TrainConfig,
                    budget_mb: float, log=sys.stderr, label: str = "") -> TrainResult:
    """:func:`train_grid` over consecutive chunks of the grid sized to a memory budget.

    Models are independent, so the chunking never changes any model's result.
    """
    size = models_per_chunk(data, method.pieces()[0], cfg, budget_mb)
    parts = [train_grid(data, method, specs[i:i + size], cfg, log=log, label=label)
             for i in range(0, len(specs), size)]
    if len(parts) == 1:
        return parts[0]
    cat = lambda xs, dim=0: torch.cat(xs, dim=dim)  # noqa: E731
    extra = {key: [sum((p.extra[key][r] for p in parts), []) for r in range(len(parts[0].extra[key]))]
             if key == "round_start_weight_sums" else parts[0].extra[key] for key in parts[0].extra}
    return TrainResult(
        params={n: cat([p.params[n] for p in parts]) for n in parts[0].params},
        state={n: cat([p.state[n] for p in parts]) for n in parts[0].state},
        best_epoch=cat([p.best_epoch for p in parts]),
        best_val_accuracy=cat([p.best_val_accuracy for p in parts]),
        val_curve=cat([p.val_curve for p in parts], dim=1),
        steps=parts[0].steps, seconds=sum(p.seconds for p in parts), extra=extra)
