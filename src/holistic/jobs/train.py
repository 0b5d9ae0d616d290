"""The train job: every configuration x split of one method on one data set, and its outputs."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import replace
from pathlib import Path

import torch

from ..checkpoint import load_models, save_models
from ..config import has_key, lookup, method_params
from ..data.stacked import SplitTensors
from ..methods import Method, ModelSpec, model_grid, split_budget, split_replicate
from ..records.curves import write_curves
from ..train.chunks import train_in_chunks
from ..train.config import TrainConfig
from ..train.result import TrainResult
from ..train.resume import Checkpoint, file_sha256
from ..train.schedule import epochs_per_round


def train_config(params: dict, n_train: int, device: str | None = None, method: Method | None = None) -> TrainConfig:
    """The training settings of ``params`` for a data set of ``n_train`` training rows (with the
    ``train.*`` sections the ``method``'s pieces read, :func:`piece_sections`)."""
    t = params["train"]
    epochs = epochs_per_round(t["epochs"], n_train, t["batch_size"], t.get("max_steps_per_round"),
                              t.get("min_steps_per_round"))
    return TrainConfig(epochs=epochs, batch_size=t["batch_size"], rounds=t["sparsity"]["rounds"],
                       rewind_epoch=t["sparsity"]["rewind_epoch"], seed=params["seed"],
                       device=device or t.get("device", "cpu"),
                       select_every_steps=t.get("select_every_steps"),
                       settings=piece_sections(params, method) if method is not None else {})


def seeded_params(params: dict, name: str) -> dict:
    """The params the train job of method ``name`` runs with: ``params`` for a study's method; for
    a replicate (``DL@seed+1``: :func:`holistic.methods.split_replicate`), a copy with ``seed`` +
    its offset, the one setting a replicate changes (:func:`train_config` reads it; the data
    splits, made by the split job, and ``attack.seed`` stay the run's)."""
    _, offset = split_replicate(name)
    return params if not offset else {**params, "seed": params["seed"] + offset}


def run_params(params: dict, name: str, study: str | None = None) -> dict:
    """The params the train job of method ``name`` (of ``study``) runs with: with ``study``, the
    method's own training first (``studies.<study>.method_train.<method>`` deep-merged over
    ``train``: :func:`holistic.config.method_params`; its replicates and budgets too), then
    :func:`seeded_params`; for a step budget (``natural-init@steps=2016``:
    :func:`holistic.methods.split_budget`), a copy with ``train.min_steps_per_round`` and
    ``train.max_steps_per_round`` both the budget, the one setting a budget changes (over the
    method's own too): every round is the most whole epochs within that many steps (at least one,
    :func:`holistic.train.schedule.epochs_per_round`), whatever ``train.epochs`` says."""
    base, steps = split_budget(name)
    if study is not None:
        params = method_params(params, study, base)
    params = seeded_params(params, base)
    if steps is None:
        return params
    return {**params, "train": {**params["train"], "min_steps_per_round": steps, "max_steps_per_round": steps}}


def piece_sections(params: dict, method: Method) -> dict:
    """``TrainConfig.settings``: the params' ``train.<name>`` sections the method's pieces declare
    in their ``param_keys`` (e.g. ``{"imp": {...}}``), as set, with the method's own fixed
    ``settings`` over them (``Method.with_settings``)."""
    keys = [k for piece in [*method.pieces(), *method.training_pieces()] for k in piece.param_keys
            if k.startswith("train.") and k.count(".") == 1]
    return method.with_settings({k.split(".", 1)[1]: lookup(params, k) for k in keys if has_key(params, k)})


def run(params: dict, method: Method, data: SplitTensors, label: str = "", log=sys.stderr,
          device: str | None = None, resume: Checkpoint | None = None,
          source=None) -> tuple[TrainResult, list[ModelSpec]]:
    """Train the method's whole grid x splits on ``data`` (going on from ``resume``, and saving
    every finished round there, when given: :func:`checkpoint`); ``source``: the model file of the
    method's source (``Study.sources``), its models matched to the grid by :func:`source_params`."""
    specs = model_grid(method, params["train"]["grid"], data.X_train.shape[0])
    cfg = train_config(params, data.X_train.shape[1], device, method)
    budget = params["train"]["memory_budget_mb"]
    start = None if source is None else source_params(source, specs)
    return train_in_chunks(data, method, specs, cfg, budget, log=log, label=label, resume=resume,
                           source=start), specs


def source_params(path, specs: list[ModelSpec]) -> dict[str, torch.Tensor]:
    """The stacked params ``[G, ...]`` the models ``specs`` start from: for each, the model of the
    model file ``path`` trained on the same split whose configuration agrees on the axes both
    have (e.g. ``lr``; a dense model has no ``target_sparsity``). ValueError naming the file where
    a model has no such source model or more than one."""
    params, sources, meta = load_models(path)
    index = []
    for s in specs:
        match = [i for i, t in enumerate(sources) if t.split == s.split and t.round is None
                 and all(t.config[a] == s.config[a] for a in set(t.config) & set(s.config))]
        if len(match) != 1:
            raise ValueError(f"{path}: {len(match)} models of method {meta.get('method')!r} fit model {s.config} "
                             f"on split {s.split} (one needed: the same split and values of the shared axes)")
        index.append(match[0])
    at = torch.tensor(index)
    return {n: v.index_select(0, at) for n, v in params.items()}


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


def saved_models(result: TrainResult, specs: list[ModelSpec]) -> tuple[dict, dict, dict, list[ModelSpec]]:
    """``(params, state, extra, specs)`` of the model file: the result's kept checkpoints; for a
    procedure with ``round_results`` (``result.rounds``), every round's, round after round along
    the model axis (R x G models), each spec with its round, kept share P_m (percent) and
    early-stopping iteration (``stop_step``), and ``extra`` (``best_epoch``,
    ``best_val_accuracy``, ``val_curve`` ``[epochs, R G]``) per round model."""
    if not result.rounds:
        extra = {"best_epoch": result.best_epoch, "best_val_accuracy": result.best_val_accuracy,
                 "val_curve": result.val_curve}
        return result.params, result.state, extra, specs
    rounds = result.rounds
    cat = lambda key: {n: torch.cat([r[key][n] for r in rounds]) for n in rounds[0][key]}  # noqa: E731
    extra = {"best_epoch": torch.cat([r["best_epoch"] for r in rounds]),
             "best_val_accuracy": torch.cat([r["val_accuracy"] for r in rounds]),
             "val_curve": torch.cat([r["val_accuracy_curve"] for r in rounds], dim=1)}
    out = [replace(s, round=i, kept_percent=float(r["kept_percent"][g]), stop_step=int(r["stop_step"][g]))
           for i, r in enumerate(rounds) for g, s in enumerate(specs)]
    return cat("params"), cat("state"), extra, out


def save_trained(path, result: TrainResult, specs: list[ModelSpec], meta: dict) -> None:
    """The model file (``holistic.checkpoint``) of :func:`saved_models`."""
    params, state, extra, specs = saved_models(result, specs)
    save_models(path, params, state, extra, specs, meta)


def save_curves(path, result: TrainResult, specs: list[ModelSpec], meta: dict) -> None:
    """The models' validation accuracy after every epoch of the final round, as a curve file
    (``holistic.records.curves``)."""
    write_curves(path, meta["dataset"], meta["method"], result.val_curve.tolist(), specs)
