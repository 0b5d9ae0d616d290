"""Optimizers and learning-rate schedules as registered pieces: one line per entry.

A method names one of each (``holistic.methods.Method.optimizer``, ``.lr_schedule``; defaults
``adam`` and ``constant``, the platform's training before these were pieces, bit for bit). Like
every piece, each declares its grid ``axes`` (per-model hyperparameters: ``[G]`` tensors, one
value per model of the stack), the ``param_keys`` it reads, optionally ``axis_bounds`` (the
schema's bounds of its axes), ``configured(settings, box)`` and ``check(train) -> (field, reason)``
(the params' ``train`` section checked before any job runs, ``holistic.workflow.checks``).

* optimizer: ``make(params, hp, decayed) -> stepper`` with ``step()`` and ``set_lr(lr [G])``, over
  the stacked ``[G, ...]`` tensors ``params`` (the model's, then the reduction's and the
  procedure's trained state; ``decayed[i]``: whether weight decay applies, the model's only),
  ``hp`` the grid's ``[G]`` hyperparameters. A fresh one every round.
* schedule: ``rate(lr0 [G], t, total) -> [G]``, ``per`` (``epoch`` or ``step``), ``varies``
  (:mod:`.schedules`).

Registries are indexes, not code a job runs (``holistic.workflow.codedeps`` cuts this package's
``__init__``); the trainer imports the pieces' modules (``holistic.train.grid``).
"""

from .adam import Adam
from .schedules import Constant, Cosine, MultiStep, Warmup
from .sgd import SGD

OPTIMIZERS = {
    "adam": Adam(),                      # Kingma & Ba, PyTorch's defaults (holistic.train.adam): the default
    "sgd": SGD(),                        # torch.optim.SGD: momentum, weight decay (grid axes)
    "sgd-nesterov": SGD(nesterov=True),  # the same with Nesterov momentum
}

LR_SCHEDULES = {
    "constant": Constant(),    # the grid's lr throughout: the default
    "warmup": Warmup(),        # LinearLR: a linear warm-up, then constant
    "multistep": MultiStep(),  # MultiStepLR (milestones, gamma), optionally after a warm-up
    "cosine": Cosine(),        # CosineAnnealingLR (T_max, eta_min), optionally after a warm-up
}
