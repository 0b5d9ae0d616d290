"""The weak, eps-scaled C&W of the EnResNet attack script that Dinh et al.'s A4 column used
(registry key ``cw-scaled``; study notes 5.3). A flagged column, never a robustness claim.

From x, ``steps`` (50) Adam steps (lr 6e-4) on the input x' minimise

    ||x' - x||_2^2 + c * max(Z_y(x') - max_{i != y} Z_i(x'), -kappa)        (c = 10, kappa = 0)

(x' clipped to the box after every step), and the attack returns ``x + eps (x' - x)``: the
perturbation found is *scaled by eps* (8/255) rather than projected. With 50 steps of 6e-4
x' moves at most 0.03 per pixel, so the returned point lies within about 0.001 of x: far weaker
than FGSM, which is why the paper's A4 (C&W) accuracy exceeds its A2 (FGSM) accuracy in every
table. The strong C&W of the suite is ``cw`` (minimal L2). No randomness (``generator`` unused).
"""

from __future__ import annotations

import torch
from torch import Tensor

from .common import Logits, margin, options, project

DEFAULTS = {"steps": 50, "lr": 6e-4, "c": 10.0, "kappa": 0.0}
ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8


def cw_scaled(f: Logits, x: Tensor, y: Tensor, eps: float, box: tuple[float, float] | None, steps: int,
              lr: float, c: float, kappa: float) -> Tensor:
    """``x + eps (x' - x)`` ``[G, N, ...]`` with x' after ``steps`` Adam steps on the C&W objective."""
    x = x.detach()
    xp = x.clone()
    m, v = torch.zeros_like(x), torch.zeros_like(x)
    b1, b2 = ADAM_BETAS
    for t in range(1, steps + 1):
        xp = xp.detach().requires_grad_(True)
        with torch.enable_grad():
            dist = (xp - x).flatten(2).pow(2).sum(-1)
            loss = dist + c * margin(f(xp), y).clamp(min=-kappa)
            (grad,) = torch.autograd.grad(loss.sum(), xp)
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        step = lr * (m / (1 - b1 ** t)) / ((v / (1 - b2 ** t)).sqrt() + ADAM_EPS)
        xp = xp.detach() - step
        if box is not None:
            xp = xp.clamp(box[0], box[1])
    return project(x + eps * (xp - x), x, eps, box).detach()


class ScaledCW:
    """Budgeted L-inf attack (the scaled perturbation stays in the eps-ball of the box);
    ``attack.cw_scaled = {steps: 50, lr: 6e-4, c: 10, kappa: 0}`` (optional)."""

    norm = "inf"
    budgeted = True
    param_keys = ("attack.cw_scaled",)

    def __init__(self, steps: int = DEFAULTS["steps"], lr: float = DEFAULTS["lr"], c: float = DEFAULTS["c"],
                 kappa: float = DEFAULTS["kappa"]):
        if int(steps) < 1:
            raise ValueError(f"attack.cw_scaled.steps must be at least 1, got {steps}")
        self.steps, self.lr, self.c, self.kappa = int(steps), float(lr), float(c), float(kappa)

    @classmethod
    def from_params(cls, attack: dict) -> "ScaledCW":
        return cls(**options(attack, "cw_scaled", DEFAULTS))

    def settings(self) -> dict:
        return {"steps": self.steps, "lr": self.lr, "c": self.c, "kappa": self.kappa}

    def __call__(self, f: Logits, x: Tensor, y: Tensor, eps: float, box, generator) -> Tensor:
        return cw_scaled(f, x, y, eps, box, self.steps, self.lr, self.c, self.kappa)
