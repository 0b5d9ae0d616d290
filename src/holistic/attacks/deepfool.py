"""Multi-class L2 DeepFool (Moosavi-Dezfooli et al. 2016, Algorithm 2) on a stack of G
models at once (registry key ``deepfool``): a minimal-perturbation attack.

At the iterate ``x_i`` every class k != y is linearised, ``f_k = z_k(x_i) - z_y(x_i)``
and ``w_k = grad_x f_k(x_i)``; the closest linearised boundary is

    l = argmin_{k != y} |f_k| / ||w_k||_2,    r_i = |f_l| / ||w_l||_2^2 * w_l      (eq. 8-9)

and the steps accumulate, ``r = sum_i r_i``. The final perturbation is ``(1 + overshoot) * r``
(the paper's overshoot eta, 0.02); as in the reference code every iterate is
``x_{i+1} = x + (1 + overshoot) * r`` and a point stops as soon as its label flips there.
The K-1 gradients are K-1 autograd backward passes per iteration, each batched over the
G models and the N points; there is no randomness.

With an input box the accumulated ``r`` is clipped so that ``x + r`` lies in the box, and
the iterate is clipped again after the overshoot: the linearised step ignores the box, so
the result is then an approximation of the minimal perturbation inside the box (exact
projection onto a linear boundary only without a box). ``box: false`` ignores the input box,
as the reference code (LTS4/DeepFool) and Guo et al.'s r_2 ("without box constraints on the image
domain", Sec. 3.1: on a linear model one step to ``x - w (w^T x) / ||w||^2``, the exact distance).
"""

from __future__ import annotations

import torch
from torch import Tensor

from .common import Logits, options

DEFAULTS = {"steps": 50, "overshoot": 0.02, "box": True}


def other_classes(y: Tensor, K: int) -> Tensor:
    """For each label y the K-1 classes k != y, in increasing order: ``[..., K-1]``."""
    k = torch.arange(K - 1, device=y.device)
    return k + (k >= y.unsqueeze(-1)).long()


def _clip(x: Tensor, box: tuple[float, float] | None) -> Tensor:
    return x if box is None else x.clamp(box[0], box[1])


def _closest_boundary_step(z: Tensor, x: Tensor, y: Tensor) -> Tensor:
    """The DeepFool step ``r_i`` ``[G, N, ...]`` at the iterate x (leaf with grad), logits z ``[G, N, K]``.

    One backward per other class; the closest class wins (the lowest index on ties). A
    point whose every ``w_k`` vanishes gets the step 0 (its label can never flip).
    """
    G, N, K = z.shape
    shape = (G, N, *([1] * (x.dim() - 2)))
    others = other_classes(y, K)
    z_y = z.gather(-1, y.unsqueeze(-1)).squeeze(-1)
    best_pert = torch.full((G, N), float("inf"), dtype=x.dtype, device=x.device)
    best_coef = torch.zeros((G, N), dtype=x.dtype, device=x.device)
    best_w = torch.zeros_like(x)
    for j in range(K - 1):
        f_k = z.gather(-1, others[..., j:j + 1]).squeeze(-1) - z_y
        (w_k,) = torch.autograd.grad(f_k.sum(), x, retain_graph=j < K - 2)
        f_k = f_k.detach().abs()
        flat = w_k.flatten(2)
        sq = torch.linalg.vecdot(flat, flat)
        alive = sq > 0
        safe = torch.where(alive, sq, torch.ones_like(sq))
        pert = torch.where(alive, f_k / safe.sqrt(), torch.full_like(sq, float("inf")))
        better = pert < best_pert
        best_pert = torch.where(better, pert, best_pert)
        best_coef = torch.where(better, f_k / safe, best_coef)
        best_w = torch.where(better.view(shape), w_k, best_w)
    return best_coef.view(shape) * best_w


def deepfool(f: Logits, x: Tensor, y: Tensor, steps: int = 50, overshoot: float = 0.02,
             box: tuple[float, float] | None = None) -> tuple[Tensor, Tensor]:
    """Minimal L2 adversarial inputs ``[G, N, ...]`` and success ``[G, N]`` (label flipped).

    Models ``f(x[G, N, ...]) -> [G, N, K]``, inputs x ``[G, N, ...]``, labels y ``[G, N]``. At
    most ``steps`` steps; a point already misclassified at x keeps delta 0 and counts as a
    success. A point whose label has not flipped after ``steps`` steps (or whose logit
    gradients vanish) is returned at its last iterate with success False: its distance is
    not a minimal perturbation and must not be read as one.
    """
    x = x.detach()
    shape = (*y.shape, *([1] * (x.dim() - 2)))
    r_tot = torch.zeros_like(x)
    x_adv = x.clone()
    active = torch.ones(y.shape, dtype=torch.bool, device=x.device)
    for i in range(steps + 1):
        xi = x_adv.requires_grad_(True)
        with torch.enable_grad():
            z = f(xi)
            active = active & (z.detach().argmax(-1) == y)
            if i == steps or not bool(active.any()):
                break
            r = _closest_boundary_step(z, xi, y)
        r_tot = r_tot + torch.where(active.view(shape), r, torch.zeros_like(r))
        if box is not None:
            r_tot = _clip(x + r_tot, box) - x
        x_adv = _clip(x + (1 + overshoot) * r_tot, box).detach()
    x_adv = x_adv.detach()
    return x_adv, ~active


class DeepFool:
    """Minimal L2 attack (no radius: the result is a distance per point with a success flag);
    ``attack.deepfool = {steps: 50, overshoot: 0.02, box: true}``, optional (``box: false``: the
    input box is ignored, the reference code's attack)."""

    norm = "2"
    budgeted = False
    param_keys = ("attack.deepfool",)

    def __init__(self, steps: int = DEFAULTS["steps"], overshoot: float = DEFAULTS["overshoot"],
                 box: bool = DEFAULTS["box"]):
        self.steps, self.overshoot, self.box = int(steps), float(overshoot), bool(box)

    @classmethod
    def from_params(cls, attack: dict) -> "DeepFool":
        return cls(**options(attack, "deepfool", DEFAULTS))

    def settings(self) -> dict:
        return {"steps": self.steps, "overshoot": self.overshoot, "box": self.box}

    def __call__(self, f: Logits, x: Tensor, y: Tensor, eps, box, generator) -> tuple[Tensor, Tensor]:
        """``(x_adv [G, N, ...], success [G, N])``; ``eps`` and ``generator`` are unused."""
        return deepfool(f, x, y, self.steps, self.overshoot, box if self.box else None)
