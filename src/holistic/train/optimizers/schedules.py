"""Learning-rate schedules as pieces (registry ``LR_SCHEDULES``): ``constant``, ``warmup``,
``multistep``, ``cosine``, the closed forms of ``torch.optim.lr_scheduler``'s ``LinearLR``,
``MultiStepLR`` and ``CosineAnnealingLR``, and :class:`Rates`, which applies a schedule (times a
loss's ``lr_factor``, :class:`holistic.train.pieces.Hooks`) to the G models of a grid.

A schedule maps the round's position ``t`` to each model's rate from its grid rate ``lr0``
(``[G]``, float64: the params' value; the rate is rounded to float32 where it is set). ``t``
counts epochs (``per: epoch``, the default: the rate is set at each epoch's start, as a torch
scheduler stepped after every epoch) or optimizer steps (``per: step``: set before every step, as
one stepped after every ``optimizer.step()``), from 0 at the start of every round (each round
has a fresh optimizer). ``total`` is the round's length in the same unit. With t:

* ``constant``: ``lr0`` (no setting; the default);
* ``multistep``: ``lr0 gamma^(number of milestones <= t)`` (``MultiStepLR``);
* ``cosine``: ``eta_min + (lr0 - eta_min) (1 + cos(pi t / T_max)) / 2`` (``CosineAnnealingLR``'s
  closed form; ``T_max`` null: the round's length, so the last epoch or step is just above
  ``eta_min``). torch steps it recursively, which differs from this in the last bits;
* ``warmup``: the linear warm-up alone, then ``lr0``.

Every schedule but ``constant`` takes a linear warm-up over its first ``warmup`` units (0: none),
from ``warmup_start`` of the rate to all of it, ``LinearLR(start_factor=warmup_start,
total_iters=warmup)``'s factor ``warmup_start + (1 - warmup_start) min(t, warmup) / warmup``, which
multiplies the schedule's rate (torch's ``ChainedScheduler([LinearLR, ...])``; for ``cosine`` with
``eta_min`` 0). The settings are the params section ``train.lr_schedule`` (every key optional,
:data:`SETTINGS`), read by every method whose schedule is not ``constant``.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, replace
from typing import ClassVar

import torch
from torch import Tensor

from ..pieces import piece_settings

#: ``train.lr_schedule``'s keys and their defaults (every schedule takes all of them).
SETTINGS = {"per": "epoch", "warmup": 0, "warmup_start": 1 / 3, "milestones": [], "gamma": 0.1, "T_max": None,
            "eta_min": 0.0}
#: What ``t`` counts.
PER = ("epoch", "step")


def warmup_factor(t: int, warmup: int, start: float) -> float:
    """``LinearLR(start_factor=start, end_factor=1, total_iters=warmup)``'s closed form at t (1 for
    ``warmup`` 0)."""
    if warmup <= 0:
        return 1.0
    return start + (1.0 - start) * min(warmup, t) / warmup


def multistep_factor(t: int, milestones, gamma: float) -> float:
    """``MultiStepLR``'s closed form at t: ``gamma ** bisect_right(milestones, t)``."""
    return gamma ** bisect_right(sorted(milestones), t)


def cosine_rate(lr0, t: int, T_max: int, eta_min: float):
    """``CosineAnnealingLR``'s closed form at t (``lr0`` a float or a float64 tensor)."""
    return eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2


@dataclass(frozen=True)
class Schedule:
    """A schedule with its settings (:data:`SETTINGS`); subclasses give :meth:`main`."""

    per: str = "epoch"
    warmup: int = 0
    warmup_start: float = 1 / 3
    milestones: tuple[int, ...] = ()
    gamma: float = 0.1
    T_max: int | None = None
    eta_min: float = 0.0

    axes: ClassVar[tuple[str, ...]] = ()
    param_keys: ClassVar[tuple[str, ...]] = ("train.lr_schedule",)
    varies: ClassVar[bool] = True

    def configured(self, settings: dict, box) -> "Schedule":
        """The schedule with ``train.lr_schedule``'s settings (``settings["lr_schedule"]``)."""
        s = piece_settings(settings, "lr_schedule", SETTINGS)
        bad = self.invalid(s)
        if bad is not None:
            raise ValueError(f"train.lr_schedule.{bad[0]}: {bad[1]}")
        return replace(self, **{**s, "milestones": tuple(s["milestones"])})

    def invalid(self, s: dict) -> tuple[str, str] | None:
        """(key, reason) for settings ``s`` this schedule cannot run; None where they are fine."""
        if s["per"] not in PER:
            return "per", f"one of {', '.join(PER)}, got {s['per']!r}"
        if s["warmup"] < 0 or not 0 < s["warmup_start"] <= 1:
            return "warmup", "warmup >= 0 units from a warmup_start in (0, 1]"
        return None

    def check(self, train: dict) -> tuple[str, str] | None:
        """(field, reason) where the params' ``train`` section does not suit this schedule."""
        try:
            s = piece_settings(train, "lr_schedule", SETTINGS)
        except ValueError as exc:
            return "train.lr_schedule", str(exc)
        bad = self.invalid(s)
        return None if bad is None else (f"train.lr_schedule.{bad[0]}", f"{bad[1]} (schedule {self.name})")

    @property
    def name(self) -> str:
        return type(self).__name__.lower()

    def main(self, lr0: Tensor, t: int, total: int) -> Tensor:
        raise NotImplementedError

    def rate(self, lr0: Tensor, t: int, total: int) -> Tensor:
        """The rates ``[G]`` (float64) at t of a round of ``total`` units: :meth:`main` times the warm-up."""
        out = self.main(lr0, t, total)
        w = warmup_factor(t, self.warmup, self.warmup_start)
        return out if w == 1.0 else out * w


@dataclass(frozen=True)
class Constant(Schedule):
    """``lr0`` throughout: no setting read, no rate ever set (the default, today's bits)."""

    param_keys: ClassVar[tuple[str, ...]] = ()
    varies: ClassVar[bool] = False

    def configured(self, settings: dict, box) -> "Constant":
        return self

    def check(self, train: dict) -> None:
        return None

    def rate(self, lr0: Tensor, t: int, total: int) -> Tensor:
        return lr0


@dataclass(frozen=True)
class Warmup(Schedule):
    """The linear warm-up over ``warmup`` units (at least 1), then ``lr0``."""

    def invalid(self, s: dict) -> tuple[str, str] | None:
        if isinstance(s["warmup"], int) and s["warmup"] < 1:
            return "warmup", "schedule warmup needs warmup >= 1"
        return super().invalid(s)

    def main(self, lr0: Tensor, t: int, total: int) -> Tensor:
        return lr0


@dataclass(frozen=True)
class MultiStep(Schedule):
    """``lr0`` times ``gamma`` at each of the ``milestones`` (at least one)."""

    def invalid(self, s: dict) -> tuple[str, str] | None:
        if not s["milestones"]:
            return "milestones", "schedule multistep needs milestones"
        return super().invalid(s)

    def main(self, lr0: Tensor, t: int, total: int) -> Tensor:
        f = multistep_factor(t, self.milestones, self.gamma)
        return lr0 if f == 1.0 else lr0 * f


@dataclass(frozen=True)
class Cosine(Schedule):
    """Cosine annealing from ``lr0`` to ``eta_min`` over ``T_max`` units (null: the round)."""

    def main(self, lr0: Tensor, t: int, total: int) -> Tensor:
        return cosine_rate(lr0, t, self.T_max or total, self.eta_min)


class Rates:
    """The learning rates of a grid's G models through a round: the schedule's, times the loss's
    ``lr_factor`` (read at each epoch's start); :meth:`at` gives the rates to set before a step,
    or None where they do not change. ``lr`` ``[G]`` is the optimizer's first rate (float32, on the
    device) and ``lr0`` the same in float64 (the params' values)."""

    def __init__(self, lr0: Tensor, lr: Tensor, schedule: Schedule, lr_factor, steps_per_epoch: int, epochs: int):
        self.lr0, self.lr, self.schedule, self.lr_factor = lr0.to(torch.float64).cpu(), lr, schedule, lr_factor
        self.spe, self.epochs = steps_per_epoch, epochs
        self.active = schedule.varies or lr_factor is not None
        self.per_step = schedule.varies and schedule.per == "step"
        self.start_round()

    def start_round(self) -> None:
        """A round starts at its optimizer's first rates, ``lr``."""
        self.factor, self.current = 1.0, (1.0 if not self.schedule.varies else self.lr0)

    def at(self, epoch: int, step: int) -> Tensor | None:
        """The rates ``[G]`` to set before step ``step`` of ``epoch`` (0-based, in the round), or None."""
        if not self.active or (step and not self.per_step):
            return None
        if step == 0 and self.lr_factor is not None:
            self.factor = float(self.lr_factor(epoch, self.spe))
        if not self.schedule.varies:  # the loss's factor alone, as the trainer always applied it
            if self.factor == self.current:
                return None
            self.current = self.factor
            return self.lr * self.factor
        t, total = (epoch * self.spe + step, self.epochs * self.spe) if self.per_step else (epoch, self.epochs)
        rate = self.schedule.rate(self.lr0, t, total)
        if self.factor != 1.0:
            rate = rate * self.factor
        if torch.equal(rate, self.current):
            return None
        self.current = rate
        return rate.to(dtype=self.lr.dtype, device=self.lr.device)
