"""What a grid's training returns: every model's kept checkpoint and, for a procedure with
per-round results, every round's."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from ..evaluation.metrics import sparsity_percent


@dataclass
class TrainResult:
    """Best-validation checkpoint of every model, stacked ``[G, ...]`` (a procedure with
    ``round_results``: the final round's checkpoint by its ``selection``, and every round's in
    ``rounds``)."""

    params: dict[str, Tensor]  # effective parameters (a procedure's hard mask applied)
    state: dict[str, Tensor]   # the reduction's trained state (e.g. theta), may be empty
    best_epoch: Tensor         # [G] epoch (of the final round) of the kept checkpoint; with
                               # select_every_steps: the last epoch completed before it (-1: none),
                               # or with round_results the epoch its step falls in
    best_val_accuracy: Tensor  # [G] in [0, 1]
    val_curve: Tensor          # [epochs, G] validation accuracy per epoch of the final round
    steps: int                 # optimizer steps per model
    seconds: float             # wall time of the whole grid
    extra: dict = field(default_factory=dict)
    rounds: list[dict] = field(default_factory=list)  # per round, with ``round_results``: round_record()


def round_record(params: dict[str, Tensor], state: dict[str, Tensor], prunable: list[str], best_epoch: Tensor,
                 stop_step: Tensor, val_loss: Tensor, val_accuracy: Tensor, loss_curve: list[Tensor],
                 accuracy_curve: list[Tensor]) -> dict:
    """One round's entry of ``TrainResult.rounds`` (tensors on the CPU, ``[G]`` unless noted):

    * ``params``, ``state``: the round's kept checkpoint (effective weights ``[G, ...]``, e.g.
      ``m * theta`` with its pruned weights exactly 0) and the reduction's state;
    * ``kept_percent``: the share of the prunable weights that are nonzero there (P_m, percent);
    * ``best_epoch``: the epoch of the checkpoint (the one its step falls in); ``stop_step``: the
      round's optimizer steps up to it (the early-stopping iteration: ``(best_epoch + 1) *
      steps_per_epoch`` where the candidates are the epoch ends, the exact step with
      ``select_every_steps``);
    * ``val_loss``, ``val_accuracy``: at the checkpoint (float64);
    * ``val_loss_curve``, ``val_accuracy_curve``: ``[candidates, G]``, after every epoch of the
      round, or (``select_every_steps = K``) after its steps K, 2K, ... and its last step: point i
      is after step ``min((i + 1) K, steps of the round)`` (:func:`holistic.train.validation.candidate_steps`).
    """
    cpu = lambda d: {n: t.detach().clone().cpu() for n, t in d.items()}  # noqa: E731
    return {"params": cpu(params), "state": cpu(state),
            "kept_percent": 100.0 - sparsity_percent([params[n].detach() for n in prunable]).cpu(),
            "best_epoch": best_epoch.cpu(), "stop_step": stop_step.cpu(),
            "val_loss": val_loss.cpu(), "val_accuracy": val_accuracy.cpu(),
            "val_loss_curve": torch.stack(loss_curve).cpu(), "val_accuracy_curve": torch.stack(accuracy_curve).cpu()}


def concat_rounds(parts: list[list[dict]]) -> list[dict]:
    """The ``rounds`` of consecutive chunks of one grid as one grid's: every tensor joined along
    its model axis (dim 0; the curves' dim 1)."""
    def cat(key: str, xs: list):
        if isinstance(xs[0], dict):
            return {n: torch.cat([x[n] for x in xs]) for n in xs[0]}
        return torch.cat(xs, dim=1 if key.endswith("_curve") else 0)

    return [{k: cat(k, [r[k] for r in records]) for k in records[0]} for records in zip(*parts)]
