"""Model files: the stacked checkpoints of one training job as safetensors.

Tensors ``W0..W{L-1}``, ``b0..``, ``theta``, ``best_epoch``, ``best_val_accuracy``,
``val_curve``; the model grid (configurations, splits) and the training log travel in
the safetensors metadata as JSON. Loading never unpickles anything. Wall times are not stored here (they would make
the file differ between identical reruns): the train stage writes them to its log.
"""

from __future__ import annotations

import json
import os

from safetensors import safe_open
from safetensors.torch import save_file

from .errors import DataError
from .io import atomic_path
from .train.engine import TrainResult
from .train.methods import ModelSpec


def save_models(path: str | os.PathLike, result: TrainResult, specs: list[ModelSpec], meta: dict) -> None:
    tensors = {f"W{l}": w.contiguous() for l, w in enumerate(result.W)}
    tensors |= {f"b{l}": v.contiguous() for l, v in enumerate(result.b)}
    tensors |= {"theta": result.theta, "best_epoch": result.best_epoch,
                "best_val_accuracy": result.best_val_accuracy, "val_curve": result.val_curve.contiguous()}
    grid = [{"config_id": s.config_id, "config": s.config, "split": s.split} for s in specs]
    metadata = {"grid": json.dumps(grid, sort_keys=True), "meta": json.dumps(meta, sort_keys=True)}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)


def load_models(path: str | os.PathLike):
    """Return ``(W, b, specs, meta)`` from a model file written by :func:`save_models`."""
    if not os.path.isfile(path):
        raise DataError(f"{path}: model file not found")
    with safe_open(str(path), framework="pt") as f:
        md = f.metadata() or {}
        keys = set(f.keys())
        for needed in ("grid", "meta"):
            if needed not in md:
                raise DataError(f"{path}: metadata field '{needed}' missing: not a holistic model file")
        n_layers = sum(1 for k in keys if k.startswith("W"))
        W = [f.get_tensor(f"W{l}") for l in range(n_layers)]
        b = [f.get_tensor(f"b{l}") for l in range(n_layers)]
    specs = [ModelSpec(g["config_id"], g["config"], g["split"]) for g in json.loads(md["grid"])]
    return W, b, specs, json.loads(md["meta"])
