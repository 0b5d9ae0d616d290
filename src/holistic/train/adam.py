"""Adam (Kingma & Ba) on stacked parameters with one learning rate per model.

Every update is element-wise, so one model's step never depends on another's:
a model trained inside a grid follows the same trajectory as when trained alone.

On CPU the update runs as eight ``torch._foreach_*`` calls over all parameters instead of
eight calls per parameter: PyTorch's CPU ``_foreach_*`` kernels loop over the tensors in C++
and call the very same per-tensor kernels (``lerp_``, ``mul_``, ``addcmul_``, ``clamp_min``,
``sqrt_``, ``add_``, ``div_``, ``addcdiv_``; the ``clamp_min`` is the square root's floor,
:func:`denominator`), so the arithmetic, and every bit, is unchanged; only the Python dispatch
goes. Small grids go further: all parameters in one flat buffer, eight kernels and a copy in
all (:class:`StackedAdam`). On CUDA the ``_foreach_*`` ops are separate multi-tensor kernels
with their own element-wise code, whose bitwise agreement with the per-tensor kernels is not
established (no GPU was at hand to check it), so there the per-tensor loop is kept.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from holistic.numerics import mode_in_effect


#: Floats per 64 bytes: each parameter's segment of the flat buffers starts 64-byte aligned,
#: as PyTorch's own CPU allocations do (a batched matmul meets the same memory layout).
ALIGN = 16

#: Parameters of at most this many floats in all are updated in one flat buffer (up to 7
#: iris-sized or 5 spambase-sized MLPs of 17.5k or 24.2k floats). Measured on 2 CPU cores
#: (1 thread, 2026-12-04), one step: G = 1: 167 us flat, 270 us ``_foreach_*``; G = 4:
#: 378 vs 442 us; G = 8: even (773 vs 770 us); G = 64: 7.8 vs 6.5 ms (the gradients' copy
#: and the per-element ``lr`` are two more passes over memory).
FLAT_MAX_FLOATS = 2**17

#: The smallest normal float32, 2^-126: the second moment is floored there before its square
#: root (:func:`denominator`).
V_FLOOR = 2.0**-126

#: The floor changes no bit while ``eps * sqrt(c2)`` (float32) is at least 2^-38 (see
#: :func:`denominator`); below that the plain square root is taken.
MIN_EPS_TERM = 2.0**-38

#: Where the floor pays (:func:`floor_pays`): the numerics modes whose square root is slow on
#: zeros but fast at 2^-126. Under MKL's pinned branches (portable, intel) it is the reverse: one
#: thread, 2^20 floats with 10 % at the value, 2026-12-07: 2^-126 11.3 ms (intel 8.8) against
#: 0.88 ms for zeros and 0.63 ms for none; native 0.39 against 1.02 ms for zeros.
FLOOR_MODES = ("native",)


def floor_pays() -> bool:
    """Whether :func:`denominator`'s floor makes the square root faster in this process's
    numerics mode (:data:`FLOOR_MODES`); it never changes a bit (see there)."""
    return mode_in_effect() in FLOOR_MODES


def denominator(v: Tensor, eps_term: float, floor: bool) -> Tensor:
    """``sqrt(v) + eps sqrt(c2)`` (``eps_term``), a new tensor; with ``floor``, as
    ``sqrt(max(v, 2^-126)) + eps sqrt(c2)``: the same bits, several times faster where v holds
    zeros.

    Why: this torch build's CPU square root (not the correctly rounded one: it differs from it
    in the last bit for about 17 % of inputs) takes a slow path for zeros and subnormals (one
    thread, 2^20 floats, 2026-12-06: 0.38 ms uniform, 1.4 ms with 10 % zeros, 4.6 ms with half
    zeros), and Adam's second moment is exactly 0 wherever a gradient has always been 0 (dead
    ReLU units, pruned weights). Why the same bits: for v >= 2^-126 the floor is the identity;
    for v < 2^-126 (0 or subnormal) both square roots are at most about 2^-63, while
    ``eps_term >= 2^-38`` has half an ulp of at least 2^-62, so the sum rounds to ``eps_term``
    either way. (v is never negative or -0; a NaN stays NaN: ``clamp_min`` propagates it.)
    """
    if floor:
        return torch.clamp_min(v, V_FLOOR).sqrt_().add_(eps_term)
    return v.sqrt().add_(eps_term)


def per_model(lr: Tensor, p: Tensor) -> Tensor:
    """``lr`` ``[G]`` as ``[G, 1, ..., 1]``, broadcastable against ``p`` ``[G, ...]``."""
    return lr.view(-1, *([1] * (p.dim() - 1)))


def segments(sizes: list[int]) -> tuple[list[int], int]:
    """Offsets of consecutive segments of ``sizes`` floats, each rounded up to :data:`ALIGN`
    floats, and the total length."""
    offsets, total = [], 0
    for n in sizes:
        offsets.append(total)
        total += -(-n // ALIGN) * ALIGN
    return offsets, total


def segment(buf: Tensor, offset: int, like: Tensor) -> Tensor:
    """The view of ``buf`` at ``offset`` shaped (and strided) like ``like``."""
    return buf[offset:offset + like.numel()].view_as(like)


class StackedAdam:
    """Adam over a list of stacked parameters ``[G, ...]`` with per-model learning rates ``lr``
    ``[G]``. Three ways to run the same element-wise update (the same bits, see :meth:`step`):
    one flat buffer (CPU, small grids), ``_foreach_*`` calls (CPU), a loop per parameter (CUDA).

    Flat: the parameters' data is moved into segments of one buffer ``P`` (``p.data`` becomes
    a view of its segment, the same shape and strides, 64-byte aligned), with flat ``m``, ``v``,
    gradients and a per-element copy of ``lr``, so one step is nine calls whatever the number
    of parameters (the gradients are copied in by one ``_foreach_copy_``). The padding between
    segments is zero in ``P``, ``m``, ``v`` and the gradients and stays zero.
    """

    def __init__(self, params: list[Tensor], lr: Tensor, betas=(0.9, 0.999), eps: float = 1e-8):
        self.params = params
        self.lr = lr
        self.b1, self.b2 = betas
        self.eps = eps
        self.t = 0
        # eps sqrt(c2) only grows with t (c2 = 1 - b2^t): its smallest value is at t = 1
        self.floor = floor_pays() and \
            float(torch.tensor(eps * math.sqrt(1 - self.b2), dtype=torch.float32)) >= MIN_EPS_TERM
        on_cpu = all(p.device.type == "cpu" for p in params)
        self.flat = on_cpu and sum(p.numel() for p in params) <= FLAT_MAX_FLOATS
        self.foreach = on_cpu and not self.flat
        if self.flat:
            self._init_flat()
        else:
            self.m = [torch.zeros_like(p) for p in params]
            self.v = [torch.zeros_like(p) for p in params]
            self.lr_views = [per_model(lr, p) for p in params]

    @torch.no_grad()
    def _init_flat(self) -> None:
        """Move every parameter into its segment of ``P``; flat ``m``, ``v``, gradient and
        learning-rate buffers (``lr`` of model g at every element of model g)."""
        offsets, total = segments([p.numel() for p in self.params])
        self.offsets = offsets
        zeros = lambda: self.params[0].new_zeros(total)  # noqa: E731
        self.P, self.m, self.v, self.grad = zeros(), zeros(), zeros(), zeros()
        self.lr_flat = self.params[0].new_ones(total)
        self.grad_views = [segment(self.grad, o, p) for p, o in zip(self.params, offsets)]
        for p, o in zip(self.params, offsets):
            segment(self.P, o, p).copy_(p)
            segment(self.lr_flat, o, p).copy_(per_model(self.lr, p).expand_as(p))
            p.data = segment(self.P, o, p)

    @torch.no_grad()
    def set_lr(self, lr: Tensor) -> None:
        """New per-model learning rates ``lr`` ``[G]`` from the next step on (learning-rate decay:
        ``holistic.train.lr_decay``); the moments and the step count go on. The cached views (and
        the flat path's per-element copy) are rebuilt from ``lr``, so the same values give the same
        bits as before."""
        self.lr = lr
        if self.flat:
            for p, o in zip(self.params, self.offsets):
                segment(self.lr_flat, o, p).copy_(per_model(lr, p).expand_as(p))
        else:
            self.lr_views = [per_model(lr, p) for p in self.params]

    @torch.no_grad()
    def step(self) -> None:
        """``p -= lr * m_hat / (sqrt(v_hat) + eps)``, rearranged into in-place passes:
        ``m_hat / (sqrt(v_hat) + eps) = (sqrt(c2) / c1) * m / (sqrt(v) + eps sqrt(c2))``,
        with ``c1 = 1 - b1^t``, ``c2 = 1 - b2^t``. Per parameter ``p`` ``[G, ...]``:

            m <- lerp(m, g, 1 - b1);  v <- b2 v + (1 - b2) g g
            p <- p - (sqrt(c2) / c1) * m / ((sqrt(v) + eps sqrt(c2)) / lr)

        Each element meets the same operations in every path (seven, and the floor of the
        square root, :func:`denominator`, where ``eps`` allows it). Whether PyTorch's CPU
        kernels run an element in their vectorised body or their scalar tail (which the flat
        layout, the grid size and the thread count decide) does not change its bits: checked
        for each of the seven operations on 12.6 million random elements (2026-12-04); the
        floor's ``clamp_min`` rounds nothing.
        """
        self.t += 1
        c1 = 1 - self.b1 ** self.t
        c2 = 1 - self.b2 ** self.t
        grads = [p.grad for p in self.params]
        if self.flat:
            self._step_flat(grads, c1, c2)
        elif self.foreach:
            self._step_foreach(grads, c1, c2)
        else:
            self._step_loop(grads, c1, c2)
        for p in self.params:
            p.grad = None

    def _step_flat(self, grads: list[Tensor], c1: float, c2: float) -> None:
        """The update on the flat buffers: nine calls in all."""
        torch._foreach_copy_(self.grad_views, grads)
        g = self.grad
        self.m.lerp_(g, 1 - self.b1)
        self.v.mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
        denom = denominator(self.v, self.eps * math.sqrt(c2), self.floor)
        denom.div_(self.lr_flat)
        self.P.addcdiv_(self.m, denom, value=-math.sqrt(c2) / c1)

    def _step_foreach(self, grads: list[Tensor], c1: float, c2: float) -> None:
        """The update as eight ``_foreach_*`` calls (CPU: the per-tensor kernels, bit for bit)."""
        torch._foreach_lerp_(self.m, grads, 1 - self.b1)
        torch._foreach_mul_(self.v, self.b2)
        torch._foreach_addcmul_(self.v, grads, grads, value=1 - self.b2)
        if self.floor:  # denominator(), for every parameter at once
            denom = torch._foreach_clamp_min(self.v, V_FLOOR)
            torch._foreach_sqrt_(denom)
        else:
            denom = torch._foreach_sqrt(self.v)
        torch._foreach_add_(denom, self.eps * math.sqrt(c2))
        torch._foreach_div_(denom, self.lr_views)
        torch._foreach_addcdiv_(self.params, self.m, denom, value=-math.sqrt(c2) / c1)

    def _step_loop(self, grads: list[Tensor], c1: float, c2: float) -> None:
        """The update one parameter at a time (CUDA)."""
        for p, g, m, v, lr in zip(self.params, grads, self.m, self.v, self.lr_views):
            m.lerp_(g, 1 - self.b1)
            v.mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
            denom = denominator(v, self.eps * math.sqrt(c2), self.floor)
            denom.div_(lr)
            p.addcdiv_(m, denom, value=-math.sqrt(c2) / c1)
