"""Carlini & Wagner's L2 attack (Carlini & Wagner 2017, Section V) on a stack of G models
at once (registry key ``cw``): a minimal-perturbation attack.

For each point, with the change of variables ``x' = lo + (hi - lo) * (tanh(w) + 1) / 2``
(the box is then always respected; without a box ``x' = w``), minimise

    ||x'(w) - x||_2^2 + c * max(Z_y(x') - max_{i != y} Z_i(x'), -kappa)          (f_6)

by ``steps`` Adam iterations (lr 0.01) from ``w = w(x)``, restarted for each c. The
constant c is found per point by a binary search of ``search_steps`` (9) runs from
``c = c0`` (1e-3): times 10 while no run has succeeded for that point, then bisection
between the last failing and the smallest succeeding c. The result is, per point, the
closest successful iterate of all runs (smallest L2 distance, ``argmax Z != y``). The
best other logit masks the true class with -inf, so it is right when all logits are
negative. Everything is batched over the G models and the N points; there is no
randomness (``generator`` is unused).

Resolution: Adam's first step moves every coordinate of w by lr, about
``lr * (hi - lo) / 2 * sqrt(p)`` in L2 at the box centre; a point closer than that to the
boundary may be crossed by that first step at a small c, which stops the search there, so
such tiny distances can be overestimated (up to about twice, in the tests).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .common import Logits, margin, options
from .deepfool import check_failed

DEFAULTS = {"steps": 1000, "search_steps": 9, "c0": 1e-3, "lr": 0.01, "kappa": 0.0, "failed": "exclude"}
ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8
TANH_LIMIT = 1 - 1e-6  # the reference code's 0.999999: keeps atanh finite at the box faces


def cw(f: Logits, x: Tensor, y: Tensor, box: tuple[float, float] | None = None, steps: int = 1000,
       search_steps: int = 9, c0: float = 1e-3, lr: float = 0.01, kappa: float = 0.0) -> tuple[Tensor, Tensor]:
    """Minimal L2 adversarial inputs ``[G, N, ...]`` and success ``[G, N]`` of models ``f``.

    Inputs x ``[G, N, ...]`` (inside the box when one is given), labels y ``[G, N]``. A point
    misclassified at x keeps delta 0 and counts as a success. A point for which no iterate
    succeeded is returned at the last iterate of its last run (largest c), with success
    False: its distance is not a minimal perturbation and must not be read as one (nor as 0).
    """
    x = x.detach()
    G, N = y.shape
    shape = (G, N, *([1] * (x.dim() - 2)))
    if box is not None:
        lo, hi = box
        mid, half = (lo + hi) / 2, (hi - lo) / 2
        w0 = torch.atanh(((x - mid) / half).clamp(-TANH_LIMIT, TANH_LIMIT))

        def to_x(w: Tensor) -> Tensor:
            return mid + half * torch.tanh(w)
    else:
        w0 = x

        def to_x(w: Tensor) -> Tensor:
            return w

    with torch.no_grad():
        z0 = f(x)
    wrong0 = z0.argmax(-1) != y
    true_class = torch.nn.functional.one_hot(y, z0.shape[-1]).bool()
    c = torch.full((G, N), float(c0), dtype=x.dtype, device=x.device)
    c_lo = torch.zeros_like(c)
    c_hi = torch.full_like(c, math.inf)
    best_sq = torch.full_like(c, math.inf)
    best = x.clone()
    last = x.clone()
    b1, b2 = ADAM_BETAS
    for _ in range(search_steps):
        w = w0.clone().requires_grad_(True)
        m, v = torch.zeros_like(x), torch.zeros_like(x)
        found = torch.zeros((G, N), dtype=torch.bool, device=x.device)
        for t in range(steps + 1):
            with torch.enable_grad():
                xa = to_x(w)
                sq = (xa - x).flatten(2).pow(2).sum(-1)
                z = f(xa)
                marg = margin(z, y, true_class)
            with torch.no_grad():
                ok = (z.argmax(-1) != y) & (-marg >= kappa)  # flipped (by kappa)
                better = ok & (sq < best_sq)
                if bool(better.any()):
                    best_sq = torch.where(better, sq, best_sq)
                    best[better] = xa[better]
                found = found | ok
                if t == steps:
                    last = xa.detach()
                    break
            with torch.enable_grad():
                (g,) = torch.autograd.grad((sq + c * marg.clamp_min(-kappa)).sum(), w)
            with torch.no_grad():  # Adam (Kingma & Ba 2015), in place
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                denom = v.sqrt().div_(math.sqrt(1 - b2 ** (t + 1))).add_(ADAM_EPS)
                w.addcdiv_(m, denom, value=-lr / (1 - b1 ** (t + 1)))
        c_hi = torch.where(found, torch.minimum(c_hi, c), c_hi)
        c_lo = torch.where(found, c_lo, torch.maximum(c_lo, c))
        c = torch.where(torch.isinf(c_hi), c * 10, (c_lo + c_hi) / 2)
    success = wrong0 | torch.isfinite(best_sq)
    x_adv = torch.where(wrong0.view(shape), x, torch.where(torch.isfinite(best_sq).view(shape), best, last))
    if box is not None:
        x_adv = x_adv.clamp(box[0], box[1])  # against rounding in mid + half * tanh only
    return x_adv, success


class CW:
    """Minimal L2 attack (no radius: the result is a distance per point with a success flag);
    ``attack.cw = {steps: 1000, search_steps: 9, c0: 1e-3, lr: 0.01, kappa: 0.0, failed:
    exclude}``, optional; ``failed`` (read by the evaluation's r_2,
    :data:`holistic.attacks.deepfool.FAILED`): ``returned`` counts a failed point at the distance of
    the point returned (the last iterate of its largest c)."""

    norm = "2"
    budgeted = False
    param_keys = ("attack.cw",)

    def __init__(self, steps: int = DEFAULTS["steps"], search_steps: int = DEFAULTS["search_steps"],
                 c0: float = DEFAULTS["c0"], lr: float = DEFAULTS["lr"], kappa: float = DEFAULTS["kappa"],
                 failed: str = DEFAULTS["failed"]):
        self.steps, self.search_steps = int(steps), int(search_steps)
        self.c0, self.lr, self.kappa = float(c0), float(lr), float(kappa)
        self.failed = check_failed(failed, "cw")

    @classmethod
    def from_params(cls, attack: dict) -> "CW":
        return cls(**options(attack, "cw", DEFAULTS))

    def settings(self) -> dict:
        """The settings an eval file records; ``failed`` only where set away from its default (eval
        files measured before it existed read the same)."""
        out = {"steps": self.steps, "search_steps": self.search_steps, "c0": self.c0, "lr": self.lr,
               "kappa": self.kappa}
        return out if self.failed == DEFAULTS["failed"] else {**out, "failed": self.failed}

    def __call__(self, f: Logits, x: Tensor, y: Tensor, eps, box, generator) -> tuple[Tensor, Tensor]:
        """``(x_adv [G, N, ...], success [G, N])``; ``eps`` and ``generator`` are unused."""
        return cw(f, x, y, box, self.steps, self.search_steps, self.c0, self.lr, self.kappa)
