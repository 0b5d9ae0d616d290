"""Multi-class L2 DeepFool (Moosavi-Dezfooli et al. 2016, Algorithm 2) on a stack of G
models at once (registry key ``deepfool``): a minimal-perturbation attack.

At the iterate ``x_i`` every class k != y is linearised, ``f_k = z_k(x_i) - z_y(x_i)``
and ``w_k = grad_x f_k(x_i)``; the closest linearised boundary is

    l = argmin_{k != y} |f_k| / ||w_k||_2,    r_i = |f_l| / ||w_l||_2^2 * w_l      (eq. 8-9)

and the steps accumulate, ``r = sum_i r_i`` (un-overshot). The final perturbation is
``(1 + overshoot) * r`` (the paper's overshoot eta, 0.02); as in the reference code every
iterate is ``x_{i+1} = x + (1 + overshoot) * r`` and a point stops as soon as its label flips
there. The K-1 gradients are K-1 autograd backward passes per iteration, each batched over the
G models and the N points; there is no randomness. Shapes: inputs and iterates ``[G, N, ...]``,
logits ``[G, N, K]``, labels, ``f_k`` and the step lengths ``[G, N]``.

Reported distance: the attack returns the overshot point, so ``||x_adv - x||_2`` includes the
overshoot (on a linear model without a box exactly ``(1 + eta)`` times the distance to the
hyperplane; whenever the attack takes several steps, each re-linearised at the overshot iterate,
only part of the path is overshot and the factor lies between 1 and 1 + eta). Without the box
the returned point is exactly ``x + (1 + eta) r``, and ``distance: boundary`` has the evaluation
read ``||r||_2 = ||x_adv - x||_2 / (1 + eta)``: the distance to the (linearised) boundary, Guo et
al.'s ``d(x, x~) = |w^T x| / ||w||_2`` of eq. (1) on a linear model, while the point tested for
the flip keeps its overshoot.

Input box ``[lo, hi]`` (``box: true``, the default): two schedules, A and B, each attack every
point, and the result is the better of the two (below). Notation per point: ``x`` the input,
``r`` the accumulated un-overshot perturbation, ``c_i`` the candidate tested at iteration i, all
``[G, N, ...]``; ``clip`` the projection onto the box.

Schedule A (overshot iterate). The iterate is the candidate

    c_{i+1} = clip(x + (1 + eta) r),    then    r <- (c_{i+1} - x) / (1 + eta),

so ``r`` keeps only the part of the accumulated perturbation that the box lets through and
``c_{i+1} = x + (1 + eta) r`` exactly. The step is linearised at the candidate, for the boxed map:
a coordinate on a face of the box that the step ``+w_k`` would push out of it cannot move, and
is dropped from ``w_k``,

    w~_k = w_k * 1[not (c_i = lo and w_k < 0) and not (c_i = hi and w_k > 0)]   (per coordinate),
    l = argmin_{k != y} |f_k| / ||w~_k||_2,    r_i = |f_l| / ||w~_l||_2^2 * w~_l,    r <- r + r_i,

and a point stops as soon as the candidate is misclassified. (With the full ``w_k`` the part of
a step on the blocked coordinates is clipped away, every step falls short of the linearised
boundary by the factor ``||w~||^2 / ||w||^2`` and the candidate converges onto the boundary without
crossing it.) On a linear model each step either crosses the boundary of class l or pins further
coordinates to a face, so A takes at most (coordinates pinned) + 1 steps; on a binary one it
moves along ``clip(x + t w) - x``, the path of the exact L2-minimal perturbation inside the box
(KKT of ``min ||d||^2 s.t. w^T d >= -f(x), x + d in the box``): success wherever a boxed
adversarial point exists, at between 1 and ``1 + eta`` times the exact boxed distance (with K > 2
classes l is chosen greedily and may change on the way). On a curved boundary its full step
along ``w~`` (longer than the clipped step along ``w``, by ``||w||^2 / ||w~||^2``) can cross well past
the boundary: on MNIST MLPs up to 35 % farther than ART's DeepFool.

Schedule B (clipped iterate, the Adversarial Robustness Toolbox's steps). The iterate is the
un-overshot point ``p_i = x + r`` inside the box, linearised there with the full gradients
(eq. 8-9 at ``p_i``, no coordinate dropped), and the overshot point is only tested:

    p_0 = x,    c_i = clip(x + (1 + eta) (p_i - x)),    stop where c_i is misclassified,
    else    p_{i+1} = clip(p_i + r_i),    r_i = |f_l(p_i)| / ||w_l(p_i)||_2^2 * w_l(p_i).

Its clipped steps are shorter than A's and land closer to a curved boundary; on a linear model
they fall short of the boundary by the factor above at every step, so B can run out of steps
(it misses some reachable points of random linear models that A flips). ART itself tests
``p_i`` and overshoots once at the end; testing ``c_i``, the point returned, keeps the success flag
that of the returned point and usually stops B a step or more before ART, a little closer.

Result. With ``(c^A, s^A)`` and ``(c^B, s^B)`` the two returned points ``[G, N, ...]`` and success
flags ``[G, N]``, and ``d^S = ||c^S - x||_2`` ``[G, N]``, each point keeps

    c = c^B  where  s^B and (not s^A or d^B < d^A),    else  c^A;    success = s^A or s^B.

A successful point is a misclassified point of the box, so its distance is an upper bound on
the boxed minimal distance; the smaller of two upper bounds is a valid and tighter one (as C&W
keeps its best over the binary search), and the flip is kept wherever either schedule found one.
So the boxed attack succeeds wherever A or B does (every reachable point of a linear model), and
is never farther than A (within ``1 + eta`` of the exact minimum on binary linear models) nor
than B (on the MNIST benchmark, ``bench/deepfool_box.py``, at most ART's distance, to float32
rounding, on every point both flip). Where neither flips, ``c^A`` (A's last iterate) is returned
with success False. Ties keep A; everything is deterministic and per point (no point's result
depends on the others attacked with it). Cost: both schedules run, B with one more forward pass
per iteration (to test ``c_i``) and often more iterations than A (its clipped steps fall short):
about 1.5 to 3.5 times A's time on the MNIST benchmark. Where no iterate touches the box A
takes the unboxed attack's steps (up to rounding), so there the boxed result is never farther
than the unboxed one. ``box: false`` ignores the input box (A's loop alone, unclipped), as the
reference code (LTS4/DeepFool) and Guo et al.'s r_2 ("without box constraints on the image
domain", Sec. 3.1: on a linear model one step to ``x - w (w^T x) / ||w||^2``, the exact distance).
"""

from __future__ import annotations

import torch
from torch import Tensor

from .common import Logits, options

DEFAULTS = {"steps": 50, "overshoot": 0.02, "box": True, "distance": "overshot", "failed": "exclude"}
#: ``distance``: what the evaluation reads as a point's distance (``overshot``: ``||x_adv - x||_2``,
#: the returned point's; ``boundary``: that divided by ``1 + overshoot``, the un-overshot
#: perturbation ``r``, Guo et al.'s ``d(x, x~)`` of eq. (1), exact on an unboxed linear model).
DISTANCES = ("overshot", "boundary")
#: ``failed``: how r_2 counts a correctly classified point the attack did not flip
#: (:func:`holistic.evaluation.run.r2`): ``exclude`` (left out of the mean and its denominator),
#: ``returned`` (in the mean over all points, at the distance of the point returned).
FAILED = ("exclude", "returned")


def check_failed(failed: str, key: str) -> str:
    """``failed`` if it is one of :data:`FAILED`; ValueError naming ``attack.<key>.failed`` otherwise."""
    if failed not in FAILED:
        raise ValueError(f"attack.{key}.failed {failed!r}: not one of {', '.join(FAILED)}")
    return failed


def other_classes(y: Tensor, K: int) -> Tensor:
    """For each label y the K-1 classes k != y, in increasing order: ``[..., K-1]``."""
    k = torch.arange(K - 1, device=y.device)
    return k + (k >= y.unsqueeze(-1)).long()


def _closest_boundary_step(z: Tensor, x: Tensor, y: Tensor,
                           box: tuple[float, float] | None = None) -> Tensor:
    """The DeepFool step ``r_i`` ``[G, N, ...]`` at the iterate x (leaf with grad), logits z ``[G, N, K]``.

    One backward per other class; the closest class wins (the lowest index on ties). A
    point whose every ``w_k`` vanishes gets the step 0 (its label can never flip). With a
    ``box`` each ``w_k`` first loses the coordinates of x that lie on a face of the box and
    that the step ``+w_k`` would push out of it (the linearisation restricted to the box).
    """
    G, N, K = z.shape
    shape = (G, N, *([1] * (x.dim() - 2)))
    others = other_classes(y, K)
    z_y = z.gather(-1, y.unsqueeze(-1)).squeeze(-1)
    if box is not None:
        at_lo, at_hi = x.detach() <= box[0], x.detach() >= box[1]
    best_pert = torch.full((G, N), float("inf"), dtype=x.dtype, device=x.device)
    best_coef = torch.zeros((G, N), dtype=x.dtype, device=x.device)
    best_w = torch.zeros_like(x)
    for j in range(K - 1):
        f_k = z.gather(-1, others[..., j:j + 1]).squeeze(-1) - z_y
        (w_k,) = torch.autograd.grad(f_k.sum(), x, retain_graph=j < K - 2)
        if box is not None:
            w_k = w_k.masked_fill((at_lo & (w_k < 0)) | (at_hi & (w_k > 0)), 0.0)
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


def _overshot_schedule(f: Logits, x: Tensor, y: Tensor, steps: int, overshoot: float,
                       box: tuple[float, float] | None) -> tuple[Tensor, Tensor]:
    """The reference schedule (unboxed), schedule A with a ``box``: ``(x_adv, success)``."""
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
            r = _closest_boundary_step(z, xi, y, box)
        r_tot = r_tot + torch.where(active.view(shape), r, torch.zeros_like(r))
        if box is None:
            x_adv = (x + (1 + overshoot) * r_tot).detach()
        else:  # the candidate on the box; r_tot keeps only what the box lets through
            candidate = (x + (1 + overshoot) * r_tot).clamp(box[0], box[1])
            x_adv = torch.where(active.view(shape), candidate, x_adv).detach()
            r_tot = (x_adv - x) / (1 + overshoot)
    x_adv = x_adv.detach()
    return x_adv, ~active


def _clipped_schedule(f: Logits, x: Tensor, y: Tensor, steps: int, overshoot: float,
                      box: tuple[float, float]) -> tuple[Tensor, Tensor]:
    """Schedule B: full-gradient steps at the un-overshot clipped iterate ``p``, the overshot
    candidate ``clip(x + (1 + overshoot) (p - x))`` tested and returned: ``(x_adv, success)``."""
    shape = (*y.shape, *([1] * (x.dim() - 2)))
    p = x.clone()
    x_adv = x.clone()
    active = torch.ones(y.shape, dtype=torch.bool, device=x.device)
    for i in range(steps + 1):
        if i > 0:  # test the overshot candidate of the new iterate (at i = 0 it is x = p)
            candidate = (x + (1 + overshoot) * (p - x)).clamp(box[0], box[1])
            x_adv = torch.where(active.view(shape), candidate, x_adv)
            with torch.no_grad():
                active = active & (f(candidate).argmax(-1) == y)
            if i == steps or not bool(active.any()):
                break
        pi = p.requires_grad_(True)
        with torch.enable_grad():
            z = f(pi)
            if i == 0:
                active = active & (z.detach().argmax(-1) == y)
                if i == steps or not bool(active.any()):
                    break
            r = _closest_boundary_step(z, pi, y)
        p = torch.where(active.view(shape), (p.detach() + r).clamp(box[0], box[1]), p.detach())
    return x_adv.detach(), ~active


def deepfool(f: Logits, x: Tensor, y: Tensor, steps: int = 50, overshoot: float = 0.02,
             box: tuple[float, float] | None = None) -> tuple[Tensor, Tensor]:
    """Minimal L2 adversarial inputs ``[G, N, ...]`` and success ``[G, N]`` (label flipped).

    Models ``f(x[G, N, ...]) -> [G, N, K]``, inputs x ``[G, N, ...]``, labels y ``[G, N]``. At
    most ``steps`` steps; a point already misclassified at x keeps delta 0 and counts as a
    success. A point whose label has not flipped after ``steps`` steps (or whose logit
    gradients vanish) is returned at its last iterate with success False: its distance is
    not a minimal perturbation and must not be read as one. ``box``: ``(lo, hi)``, the iterates
    stay inside it and each point keeps the closer success of two schedules (module
    docstring); None: unconstrained. The returned point includes the overshoot.
    """
    x = x.detach()
    if box is None:
        return _overshot_schedule(f, x, y, steps, overshoot, None)
    x_a, s_a = _overshot_schedule(f, x, y, steps, overshoot, box)
    x_b, s_b = _clipped_schedule(f, x, y, steps, overshoot, box)
    d_a, d_b = ((v - x).flatten(2).norm(dim=-1) for v in (x_a, x_b))
    take_b = s_b & (~s_a | (d_b < d_a))
    x_adv = torch.where(take_b.view(*y.shape, *([1] * (x.dim() - 2))), x_b, x_a)
    return x_adv, s_a | s_b


class DeepFool:
    """Minimal L2 attack (no radius: the result is a distance per point with a success flag);
    ``attack.deepfool = {steps: 50, overshoot: 0.02, box: true, distance: overshot, failed:
    exclude}``, optional (``box: false``: the input box is ignored, the reference code's attack;
    ``distance: boundary``: the distance read is the un-overshot ``||r||_2``, :data:`DISTANCES`,
    only without the box, where the returned point is exactly ``x + (1 + overshoot) r``;
    ``failed``: :data:`FAILED`).

    ``distance_scale``: the factor the evaluation applies to ``||x_adv - x||_2`` (1, or
    ``1 / (1 + overshoot)`` for ``boundary``); ``failed``: read by the evaluation's r_2."""

    norm = "2"
    budgeted = False
    param_keys = ("attack.deepfool",)

    def __init__(self, steps: int = DEFAULTS["steps"], overshoot: float = DEFAULTS["overshoot"],
                 box: bool = DEFAULTS["box"], distance: str = DEFAULTS["distance"],
                 failed: str = DEFAULTS["failed"]):
        self.steps, self.overshoot, self.box = int(steps), float(overshoot), bool(box)
        if distance not in DISTANCES:
            raise ValueError(f"attack.deepfool.distance {distance!r}: not one of {', '.join(DISTANCES)}")
        if distance == "boundary" and self.box:
            raise ValueError("attack.deepfool.distance 'boundary' needs box: false (with the box the returned "
                             "point is clipped, not x + (1 + overshoot) r)")
        self.distance, self.failed = distance, check_failed(failed, "deepfool")
        self.distance_scale = 1.0 / (1.0 + self.overshoot) if distance == "boundary" else 1.0

    @classmethod
    def from_params(cls, attack: dict) -> "DeepFool":
        return cls(**options(attack, "deepfool", DEFAULTS))

    def settings(self) -> dict:
        """The settings an eval file records; ``distance`` and ``failed`` only where set away from
        their defaults (eval files measured before they existed read the same)."""
        out = {"steps": self.steps, "overshoot": self.overshoot, "box": self.box}
        return {**out, **{k: v for k, v in (("distance", self.distance), ("failed", self.failed))
                          if v != DEFAULTS[k]}}

    def __call__(self, f: Logits, x: Tensor, y: Tensor, eps, box, generator) -> tuple[Tensor, Tensor]:
        """``(x_adv [G, N, ...], success [G, N])``; ``eps`` and ``generator`` are unused."""
        return deepfool(f, x, y, self.steps, self.overshoot, box if self.box else None)
