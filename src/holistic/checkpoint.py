"""Model files: the stacked checkpoints of one training job as safetensors.

Tensors: the model's parameters by name (the MLP's ``W0..W{L-1}``, ``b0..``), the
reduction's trained state (e.g. ``theta``), ``best_epoch``, ``best_val_accuracy`` and
``val_curve``; the model grid (configurations, splits; a round model's round, kept share
and early-stopping iteration: ``ModelSpec.record``) and the job's description
(study, data set, method, model) travel in the safetensors metadata as JSON. Loading
never unpickles anything. Wall times are not stored here (they would make the file
differ between identical reruns): the train stage writes them to its log.
"""

from __future__ import annotations

import json
import os

from safetensors import safe_open
from safetensors.torch import save_file
from torch import Tensor

from .errors import DataError, RecordError
from .io import atomic_path
from .methods import ModelSpec

RESERVED = ("best_epoch", "best_val_accuracy", "val_curve")


def save_models(path: str | os.PathLike, params: dict[str, Tensor], state: dict[str, Tensor],
                extra: dict[str, Tensor], specs: list[ModelSpec], meta: dict) -> None:
    """Write ``params`` (``[G, ...]`` each), ``state`` and ``extra`` (``RESERVED`` tensors)."""
    tensors = {n: t.contiguous() for n, t in {**params, **state, **extra}.items()}
    grid = [s.record() for s in specs]
    metadata = {"grid": json.dumps(grid, sort_keys=True), "meta": json.dumps(meta, sort_keys=True),
                "params": json.dumps(list(params)), "state": json.dumps(list(state))}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)
        sort_header(tmp)


def sort_header(path: str | os.PathLike) -> None:
    """Sort the keys of a safetensors file's JSON header, in place: safetensors writes its
    metadata in the order of a randomly seeded hash map, a new order in every process
    (safetensors issue #584), so the same models would give other bytes on every run. Only
    the order changes, so the sorted header fills the same length (the padding kept)."""
    with open(path, "r+b") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        if len(text) > n:
            raise RuntimeError(f"{path}: the sorted safetensors header is longer than the written one")
        f.seek(8)
        f.write(text + b" " * (n - len(text)))


def load_models(path: str | os.PathLike) -> tuple[dict[str, Tensor], list[ModelSpec], dict]:
    """Return ``(params, specs, meta)`` from a model file written by :func:`save_models`.
    DataError naming the file (and, for a bad grid entry, the model) and the field of a
    metadata field missing or not JSON, a grid entry that is no model (``config_id``, ``split``,
    a ``round`` where given: integers >= 0; ``config`` an object) or given twice, or a tensor
    without one entry per model of the grid."""
    if not os.path.isfile(path):
        raise DataError(f"{path}: model file not found")
    try:
        f = safe_open(str(path), framework="pt")
    except Exception as exc:  # safetensors raises its own error types on a corrupt header
        raise DataError(f"{path}: not a safetensors file ({exc})") from None
    with f:
        md = f.metadata() or {}
        for needed in ("grid", "meta", "params"):
            if needed not in md:
                raise DataError(f"{path}: metadata field '{needed}' missing: not a holistic model file")
        names = json.loads(md["params"])
        missing = [n for n in names if n not in set(f.keys())]
        if missing:
            raise DataError(f"{path}: tensors {missing} listed in metadata 'params' are missing")
        params = {n: f.get_tensor(n) for n in names}
    meta, grid = (_metadata(md, k, path) for k in ("meta", "grid"))
    specs = grid_specs(grid, path, meta.get("method") if isinstance(meta, dict) else None)
    for n, t in params.items():
        if t.dim() == 0 or t.shape[0] != len(specs):
            raise RecordError(f"{path}: field '{n}': {t.shape[0] if t.dim() else 'no'} models stacked, but the "
                              f"grid has {len(specs)}")
    return params, specs, meta


def _metadata(md: dict, key: str, path) -> object:
    try:
        return json.loads(md[key])
    except (json.JSONDecodeError, TypeError) as exc:
        raise RecordError(f"{path}: metadata field '{key}': not valid JSON: {exc}") from None


def grid_specs(grid, path, method: str | None = None) -> list[ModelSpec]:
    """The model file's ``grid`` metadata as specs, each entry checked; RecordError naming the
    file, the model and the field (``grid[i].split``)."""
    if not isinstance(grid, list):
        raise RecordError(f"{path}: metadata field 'grid': must be a list of models")
    specs, seen = [], {}
    for i, g in enumerate(grid):
        where = f"{path}: model " + " ".join([*([method] if method else []), f"grid[{i}]"])
        if not isinstance(g, dict):
            raise RecordError(f"{where}: field 'grid[{i}]': must be a JSON object")
        for f in ("config_id", "split", "round"):
            v = g.get(f)
            if (v is not None or f != "round") and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                raise RecordError(f"{where}: field 'grid[{i}].{f}': must be an integer >= 0, got {v!r}")
        if not isinstance(g.get("config"), dict):
            raise RecordError(f"{where}: field 'grid[{i}].config': must be a JSON object")
        try:
            spec = ModelSpec(**g)
        except TypeError as exc:
            raise RecordError(f"{where}: field 'grid[{i}]': {exc}") from None
        key = (spec.config_id, spec.split, spec.round)
        if key in seen:
            raise RecordError(f"{where}: field 'grid[{i}]': config_id {key[0]}, split {key[1]}"
                              + ("" if key[2] is None else f", round {key[2]}") + f" already given by grid[{seen[key]}]")
        seen[key] = i
        specs.append(spec)
    return specs
