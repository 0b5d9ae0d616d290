"""Learning-rate decay once the training radius has reached eps_max (SparseVLR App. A,
"Learning rate": the rate "gradually decreases ... after the maximum perturbation is reached").

As in the code SparseVLR follows (auto_LiRPA ``examples/vision/simple_training.py``): a
``StepLR(step_size=10, gamma=0.5)`` stepped at the start of every epoch at which the eps
scheduler has reached eps_max (``reached_max_eps``: within 1e-3 of it). After n such epochs
the rate is

    lr_t = lr_0 * gamma ** floor(n / step_size).                                    (A.1)

Pure functions of the epoch and the eps schedule (:mod:`holistic.objectives.eps_schedule`);
applying the factor needs the trainer (one learning rate per model, set at each epoch's start).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only its ``eps_before_epoch`` and ``eps_max`` are read
    from ..objectives.eps_schedule import EpsSchedule

#: auto_LiRPA's ``BaseScheduler.reached_max_eps`` tolerance (absolute).
TOLERANCE = 1e-3


def reached_max_eps(eps: float, eps_max: float, tol: float = TOLERANCE) -> bool:
    return abs(eps - eps_max) < tol


def decays_before(epoch: int, schedule: EpsSchedule, E: int, tol: float = TOLERANCE) -> int:
    """n of eq. (A.1) for epoch ``epoch`` (0-based, E steps per epoch): the epochs ``0..epoch``
    at whose start the scheduler had reached eps_max."""
    return sum(reached_max_eps(schedule.eps_before_epoch(e, E), schedule.eps_max, tol) for e in range(epoch + 1))


def step_decay(n: int, step_size: int = 10, gamma: float = 0.5) -> float:
    """Eq. (A.1)'s factor ``gamma ** floor(n / step_size)``."""
    return gamma ** (n // step_size)


def lr_factor(epoch: int, schedule: EpsSchedule, E: int, step_size: int = 10, gamma: float = 0.5) -> float:
    """``lr_t / lr_0`` during epoch ``epoch`` (0-based)."""
    return step_decay(decays_before(epoch, schedule, E), step_size, gamma)
