"""FGSM (Goodfellow et al. 2015): one signed-gradient step of size rho, then the input box."""

from __future__ import annotations

from torch import Tensor

from .pgd import loss_and_grad, project


def fgsm(W: list[Tensor], b: list[Tensor], x: Tensor, y: Tensor, rho: float,
         box: tuple[float, float] | None) -> Tensor:
    """Adversarial inputs ``x + rho * sign(grad_x CE)`` clipped to the box, ``[G, N, M]``."""
    W = [w.detach() for w in W]
    b = [v.detach() for v in b]
    _, grad, _ = loss_and_grad(W, b, x, y)
    return project(x + rho * grad.sign(), x, rho, box).detach()
