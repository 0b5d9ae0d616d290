"""CROWN (Zhang et al. 2018) and CROWN-IBP (Zhang et al. 2020), batched over G models and N points.

CROWN bounds a linear function of the network's output, ``A_L z_L`` (rows ``A [G, n, S, K]``),
by propagating the rows backward to the input:

* affine ``z = W h + b``: ``A z = (A W) h + A b`` (``A W``: a batched matmul for Linear,
  ``conv_transpose2d`` for Conv2d, see :mod:`holistic.verify.layers`);
* ReLU ``h = relu(z)`` with pre-activation bounds ``l <= z <= u``: each neuron between two
  lines ``a_l z <= relu(z) <= a_u z + b_u``: active (``l >= 0``) ``a_l = a_u = 1``; inactive
  (``u <= 0``) ``a_l = a_u = 0``; unstable: upper line ``u (z - l) / (u - l)`` (``a_u = u / (u - l)``,
  ``b_u = -l a_u``) and the adaptive lower slope ``a_l = 1 if u >= -l else 0``. For a lower
  bound the positive part of A takes the lower line, the negative part the upper one:
  ``A relu(z) >= (A^+ a_l + A^- a_u) z + A^- b_u``;
* Flatten: the rows are reshaped.

At the input the rows are concretised over the box ``[max(x - eps, lo), min(x + eps, hi)]``
(:func:`holistic.verify.spec.concretize`). Intermediate pre-activation bounds (``[G, N, *shape]``)
come from CROWN itself, layer by layer (full CROWN): the bounds of the input of ReLU j are the
lower bounds of ``+I z`` and ``-I z`` (identity rows ``[G, 1, S, *shape]``, S the layer's width)
through the layers before it. Rows start shared by all points (``n = 1``) and become
per-point (``n = N``) at the first ReLU relaxation. Cost: for each ReLU, rows of width S
pass back to the input, ``[G, N, S, D]`` at the end.

CROWN-IBP: the intermediate bounds come from IBP, and CROWN bounds only the specification.

MaxPool2d has no CROWN relaxation here: a network containing one is refused (ValueError
naming the layer); IBP supports it.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .ibp import intervals
from .layers import AFFINE, Flatten, Layer, ReLU, shapes
from .spec import concretize

Relaxation = tuple[Tensor, Tensor, Tensor]  # lower slope, upper slope, upper intercept: [G, N, *shape]


def relax(lower: Tensor, upper: Tensor) -> Relaxation:
    """The ReLU's linear bounds ``a_l z <= relu(z) <= a_u z + b_u`` on ``[lower, upper]``."""
    active, unstable = lower >= 0, (lower < 0) & (upper > 0)
    width = torch.where(unstable, upper - lower, torch.ones_like(upper))
    a_u = torch.where(unstable, upper / width, active.to(upper.dtype))
    b_u = torch.where(unstable, -lower * a_u, torch.zeros_like(upper))
    a_l = torch.where(unstable, (upper >= -lower).to(upper.dtype), active.to(upper.dtype))
    return a_l, a_u, b_u


def supported(layers: list[Layer]) -> bool:
    """Whether CROWN (and CROWN-IBP) can bound this network (no max-pooling)."""
    return all(isinstance(layer, (*AFFINE, ReLU, Flatten)) for layer in layers)


def check_supported(layers: list[Layer], method: str = "CROWN") -> None:
    for j, layer in enumerate(layers):
        if not isinstance(layer, (*AFFINE, ReLU, Flatten)):
            raise ValueError(f"{method} does not support layer {j} ({type(layer).__name__}); "
                             "supported: Linear, Conv2d, ReLU, Flatten (IBP also supports MaxPool2d)")


def backward(layers: list[Layer], A: Tensor, relaxations: dict[int, Relaxation],
             in_shapes: list[tuple[int, ...]], lower: Tensor, upper: Tensor) -> Tensor:
    """Lower bounds ``[G, N, S]`` of ``A f(x')`` over ``x' in [lower, upper]``, ``f = layers``,
    rows ``A [G, n, S, *out]``; ``relaxations[j]`` for every ReLU j in ``layers``."""
    const = A.new_zeros(A.shape[:3])
    fresh = False  # whether A is a temporary of this pass (concretize may overwrite it)
    for j in range(len(layers) - 1, -1, -1):
        layer = layers[j]
        if isinstance(layer, AFFINE):
            const = const + layer.bias_dot(A)
            A, fresh = layer.transpose(A, in_shapes[j]), True
        elif isinstance(layer, ReLU):
            a_l, a_u, b_u = (t.unsqueeze(2) for t in relaxations[j])
            # A^- b_u as a batched mat-vec; A^+ a_l + A^- a_u as one slope per entry
            b = b_u.flatten(3).transpose(-1, -2)  # [G, N, S, 1]
            const = const + (A.clamp(max=0).flatten(3) @ b).squeeze(-1)
            A, fresh = A * torch.where(A > 0, a_l, a_u), True
        elif isinstance(layer, Flatten):
            A = A.reshape(*A.shape[:3], *in_shapes[j])
        else:
            raise ValueError(f"CROWN does not support layer {j} ({type(layer).__name__})")
    return concretize(A, const, lower, upper, overwrite=fresh)


def _identity(G: int, shape: tuple[int, ...], like: Tensor) -> Tensor:
    S = math.prod(shape)
    return torch.eye(S, dtype=like.dtype, device=like.device).view(1, 1, S, *shape).expand(G, 1, S, *shape)


def crown_bounds(layers: list[Layer], lower: Tensor, upper: Tensor, C: Tensor) -> Tensor:
    """Full CROWN: lower bounds ``[G, N, K-1]`` of ``C z`` over the input box ``[lower, upper]``."""
    check_supported(layers, "CROWN")
    in_shapes = shapes(layers, lower)
    G, N = lower.shape[:2]
    relaxations: dict[int, Relaxation] = {}
    for j, layer in enumerate(layers):
        if isinstance(layer, ReLU):
            I = _identity(G, in_shapes[j], lower)
            lo = backward(layers[:j], I, relaxations, in_shapes, lower, upper)
            hi = -backward(layers[:j], -I, relaxations, in_shapes, lower, upper)
            relaxations[j] = relax(lo.view(G, N, *in_shapes[j]), hi.view(G, N, *in_shapes[j]))
    return backward(layers, C, relaxations, in_shapes, lower, upper)


def crown_ibp_bounds(layers: list[Layer], lower: Tensor, upper: Tensor, C: Tensor) -> Tensor:
    """CROWN-IBP: IBP pre-activation bounds, CROWN for the specification ``[G, N, K-1]``."""
    check_supported(layers, "CROWN-IBP")
    boxes = intervals(layers, lower, upper)
    relaxations = {j: relax(*boxes[j]) for j, layer in enumerate(layers) if isinstance(layer, ReLU)}
    return backward(layers, C, relaxations, shapes(layers, lower), lower, upper)
