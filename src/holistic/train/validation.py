"""Validation of a grid's models, and the checkpoint each model keeps.

Each model is kept at its best validation accuracy of the final round: checked at every
epoch's end, or (``select_every_steps = K``, the published HDL code's schedule, defect 6 of
``original_code_notes.md``) only before the final round's steps 0, K, 2K, ... (so the last
steps are never evaluated). A procedure with ``round_results`` keeps a checkpoint in every
round instead, chosen by its ``selection`` (:class:`holistic.train.pieces.Hooks`) at epoch ends,
or (``select_every_steps = K``) after the round's steps K, 2K, ... and its last step, dated by
its step within the round.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .pieces import forward_for


def accuracy(model, params: dict[str, Tensor], X: Tensor, y: Tensor) -> Tensor:
    """Per-model accuracy in [0, 1]: X ``[G, N, ...]``, y ``[G, N]``."""
    return (model.predict(params, X) == y).to(torch.float64).mean(dim=1)


def validation_loss(model, loss_fn, params: dict[str, Tensor], X: Tensor, y: Tensor, hp: dict, draws=None,
                    reference: bool = False, rows: int = 4096) -> Tensor:
    """Per-model mean ``[G]`` (float64) of the method's per-sample loss over the rows of X
    ``[G, N, ...]``, y ``[G, N]`` (in chunks of ``rows``): e.g. cross-entropy, or the adversarial
    training loss with its attack. ``draws()``: the generators of a stochastic loss (one call
    for all chunks). Autograd runs only where the loss itself takes input gradients."""
    forward = forward_for(model, loss_fn)
    params = {n: p.detach() for n, p in params.items()}
    extra = {"generators": draws()} if getattr(loss_fn, "stochastic", False) else {}
    total = torch.zeros(X.shape[0], dtype=torch.float64, device=X.device)
    for start in range(0, X.shape[1], rows):
        x, t = X[:, start:start + rows], y[:, start:start + rows]
        with torch.enable_grad():  # an attack or an input-gradient term differentiates in x
            L = loss_fn.per_sample(model, params, x, t, hp, forward(params, x), reference=reference, **extra)
        total += L.detach().to(torch.float64).sum(dim=1)
    return total / X.shape[1]


def is_candidate(step: int, round_steps: int, steps_per_epoch: int, every: int | None) -> bool:
    """Whether a procedure with ``round_results`` validates the weights after the round's
    ``step`` (counted from 1) as a candidate for the round's checkpoint: at every epoch's end,
    or (``every = K``, ``train.select_every_steps``) after steps K, 2K, ... and the round's last."""
    if every:
        return step % every == 0 or step == round_steps
    return step % steps_per_epoch == 0


def candidate_steps(round_steps: int, steps_per_epoch: int, every: int | None) -> list[int]:
    """The steps of :func:`is_candidate` in a round: those of the round's curves' points."""
    return [s for s in range(1, round_steps + 1) if is_candidate(s, round_steps, steps_per_epoch, every)]


class Kept:
    """Every model's kept checkpoint (``weights``: the effective parameters and the reduction's
    state, ``[G, ...]``) with its validation accuracy ``val`` ``[G]`` (float64; -1 before any),
    its epoch ``epoch`` ``[G]`` and, within a round of a procedure with ``round_results``, its
    mean validation loss ``loss`` and its ``step`` ``[G]``: the round's optimizer steps up to it
    (from 1; the epoch is the one that step falls in)."""

    def __init__(self, weights: dict[str, Tensor], val: Tensor, epoch: Tensor):
        self.weights, self.val, self.epoch = weights, val, epoch
        self.loss: Tensor | None = None
        self.step: Tensor | None = None

    @classmethod
    def first(cls, kept: dict[str, Tensor], G: int, device) -> "Kept":
        """Before any validation: copies of ``kept``, accuracy -1, epoch 0."""
        val = torch.full((G,), -1.0, dtype=torch.float64, device=device)
        epoch = torch.zeros(G, dtype=torch.long, device=device)
        return cls({n: p.detach().clone() for n, p in kept.items()}, val, epoch)

    def new_round(self, G: int, device, step: int, epoch: int) -> None:
        """A round's own checkpoint (``round_results``): chosen among this round's candidates, and
        dated, until one is kept, by the first candidate's ``step`` and ``epoch`` (a model that no
        candidate beats, e.g. one of NaN validation losses throughout, keeps that date)."""
        self.val = torch.full((G,), -1.0, dtype=torch.float64, device=device)
        self.loss = torch.full((G,), math.inf, dtype=torch.float64, device=device)
        self.epoch = torch.full((G,), epoch, dtype=torch.long, device=device)
        self.step = torch.full((G,), step, dtype=torch.long, device=device)

    def _take(self, better: Tensor, eff: dict[str, Tensor], state: dict[str, Tensor]) -> None:
        for n, dst in self.weights.items():
            src = (eff[n] if n in eff else state[n]).detach()
            torch.where(better.view(-1, *([1] * (dst.dim() - 1))), src, dst, out=dst)

    @torch.no_grad()
    def keep_best(self, epoch: int, acc: Tensor, eff: dict[str, Tensor], state: dict[str, Tensor],
                  keep_last: bool) -> None:
        """Where ``acc`` beats the best so far (every model with ``keep_last``), ``eff`` (and the
        reduction's ``state``) becomes the kept checkpoint, dated ``epoch``."""
        better = torch.ones_like(acc, dtype=torch.bool) if keep_last else acc > self.val
        self.val = torch.where(better, acc, self.val)
        self.epoch = torch.where(better, epoch, self.epoch)
        if bool(better.any()):
            self._take(better, eff, state)

    def keep_round_best(self, step: int, epoch: int, acc: Tensor, loss: Tensor, eff: dict[str, Tensor],
                        state: dict[str, Tensor], selection: str) -> None:
        """Where ``selection`` prefers the validation loss and accuracy of ``eff`` to the round's
        best so far (the earlier candidate wins a tie), ``eff`` becomes the round's checkpoint,
        dated ``step`` (the round's optimizer steps up to ``eff``, from 1) and ``epoch`` (the
        epoch that step falls in)."""
        if selection == "val_loss":
            better = loss < self.loss
        elif selection == "val_accuracy":
            better = acc > self.val
        else:  # "last"
            better = torch.ones_like(acc, dtype=torch.bool)
        self.val = torch.where(better, acc, self.val)
        self.loss = torch.where(better, loss, self.loss)
        self.epoch = torch.where(better, epoch, self.epoch)
        self.step = torch.where(better, step, self.step)
        with torch.no_grad():
            self._take(better, eff, state)
