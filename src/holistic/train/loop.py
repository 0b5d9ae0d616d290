"""The generic grid trainer: every (configuration, split) model of one method, trained together.

The G models of a job are stacked along a leading axis (``holistic.models``) and
updated by one optimizer with per-model hyperparameters, the method's
(``holistic.train.optimizers``: Adam, ``holistic.train.adam``, by default; SGD); each model draws its
minibatches from its own split's training rows (:mod:`holistic.train.batches`). A method is a
composition of registered pieces (``holistic.methods.Method``): the model, the per-sample loss,
the reduction (with its own trained state, e.g. the stable loss's theta) and the procedure
(the round structure, e.g. continuous sparsification's soft-mask rounds, hard mask and
rewind). Per step::

    x, y = batches.batch(step)                           # [G, B, ...], [G, B]: one index_select each
    eff, penalty = procedure.effective(params, ...)      # e.g. W * sigma(beta s)
    L = loss.per_sample(model, eff, x, y, hp, model.forward(eff, x))     # [G, B]
    objective = reduction.reduce(L, state, hp) (+ penalty)               # [G]
    objective.backward(ones); opt.step()                 # d sum_g objective_g, then Adam (or SGD)

A loss that reads only the logits (``uses_aux = False``, cross-entropy) gets the model's
logits-only forward where it has one (the MLP's skips the ReLU gates). None of this changes
an operation on a model's numbers (the same operations, in the same order, on every element),
so every model is bitwise what the straightforward loop (advanced indexing, the forward with
its gates, ``sum().backward()``, Adam one tensor at a time) gives.

A training is rounds (:func:`train_round`) of epochs (:func:`train_epoch`) of steps
(:func:`train_step`) on a :class:`holistic.train.grid.Grid` (the pieces, the data and the
training state); each epoch ends with the choice of the kept checkpoint
(:func:`select_checkpoint`, :mod:`holistic.train.validation`; a procedure with per-round
results and ``select_every_steps = K`` chooses after every K-th step of a round and its last
instead, :func:`validate_round`). The optional parts of the
pieces' protocol (what a round starts from, per-round results, per-step hyperparameters,
learning-rate decay, clipping, random draws, noise, the procedure's hooks) are read in one
place, :class:`holistic.train.pieces.Hooks`; none changes a method that does not use them. The
learning rates follow the method's schedule times the loss's ``lr_factor``
(:class:`holistic.train.optimizers.schedules.Rates`), set only where they change.

Every round starts with a fresh optimizer (and its schedule from the start), so a round's end is
a point to stop and resume at (:class:`holistic.train.resume.RoundState`): the training goes on
from it to the same bits.
"""

from __future__ import annotations

import sys
import time

import torch
from torch import Tensor

from ..data.stacked import SplitTensors
from ..methods import Method, ModelSpec
from ..progress import Progress
from .clip import clip_grad_norms_
from .config import TrainConfig
from .grid import Grid
from .result import TrainResult, round_record
from .resume import RoundState
from .validation import accuracy, candidate_steps, is_candidate, validation_loss


def train_grid(data: SplitTensors, method: Method, specs: list[ModelSpec], cfg: TrainConfig,
               log=sys.stderr, label: str = "", resume: RoundState | None = None, on_round=None,
               progress: Progress | None = None, source: dict[str, Tensor] | None = None) -> TrainResult:
    """Train every model of ``specs`` (one method) and return their best checkpoints.

    ``resume``: the training after a round (``holistic.train.resume``) to go on from, with the
    same bits as if it had never stopped; ``on_round(state)`` receives that state after every
    round but the final one. ``progress`` counts model-steps (G per optimizer step; by default
    this grid's own report on ``log``). ``source``: the stacked ``[G, ...]`` params a procedure
    with ``needs_source`` starts from (model g's at entry g; read at the start only, not on resume)."""
    g = Grid(data, method, specs, cfg, log, label)
    if resume is None:
        g.start(source)
    else:
        g.resume(resume)
    own_progress = progress is None
    if own_progress:
        progress = Progress(g.n_rounds * g.T * g.G, label, "train", stream=log, done=g.first * g.T * g.G,
                            unit="model-step")
    g.begin(progress)
    for r in range(g.first, g.n_rounds):
        train_round(g, r)
        if r < g.n_rounds - 1 and on_round is not None:
            on_round(g.round_state(r + 1))
    if g.n_rounds == 0:  # a procedure that trains nothing (e.g. PM: the pruned source model) is measured as it starts
        with torch.no_grad():
            g.val_curve.append(validate(g, 0, g.procedure.effective(g.params, g.pstate, g.hp, True, 0, g.T)[0]))
    seconds = time.perf_counter() - g.clock
    if own_progress:
        progress.close()
    return g.result(seconds)


# -- rounds, epochs, steps

def train_round(g: Grid, r: int) -> None:
    """Round ``r``: its start, its epochs (each ending with the selection), then its end."""
    final = r == g.n_rounds - 1
    restart(g, r)
    if g.hooks.round_results:  # the round's own checkpoint, chosen among this round's candidates
        first = candidate_steps(g.T, g.spe, g.cfg.select_every_steps)[0]
        g.best.new_round(g.G, g.device, first, (first - 1) // g.spe)
        g.curves = {"loss": [], "accuracy": []}
    g.trace["round_start_weight_sums"].append(_weight_sums([g.params[n] for n in g.prunable]))
    opt = g.new_optimizer(final)
    g.rates.start_round()
    if r == 0 and g.cfg.rewind_epoch == 0:
        g.rewind = g.snapshot()
    for epoch in range(g.cfg.epochs):
        hp_t = train_epoch(g, opt, epoch, final)
        end_epoch(g, r, epoch, final, hp_t)
    end_round(g, r, final)


def restart(g: Grid, r: int) -> None:
    """Where round ``r`` starts (``Hooks.start_from``): ``trained`` (round 0 always) goes on from
    the weights as they are; the others copy the rewind point, the initial values or a fresh
    initialisation into them (and the reduction's state)."""
    source = g.hooks.start_from(r) if r > 0 else "trained"
    if source == "trained":
        return
    values = g.fresh(r) if source == "fresh" else {"rewind": g.rewind, "initial": g.initial}[source]
    if values is None:
        raise RuntimeError(f"round {r + 1} starts from {source!r}, which this training did not keep")
    with torch.no_grad():
        for p, saved in zip(g.kept.values(), values):
            p.copy_(saved)


def train_epoch(g: Grid, opt, epoch: int, final: bool) -> dict:
    """The epoch's steps in a new batch order; returns its last step's hyperparameters."""
    g.batches.new_epoch()
    hp_t = g.hp
    for step in range(g.spe):
        hp_t = train_step(g, opt, epoch, step, final, hp_t)
    return hp_t


def train_step(g: Grid, opt, epoch: int, step: int, final: bool, hp_t: dict) -> dict:
    """One optimizer step of every model, at the step's learning rates (the schedule's and the
    loss's ``lr_factor``, set where they change); returns the step's hyperparameters (``Hooks.at_step``)."""
    hooks, params, pstate, spe, T = g.hooks, g.params, g.pstate, g.spe, g.T
    lr = g.rates.at(epoch, step)
    if lr is not None:
        opt.set_lr(lr)
    x, y = g.batches.batch(step)
    if hooks.at_step is not None:
        hp_t = {**g.hp, **hooks.at_step(g.hp, epoch, step, spe)}
    with g.training_noise():
        eff, penalty = g.procedure.effective(params, pstate, hp_t, final, epoch * spe + step, T)
        extra = {"generators": g.draws("train")} if hooks.stochastic else {}
        L = g.loss_fn.per_sample(g.model, eff, x, y, hp_t, g.forward(eff, x), reference=g.reference, **extra)
        objective = g.reduction.reduce(L, g.state, hp_t)
        if penalty is not None:
            objective = objective + penalty
        objective.backward(g.ones)
    if hooks.before_step is not None:
        with torch.no_grad():
            hooks.before_step(params, pstate, hp_t, final)
    if hooks.clip_grad_norm is not None:
        clip_grad_norms_([p.grad for p in params.values() if p.grad is not None], float(hooks.clip_grad_norm))
    every = g.cfg.select_every_steps
    if every and final and not hooks.round_results and (epoch * spe + step) % every == 0:  # before the update
        with torch.no_grad():
            validate(g, epoch - 1 if step == 0 else epoch, g.procedure.effective(params, pstate, hp_t, True, 0, T)[0])
    opt.step()
    if hooks.after_step is not None:
        with torch.no_grad():
            hooks.after_step(params, pstate, hp_t, final)
    done = epoch * spe + step + 1  # the round's steps so far
    if hooks.every_steps and is_candidate(done, T, spe, hooks.every_steps):
        with torch.no_grad():
            hooks.after_steps(params, pstate, hp_t, epoch, done, final, g.trace)
    g.steps += 1
    g.progress.update(g.G)
    if hooks.round_results and done % spe and is_candidate(done, T, spe, every):  # epoch ends: select_checkpoint
        with torch.no_grad():
            eff = g.procedure.effective(params, pstate, hp_t, final, done, T)[0]
        validate_round(g, done, eff, hp_t)
    return hp_t


def end_epoch(g: Grid, r: int, epoch: int, final: bool, hp_t: dict) -> None:
    """After an epoch's last step: the procedure's ``end_epoch``, the rewind point, the
    selection and the log line."""
    if g.hooks.end_epoch is not None:
        with torch.no_grad():
            g.hooks.end_epoch(g.params, g.pstate, hp_t, epoch, final, g.trace)
    if r == 0 and epoch + 1 == g.cfg.rewind_epoch:
        g.rewind = g.snapshot()
    select_checkpoint(g, epoch, final, hp_t)
    report(g, r, epoch, final)


def end_round(g: Grid, r: int, final: bool) -> None:
    """After a round's last epoch: its record, the procedure's ``after_round`` and ``end_round``,
    and the rewind point where no epoch of the first round set it."""
    if g.hooks.round_results:
        best = g.best
        g.rounds.append(round_record({n: best.weights[n] for n in g.params}, {n: best.weights[n] for n in g.state},
                                     g.prunable, best.epoch, best.step, best.loss, best.val, g.curves["loss"],
                                     g.curves["accuracy"]))
    if g.hooks.after_round is not None:
        with torch.no_grad():
            g.hooks.after_round(g.params, g.pstate, g.hp, r, final, g.trace)
    if not final:
        g.procedure.end_round(g.pstate, r, g.n_rounds, g.hp, g.trace)
    if g.rewind is None:  # rewind_epoch beyond the first round: rewind to its end
        g.rewind = g.snapshot()


# -- selection of the kept checkpoint

def select_checkpoint(g: Grid, epoch: int, final: bool, hp_t: dict) -> None:
    """At an epoch's end: with ``round_results``, the round's checkpoint by its selection where the
    epoch's end is a candidate (always, unless ``select_every_steps``), and the final round's
    accuracy on the validation curve; otherwise, in the final round, the validation accuracy on
    the curve and (unless ``select_every_steps``) the best checkpoint."""
    if g.hooks.round_results:
        done = (epoch + 1) * g.spe
        candidate = is_candidate(done, g.T, g.spe, g.cfg.select_every_steps)
        if candidate or final:
            with torch.no_grad():
                eff, _ = g.procedure.effective(g.params, g.pstate, hp_t, final, done, g.T)
        if candidate:
            validate_round(g, done, eff, hp_t)
        if final:  # one point an epoch (with select_every_steps, the epoch's end need not be a candidate)
            g.val_curve.append(g.curves["accuracy"][-1] if candidate else validate(g, epoch, eff, select=False))
    elif final:
        with torch.no_grad():
            eff, _ = g.procedure.effective(g.params, g.pstate, hp_t, True, 0, g.T)
            acc = validate(g, epoch, eff, select=not g.cfg.select_every_steps)
            g.val_curve.append(acc)


@torch.no_grad()
def validate(g: Grid, epoch: int, eff: dict[str, Tensor], select: bool = True) -> Tensor:
    """Validation accuracy [G] of ``eff``; where it beats the best so far (and ``select``),
    ``eff`` (and the reduction's state) becomes the kept checkpoint, dated ``epoch``."""
    with g.validation_noise():
        acc = accuracy(g.model, eff, g.X_val, g.y_val)
    if select:
        g.best.keep_best(epoch, acc, eff, g.state, g.hooks.keep_last)
    return acc


def validate_round(g: Grid, step: int, eff: dict[str, Tensor], hp: dict) -> None:
    """A procedure with ``round_results``, after each candidate ``step`` of every round (counted
    from 1: every epoch's end, or with ``select_every_steps`` K the steps K, 2K, ... and the
    round's last, :func:`holistic.train.validation.is_candidate`): the validation loss and
    accuracy of ``eff`` go on the round's curves, and choose the round's checkpoint, dated
    ``step`` (:meth:`holistic.train.validation.Kept.keep_round_best`)."""
    with g.validation_noise():
        acc = accuracy(g.model, eff, g.X_val, g.y_val)
        loss = validation_loss(g.model, g.loss_fn, eff, g.X_val, g.y_val, hp, lambda: g.draws("val"), g.reference)
    g.curves["loss"].append(loss)
    g.curves["accuracy"].append(acc)
    g.best.keep_round_best(step, (step - 1) // g.spe, acc, loss, eff, g.state, g.hooks.selection)


def report(g: Grid, r: int, epoch: int, final: bool) -> None:
    """A log line after the round's last epoch and about every quarter of its epochs."""
    epochs = g.cfg.epochs
    if g.log is None or not (epoch + 1 == epochs or (epoch + 1) % max(1, epochs // 4) == 0):
        return
    tail = f" mean val acc {float(g.val_curve[-1].mean()):.4f}" if final else ""
    if g.hooks.round_results and g.curves["loss"]:  # the latest candidate's (none yet: select_every_steps)
        tail = (f" mean val loss {float(g.curves['loss'][-1].mean()):.4f}"
                f" acc {float(g.curves['accuracy'][-1].mean()):.4f}")
    g.progress.write(f"[{g.label}] G={g.G} round {r + 1}/{g.n_rounds} epoch {epoch + 1}/{epochs}{tail}")


def _weight_sums(W: list[Tensor]) -> list[float]:
    """Per-model sum of |W| (float64): a fingerprint of where a round starts."""
    with torch.no_grad():
        return sum(w.detach().double().abs().flatten(1).sum(1) for w in W).tolist()
