"""What every attack shares: the projection onto the threat set and the loss gradient.

An attack receives the models as a logits function ``f(x[G, N, ...]) -> [G, N, K]``
(any stacked model: ``lambda x: model.forward(params, x)[0]``), never weight tensors.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from ..objectives.ce import per_sample_loss

Logits = Callable[[Tensor], Tensor]


def project(x_adv: Tensor, x: Tensor, rho: float, box: tuple[float, float] | None) -> Tensor:
    """Projection onto ``{x' : ||x' - x||_inf <= rho} ∩ box`` (x itself lies in the box)."""
    x_adv = torch.maximum(torch.minimum(x_adv, x + rho), x - rho)
    if box is not None:
        x_adv = x_adv.clamp(box[0], box[1])
    return x_adv


def loss_and_grad(f: Logits, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Per-sample cross-entropy ``[G, N]``, its input gradient ``[G, N, ...]`` and misclassification ``[G, N]``."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        z = f(x)
        loss = per_sample_loss(z, y)
        (grad,) = torch.autograd.grad(loss.sum(), x)
    return loss.detach(), grad, z.detach().argmax(-1) != y
