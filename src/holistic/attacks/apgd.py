"""L-inf APGD (Croce & Hein 2020, "Reliable evaluation of adversarial robustness with an
ensemble of diverse parameter-free attacks", Algorithm 1) on a stack of G models at once
(registry keys ``apgd-ce`` and ``apgd-dlr``).

From a uniform random start ``x^(0)`` in the eps-ball (drawn from the model's own
generator, then projected onto the box), with the step ``eta = 2 eps`` per sample and
the momentum ``alpha = 0.75`` (1 at the first step),

    z^(k+1) = P(x^(k) + eta sign(grad f(x^(k))))
    x^(k+1) = P(x^(k) + alpha (z^(k+1) - x^(k)) + (1 - alpha) (x^(k) - x^(k-1)))

for ``k = 0 .. N_iter - 1`` (``N_iter + 1`` gradient evaluations), P the projection onto
the eps-ball around x intersected with the box. The point of highest loss so far,
``x_max``, is kept per sample. At the checkpoints ``w_j = ceil(p_j N_iter)``,
``p_0 = 0, p_1 = 0.22, p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06)`` (p_j <= 1;
:func:`checkpoints`), a sample halves its step and restarts from ``x_max`` (its gradient
and loss) when

    condition 1: fewer than ``rho (w_j - w_{j-1})`` of the steps since ``w_{j-1}``
                 increased the loss (``f(x^(i+1)) > f(x^(i))``), rho = 0.75, or
    condition 2: its step was not halved at ``w_{j-1}`` and its best loss did not change
                 since ``w_{j-1}``.

The loss f is the cross-entropy (APGD-CE) or the Difference of Logits Ratio (APGD-DLR),

    DLR(z, y) = -(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3 + 1e-12)     (z_pi sorted decreasingly),

invariant to shifting and rescaling the logits; it needs K >= 3 classes and raises a
ValueError otherwise (the reference code only warns, then fails on the third logit).

Each restart (``restarts``, 1 by default) runs the whole batch from a fresh random start.
Per sample the strongest point of all iterates of all restarts and of x itself is
returned: a misclassified one if any (then the one of highest loss among those), else
the one of highest loss. Everything is elementwise per (model, point) except the logits
function, so a model's result depends only on its own parameters, inputs and generator.

Where this follows the paper's Algorithm 1 rather than the reference code (fra31/auto-attack):
condition 1 is the paper's strict ``<`` (the code uses ``<=``) and counts exactly the
steps of the last interval; condition 2 may already hold at ``w_1`` (the code skips it
there); the random start is uniform in the ball (the code rescales it so that its largest
coordinate is eps); after a restart at a checkpoint the next step's loss increase is
measured against the restart point's loss. For N_iter = 100 the checkpoints are the
code's: 22, 41, 57, 70, 80, 87, 93, 99.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from ..objectives.ce import per_sample_loss
from .common import Logits, loss_and_grad, margin, noise, options, stronger

DEFAULTS = {"steps": 100, "restarts": 1, "rho": 0.75}
MOMENTUM = 0.75
STEP = 2.0  # the initial step, in units of eps
DLR_DELTA = 1e-12


def dlr_loss(z: Tensor, y: Tensor) -> Tensor:
    """Difference of Logits Ratio ``[G, N]`` of logits ``[G, N, K]`` (K >= 3), labels ``[G, N]``.

    ``-(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3 + 1e-12)``: positive iff misclassified.
    """
    K = z.shape[-1]
    if K < 3:
        raise ValueError(f"the DLR loss needs at least 3 classes (z_pi3), got K = {K}; use apgd-ce")
    top3 = z.topk(3, dim=-1).values
    return -margin(z, y) / (top3[..., 0] - top3[..., 2] + DLR_DELTA)


LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {"ce": per_sample_loss, "dlr": dlr_loss}


def checkpoints(n_iter: int) -> list[int]:
    """The checkpoint iterations ``w_j = ceil(p_j n_iter)`` of Algorithm 1 (``w_0 = 0`` first).

    ``p_0 = 0, p_1 = 0.22, p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06)`` while ``p_j <= 1``;
    computed in integer hundredths, so no rounding error moves a ceiling. Duplicates (small
    n_iter) are dropped.
    """
    p = [0, 22]
    while True:
        nxt = p[-1] + max(p[-1] - p[-2] - 3, 6)
        if nxt > 100:
            break
        p.append(nxt)
    return sorted({-(-q * n_iter // 100) for q in p})


def random_start(x: Tensor, eps: float, generator) -> Tensor:
    """Uniform noise in ``[-eps, eps]`` of x's shape ``[G, N, ...]`` (``generator``: see
    :func:`common.noise`)."""
    return (noise(x, generator) * 2 - 1) * eps


def _where(mask: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """``torch.where`` with a ``[G, N]`` mask over ``[G, N, ...]`` tensors."""
    return torch.where(mask.view(*mask.shape, *([1] * (a.dim() - mask.dim()))), a, b)


def _run(f: Logits, x: Tensor, y: Tensor, eps: float, box, generator, steps: int, rho: float,
         loss_fn) -> tuple[Tensor, Tensor, Tensor]:
    """One APGD run from a random start: the strongest iterate ``[G, N, ...]``, its loss and
    whether it is misclassified (``[G, N]`` each).

    The projection is one clamp between the precomputed faces of ball ∩ box (the same
    result as :func:`common.project`); the kept points are updated in place, only where they
    change (few samples after the first steps).
    """
    G, N = y.shape
    marks = set(checkpoints(steps)[1:])
    lo, hi = x - eps, x + eps
    if box is not None:
        lo, hi = lo.clamp(min=box[0]), hi.clamp(max=box[1])
    x_cur = (x + random_start(x, eps, generator)).clamp(lo, hi)
    loss, grad, wrong = loss_and_grad(f, x_cur, y, loss_fn)
    s = grad.sign()
    x_max, s_max, f_max = x_cur.clone(), s.clone(), loss      # highest loss: restarts
    out, out_loss, out_wrong = x_cur.clone(), loss, wrong     # misclassified first: result
    x_prev, prev_loss = x_cur, loss
    eta = torch.full((G, N), STEP * eps, dtype=x.dtype, device=x.device)
    view = (G, N, *([1] * (x.dim() - 2)))
    increases = torch.zeros((G, N), dtype=torch.long, device=x.device)
    halved_last = torch.zeros((G, N), dtype=torch.bool, device=x.device)
    f_max_last, last_mark = f_max, 0
    for k in range(1, steps + 1):
        x_new = torch.addcmul(x_cur, eta.view(view), s).clamp_(lo, hi)  # z^(k+1)
        if k > 1:  # x^(k+1) = alpha z + (1 - alpha) (2 x^(k) - x^(k-1)), projected
            x_new = torch.lerp(x_cur.mul(2).sub_(x_prev), x_new, MOMENTUM).clamp_(lo, hi)
        loss, grad, wrong = loss_and_grad(f, x_new, y, loss_fn)
        s = grad.sign()
        increases += loss > prev_loss
        up = loss > f_max
        x_max[up], s_max[up], f_max = x_new[up], s[up], torch.where(up, loss, f_max)
        better = stronger(loss, wrong, out_loss, out_wrong)
        out[better], out_loss, out_wrong = x_new[better], torch.where(better, loss, out_loss), out_wrong | wrong
        x_prev, x_cur, prev_loss = x_cur, x_new, loss
        if k in marks:
            cond1 = increases < rho * (k - last_mark)
            cond2 = ~halved_last & (f_max == f_max_last)
            halve = cond1 | cond2
            eta = torch.where(halve, eta / 2, eta)
            x_cur[halve], s[halve] = x_max[halve], s_max[halve]
            prev_loss = torch.where(halve, f_max, prev_loss)
            halved_last, f_max_last, last_mark = halve, f_max, k
            increases = torch.zeros_like(increases)
    return out, out_loss, out_wrong


def apgd(f: Logits, x: Tensor, y: Tensor, eps: float, box: tuple[float, float] | None,
         generator: torch.Generator | list[torch.Generator], steps: int = 100, loss: str = "ce",
         restarts: int = 1, rho: float = 0.75) -> Tensor:
    """Adversarial inputs ``[G, N, ...]`` for the models ``f``, inputs x ``[G, N, ...]``, labels ``[G, N]``.

    ``loss`` is ``"ce"`` or ``"dlr"`` (K >= 3, else ValueError); ``generator``: one for all
    models or one per model (the random starts of the ``restarts`` runs, in turn).
    """
    if loss not in LOSSES:
        raise ValueError(f"unknown APGD loss {loss!r}; known: {', '.join(LOSSES)}")
    loss_fn = LOSSES[loss]
    x = x.detach()
    with torch.no_grad():
        z = f(x)
        best_loss, best_wrong = loss_fn(z, y), z.argmax(-1) != y  # x itself is a candidate
    best = x
    for _ in range(restarts):
        cand, c_loss, c_wrong = _run(f, x, y, eps, box, generator, steps, rho, loss_fn)
        better = stronger(c_loss, c_wrong, best_loss, best_wrong)
        best, best_loss, best_wrong = _where(better, cand, best), torch.where(better, c_loss, best_loss), best_wrong | c_wrong
    return best.detach()


class APGD:
    """Budgeted L-inf attack (``apgd-ce``, ``apgd-dlr``);
    ``attack.apgd = {steps: 100, restarts: 1, rho: 0.75}``, optional, shared by both losses."""

    norm = "inf"
    budgeted = True
    param_keys = ("attack.apgd",)

    def __init__(self, loss: str = "ce", steps: int = DEFAULTS["steps"], restarts: int = DEFAULTS["restarts"],
                 rho: float = DEFAULTS["rho"]):
        if loss not in LOSSES:
            raise ValueError(f"unknown APGD loss {loss!r}; known: {', '.join(LOSSES)}")
        self.loss, self.steps, self.restarts, self.rho = loss, int(steps), int(restarts), float(rho)

    @classmethod
    def from_params(cls, attack: dict, loss: str = "ce") -> "APGD":
        return cls(loss, **options(attack, "apgd", DEFAULTS))

    def settings(self) -> dict:
        return {"loss": self.loss, "steps": self.steps, "restarts": self.restarts, "rho": self.rho}

    def __call__(self, f: Logits, x: Tensor, y: Tensor, eps: float, box, generator) -> Tensor:
        return apgd(f, x, y, eps, box, generator, self.steps, self.loss, self.restarts, self.rho)


class APGDCE(APGD):
    """APGD on the cross-entropy (registry key ``apgd-ce``)."""

    def __init__(self, steps: int = DEFAULTS["steps"], restarts: int = DEFAULTS["restarts"],
                 rho: float = DEFAULTS["rho"]):
        super().__init__("ce", steps, restarts, rho)

    @classmethod
    def from_params(cls, attack: dict) -> "APGDCE":
        return cls(**options(attack, "apgd", DEFAULTS))


class APGDDLR(APGD):
    """APGD on the DLR loss (registry key ``apgd-dlr``; K >= 3)."""

    min_classes = 3  # an ensemble skips it on binary tasks (z_pi3 does not exist)

    def __init__(self, steps: int = DEFAULTS["steps"], restarts: int = DEFAULTS["restarts"],
                 rho: float = DEFAULTS["rho"]):
        super().__init__("dlr", steps, restarts, rho)

    @classmethod
    def from_params(cls, attack: dict) -> "APGDDLR":
        return cls(**options(attack, "apgd", DEFAULTS))

