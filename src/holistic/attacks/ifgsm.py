"""Iterative FGSM (Kurakin et al. 2017, "Adversarial examples in the physical world", the
basic iterative method) on a stack of G models at once (registry key ``ifgsm``).

From x itself (no random start), ``steps`` signed-gradient ascent steps of size
``alpha = step_size * eps`` on the cross-entropy, each followed by the projection onto the
eps-ball around x intersected with the input box (:func:`common.project`):

    x^(0) = x,    x^(t+1) = P(x^(t) + alpha sign(grad_x CE(x^(t))))

The final iterate is returned (no best-iterate selection: that is IFGSM; PGD and APGD keep
the strongest iterate). Defaults ``steps = 20, step_size = 0.25``: the IFGSM-20 of the RVSM
paper's evaluation, alpha = 2/255 at eps = 8/255 on CIFAR, i.e. eps / 4 (Kurakin et al. use
alpha = 1/255 with ``min(eps + 4, 1.25 eps)`` steps, eps in 0..255 units). Deterministic;
``generator`` is unused.
"""

from __future__ import annotations

from torch import Tensor

from .common import Logits, loss_and_grad, options, project

DEFAULTS = {"steps": 20, "step_size": 0.25}


def ifgsm(f: Logits, x: Tensor, y: Tensor, eps: float, steps: int, alpha: float,
          box: tuple[float, float] | None) -> Tensor:
    """The last iterate ``[G, N, ...]`` of ``steps`` projected signed-gradient steps of size
    ``alpha`` from x ``[G, N, ...]`` (labels ``[G, N]``)."""
    x = x.detach()
    x_adv = x
    for _ in range(steps):
        _, grad, _ = loss_and_grad(f, x_adv, y)
        x_adv = project(x_adv + alpha * grad.sign(), x, eps, box)
    return x_adv.detach()


class IFGSM:
    """Budgeted L-inf attack; ``attack.ifgsm = {steps: 20, step_size: 0.25}`` (optional),
    ``alpha = step_size * eps``."""

    norm = "inf"
    budgeted = True
    param_keys = ("attack.ifgsm",)

    def __init__(self, steps: int = DEFAULTS["steps"], step_size: float = DEFAULTS["step_size"]):
        self.steps, self.step_size = int(steps), float(step_size)

    @classmethod
    def from_params(cls, attack: dict) -> "IFGSM":
        return cls(**options(attack, "ifgsm", DEFAULTS))

    def settings(self) -> dict:
        return {"steps": self.steps, "step_size": self.step_size}

    def __call__(self, f: Logits, x: Tensor, y: Tensor, eps: float, box, generator) -> Tensor:
        """``x_adv [G, N, ...]``; ``generator`` is unused."""
        return ifgsm(f, x, y, eps, self.steps, self.step_size * eps, box)
