"""SGD with momentum, Nesterov momentum and weight decay, as ``torch.optim.SGD`` defines them, on
stacked parameters ``[G, ...]`` with per-model hyperparameters (registry keys ``sgd`` and
``sgd-nesterov``).

Per parameter ``p`` with gradient ``g`` (torch's ``_single_tensor_sgd``, ``maximize`` off)::

    g <- g + weight_decay * p                             (where weight_decay != 0)
    b <- g  (first step);  b <- momentum * b + (1 - dampening) * g   (where momentum != 0)
    d <- g + momentum * b  (Nesterov)  or  b  (plain momentum)  or  g  (no momentum)
    p <- p - lr * d

The learning rate, momentum and weight decay are per model (``[G]``: grid axes ``lr``,
``momentum``, ``weight_decay``); Nesterov and the dampening are the piece's own. Every operation
is element-wise and each one is the kernel torch runs: torch's ``x.add(y, alpha=a)`` and
``x.addcmul(y, a_tensor)`` (value 1) round alike (on this build both are one fused multiply-add,
``tests/train/test_sgd.py`` checks the trajectory bit for bit), and ``p.addcmul_(d, lr, value=-1)``
is ``p.add_(d, alpha=-lr)``. So a model trained inside a grid follows, bit for bit, its trajectory
alone and that of ``torch.optim.SGD`` on the same module. Where the models of one stack differ in
whether momentum or weight decay is on (some 0, some not), the models with it off take the
untouched gradient by ``torch.where`` (no ``+ 0 * x``, which could flip a zero's sign).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..adam import per_model


def _mask(on: Tensor, p: Tensor) -> Tensor | None:
    """``on`` ``[G]`` (bool) as a view broadcastable against ``p``; None where every model is on."""
    return None if bool(on.all()) else per_model(on, p)


class StackedSGD:
    """SGD over a list of stacked parameters ``[G, ...]`` with per-model ``lr``, ``momentum`` and
    ``weight_decay`` (each ``[G]``); ``decayed[i]``: whether parameter i takes weight decay (the
    model's weights and biases do; a reduction's or a procedure's trained state does not)."""

    def __init__(self, params: list[Tensor], lr: Tensor, momentum: Tensor, weight_decay: Tensor,
                 nesterov: bool = False, dampening: float = 0.0, decayed: list[bool] | None = None):
        momentum, weight_decay = momentum.to(lr), weight_decay.to(lr)
        if bool((momentum < 0).any()) or bool((weight_decay < 0).any()):
            raise ValueError("SGD: momentum and weight decay must be >= 0")
        if nesterov and (bool((momentum <= 0).any()) or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum > 0 and zero dampening")
        self.params = params
        self.nesterov, self.dampening = nesterov, float(dampening)
        self.decayed = [True] * len(params) if decayed is None else list(decayed)
        self.decay = bool((weight_decay != 0).any())
        self.momentum = bool((momentum != 0).any())
        self.wd_views = [per_model(weight_decay, p) for p in params]
        self.wd_on = [_mask(weight_decay != 0, p) for p in params]
        self.m_views = [per_model(momentum, p) for p in params]
        self.m_on = [_mask(momentum != 0, p) for p in params]
        self.buffers: list[Tensor | None] = [None] * len(params)
        self.set_lr(lr)

    def set_lr(self, lr: Tensor) -> None:
        """New per-model learning rates ``lr`` ``[G]`` from the next step on; the momentum buffers go on."""
        self.lr = lr
        self.lr_views = [per_model(lr, p) for p in self.params]

    @torch.no_grad()
    def step(self) -> None:
        """One update of every parameter (module docstring); a parameter without a gradient is
        skipped, as torch does."""
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            if self.decay and self.decayed[i]:
                decayed = torch.addcmul(g, p, self.wd_views[i])   # torch: g.add(p, alpha=weight_decay)
                g = decayed if self.wd_on[i] is None else torch.where(self.wd_on[i], decayed, g)
            if self.momentum:
                g = self._momentum(i, g)
            p.addcmul_(g, self.lr_views[i], value=-1)           # torch: p.add_(d, alpha=-lr)
            p.grad = None

    def _momentum(self, i: int, g: Tensor) -> Tensor:
        """The direction ``d`` of parameter i from its gradient ``g`` (weight decay added)."""
        buf = self.buffers[i]
        if buf is None:
            buf = self.buffers[i] = g.detach().clone()
        else:
            buf.mul_(self.m_views[i]).add_(g, alpha=1 - self.dampening)
        d = torch.addcmul(g, buf, self.m_views[i]) if self.nesterov else buf  # torch: g.add(buf, alpha=momentum)
        return d if self.m_on[i] is None else torch.where(self.m_on[i], d, g)


class SGD:
    """The optimizer piece: :class:`StackedSGD` with Nesterov momentum or not (and a dampening),
    its per-model momentum and weight decay the grid axes ``momentum`` and ``weight_decay``."""

    axes: tuple[str, ...] = ("momentum", "weight_decay")
    axis_bounds = {"momentum": {"minimum": 0}, "weight_decay": {"minimum": 0}}
    param_keys: tuple[str, ...] = ()

    def __init__(self, nesterov: bool = False, dampening: float = 0.0):
        if nesterov and dampening != 0:
            raise ValueError("SGD: Nesterov momentum requires zero dampening")
        self.nesterov, self.dampening = nesterov, dampening

    def make(self, params: list[Tensor], hp: dict[str, Tensor], decayed: list[bool]) -> StackedSGD:
        return StackedSGD(params, hp["lr"], hp["momentum"], hp["weight_decay"], self.nesterov, self.dampening,
                          decayed)

    def check(self, train: dict) -> tuple[str, str] | None:
        """(field, reason) where the params' ``train`` section does not suit this optimizer."""
        momentum = (train.get("grid") or {}).get("momentum") or []
        if self.nesterov and any(m <= 0 for m in momentum):
            return "train.grid.momentum", (f"Nesterov momentum (optimizer sgd-nesterov) needs every momentum > 0, "
                                           f"got {momentum}")
        return None
