"""The train job: every configuration x split of one method on one data set, and its outputs."""

from __future__ import annotations

import sys

from ..checkpoint import save_models
from ..data.stacked import SplitTensors
from ..methods import Method, ModelSpec, model_grid
from ..train.chunks import train_in_chunks
from ..train.loop import TrainConfig, TrainResult, epochs_per_round


def train_config(params: dict, n_train: int, device: str | None = None) -> TrainConfig:
    """The training settings of ``params`` for a data set of ``n_train`` training rows."""
    t = params["train"]
    epochs = epochs_per_round(t["epochs"], n_train, t["batch_size"], t.get("max_steps_per_round"),
                              t.get("min_steps_per_round"))
    return TrainConfig(epochs=epochs, batch_size=t["batch_size"], rounds=t["sparsity"]["rounds"],
                       rewind_epoch=t["sparsity"]["rewind_epoch"], seed=params["seed"],
                       device=device or t.get("device", "cpu"),
                       select_every_steps=t.get("select_every_steps"))


def run(params: dict, method: Method, data: SplitTensors, label: str = "", log=sys.stderr,
          device: str | None = None) -> tuple[TrainResult, list[ModelSpec]]:
    """Train the method's whole grid x splits on ``data``."""
    specs = model_grid(method, params["train"]["grid"], data.X_train.shape[0])
    cfg = train_config(params, data.X_train.shape[1], device)
    return train_in_chunks(data, method, specs, cfg, params["train"]["memory_budget_mb"], log=log, label=label), specs


def save_trained(path, result: TrainResult, specs: list[ModelSpec], meta: dict) -> None:
    extra = {"best_epoch": result.best_epoch, "best_val_accuracy": result.best_val_accuracy,
             "val_curve": result.val_curve}
    save_models(path, result.params, result.state, extra, specs, meta)
