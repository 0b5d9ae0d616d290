"""A grid in training: the method's pieces and hooks, the grid's data, hyperparameters and
batches, and the training state that the rounds, epochs and steps of :mod:`holistic.train.loop`
advance, from its start or from a resume point (:class:`holistic.train.resume.RoundState`)."""

from __future__ import annotations

import contextlib
import time

import torch
from torch import Tensor

from ..data.stacked import SplitTensors
from ..methods import Method, ModelSpec
from ..models import noise
from ..models.initialisers import init_models
from ..progress import Progress
from .batches import Batches
from .config import TrainConfig, resolve_device
from .optimizers import adam, sgd  # noqa: F401  the optimizers' code (the registry is cut: workflow.codedeps)
from .optimizers.schedules import Rates
from .pieces import Hooks, configured, forward_for, init_procedure_state, is_noisy
from .result import TrainResult
from .resume import RoundState, to_device
from .schedule import steps_per_epoch
from .seeds import draw_seed, model_seed, noise_seed, round_seed
from .validation import Kept


def hyperparameters(method: Method, specs: list[ModelSpec], device) -> dict[str, Tensor]:
    """One ``[G]`` tensor per grid axis of the method: model g's configuration."""
    return {a: torch.tensor([float(s.config[a]) for s in specs], dtype=torch.float32).to(device)
            for a in method.axes()}


class Grid:
    """The G models of one :func:`holistic.train.loop.train_grid` call.

    Fixed for the call: the configured pieces (``model``, ``loss_fn``, ``reduction``,
    ``procedure``) and their :class:`Hooks`, the training pieces (``optimizer``, ``schedule``,
    ``initialiser``) and the learning ``rates`` through a round, the data on the device
    (``X_val``, ``y_val``: each model's validation rows), ``hp`` (``[G]`` per grid axis),
    ``batches``, ``spe`` steps an epoch, ``T`` steps a round, ``n_rounds``. The state (:meth:`start`, :meth:`resume`): ``params``, the
    reduction's ``state``, the procedure's ``pstate``, the kept checkpoint ``best``, the
    ``rewind`` point and the ``initial`` values, ``val_curve``, the finished ``rounds``' records,
    ``steps``, ``trace``, a noisy model's ``noise_gens``; ``first``: the first round to run."""

    def __init__(self, data: SplitTensors, method: Method, specs: list[ModelSpec], cfg: TrainConfig,
                 log=None, label: str = ""):
        self.model, self.loss_fn, self.reduction, self.procedure = (
            configured(p, cfg.settings, data.box) for p in method.pieces())
        self.optimizer, self.schedule, self.initialiser = (
            configured(p, cfg.settings, data.box) for p in method.training_pieces())
        self.hooks = Hooks.of(self.loss_fn, self.procedure)
        self.cfg, self.specs, self.log, self.label = cfg, specs, log, label
        self.device = device = resolve_device(cfg.device)
        self.data = data = data.to(device)
        self.G = len(specs)
        self.split = torch.tensor([s.split for s in specs], device=device)
        self.hp = hyperparameters(method, specs, device)
        self.batches = Batches(data, self.split, cfg.seed, cfg.batch_size)
        self.spe = steps_per_epoch(self.batches.n_train, cfg.batch_size)
        self.T = cfg.epochs * self.spe
        lr0 = torch.tensor([float(s.config["lr"]) for s in specs], dtype=torch.float64)
        self.rates = Rates(lr0, self.hp["lr"], self.schedule, self.hooks.lr_factor, self.spe, cfg.epochs)
        self.n_rounds = self.procedure.n_rounds(cfg)
        self.starts = self.hooks.round_starts(self.n_rounds)
        self.hooks.check_selection(cfg.select_every_steps)
        self.noisy = is_noisy(self.model, data.input_shape, data.k)
        self.curves: dict[str, list[Tensor]] = {"loss": [], "accuracy": []}  # a round's, with round_results

    def start(self, source: dict[str, Tensor] | None) -> None:
        """The state before the first round: the models' initialisation (and, for a procedure
        with ``needs_source``, ``source``: the stacked ``[G, ...]`` params it starts from)."""
        G, device, seed = self.G, self.device, self.cfg.seed
        init = init_models(self.model, self.data.input_shape, self.data.k,
                           [torch.Generator().manual_seed(model_seed(seed, s.split)) for s in self.specs],
                           self.initialiser)
        self.params = {n: p.to(device).requires_grad_() for n, p in init.items()}
        self.state = self.reduction.init_state(G, device)
        if source is not None:
            source = {n: v.detach().to(device) for n, v in source.items()}
        self.pstate = init_procedure_state(self.procedure, self.params, self.model.prunable(self.params), self.hp,
                                           source, (self.model, self.data.input_shape))
        self.kept = {**self.params, **self.state}  # what rewinding restores and the checkpoint keeps
        self.best = Kept.first(self.kept, G, device)
        self.val_curve, self.rewind, self.steps, self.first, self.spent = [], None, 0, 0, 0.0
        self.trace = {"round_start_weight_sums": [], "s_max_after_reset": []}  # for tests and logs
        self.initial = self.snapshot() if "initial" in self.starts else None
        self.rounds: list[dict] = []
        self.noise_gens = ([torch.Generator().manual_seed(noise_seed(seed, s.split)) for s in self.specs]
                           if self.noisy else None)
        self._ready()

    def resume(self, resume: RoundState) -> None:
        """The state after a round (``holistic.train.resume``), to go on from to the same bits."""
        saved = to_device({k: v for k, v in vars(resume).items() if k != "rounds"}, self.device)
        self.params, self.state, self.pstate, self.rewind = (saved[k] for k in ("params", "state", "pstate", "rewind"))
        self.best = Kept(saved["best"], saved["best_val"], saved["best_epoch"])
        self.val_curve, self.trace = saved["val_curve"], saved["trace"]
        self.steps, self.first, self.spent, self.initial = resume.steps, resume.round, resume.seconds, saved["initial"]
        self.rounds = list(resume.rounds)  # the finished rounds' records stay on the CPU
        self.kept = {**self.params, **self.state}
        self.batches.set_states(resume.generators)
        self.noise_gens = None
        if self.noisy:
            if resume.noise is None:
                raise ValueError("resuming a noise-injected model needs its noise generators' states "
                                 "(RoundState.noise)")
            self.noise_gens = [torch.Generator() for _ in self.specs]
            for g, st in zip(self.noise_gens, resume.noise):
                g.set_state(st.detach().cpu().to(torch.uint8))
        self._ready()

    def _ready(self) -> None:
        self.prunable = self.model.prunable(self.params)
        self.X_val, self.y_val = self.data.X_val[self.split], self.data.y_val[self.split]  # [G, n_val, ...]
        self.forward = forward_for(self.model, self.loss_fn)
        self.reference = self.cfg.robust_gradient == "autograd"
        self.ones = torch.ones(self.G, device=self.device)  # d sum_g objective_g / d objective_g: no sum

    def begin(self, progress: Progress) -> None:
        """Start the clock (on the time spent before a resume); ``progress`` counts the steps."""
        self.progress = progress
        self.clock = time.perf_counter() - self.spent

    def training_noise(self):
        """A noise-injected model's training draws from one generator per model."""
        return noise.sampling(self.noise_gens, at_predict=False) if self.noisy else contextlib.nullcontext()

    def validation_noise(self):
        """A noise-injected model is validated without noise."""
        return noise.off() if self.noisy else contextlib.nullcontext()

    def draws(self, part: str) -> list[torch.Generator]:
        """A stochastic loss's generators at this step, one per model (:func:`draw_seed`)."""
        return [torch.Generator().manual_seed(draw_seed(self.cfg.seed, s.split, self.steps, part)) for s in self.specs]

    def fresh(self, r: int) -> list[Tensor]:
        """A new initialisation for round r (:func:`round_seed`), in the order of ``kept``."""
        gens = [torch.Generator().manual_seed(round_seed(self.cfg.seed, s.split, r)) for s in self.specs]
        init = init_models(self.model, self.data.input_shape, self.data.k, gens, self.initialiser)
        return [*init.values(), *self.reduction.init_state(self.G, self.device).values()]

    def new_optimizer(self, final: bool):
        """A round's fresh optimizer (the method's, ``holistic.train.optimizers``) over the model's
        parameters (with weight decay, where the optimizer has it), the reduction's state and the
        procedure's trained state, at the grid's rates ``hp["lr"]``."""
        others = [*self.state.values(), *self.procedure.trainable(self.pstate, final)]
        decayed = [True] * len(self.params) + [False] * len(others)
        return self.optimizer.make([*self.params.values(), *others], self.hp, decayed)

    def snapshot(self) -> list[Tensor]:
        """Copies of the weights and the reduction's state (a rewind point)."""
        return [p.detach().clone() for p in self.kept.values()]

    def round_state(self, next_round: int) -> RoundState:
        """Where the training stands after round ``next_round - 1``: a resume point."""
        return RoundState(round=next_round, params=self.params, state=self.state, pstate=self.pstate,
                          rewind=self.rewind, best=self.best.weights, best_val=self.best.val,
                          best_epoch=self.best.epoch, val_curve=self.val_curve, steps=self.steps, trace=self.trace,
                          generators=self.batches.states(), seconds=time.perf_counter() - self.clock,
                          initial=self.initial, rounds=self.rounds,
                          noise=None if self.noise_gens is None else [g.get_state() for g in self.noise_gens])

    def result(self, seconds: float) -> TrainResult:
        """Every model's kept checkpoint (on the CPU), its curves and records."""
        best = self.best
        return TrainResult(params={n: best.weights[n].cpu() for n in self.params},
                           state={n: best.weights[n].cpu() for n in self.state},
                           best_epoch=best.epoch.cpu(), best_val_accuracy=best.val.cpu(),
                           val_curve=torch.stack(self.val_curve).cpu(), steps=self.steps, seconds=seconds,
                           extra=self.trace, rounds=self.rounds)
