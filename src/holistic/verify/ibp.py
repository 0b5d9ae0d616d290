"""Interval bound propagation (Gowal et al. 2018), batched over G models and N points.

An interval ``[l, u]`` (``[G, N, *shape]``) is pushed through each layer:

* affine ``z = W h + b`` (Linear, Conv2d): with ``m = (u + l) / 2``, ``r = (u - l) / 2``,
  ``[W m + b - |W| r, W m + b + |W| r]`` (exact for one affine map of a box);
* ReLU: ``[relu(l), relu(u)]``; Flatten: both flattened;
* MaxPool2d: ``[maxpool(l), maxpool(u)]`` (sound: max is monotone in every argument).

The specification ``C`` ``[G, N, K-1, K]`` is folded into the last layer when it is Linear:
the margins are the affine map ``(C W) h + C b`` of the last hidden interval, bounded exactly
(``C W`` ``[G, N, K-1, r]`` per point), which is tighter than bounding ``z`` and then ``C z``.
Otherwise ``C z`` is bounded from the logits' interval: ``C^+ l + C^- u``.
"""

from __future__ import annotations

from torch import Tensor

from .layers import AFFINE, Flatten, Layer, Linear, MaxPool2d, ReLU
from .spec import concretize


def step(layer: Layer, lower: Tensor, upper: Tensor) -> tuple[Tensor, Tensor]:
    """The interval ``[G, N, *out]`` of a layer's output over the input interval."""
    if isinstance(layer, AFFINE):
        mid, rad = layer.affine((upper + lower) / 2), layer.linear_abs((upper - lower) / 2)
        return mid - rad, mid + rad
    if isinstance(layer, ReLU):
        return lower.clamp(min=0), upper.clamp(min=0)
    if isinstance(layer, Flatten):
        return lower.flatten(2), upper.flatten(2)
    if isinstance(layer, MaxPool2d):
        return layer.pool(lower), layer.pool(upper)
    raise ValueError(f"IBP does not support layer {type(layer).__name__}")


def intervals(layers: list[Layer], lower: Tensor, upper: Tensor) -> list[tuple[Tensor, Tensor]]:
    """The interval entering each layer, then the output's (``len(layers) + 1`` pairs)."""
    out = [(lower, upper)]
    for layer in layers:
        out.append(step(layer, *out[-1]))
    return out


def ibp_bounds(layers: list[Layer], lower: Tensor, upper: Tensor, C: Tensor) -> Tensor:
    """Lower bounds ``[G, N, K-1]`` of ``C z`` over the input box ``[lower, upper]``."""
    last = layers[-1]
    if isinstance(last, Linear):
        l, u = intervals(layers[:-1], lower, upper)[-1]
        r = l.shape[2:]
        return concretize(last.transpose(C, r), last.bias_dot(C), l, u)
    l, u = intervals(layers, lower, upper)[-1]
    return (C.clamp(min=0) @ l.unsqueeze(-1) + C.clamp(max=0) @ u.unsqueeze(-1)).squeeze(-1)
