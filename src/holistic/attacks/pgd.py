"""L-inf PGD (Madry et al. 2018) on a stack of G models at once (registry key ``pgd``).

From a uniform random start in the rho-ball, ``steps`` signed-gradient ascent steps
of size ``alpha`` on the cross-entropy, each followed by the projection onto the
rho-ball around x intersected with the valid input box. Per sample the strongest
iterate seen is returned: a misclassified one if any (then the one of highest loss
among those), else the one of highest loss.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .common import Logits, loss_and_grad, project


def _stronger(loss: Tensor, wrong: Tensor, best_loss: Tensor, best_wrong: Tensor) -> Tensor:
    """Whether an iterate beats the best so far: misclassification first, then loss."""
    return (wrong & ~best_wrong) | ((wrong == best_wrong) & (loss > best_loss))


def pgd(f: Logits, x: Tensor, y: Tensor, rho: float, steps: int, alpha: float,
        box: tuple[float, float] | None, generator: torch.Generator | list[torch.Generator]) -> Tensor:
    """Adversarial inputs ``[G, N, ...]`` for the models ``f``, inputs x ``[G, N, ...]``, labels ``[G, N]``.

    ``generator`` draws the random starts: one for all models, or one per model (then a
    model's attack does not depend on which other models share the call).
    """
    if isinstance(generator, torch.Generator):
        u = torch.rand(x.shape, generator=generator, dtype=x.dtype)
    else:
        u = torch.stack([torch.rand(x.shape[1:], generator=g, dtype=x.dtype) for g in generator])
    noise = (u * 2 - 1).to(x.device) * rho
    x_adv = project(x + noise, x, rho, box)
    best = x_adv.clone()
    best_loss = torch.full(x.shape[:2], -float("inf"), device=x.device, dtype=x.dtype)
    best_wrong = torch.zeros(x.shape[:2], dtype=torch.bool, device=x.device)
    shape = (*x.shape[:2], *([1] * (x.dim() - 2)))
    for step in range(steps + 1):
        loss, grad, wrong = loss_and_grad(f, x_adv, y)
        better = _stronger(loss, wrong, best_loss, best_wrong)
        best = torch.where(better.view(shape), x_adv, best)
        best_loss = torch.where(better, loss, best_loss)
        best_wrong = best_wrong | wrong
        if step < steps:
            x_adv = project(x_adv + alpha * grad.sign(), x, rho, box)
    return best.detach()


class PGD:
    """Budgeted L-inf attack; ``alpha = step_size * rho / steps`` (``attack.pgd_steps``,
    ``attack.pgd_step_size``)."""

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
