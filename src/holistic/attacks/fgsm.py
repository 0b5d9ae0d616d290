"""FGSM (Goodfellow et al. 2015): one signed-gradient step of size eps, then the input box
(registry key ``fgsm``); without the box, Guo et al.'s FGS (``fgsm-nobox``, :class:`UnboxedFGSM`)."""

from __future__ import annotations

from torch import Tensor

from .common import Logits, loss_and_grad, project


def fgsm(f: Logits, x: Tensor, y: Tensor, eps: float, box: tuple[float, float] | None) -> Tensor:
    """Adversarial inputs ``x + eps * sign(grad_x CE)`` clipped to the box, ``[G, N, ...]``."""
    _, grad, _ = loss_and_grad(f, x, y)
    return project(x + eps * grad.sign(), x, eps, box).detach()


class FGSM:
    """Budgeted L-inf attack, a weaker reference for PGD."""

    norm = "inf"
    budgeted = True
    box = True  # the adversarial points are clipped to the input box
    param_keys: tuple[str, ...] = ()

    @classmethod
    def from_params(cls, attack: dict) -> "FGSM":
        return cls()

    def settings(self) -> dict:
        return {}

    def __call__(self, f: Logits, x: Tensor, y: Tensor, eps: float, box, generator) -> Tensor:
        return fgsm(f, x, y, eps, box)


class UnboxedFGSM(FGSM):
    """FGS as Guo et al. (2018) define it in eq. (1) (registry key ``fgsm-nobox``): ``x + eps
    sign(grad_x CE)`` with no input box ("without box constraints on the image domain", Sec. 3.1;
    on a binary linear model ``x - eps y sign(w)``, which flips exactly the correctly classified
    points of l_inf distance ``|w^T x + b| / ||w||_1 <= eps``). The accuracy at these points is
    their r_inf; ``fgsm`` (clipped to the box) is the variant. Its points may leave the box, so the
    evaluation never counts it against a bound's certificate (eps-ball ∩ box)."""

    box = False

    def settings(self) -> dict:
        return {"box": False}

    def __call__(self, f: Logits, x: Tensor, y: Tensor, eps: float, box, generator) -> Tensor:
        return fgsm(f, x, y, eps, None)
