"""FGSM (Goodfellow et al. 2015): one signed-gradient step of size rho, then the input box
(registry key ``fgsm``)."""

from __future__ import annotations

from torch import Tensor

from .common import Logits, loss_and_grad, project


def fgsm(f: Logits, x: Tensor, y: Tensor, rho: float, box: tuple[float, float] | None) -> Tensor:
    """Adversarial inputs ``x + rho * sign(grad_x CE)`` clipped to the box, ``[G, N, ...]``."""
    _, grad, _ = loss_and_grad(f, x, y)
    return project(x + rho * grad.sign(), x, rho, box).detach()


class FGSM:
    """Budgeted L-inf attack, a weaker reference for PGD."""

    norm = "inf"
    budgeted = True
    param_keys: tuple[str, ...] = ()

    @classmethod
    def from_params(cls, attack: dict) -> "FGSM":
        return cls()

    def settings(self) -> dict:
        return {}

    def __call__(self, f: Logits, x: Tensor, y: Tensor, eps: float, box, generator) -> Tensor:
        return fgsm(f, x, y, eps, box)
