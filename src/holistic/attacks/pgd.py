"""L-inf PGD (Madry et al. 2018) on a stack of G models at once.

From a uniform random start in the rho-ball, ``steps`` signed-gradient ascent steps
of size ``alpha`` on the cross-entropy, each followed by the projection onto the
rho-ball around x intersected with the valid input box. Per sample the strongest
iterate seen is returned: a misclassified one if any (then the one of highest loss
among those), else the one of highest loss.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..objectives.robust import per_sample_loss
from ..models.mlp import forward


def project(x_adv: Tensor, x: Tensor, rho: float, box: tuple[float, float] | None) -> Tensor:
    """Projection onto ``{x' : ||x' - x||_inf <= rho} ∩ box`` (x itself lies in the box)."""
    x_adv = torch.maximum(torch.minimum(x_adv, x + rho), x - rho)
    if box is not None:
        x_adv = x_adv.clamp(box[0], box[1])
    return x_adv


def loss_and_grad(W: list[Tensor], b: list[Tensor], x: Tensor, y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Per-sample cross-entropy ``[G, N]``, its input gradient ``[G, N, M]`` and misclassification ``[G, N]``."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        z, _ = forward(W, b, x)
        loss = per_sample_loss(z, y)
        (grad,) = torch.autograd.grad(loss.sum(), x)
    return loss.detach(), grad, z.detach().argmax(-1) != y


def _stronger(loss: Tensor, wrong: Tensor, best_loss: Tensor, best_wrong: Tensor) -> Tensor:
    """Whether an iterate beats the best so far: misclassification first, then loss."""
    return (wrong & ~best_wrong) | ((wrong == best_wrong) & (loss > best_loss))


def pgd(W: list[Tensor], b: list[Tensor], x: Tensor, y: Tensor, rho: float, steps: int, alpha: float,
        box: tuple[float, float] | None, generator: torch.Generator | list[torch.Generator]) -> Tensor:
    """Adversarial inputs ``[G, N, M]`` for models (W, b), inputs x ``[G, N, M]``, labels ``[G, N]``.

    ``generator`` draws the random starts: one for all models, or one per model (then a
    model's attack does not depend on which other models share the call).
    """
    W = [w.detach() for w in W]
    b = [v.detach() for v in b]
    if isinstance(generator, torch.Generator):
        u = torch.rand(x.shape, generator=generator, dtype=x.dtype)
    else:
        u = torch.stack([torch.rand(x.shape[1:], generator=g, dtype=x.dtype) for g in generator])
    noise = (u * 2 - 1).to(x.device) * rho
    x_adv = project(x + noise, x, rho, box)
    best = x_adv.clone()
    best_loss = torch.full(x.shape[:2], -float("inf"), device=x.device, dtype=x.dtype)
    best_wrong = torch.zeros(x.shape[:2], dtype=torch.bool, device=x.device)
    for step in range(steps + 1):
        loss, grad, wrong = loss_and_grad(W, b, x_adv, y)
        better = _stronger(loss, wrong, best_loss, best_wrong)
        best = torch.where(better.unsqueeze(-1), x_adv, best)
        best_loss = torch.where(better, loss, best_loss)
        best_wrong = best_wrong | wrong
        if step < steps:
            x_adv = project(x_adv + alpha * grad.sign(), x, rho, box)
    return best.detach()
