"""L-inf PGD (Madry et al. 2018) on a stack of G models at once (registry keys ``pgd`` and
``pgd-restarts``).

From a uniform random start in the eps-ball, ``steps`` signed-gradient ascent steps of size
``alpha`` on a per-sample loss (cross-entropy, or the C&W margin ``max_{i != y} z_i - z_y``),
each followed by the projection onto the eps-ball around x intersected with the input box;
``restarts`` runs from independent starts. Which point is returned (``iterate``, :data:`ITERATES`):

* ``strongest`` (every evaluation attack; adversarial training's default): per sample the
  strongest point seen over the ``steps + 1`` iterates of every run, a misclassified one if any
  (then the one of highest loss among those), else the one of highest loss;
* ``last``: the final iterate of the one run (``restarts`` 1), as CleverHans'
  ``ProjectedGradientDescent`` and Madry et al.'s code return it (``train.adversarial.iterate``).

``pgd`` is the attack as the HDL paper ran it: one run of 40 cross-entropy steps of the
relative size ``alpha = 2.5 eps / 40`` (``attack.pgd_steps``, ``attack.pgd_step_size``).
``pgd-restarts`` is the ensemble's stronger PGD: ``attack.pgd_restarts = {steps, restarts,
loss, step_size, step}`` with ``step: relative`` (``alpha = step_size * eps / steps``) or
``absolute`` (``alpha = step_size * eps``, the same fraction of the radius whatever the steps).
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from ..objectives.ce import per_sample_loss
from .common import Logits, loss_and_grad, margin, noise, options, project, stronger


def margin_loss(z: Tensor, y: Tensor) -> Tensor:
    """The C&W margin loss ``max_{i != y} z_i - z_y`` ``[G, N]`` (positive: misclassified)."""
    return -margin(z, y)


LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {"ce": per_sample_loss, "margin": margin_loss}
STEPS = ("relative", "absolute")
#: The point PGD returns per sample: the strongest of its iterates, or the last (module docstring).
ITERATES = ("strongest", "last")


def pgd(f: Logits, x: Tensor, y: Tensor, eps: float, steps: int, alpha: float,
        box: tuple[float, float] | None, generator, restarts: int = 1, loss: str = "ce",
        iterate: str = "strongest") -> Tensor:
    """Adversarial inputs ``[G, N, ...]`` for the models ``f``, inputs x ``[G, N, ...]``, labels ``[G, N]``.

    ``generator`` draws the random starts, one per restart (see :func:`common.noise`: one
    generator for all models, or one per model, then a model's attack does not depend on
    which other models share the call). ``iterate``: ``strongest`` or ``last`` (:data:`ITERATES`;
    ``last`` with one restart only).
    """
    if loss not in LOSSES:
        raise ValueError(f"unknown PGD loss {loss!r}; known: {', '.join(LOSSES)}")
    if iterate not in ITERATES:
        raise ValueError(f"unknown PGD iterate rule {iterate!r}; known: {', '.join(ITERATES)}")
    if iterate == "last" and restarts != 1:
        raise ValueError(f"PGD's last iterate is one run's: {restarts} restarts")
    loss_fn = LOSSES[loss]
    x = x.detach()
    if iterate == "last":
        x_adv = project(x + (noise(x, generator) * 2 - 1) * eps, x, eps, box)
        for _ in range(steps):
            _, grad, _ = loss_and_grad(f, x_adv, y, loss_fn)
            x_adv = project(x_adv + alpha * grad.sign(), x, eps, box)
        return x_adv.detach()
    best = x
    best_loss = torch.full(x.shape[:2], -float("inf"), device=x.device, dtype=x.dtype)
    best_wrong = torch.zeros(x.shape[:2], dtype=torch.bool, device=x.device)
    shape = (*x.shape[:2], *([1] * (x.dim() - 2)))
    for _ in range(restarts):
        x_adv = project(x + (noise(x, generator) * 2 - 1) * eps, x, eps, box)
        for step in range(steps + 1):
            value, grad, wrong = loss_and_grad(f, x_adv, y, loss_fn)
            better = stronger(value, wrong, best_loss, best_wrong)
            best = torch.where(better.view(shape), x_adv, best)
            best_loss = torch.where(better, value, best_loss)
            best_wrong = best_wrong | wrong
            if step < steps:
                x_adv = project(x_adv + alpha * grad.sign(), x, eps, box)
    return best.detach()


class PGD:
    """Budgeted L-inf attack as the paper ran it; ``alpha = step_size * eps / steps``
    (``attack.pgd_steps``, ``attack.pgd_step_size``)."""

    norm = "inf"
    budgeted = True
    param_keys = ("attack.pgd_steps", "attack.pgd_step_size")

    def __init__(self, steps: int, step_size: float):
        self.steps, self.step_size = steps, step_size

    @classmethod
    def from_params(cls, attack: dict) -> "PGD":
        return cls(attack["pgd_steps"], attack["pgd_step_size"])

    def settings(self) -> dict:
        return {"steps": self.steps, "step_size": self.step_size}

    def __call__(self, f: Logits, x: Tensor, y: Tensor, eps: float, box, generator) -> Tensor:
        return pgd(f, x, y, eps, self.steps, self.step_size * eps / self.steps, box, generator)


DEFAULTS = {"steps": 50, "restarts": 2, "loss": "margin", "step_size": 0.1, "step": "absolute"}


class PGDRestarts:
    """Budgeted L-inf attack: PGD with restarts, a margin or cross-entropy loss and an absolute
    or relative step; ``attack.pgd_restarts`` (optional, defaults :data:`DEFAULTS`)."""

    norm = "inf"
    budgeted = True
    param_keys = ("attack.pgd_restarts",)

    def __init__(self, steps: int = DEFAULTS["steps"], restarts: int = DEFAULTS["restarts"],
                 loss: str = DEFAULTS["loss"], step_size: float = DEFAULTS["step_size"],
                 step: str = DEFAULTS["step"]):
        if loss not in LOSSES:
            raise ValueError(f"attack.pgd_restarts.loss: unknown loss {loss!r}; known: {', '.join(LOSSES)}")
        if step not in STEPS:
            raise ValueError(f"attack.pgd_restarts.step: {step!r} is not one of {', '.join(STEPS)}")
        self.steps, self.restarts, self.loss, self.step_size, self.step = steps, restarts, loss, step_size, step

    @classmethod
    def from_params(cls, attack: dict) -> "PGDRestarts":
        return cls(**options(attack, "pgd_restarts", DEFAULTS))

    def settings(self) -> dict:
        return {"steps": self.steps, "restarts": self.restarts, "loss": self.loss,
                "step_size": self.step_size, "step": self.step}

    def alpha(self, eps: float) -> float:
        """The step: ``step_size * eps`` (absolute) or ``step_size * eps / steps`` (relative)."""
        return self.step_size * eps / (self.steps if self.step == "relative" else 1)

    def __call__(self, f: Logits, x: Tensor, y: Tensor, eps: float, box, generator) -> Tensor:
        return pgd(f, x, y, eps, self.steps, self.alpha(eps), box, generator, self.restarts, self.loss)
