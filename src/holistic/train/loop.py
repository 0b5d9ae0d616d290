"""The generic grid trainer: every (configuration, split) model of one method, trained together.

The G models of a job are stacked along a leading axis (``holistic.models``) and
updated by one per-model Adam (``holistic.train.adam``); each model draws its
minibatches from its own split's training rows. A method is a composition of
registered pieces (``holistic.methods.Method``): the model, the per-sample loss, the
reduction (with its own trained state, e.g. the stable loss's theta) and the procedure
(the round structure, e.g. continuous sparsification's soft-mask rounds, hard mask and
rewind). Per step::

    x, y = batches.batch(step)                           # [G, B, ...], [G, B]: one index_select each
    eff, penalty = procedure.effective(params, ...)      # e.g. W * sigma(beta s)
    L = loss.per_sample(model, eff, x, y, hp, model.forward(eff, x))     # [G, B]
    objective = reduction.reduce(L, state, hp) (+ penalty)               # [G]
    objective.backward(ones); opt.step()                 # d sum_g objective_g, then Adam

A loss that reads only the logits (``uses_aux = False``, cross-entropy) gets the model's
logits-only forward where it has one (the MLP's skips the ReLU gates). None of this changes
an operation on a model's numbers (the same operations, in the same order, on every element),
so every model is bitwise what the straightforward loop (advanced indexing, the forward with
its gates, ``sum().backward()``, Adam one tensor at a time) gives.

Each model is kept at its best validation accuracy of the final round: checked at every
epoch's end, or (``select_every_steps = K``, the published HDL code's schedule, defect 6 of
``original_code_notes.md``) only before the final round's steps 0, K, 2K, ... (so the last
steps are never evaluated).

Every round starts with a fresh Adam, so a round's end is a point to stop and resume at
(:class:`holistic.train.resume.RoundState`): the training goes on from it to the same bits.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field

import torch
from torch import Tensor

from ..data.stacked import SplitTensors
from ..methods import Method, ModelSpec
from ..progress import Progress
from .adam import StackedAdam
from .resume import RoundState, to_device


@dataclass(frozen=True)
class TrainConfig:
    epochs: int
    batch_size: int
    rounds: int = 1          # multi-round procedures: soft-mask search rounds before the final round
    rewind_epoch: int = 1    # weights are rewound to this epoch of the first round between rounds
    seed: int = 0
    device: str = "cpu"
    robust_gradient: str = "jacobian"  # or "autograd": the general double-backprop path (reference)
    select_every_steps: int | None = None  # None: select at epoch ends; K: before steps 0, K, 2K, ...


def epochs_per_round(epochs: int, n_train: int, batch_size: int, max_steps: int | None = None,
                     min_steps: int | None = None) -> int:
    """Epochs of one training round: ``train.epochs``, raised to the fewest whole epochs of at
    least ``min_steps`` optimizer steps when ``train.min_steps_per_round`` is set (the published
    HDL code's floor, ``max(epochs, 3000 / iters_per_epoch)``: defect 8 of
    ``original_code_notes.md``), then, when ``train.max_steps_per_round`` (``max_steps``) is set
    and the round would take more steps than that, cut to the most whole epochs that stay
    within it (at least one). A round has ``ceil(n_train / batch_size)`` steps per epoch; the
    cap only shortens rounds on large data sets (the ``uci`` profile caps skin-segmentation),
    the floor only lengthens them on small ones."""
    spe = steps_per_epoch(n_train, batch_size)
    if min_steps is not None:
        epochs = max(epochs, math.ceil(min_steps / spe))
    if max_steps is None:
        return epochs
    return max(1, min(epochs, max_steps // spe))


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    return math.ceil(n_train / batch_size)


@dataclass
class TrainResult:
    """Best-validation checkpoint of every model, stacked ``[G, ...]``."""

    params: dict[str, Tensor]  # effective parameters (a procedure's hard mask applied)
    state: dict[str, Tensor]   # the reduction's trained state (e.g. theta), may be empty
    best_epoch: Tensor         # [G] epoch (of the final round) of the kept checkpoint; with
                               # select_every_steps: the last epoch completed before it (-1: none)
    best_val_accuracy: Tensor  # [G] in [0, 1]
    val_curve: Tensor          # [epochs, G] validation accuracy per epoch of the final round
    steps: int                 # optimizer steps per model
    seconds: float             # wall time of the whole grid
    extra: dict = field(default_factory=dict)


def model_seed(seed: int, split: int) -> int:
    """Seed of a model's initialisation: shared by all configurations on one split."""
    return 1_000_003 * seed + 7919 * split + 17


def batch_order_seed(seed: int, split: int) -> int:
    return 1_000_003 * seed + 7919 * split + 29


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def accuracy(model, params: dict[str, Tensor], X: Tensor, y: Tensor) -> Tensor:
    """Per-model accuracy in [0, 1]: X ``[G, N, ...]``, y ``[G, N]``."""
    return (model.predict(params, X) == y).to(torch.float64).mean(dim=1)


def hyperparameters(method: Method, specs: list[ModelSpec], device) -> dict[str, Tensor]:
    """One ``[G]`` tensor per grid axis of the method: model g's configuration."""
    return {a: torch.tensor([float(s.config[a]) for s in specs], dtype=torch.float32).to(device)
            for a in method.axes()}


class Batches:
    """Minibatches of every model: model g draws from its own split's training rows, in the
    order of a permutation drawn per split and epoch (``torch.randperm`` with the split's
    generator, one draw per split and epoch).

    The splits' rows are flattened once to ``[S * n_train, ...]``; an epoch's orders become
    row numbers ``split * n_train + order`` ``[G, n_train]``, and a step's batch is one
    ``index_select`` of those rows (the same values as indexing ``X_train[split, order]``).
    """

    def __init__(self, data: SplitTensors, split: Tensor, seed: int, batch_size: int):
        self.n_train = data.X_train.shape[1]
        self.batch_size = batch_size
        self.G = len(split)
        self.X = data.X_train.reshape(-1, *data.X_train.shape[2:])
        self.y = data.y_train.reshape(-1)
        self.split = split.tolist()
        self.offset = split[:, None] * self.n_train  # [G, 1]
        self.gen = {sp: torch.Generator().manual_seed(batch_order_seed(seed, sp)) for sp in sorted(set(self.split))}
        self.rows = None

    def states(self) -> dict[int, Tensor]:
        """Every split's generator state (``torch.Generator.get_state``): where its orders go on."""
        return {sp: g.get_state() for sp, g in self.gen.items()}

    def set_states(self, states: dict[int, Tensor]) -> None:
        for sp, g in self.gen.items():
            g.set_state(states[sp])

    def new_epoch(self) -> None:
        """Draw the epoch's permutation of every split (in increasing split order)."""
        perms = {sp: torch.randperm(self.n_train, generator=g) for sp, g in self.gen.items()}
        order = torch.stack([perms[sp] for sp in self.split]).to(self.offset.device)  # [G, n_train]
        self.rows = self.offset + order

    def batch(self, step: int) -> tuple[Tensor, Tensor]:
        """Inputs ``[G, B, ...]`` and labels ``[G, B]`` of the epoch's step ``step``."""
        idx = self.rows[:, step * self.batch_size:(step + 1) * self.batch_size].reshape(-1)
        x = self.X.index_select(0, idx)
        return x.view(self.G, -1, *x.shape[1:]), self.y.index_select(0, idx).view(self.G, -1)


def forward_for(model, loss_fn):
    """``(params, x) -> (logits, aux)``: the model's forward, or, when the loss reads only the
    logits (``loss_fn.uses_aux`` False) and the model has a logits-only path (``logits``), that
    path with aux None (the MLP then skips its ReLU gates, which only the robust loss reads)."""
    if not getattr(loss_fn, "uses_aux", True) and hasattr(model, "logits"):
        return lambda params, x: (model.logits(params, x), None)
    return model.forward


def train_grid(data: SplitTensors, method: Method, specs: list[ModelSpec], cfg: TrainConfig,
               log=sys.stderr, label: str = "", resume: RoundState | None = None, on_round=None,
               progress: Progress | None = None) -> TrainResult:
    """Train every model of ``specs`` (one method) and return their best checkpoints.

    ``resume``: the training after a round (``holistic.train.resume``) to go on from, with the
    same bits as if it had never stopped; ``on_round(state)`` receives that state after every
    round but the final one. ``progress`` counts model-steps (G per optimizer step; by default
    this grid's own report on ``log``)."""
    model, loss_fn, reduction, procedure = method.pieces()
    device = resolve_device(cfg.device)
    data = data.to(device)
    G = len(specs)
    split = torch.tensor([s.split for s in specs], device=device)
    hp = hyperparameters(method, specs, device)
    batches = Batches(data, split, cfg.seed, cfg.batch_size)
    spe = steps_per_epoch(batches.n_train, cfg.batch_size)
    T = cfg.epochs * spe
    n_rounds = procedure.n_rounds(cfg)

    if resume is None:
        init = model.init(data.input_shape, data.k,
                          [torch.Generator().manual_seed(model_seed(cfg.seed, s.split)) for s in specs])
        params = {n: p.to(device).requires_grad_() for n, p in init.items()}
        state = reduction.init_state(G, device)
        pstate = procedure.init_state(params, model.prunable(params))
        kept = {**params, **state}  # what rewinding restores and the checkpoint keeps
        best_val = torch.full((G,), -1.0, dtype=torch.float64, device=device)
        best_epoch = torch.zeros(G, dtype=torch.long, device=device)
        best = {n: p.detach().clone() for n, p in kept.items()}
        val_curve, rewind, steps, first, spent = [], None, 0, 0, 0.0
        trace = {"round_start_weight_sums": [], "s_max_after_reset": []}  # for tests and logs
    else:
        saved = to_device(vars(resume), device)
        params, state, pstate, best, rewind = (saved[k] for k in ("params", "state", "pstate", "best", "rewind"))
        best_val, best_epoch, val_curve, trace = (saved[k] for k in ("best_val", "best_epoch", "val_curve", "trace"))
        steps, first, spent = resume.steps, resume.round, resume.seconds
        kept = {**params, **state}
        batches.set_states(resume.generators)
    prunable = model.prunable(params)

    X_val, y_val = data.X_val[split], data.y_val[split]  # [G, n_val, ...]: each model's validation rows
    forward = forward_for(model, loss_fn)
    reference = cfg.robust_gradient == "autograd"
    ones = torch.ones(G, device=device)  # d sum_g objective_g / d objective: backward without the sum
    own_progress = progress is None
    if own_progress:
        progress = Progress(n_rounds * T * G, label, "train", stream=log, done=first * T * G, unit="model-step")
    start = time.perf_counter() - spent
    snapshot = lambda: [p.detach().clone() for p in kept.values()]  # noqa: E731
    every = cfg.select_every_steps

    @torch.no_grad()
    def keep_best(epoch: int, eff: dict[str, Tensor], select: bool = True) -> Tensor:
        """Validation accuracy [G] of ``eff``; where it beats the best so far (and ``select``),
        ``eff`` (and the reduction's state) becomes the kept checkpoint, dated ``epoch``."""
        nonlocal best_val, best_epoch
        acc = accuracy(model, eff, X_val, y_val)
        if select:
            better = acc > best_val
            best_val = torch.where(better, acc, best_val)
            best_epoch = torch.where(better, epoch, best_epoch)
            if bool(better.any()):
                for n, dst in best.items():
                    src = (eff[n] if n in eff else state[n]).detach()
                    torch.where(better.view(-1, *([1] * (dst.dim() - 1))), src, dst, out=dst)
        return acc

    for r in range(first, n_rounds):
        final = r == n_rounds - 1
        if r > 0:
            with torch.no_grad():
                for p, saved in zip(kept.values(), rewind):
                    p.copy_(saved)
        trace["round_start_weight_sums"].append(_weight_sums([params[n] for n in prunable]))
        opt = StackedAdam([*params.values(), *state.values(), *procedure.trainable(pstate, final)], hp["lr"])
        if r == 0 and cfg.rewind_epoch == 0:
            rewind = snapshot()
        for epoch in range(cfg.epochs):
            batches.new_epoch()
            for step in range(spe):
                x, y = batches.batch(step)
                eff, penalty = procedure.effective(params, pstate, hp, final, epoch * spe + step, T)
                L = loss_fn.per_sample(model, eff, x, y, hp, forward(eff, x), reference=reference)
                objective = reduction.reduce(L, state, hp)
                if penalty is not None:
                    objective = objective + penalty
                objective.backward(ones)
                if every and final and (epoch * spe + step) % every == 0:  # before this step's update
                    with torch.no_grad():
                        keep_best(epoch - 1 if step == 0 else epoch,
                                  procedure.effective(params, pstate, hp, True, 0, T)[0])
                opt.step()
                steps += 1
                progress.update(G)
            if r == 0 and epoch + 1 == cfg.rewind_epoch:
                rewind = snapshot()
            if final:
                with torch.no_grad():
                    eff, _ = procedure.effective(params, pstate, hp, True, 0, T)
                    acc = keep_best(epoch, eff, select=not every)
                    val_curve.append(acc)
            if log is not None and (epoch + 1 == cfg.epochs or (epoch + 1) % max(1, cfg.epochs // 4) == 0):
                tail = f" mean val acc {float(val_curve[-1].mean()):.4f}" if final else ""
                progress.write(f"[{label}] G={G} round {r + 1}/{n_rounds} epoch {epoch + 1}/{cfg.epochs}{tail}")
        if not final:
            procedure.end_round(pstate, r, n_rounds, hp, trace)
        if rewind is None:  # rewind_epoch beyond the first round: rewind to its end
            rewind = snapshot()
        if not final and on_round is not None:
            on_round(RoundState(round=r + 1, params=params, state=state, pstate=pstate, rewind=rewind, best=best,
                                best_val=best_val, best_epoch=best_epoch, val_curve=val_curve, steps=steps,
                                trace=trace, generators=batches.states(), seconds=time.perf_counter() - start))

    seconds = time.perf_counter() - start
    if own_progress:
        progress.close()
    return TrainResult(params={n: best[n].cpu() for n in params}, state={n: best[n].cpu() for n in state},
                       best_epoch=best_epoch.cpu(), best_val_accuracy=best_val.cpu(),
                       val_curve=torch.stack(val_curve).cpu(), steps=steps, seconds=seconds, extra=trace)


def _weight_sums(W: list[Tensor]) -> list[float]:
    """Per-model sum of |W| (float64): a fingerprint of where a round starts."""
    with torch.no_grad():
        return sum(w.detach().double().abs().flatten(1).sum(1) for w in W).tolist()
