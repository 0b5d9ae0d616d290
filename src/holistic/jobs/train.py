"""The train job: every configuration x split of one method on one data set, and its outputs."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from ..checkpoint import save_models
from ..config import lookup
from ..data.stacked import SplitTensors
from ..methods import Method, ModelSpec, model_grid
from ..records.curves import write_curves
from ..train.chunks import train_in_chunks
from ..train.loop import TrainConfig, TrainResult, epochs_per_round
from ..train.resume import Checkpoint, file_sha256


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
          device: str | None = None, resume: Checkpoint | None = None) -> tuple[TrainResult, list[ModelSpec]]:
    """Train the method's whole grid x splits on ``data`` (going on from ``resume``, and saving
    every finished round there, when given: :func:`checkpoint`)."""
    specs = model_grid(method, params["train"]["grid"], data.X_train.shape[0])
    cfg = train_config(params, data.X_train.shape[1], device)
    budget = params["train"]["memory_budget_mb"]
    return train_in_chunks(data, method, specs, cfg, budget, log=log, label=label, resume=resume), specs


def checkpoint(out, params: dict, method: Method, inputs: tuple) -> Checkpoint:
    """The resume checkpoint of the job writing the model file ``out``: the directory
    ``<out without .safetensors>.resume/`` beside it (``models/hdl/iris/DL.resume/``; no rule's
    output, so the workflow never deletes it). Keyed by the params keys training reads (the
    method's), the SHA-256 of the ``inputs`` files (data, splits) and of the package's source
    (an edit of the code never resumes a checkpoint it did not write); the training adds the
    method, grid, settings and chunk layout (``holistic.train.chunks.training_key``)."""
    key = {"params": {k: lookup(params, k) for k in method.param_keys()},
           "inputs": [file_sha256(f) for f in inputs], "code": source_sha256()}
    return Checkpoint(Path(out).with_suffix(".resume"), key)


def source_sha256() -> str:
    """SHA-256 over the ``holistic`` package's Python files (their paths and bytes)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def save_trained(path, result: TrainResult, specs: list[ModelSpec], meta: dict) -> None:
    extra = {"best_epoch": result.best_epoch, "best_val_accuracy": result.best_val_accuracy,
             "val_curve": result.val_curve}
    save_models(path, result.params, result.state, extra, specs, meta)


def save_curves(path, result: TrainResult, specs: list[ModelSpec], meta: dict) -> None:
    """The models' validation accuracy after every epoch of the final round, as a curve file
    (``holistic.records.curves``)."""
    write_curves(path, meta["dataset"], meta["method"], result.val_curve.tolist(), specs)
