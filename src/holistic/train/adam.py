"""Adam (Kingma & Ba) on stacked parameters with one learning rate per model.

Every update is element-wise, so one model's step never depends on another's:
a model trained inside a grid follows the same trajectory as when trained alone.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


class StackedAdam:
    def __init__(self, params: list[Tensor], lr: Tensor, betas=(0.9, 0.999), eps: float = 1e-8):
        self.params = params
        self.lr = lr
        self.b1, self.b2 = betas
        self.eps = eps
        self.t = 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    @torch.no_grad()
    def step(self) -> None:
        """``p -= lr * m_hat / (sqrt(v_hat) + eps)``, rearranged into four in-place passes:
        ``m_hat / (sqrt(v_hat) + eps) = (sqrt(c2) / c1) * m / (sqrt(v) + eps sqrt(c2))``."""
        self.t += 1
        c1 = 1 - self.b1 ** self.t
        c2 = 1 - self.b2 ** self.t
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad
            m.lerp_(g, 1 - self.b1)
            v.mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
            denom = v.sqrt().add_(self.eps * math.sqrt(c2))
            denom.div_(self.lr.view(-1, *([1] * (p.dim() - 1))))
            p.addcdiv_(m, denom, value=-math.sqrt(c2) / c1)
            p.grad = None
