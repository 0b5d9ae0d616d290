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

Optional parts of the protocol (``holistic.procedures``, ``holistic.objectives``), none of which
changes a method that does not use them:

* ``piece.configured(settings, box) -> piece``: any piece, bound to its params values
  (``TrainConfig.settings``: the params' ``train`` sub-sections the pieces read, e.g.
  ``{"imp": {...}}`` for ``train.imp``; read with :func:`piece_settings`) and the data's input
  box (``SplitTensors.box``).
* ``procedure.start_from(r) -> str``: what round ``r > 0`` starts from (:data:`ROUND_STARTS`):
  ``rewind`` (the rewind point, ``cfg.rewind_epoch`` of round 0: the default), ``initial`` (the
  weights and the reduction's state the training started from, bit for bit), ``fresh`` (a new
  initialisation, seeded per model and round: :func:`round_seed`) or ``trained`` (where the
  previous round ended: continued training).
* ``procedure.after_round(params, state, hp, r, final, trace)``: after every round's last epoch
  and its validation, under ``torch.no_grad``, with the trained weights (e.g. pruning them).
* ``procedure.round_results = True``: every round, not only the final one, keeps a checkpoint,
  chosen at epoch ends by ``procedure.selection`` (:data:`SELECTIONS`: ``val_accuracy`` the
  highest validation accuracy, ``val_loss`` the lowest mean validation loss of the method's own
  per-sample loss, ``last`` the round's last epoch); ``TrainResult.rounds`` holds each round's
  checkpoint and metrics (:func:`round_record`), and the result's own checkpoint is the final
  round's.
* ``loss.stochastic = True``: the loss draws random numbers (an attack's random start); it gets
  ``generators=``, one ``torch.Generator`` per model seeded by the model's split, the step and the
  part (train or validation; :func:`draw_seed`), so a model draws the same alone or in any grid,
  on every rerun and after a resume.
* ``loss.at_step(hp, epoch, step, steps_per_epoch) -> dict``: per-step hyperparameters (the
  certified loss's ``eps_t`` ``[G]``): every step uses ``hp_t = {**hp, **at_step(...)}`` (in
  ``effective``, ``per_sample``, ``reduce`` and the step hooks); the epoch's validation and
  ``end_epoch`` use the epoch's last ``hp_t``.
* ``loss.lr_factor(epoch, steps_per_epoch) -> float``: learning-rate decay; at each epoch's start
  (of every round) every model's rate becomes ``hp["lr"] * factor`` (:meth:`StackedAdam.set_lr`,
  only when the factor changes: a factor of 1.0 changes no bit).
* ``procedure.before_step(params, state, hp, final)``: after the backward, before the optimizer
  step, under ``torch.no_grad``, with the loss's own gradients (e.g. logging the gradient flow).
* ``loss.clip_grad_norm`` (a float, or None): then, before the optimizer step, the gradients of
  the model's parameters are clipped to that L2 norm per model (:mod:`holistic.train.clip`).
* ``selection`` on the procedure or the loss (the procedure's first): with ``round_results`` as
  above; otherwise ``val_accuracy`` (the default) or ``last``: the final round's last epoch is
  the checkpoint (e.g. the certified loss: SparseVLR reports the trained model).
* ``procedure.init_state(params, prunable, hp=, source=)``: where ``init_state`` takes them, it
  gets the ``[G]`` hyperparameters and ``source``, the stacked ``[G, ...]`` params (aligned with
  the specs) of the models a procedure starts from (``procedure.needs_source``: e.g. PM^T's
  dense model); a procedure that needs one and gets none is a ValueError.
* ``procedure.n_rounds(cfg) == 0``: no training; the model is what ``init_state`` and
  ``effective`` make of the initialisation (and ``source``), validated once (e.g. SparseVLR's PM:
  a converged dense model, pruned, no retraining).
* ``model.noisy(input_shape, k) -> bool`` (:mod:`holistic.models.noise`): a noise-injected
  model's training steps run under ``noise.sampling(generators, at_predict=False)``, one
  generator per model seeded by its split (:func:`noise_seed`), its validation under
  ``noise.off()``; the generators' states are part of the resume point (``RoundState.noise``).
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import math
import sys
import time
from dataclasses import dataclass, field

import torch
from torch import Tensor

from ..data.stacked import SplitTensors
from ..evaluation.metrics import sparsity_percent
from ..methods import Method, ModelSpec
from ..models import noise
from ..progress import Progress
from .adam import StackedAdam
from .clip import clip_grad_norms_
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
    settings: dict = field(default_factory=dict)  # params train sub-sections the pieces read: {"imp": {...}}


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


#: What a round after the first may start from (``procedure.start_from``; module docstring).
ROUND_STARTS = ("rewind", "initial", "fresh", "trained")

#: How a procedure with ``round_results`` chooses each round's checkpoint (module docstring).
SELECTIONS = ("val_accuracy", "val_loss", "last")


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
    """Best-validation checkpoint of every model, stacked ``[G, ...]`` (a procedure with
    ``round_results``: the final round's checkpoint by its ``selection``, and every round's in
    ``rounds``)."""

    params: dict[str, Tensor]  # effective parameters (a procedure's hard mask applied)
    state: dict[str, Tensor]   # the reduction's trained state (e.g. theta), may be empty
    best_epoch: Tensor         # [G] epoch (of the final round) of the kept checkpoint; with
                               # select_every_steps: the last epoch completed before it (-1: none)
    best_val_accuracy: Tensor  # [G] in [0, 1]
    val_curve: Tensor          # [epochs, G] validation accuracy per epoch of the final round
    steps: int                 # optimizer steps per model
    seconds: float             # wall time of the whole grid
    extra: dict = field(default_factory=dict)
    rounds: list[dict] = field(default_factory=list)  # per round, with ``round_results``: round_record()


def round_record(params: dict[str, Tensor], state: dict[str, Tensor], prunable: list[str], best_epoch: Tensor,
                 steps_per_epoch: int, val_loss: Tensor, val_accuracy: Tensor, loss_curve: list[Tensor],
                 accuracy_curve: list[Tensor]) -> dict:
    """One round's entry of ``TrainResult.rounds`` (tensors on the CPU, ``[G]`` unless noted):

    * ``params``, ``state``: the round's kept checkpoint (effective weights ``[G, ...]``, e.g.
      ``m * theta`` with its pruned weights exactly 0) and the reduction's state;
    * ``kept_percent``: the share of the prunable weights that are nonzero there (P_m, percent);
    * ``best_epoch``: the epoch of the checkpoint; ``stop_step``: the round's optimizer steps up
      to it (the early-stopping iteration, ``(best_epoch + 1) * steps_per_epoch``);
    * ``val_loss``, ``val_accuracy``: at the checkpoint (float64);
    * ``val_loss_curve``, ``val_accuracy_curve``: ``[epochs, G]``, after every epoch of the round.
    """
    cpu = lambda d: {n: t.detach().clone().cpu() for n, t in d.items()}  # noqa: E731
    return {"params": cpu(params), "state": cpu(state),
            "kept_percent": 100.0 - sparsity_percent([params[n].detach() for n in prunable]).cpu(),
            "best_epoch": best_epoch.cpu(), "stop_step": ((best_epoch + 1) * steps_per_epoch).cpu(),
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


def model_seed(seed: int, split: int) -> int:
    """Seed of a model's initialisation: shared by all configurations on one split."""
    return 1_000_003 * seed + 7919 * split + 17


def batch_order_seed(seed: int, split: int) -> int:
    return 1_000_003 * seed + 7919 * split + 29


def noise_seed(seed: int, split: int) -> int:
    """Seed of a noise-injected model's noise generator (:mod:`holistic.models.noise`): shared
    by all configurations on one split."""
    return 1_000_003 * seed + 7919 * split + 31


def is_noisy(model, input_shape: tuple[int, ...], k: int) -> bool:
    """Whether ``model`` declares that it draws noise (``model.noisy(input_shape, k)``)."""
    noisy = getattr(model, "noisy", None)
    return bool(noisy(tuple(input_shape), k)) if callable(noisy) else bool(noisy)


def init_procedure_state(procedure, params: dict[str, Tensor], prunable: list[str], hp: dict,
                         source: dict[str, Tensor] | None) -> dict:
    """``procedure.init_state(params, prunable)``, with ``hp=`` and ``source=`` where it takes
    them; ValueError where the procedure needs a source model (``needs_source``) and none is given,
    or is given one it cannot take."""
    name = type(procedure).__name__
    if getattr(procedure, "needs_source", False) and source is None:
        raise ValueError(f"procedure {name} starts from a source model: train_grid(..., source=) must give its "
                         "stacked [G, ...] params, aligned with the specs")
    takes = inspect.signature(procedure.init_state).parameters
    extra = {}
    if "hp" in takes:
        extra["hp"] = hp
    if "source" in takes:
        extra["source"] = source
    elif source is not None:
        raise ValueError(f"procedure {name} takes no source model (its init_state has no source=)")
    return procedure.init_state(params, prunable, **extra)


def derived_seed(*parts) -> int:
    """A 63-bit seed determined by ``parts`` (ints and strings): BLAKE2b of their text."""
    digest = hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def round_seed(seed: int, split: int, r: int) -> int:
    """Seed of a ``fresh`` initialisation of round ``r`` (round 0: :func:`model_seed`): shared by
    all configurations on one split, another draw every round."""
    return model_seed(seed, split) if r == 0 else derived_seed("init", seed, split, r)


def draw_seed(seed: int, split: int, step: int, part: str) -> int:
    """Seed of a stochastic loss's draws for a model on ``split`` at optimizer step ``step``
    (the steps before it, every round counted) on ``part`` (``train`` or ``val``)."""
    return derived_seed("draws", seed, split, step, part)


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


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
               progress: Progress | None = None, source: dict[str, Tensor] | None = None) -> TrainResult:
    """Train every model of ``specs`` (one method) and return their best checkpoints.

    ``resume``: the training after a round (``holistic.train.resume``) to go on from, with the
    same bits as if it had never stopped; ``on_round(state)`` receives that state after every
    round but the final one. ``progress`` counts model-steps (G per optimizer step; by default
    this grid's own report on ``log``). ``source``: the stacked ``[G, ...]`` params a procedure
    with ``needs_source`` starts from (model g's at entry g; read at the start only, not on resume)."""
    model, loss_fn, reduction, procedure = (configured(p, cfg.settings, data.box) for p in method.pieces())
    device = resolve_device(cfg.device)
    data = data.to(device)
    G = len(specs)
    split = torch.tensor([s.split for s in specs], device=device)
    hp = hyperparameters(method, specs, device)
    batches = Batches(data, split, cfg.seed, cfg.batch_size)
    spe = steps_per_epoch(batches.n_train, cfg.batch_size)
    T = cfg.epochs * spe
    n_rounds = procedure.n_rounds(cfg)
    start_from = getattr(procedure, "start_from", lambda r: "rewind")
    starts = {start_from(r) for r in range(1, n_rounds)}
    if not starts <= set(ROUND_STARTS):
        raise ValueError(f"round starts {sorted(starts - set(ROUND_STARTS))}: not one of {', '.join(ROUND_STARTS)}")
    per_round = getattr(procedure, "round_results", False)  # every round keeps a checkpoint (TrainResult.rounds)
    selection = getattr(procedure, "selection", None) or getattr(loss_fn, "selection", None) or "val_accuracy"
    if per_round and selection not in SELECTIONS:
        raise ValueError(f"selection {selection!r}: not one of {', '.join(SELECTIONS)}")
    if not per_round and selection not in ("val_accuracy", "last"):
        raise ValueError(f"selection {selection!r} without round_results: one of val_accuracy, last")
    keep_last = not per_round and selection == "last"  # the final round's last epoch is the checkpoint
    if (per_round or keep_last) and cfg.select_every_steps:
        raise ValueError("select_every_steps selects the final round by accuracy; a procedure with "
                         "round_results (or selection 'last') selects at epoch ends")
    noisy = is_noisy(model, data.input_shape, data.k)

    if resume is None:
        init = model.init(data.input_shape, data.k,
                          [torch.Generator().manual_seed(model_seed(cfg.seed, s.split)) for s in specs])
        params = {n: p.to(device).requires_grad_() for n, p in init.items()}
        state = reduction.init_state(G, device)
        if source is not None:
            source = {n: v.detach().to(device) for n, v in source.items()}
        pstate = init_procedure_state(procedure, params, model.prunable(params), hp, source)
        kept = {**params, **state}  # what rewinding restores and the checkpoint keeps
        best_val = torch.full((G,), -1.0, dtype=torch.float64, device=device)
        best_epoch = torch.zeros(G, dtype=torch.long, device=device)
        best = {n: p.detach().clone() for n, p in kept.items()}
        val_curve, rewind, steps, first, spent = [], None, 0, 0, 0.0
        trace = {"round_start_weight_sums": [], "s_max_after_reset": []}  # for tests and logs
        initial = [p.detach().clone() for p in kept.values()] if "initial" in starts else None
        rounds: list[dict] = []
        noise_gens = [torch.Generator().manual_seed(noise_seed(cfg.seed, s.split)) for s in specs] if noisy else None
    else:
        saved = to_device({k: v for k, v in vars(resume).items() if k != "rounds"}, device)
        params, state, pstate, best, rewind = (saved[k] for k in ("params", "state", "pstate", "best", "rewind"))
        best_val, best_epoch, val_curve, trace = (saved[k] for k in ("best_val", "best_epoch", "val_curve", "trace"))
        steps, first, spent, initial = resume.steps, resume.round, resume.seconds, saved["initial"]
        rounds = list(resume.rounds)  # the finished rounds' records stay on the CPU
        kept = {**params, **state}
        batches.set_states(resume.generators)
        noise_gens = None
        if noisy:
            if resume.noise is None:
                raise ValueError("resuming a noise-injected model needs its noise generators' states (RoundState.noise)")
            noise_gens = [torch.Generator() for _ in specs]
            for g, st in zip(noise_gens, resume.noise):
                g.set_state(st.detach().cpu().to(torch.uint8))
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
    after_step = getattr(procedure, "after_step", None)  # optional hooks (holistic.procedures)
    end_epoch = getattr(procedure, "end_epoch", None)
    after_round = getattr(procedure, "after_round", None)
    stochastic = getattr(loss_fn, "stochastic", False)
    before_step = getattr(procedure, "before_step", None)
    at_step = getattr(loss_fn, "at_step", None)     # per-step hyperparameters (e.g. eps_t)
    lr_factor = getattr(loss_fn, "lr_factor", None)  # learning-rate decay per epoch
    clip = getattr(loss_fn, "clip_grad_norm", None)  # per-model gradient-norm clipping
    # noise-injected models: training draws from one generator per model, validation runs without
    training_noise = (lambda: noise.sampling(noise_gens, at_predict=False)) if noisy else contextlib.nullcontext
    validation_noise = noise.off if noisy else contextlib.nullcontext

    def draws(part: str) -> list[torch.Generator]:
        """A stochastic loss's generators at this step, one per model (:func:`draw_seed`)."""
        return [torch.Generator().manual_seed(draw_seed(cfg.seed, s.split, steps, part)) for s in specs]

    def fresh(r: int) -> list[Tensor]:
        """A new initialisation for round r (:func:`round_seed`), in the order of ``kept``."""
        init = model.init(data.input_shape, data.k,
                          [torch.Generator().manual_seed(round_seed(cfg.seed, s.split, r)) for s in specs])
        return [*init.values(), *reduction.init_state(G, device).values()]

    @torch.no_grad()
    def keep_best(epoch: int, eff: dict[str, Tensor], select: bool = True) -> Tensor:
        """Validation accuracy [G] of ``eff``; where it beats the best so far (and ``select``),
        ``eff`` (and the reduction's state) becomes the kept checkpoint, dated ``epoch``."""
        nonlocal best_val, best_epoch
        with validation_noise():
            acc = accuracy(model, eff, X_val, y_val)
        if select:
            better = torch.ones_like(acc, dtype=torch.bool) if keep_last else acc > best_val
            best_val = torch.where(better, acc, best_val)
            best_epoch = torch.where(better, epoch, best_epoch)
            if bool(better.any()):
                for n, dst in best.items():
                    src = (eff[n] if n in eff else state[n]).detach()
                    torch.where(better.view(-1, *([1] * (dst.dim() - 1))), src, dst, out=dst)
        return acc

    def keep_round_best(epoch: int, eff: dict[str, Tensor], curves: dict[str, list], hp: dict) -> None:
        """A procedure with ``round_results``, after every epoch of every round: the validation
        loss and accuracy of ``eff`` go on the round's curves; where ``selection`` prefers them to
        the round's best so far (the first epoch wins a tie), ``eff`` becomes the round's checkpoint."""
        nonlocal best_val, best_epoch, best_loss
        with validation_noise():
            acc = accuracy(model, eff, X_val, y_val)
            loss = validation_loss(model, loss_fn, eff, X_val, y_val, hp, lambda: draws("val"), reference)
        curves["loss"].append(loss)
        curves["accuracy"].append(acc)
        if selection == "val_loss":
            better = loss < best_loss
        elif selection == "val_accuracy":
            better = acc > best_val
        else:  # "last"
            better = torch.ones_like(acc, dtype=torch.bool)
        best_val = torch.where(better, acc, best_val)
        best_loss = torch.where(better, loss, best_loss)
        best_epoch = torch.where(better, epoch, best_epoch)
        with torch.no_grad():
            for n, dst in best.items():
                src = (eff[n] if n in eff else state[n]).detach()
                torch.where(better.view(-1, *([1] * (dst.dim() - 1))), src, dst, out=dst)

    for r in range(first, n_rounds):
        final = r == n_rounds - 1
        source = start_from(r) if r > 0 else "trained"
        if source != "trained":  # "trained": the weights go on from where they are
            values = fresh(r) if source == "fresh" else {"rewind": rewind, "initial": initial}[source]
            if values is None:
                raise RuntimeError(f"round {r + 1} starts from {source!r}, which this training did not keep")
            with torch.no_grad():
                for p, saved in zip(kept.values(), values):
                    p.copy_(saved)
        if per_round:  # the round's own checkpoint, chosen among this round's epochs
            best_val = torch.full((G,), -1.0, dtype=torch.float64, device=device)
            best_loss = torch.full((G,), math.inf, dtype=torch.float64, device=device)
            best_epoch = torch.zeros(G, dtype=torch.long, device=device)
            curves = {"loss": [], "accuracy": []}
        trace["round_start_weight_sums"].append(_weight_sums([params[n] for n in prunable]))
        opt = StackedAdam([*params.values(), *state.values(), *procedure.trainable(pstate, final)], hp["lr"])
        if r == 0 and cfg.rewind_epoch == 0:
            rewind = snapshot()
        factor = 1.0  # the learning rates' factor now (lr_factor)
        for epoch in range(cfg.epochs):
            if lr_factor is not None:
                new = float(lr_factor(epoch, spe))
                if new != factor:
                    opt.set_lr(hp["lr"] * new)
                    factor = new
            batches.new_epoch()
            hp_t = hp
            for step in range(spe):
                x, y = batches.batch(step)
                if at_step is not None:
                    hp_t = {**hp, **at_step(hp, epoch, step, spe)}
                with training_noise():
                    eff, penalty = procedure.effective(params, pstate, hp_t, final, epoch * spe + step, T)
                    extra = {"generators": draws("train")} if stochastic else {}
                    L = loss_fn.per_sample(model, eff, x, y, hp_t, forward(eff, x), reference=reference, **extra)
                    objective = reduction.reduce(L, state, hp_t)
                    if penalty is not None:
                        objective = objective + penalty
                    objective.backward(ones)
                if before_step is not None:
                    with torch.no_grad():
                        before_step(params, pstate, hp_t, final)
                if clip is not None:
                    clip_grad_norms_([p.grad for p in params.values() if p.grad is not None], float(clip))
                if every and final and (epoch * spe + step) % every == 0:  # before this step's update
                    with torch.no_grad():
                        keep_best(epoch - 1 if step == 0 else epoch,
                                  procedure.effective(params, pstate, hp_t, True, 0, T)[0])
                opt.step()
                if after_step is not None:
                    with torch.no_grad():
                        after_step(params, pstate, hp_t, final)
                steps += 1
                progress.update(G)
            if end_epoch is not None:
                with torch.no_grad():
                    end_epoch(params, pstate, hp_t, epoch, final, trace)
            if r == 0 and epoch + 1 == cfg.rewind_epoch:
                rewind = snapshot()
            if per_round:
                with torch.no_grad():
                    eff, _ = procedure.effective(params, pstate, hp_t, final, (epoch + 1) * spe, T)
                keep_round_best(epoch, eff, curves, hp_t)
                if final:
                    val_curve.append(curves["accuracy"][-1])
            elif final:
                with torch.no_grad():
                    eff, _ = procedure.effective(params, pstate, hp_t, True, 0, T)
                    acc = keep_best(epoch, eff, select=not every)
                    val_curve.append(acc)
            if log is not None and (epoch + 1 == cfg.epochs or (epoch + 1) % max(1, cfg.epochs // 4) == 0):
                tail = f" mean val acc {float(val_curve[-1].mean()):.4f}" if final else ""
                if per_round:
                    tail = (f" mean val loss {float(curves['loss'][-1].mean()):.4f}"
                            f" acc {float(curves['accuracy'][-1].mean()):.4f}")
                progress.write(f"[{label}] G={G} round {r + 1}/{n_rounds} epoch {epoch + 1}/{cfg.epochs}{tail}")
        if per_round:
            rounds.append(round_record({n: best[n] for n in params}, {n: best[n] for n in state}, prunable,
                                       best_epoch, spe, best_loss, best_val, curves["loss"], curves["accuracy"]))
        if after_round is not None:
            with torch.no_grad():
                after_round(params, pstate, hp, r, final, trace)
        if not final:
            procedure.end_round(pstate, r, n_rounds, hp, trace)
        if rewind is None:  # rewind_epoch beyond the first round: rewind to its end
            rewind = snapshot()
        if not final and on_round is not None:
            on_round(RoundState(round=r + 1, params=params, state=state, pstate=pstate, rewind=rewind, best=best,
                                best_val=best_val, best_epoch=best_epoch, val_curve=val_curve, steps=steps,
                                trace=trace, generators=batches.states(), seconds=time.perf_counter() - start,
                                initial=initial, rounds=rounds,
                                noise=None if noise_gens is None else [g.get_state() for g in noise_gens]))

    if n_rounds == 0:  # a procedure that trains nothing (e.g. PM: the pruned source model) is measured as it starts
        with torch.no_grad():
            val_curve.append(keep_best(0, procedure.effective(params, pstate, hp, True, 0, T)[0]))
    seconds = time.perf_counter() - start
    if own_progress:
        progress.close()
    return TrainResult(params={n: best[n].cpu() for n in params}, state={n: best[n].cpu() for n in state},
                       best_epoch=best_epoch.cpu(), best_val_accuracy=best_val.cpu(),
                       val_curve=torch.stack(val_curve).cpu(), steps=steps, seconds=seconds, extra=trace,
                       rounds=rounds)


def _weight_sums(W: list[Tensor]) -> list[float]:
    """Per-model sum of |W| (float64): a fingerprint of where a round starts."""
    with torch.no_grad():
        return sum(w.detach().double().abs().flatten(1).sum(1) for w in W).tolist()
