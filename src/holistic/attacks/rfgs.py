"""R+FGSM (Tramer et al. 2018, "Ensemble adversarial training: attacks and defenses")
on a stack of G models at once (registry key ``rfgsm``).

A random signed step, then one FGSM step from there:

    x' = P_box(x + alpha sign(N(0, I))),    x_adv = P(x' + (eps - alpha) sign(grad_x' CE(x')))

with ``alpha = ratio * eps`` (the paper's alpha = eps / 2: ``ratio = 0.5``), the noise drawn
from the model's own generator (a model's result does not depend on the other models of the
stack), P the projection onto the eps-ball around x intersected with the input box. x' lies
in the ball since alpha <= eps; the box projection keeps the gradient at a valid input.

``rfgsm-nobox`` (:class:`UnboxedRFGSM`): the same steps with no box, P the ball alone (a no-op:
``|alpha| + |eps - alpha| = eps``), as Guo et al. (2018) define their r_inf points (eq. 1, "without
box constraints on the image domain").
"""

from __future__ import annotations

import torch
from torch import Tensor

from .common import Logits, loss_and_grad, noise, options, project

DEFAULTS = {"ratio": 0.5}


def signed_noise(x: Tensor, generator) -> Tensor:
    """``sign(N(0, I))`` of x's shape ``[G, N, ...]`` (``generator``: see :func:`common.noise`)."""
    return noise(x, generator, "normal").sign()


def rfgsm(f: Logits, x: Tensor, y: Tensor, eps: float, box: tuple[float, float] | None,
          generator: torch.Generator | list[torch.Generator], ratio: float = 0.5) -> Tensor:
    """Adversarial inputs ``[G, N, ...]`` of inputs x ``[G, N, ...]``, labels ``[G, N]``."""
    if not 0 <= ratio <= 1:
        raise ValueError(f"R+FGSM needs 0 <= alpha / eps <= 1, got {ratio}")
    x = x.detach()
    alpha = ratio * eps
    x_start = project(x + alpha * signed_noise(x, generator), x, eps, box)
    _, grad, _ = loss_and_grad(f, x_start, y)
    return project(x_start + (eps - alpha) * grad.sign(), x, eps, box).detach()


class RFGSM:
    """Budgeted L-inf attack, a randomised FGSM; ``attack.rfgsm = {ratio: 0.5}`` (optional,
    ``alpha = ratio * eps``)."""

    norm = "inf"
    budgeted = True
    box = True  # the random start and the adversarial points are clipped to the input box
    param_keys = ("attack.rfgsm",)

    def __init__(self, ratio: float = DEFAULTS["ratio"]):
        self.ratio = float(ratio)

    @classmethod
    def from_params(cls, attack: dict) -> "RFGSM":
        return cls(**options(attack, "rfgsm", DEFAULTS))

    def settings(self) -> dict:
        return {"ratio": self.ratio}

    def __call__(self, f: Logits, x: Tensor, y: Tensor, eps: float, box, generator) -> Tensor:
        return rfgsm(f, x, y, eps, box, generator, self.ratio)


class UnboxedRFGSM(RFGSM):
    """R+FGSM without the input box (registry key ``rfgsm-nobox``; ``attack.rfgsm`` as
    :class:`RFGSM`): Guo et al.'s rFGS, whose points, like their FGS's (eq. 1), are not clipped.
    Its points may leave the box, so the evaluation never counts it against a bound's certificate."""

    box = False

    def settings(self) -> dict:
        return {**super().settings(), "box": False}

    def __call__(self, f: Logits, x: Tensor, y: Tensor, eps: float, box, generator) -> Tensor:
        return rfgsm(f, x, y, eps, None, generator, self.ratio)
