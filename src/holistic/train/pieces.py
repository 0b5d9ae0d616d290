"""What the grid trainer (:mod:`holistic.train.loop`) reads of a method's pieces, and the helpers
the pieces share with it.

A method is a model, a per-sample loss, a reduction and a procedure (``holistic.methods.Method``),
duck-typed: what each must have is listed in :mod:`holistic.objectives` and
:mod:`holistic.procedures`. The optional parts, none of which changes a method that does not use
them, are read here, in one place (:class:`Hooks`, :func:`configured`, :func:`is_noisy`,
:func:`forward_for`, :func:`init_procedure_state`):

* ``piece.configured(settings, box) -> piece``: any piece, bound to its params values
  (``TrainConfig.settings``: the params' ``train`` sub-sections the pieces read, e.g.
  ``{"imp": {...}}`` for ``train.imp``; read with :func:`piece_settings`) and the data's input
  box (``SplitTensors.box``).
* ``procedure.init_state(params, prunable, hp=, source=)``: where ``init_state`` takes them, it
  gets the ``[G]`` hyperparameters and ``source``, the stacked ``[G, ...]`` params (aligned with
  the specs) of the models a procedure starts from (``procedure.needs_source``: e.g. PM^T's
  dense model); a procedure that needs one and gets none is a ValueError.
* ``procedure.n_rounds(cfg) == 0``: no training; the model is what ``init_state`` and
  ``effective`` make of the initialisation (and ``source``), validated once (e.g. SparseVLR's PM:
  a converged dense model, pruned, no retraining).
* ``model.noisy(input_shape, k) -> bool`` (:mod:`holistic.models.noise`): a noise-injected
  model's training steps run under ``noise.sampling(generators, at_predict=False)``, one
  generator per model seeded by its split (:func:`holistic.train.seeds.noise_seed`), its
  validation under ``noise.off()``; the generators' states are part of the resume point
  (``RoundState.noise``).
* ``loss.uses_aux = False`` with ``model.logits``: the loss reads only the logits, and the model's
  logits-only forward is used (:func:`forward_for`).
* the hooks of :class:`Hooks`: what a round starts from, per-round checkpoints and their
  selection, per-step hyperparameters, learning-rate decay, gradient clipping, random draws of
  the loss, and the procedure's calls before and after a step, after an epoch and after a round.

Pieces import this module, never the trainer; it imports nothing of ``holistic``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field, fields
from typing import Callable

#: What a round after the first may start from (``procedure.start_from``; :class:`Hooks`).
ROUND_STARTS = ("rewind", "initial", "fresh", "trained")

#: How a procedure with ``round_results`` chooses each round's checkpoint (:class:`Hooks`).
SELECTIONS = ("val_accuracy", "val_loss", "last")


def piece_settings(settings: dict, key: str, defaults: dict) -> dict:
    """A piece's settings ``settings[key]`` (the params section ``train.<key>``, optional) over
    its ``defaults``; an unknown key is a ValueError naming it and the known ones."""
    given = dict(settings.get(key) or {})
    unknown = set(given) - set(defaults)
    if unknown:
        raise ValueError(f"unknown train.{key} keys {sorted(unknown)}; known: {', '.join(defaults)}")
    return {**defaults, **given}


def configured(piece, settings: dict, box: tuple[float, float] | None):
    """``piece`` bound to its settings and the data's input box where it reads them
    (``piece.configured(settings, box)``), else the registered piece itself."""
    return piece.configured(settings, box) if hasattr(piece, "configured") else piece


def _from_rewind(r: int) -> str:
    return "rewind"


def _on(owner: str, default=None):
    """A field of :class:`Hooks`: the attribute of the same name on the ``owner`` piece."""
    return field(default=default, metadata={"on": owner})


@dataclass(frozen=True)
class Hooks:
    """The optional hooks of a method's procedure and loss: the attribute of each field's name on
    its piece, or the field's default where the piece has none (:meth:`of`). Every ``(params,
    state, hp, ...)`` hook runs under ``torch.no_grad`` on the stacked ``[G, ...]`` tensors."""

    #: ``procedure.start_from(r) -> str``: what round ``r > 0`` starts from (:data:`ROUND_STARTS`):
    #: ``rewind`` (the rewind point, ``cfg.rewind_epoch`` of round 0: the default), ``initial``
    #: (the weights and the reduction's state the training started from, bit for bit), ``fresh``
    #: (a new initialisation, seeded per model and round: :func:`holistic.train.seeds.round_seed`)
    #: or ``trained`` (where the previous round ended: continued training).
    start_from: Callable[[int], str] = _on("procedure", _from_rewind)
    #: ``procedure.round_results = True``: every round, not only the final one, keeps a checkpoint,
    #: chosen by :attr:`selection` at epoch ends, or (``train.select_every_steps`` K) after the
    #: round's steps K, 2K, ... and its last step; ``TrainResult.rounds`` holds each round's
    #: checkpoint and metrics (:func:`holistic.train.result.round_record`), and the result's own
    #: checkpoint is the final round's.
    round_results: bool = _on("procedure", False)
    #: ``procedure.before_step(params, state, hp, final)``: after the backward, before the
    #: optimizer step, with the loss's own gradients (e.g. logging the gradient flow).
    before_step: Callable | None = _on("procedure")
    #: ``procedure.after_step(params, state, hp, final)``: after every optimizer step.
    after_step: Callable | None = _on("procedure")
    #: ``procedure.every_steps`` K (None: unused) with ``procedure.after_steps(params, state, hp,
    #: epoch, done, final, trace)``: after the optimizer steps K, 2K, ... of every round and after
    #: its last (``done``: the round's steps so far; the cadence of ``select_every_steps``), before
    #: that step's epoch end (e.g. SparseVLR's prune every K steps, ``train.dynamic_sparse``).
    every_steps: int | None = _on("procedure")
    after_steps: Callable | None = _on("procedure")
    #: ``procedure.end_epoch(params, state, hp, epoch, final, trace)``: after each epoch's last
    #: step, before the epoch's validation.
    end_epoch: Callable | None = _on("procedure")
    #: ``procedure.after_round(params, state, hp, r, final, trace)``: after every round's last
    #: epoch and its validation, with the trained weights (e.g. pruning them).
    after_round: Callable | None = _on("procedure")
    #: ``loss.stochastic = True``: the loss draws random numbers (an attack's random start); it
    #: gets ``generators=``, one ``torch.Generator`` per model seeded by the model's split, the step
    #: and the part (train or validation; :func:`holistic.train.seeds.draw_seed`), so a model
    #: draws the same alone or in any grid, on every rerun and after a resume.
    stochastic: bool = _on("loss", False)
    #: ``loss.at_step(hp, epoch, step, steps_per_epoch) -> dict``: per-step hyperparameters (the
    #: certified loss's ``eps_t`` ``[G]``): every step uses ``hp_t = {**hp, **at_step(...)}`` (in
    #: ``effective``, ``per_sample``, ``reduce`` and the step hooks); the epoch's validation and
    #: ``end_epoch`` use the epoch's last ``hp_t``.
    at_step: Callable | None = _on("loss")
    #: ``loss.lr_factor(epoch, steps_per_epoch) -> float``: learning-rate decay; at each epoch's
    #: start (of every round) every model's rate becomes ``hp["lr"] * factor``, times the method's
    #: learning-rate schedule's where it has one (the optimizer's ``set_lr``, only when the rates
    #: change: a factor of 1.0 changes no bit; :class:`holistic.train.optimizers.schedules.Rates`).
    lr_factor: Callable | None = _on("loss")
    #: ``loss.clip_grad_norm`` (a float, or None): then, before the optimizer step, the gradients
    #: of the model's parameters are clipped to that L2 norm per model (:mod:`holistic.train.clip`).
    clip_grad_norm: float | None = _on("loss")
    #: ``selection`` on the procedure or the loss (the procedure's first): with ``round_results``
    #: one of :data:`SELECTIONS` (``val_accuracy`` the highest validation accuracy, ``val_loss``
    #: the lowest mean validation loss of the method's own per-sample loss, ``last`` the round's
    #: last epoch); otherwise ``val_accuracy`` (the default) or ``last``: the final round's last
    #: epoch is the checkpoint (e.g. the certified loss: SparseVLR reports the trained model).
    selection: str = "val_accuracy"

    @classmethod
    def of(cls, loss, procedure) -> "Hooks":
        """The hooks ``loss`` and ``procedure`` declare."""
        pieces = {"loss": loss, "procedure": procedure}
        given = {f.name: getattr(pieces[f.metadata["on"]], f.name, f.default)
                 for f in fields(cls) if "on" in f.metadata}
        selection = getattr(procedure, "selection", None) or getattr(loss, "selection", None) or cls.selection
        return cls(**given, selection=selection)

    @property
    def keep_last(self) -> bool:
        """Without ``round_results``, selection ``last``: the final round's last epoch is kept."""
        return not self.round_results and self.selection == "last"

    def round_starts(self, n_rounds: int) -> set[str]:
        """What rounds ``1 .. n_rounds - 1`` start from; ValueError for one not in :data:`ROUND_STARTS`."""
        starts = {self.start_from(r) for r in range(1, n_rounds)}
        if not starts <= set(ROUND_STARTS):
            raise ValueError(f"round starts {sorted(starts - set(ROUND_STARTS))}: not one of {', '.join(ROUND_STARTS)}")
        return starts

    def check_selection(self, select_every_steps: int | None) -> None:
        """ValueError for a selection this procedure cannot use (:attr:`selection`)."""
        if self.round_results and self.selection not in SELECTIONS:
            raise ValueError(f"selection {self.selection!r}: not one of {', '.join(SELECTIONS)}")
        if not self.round_results and self.selection not in ("val_accuracy", "last"):
            raise ValueError(f"selection {self.selection!r} without round_results: one of val_accuracy, last")
        if self.keep_last and select_every_steps:
            raise ValueError("select_every_steps selects the final round by accuracy; selection 'last' "
                             "(without round_results) keeps the last epoch")


def is_noisy(model, input_shape: tuple[int, ...], k: int) -> bool:
    """Whether ``model`` declares that it draws noise (``model.noisy(input_shape, k)``)."""
    noisy = getattr(model, "noisy", None)
    return bool(noisy(tuple(input_shape), k)) if callable(noisy) else bool(noisy)


def forward_for(model, loss_fn):
    """``(params, x) -> (logits, aux)``: the model's forward, or, when the loss reads only the
    logits (``loss_fn.uses_aux`` False) and the model has a logits-only path (``logits``), that
    path with aux None (the MLP then skips its ReLU gates, which only the robust loss reads)."""
    if not getattr(loss_fn, "uses_aux", True) and hasattr(model, "logits"):
        return lambda params, x: (model.logits(params, x), None)
    return model.forward


def init_procedure_state(procedure, params: dict, prunable: list[str], hp: dict, source: dict | None,
                         network: tuple | None = None) -> dict:
    """``procedure.init_state(params, prunable)``, with ``hp=``, ``source=`` and ``network=``
    (``(model, input_shape)``: e.g. to check a seed's paths) where it takes them; ValueError where
    the procedure needs a source model (``needs_source``) and none is given, or is given one it
    cannot take."""
    name = type(procedure).__name__
    if getattr(procedure, "needs_source", False) and source is None:
        raise ValueError(f"procedure {name} starts from a source model: train_grid(..., source=) must give its "
                         "stacked [G, ...] params, aligned with the specs")
    takes = inspect.signature(procedure.init_state).parameters
    extra = {}
    if "hp" in takes:
        extra["hp"] = hp
    if "network" in takes and network is not None:
        extra["network"] = network
    if "source" in takes:
        extra["source"] = source
    elif source is not None:
        raise ValueError(f"procedure {name} takes no source model (its init_state has no source=)")
    return procedure.init_state(params, prunable, **extra)
