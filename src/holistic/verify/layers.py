"""Networks as sequences of layer descriptions, batched over G stacked models.

Every bound of :mod:`holistic.verify` reads a network as a list of layers, each holding
its tensors with the leading model axis G, and every activation as ``[G, N, *shape]``
(N points per model). The affine layers expose the three linear maps the bounds need:

* ``affine(x)``: ``W x + b`` (the forward pass, and the centre of an interval);
* ``linear_abs(r)``: ``|W| r`` (the radius of an interval, IBP);
* ``transpose(A, in_shape)``: ``A W`` for a batch of row vectors ``A [G, n, S, *out]``,
  ``n`` in ``{1, N}`` (CROWN's backward pass), with ``bias_dot(A) = A b`` ``[G, n, S]``.

``Linear``: ``weight [G, out, in]`` (the ``nn.Linear`` layout; the MLP's ``W`` ``[G, in, out]``
is transposed by :func:`from_mlp`), ``bias [G, out]``. ``Conv2d``: ``weight [G, O, C, kh, kw]``,
``bias [G, O]``, ``stride``, ``padding``. The G models run as one grouped convolution
(``[N, G*C, H, W]``, ``groups=G``); ``A W`` for a convolution is the transposed convolution
``conv_transpose2d`` with the ``output_padding`` that restores the input size (the exact
adjoint; no dense matrix is formed). ``ReLU``, ``Flatten`` (``[G, N, *shape] -> [G, N, D]``)
and ``MaxPool2d`` carry no tensors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def _pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


def _grouped(x: Tensor) -> Tensor:
    """``[G, N, C, H, W] -> [N, G*C, H, W]``: the G models as channel groups."""
    G, N = x.shape[:2]
    return x.transpose(0, 1).reshape(N, G * x.shape[2], *x.shape[3:])


def _ungrouped(y: Tensor, G: int) -> Tensor:
    """``[N, G*O, H, W] -> [G, N, O, H, W]``."""
    return y.view(y.shape[0], G, -1, *y.shape[2:]).transpose(0, 1)


@dataclass(frozen=True)
class Linear:
    weight: Tensor  # [G, out, in]
    bias: Tensor    # [G, out]

    def affine(self, x: Tensor) -> Tensor:
        return torch.baddbmm(self.bias.unsqueeze(1), x, self.weight.transpose(1, 2))

    def linear_abs(self, r: Tensor) -> Tensor:
        return torch.bmm(r, self.weight.abs().transpose(1, 2))

    def transpose(self, A: Tensor, in_shape: tuple[int, ...]) -> Tensor:
        G, n, S = A.shape[:3]
        return torch.bmm(A.reshape(G, n * S, -1), self.weight).view(G, n, S, *in_shape)

    def bias_dot(self, A: Tensor) -> Tensor:
        G, n, S = A.shape[:3]
        return torch.bmm(A.reshape(G, n * S, -1), self.bias.unsqueeze(2)).view(G, n, S)


@dataclass(frozen=True)
class Conv2d:
    weight: Tensor  # [G, O, C, kh, kw]
    bias: Tensor    # [G, O]
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)

    def _conv(self, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        G = weight.shape[0]
        y = F.conv2d(_grouped(x), weight.flatten(0, 1), None if bias is None else bias.flatten(),
                     self.stride, self.padding, groups=G)
        return _ungrouped(y, G)

    def affine(self, x: Tensor) -> Tensor:
        return self._conv(x, self.weight, self.bias)

    def linear_abs(self, r: Tensor) -> Tensor:
        return self._conv(r, self.weight.abs(), None)

    def transpose(self, A: Tensor, in_shape: tuple[int, ...]) -> Tensor:
        G, n, S, O, Ho, Wo = A.shape
        C, H, W = in_shape
        kh, kw = self.weight.shape[-2:]
        (sh, sw), (ph, pw) = self.stride, self.padding
        extra = (H - ((Ho - 1) * sh - 2 * ph + kh), W - ((Wo - 1) * sw - 2 * pw + kw))
        rows = A.permute(1, 2, 0, 3, 4, 5).reshape(n * S, G * O, Ho, Wo)
        out = F.conv_transpose2d(rows, self.weight.flatten(0, 1), None, self.stride, self.padding,
                                 extra, groups=G)
        return out.view(n, S, G, C, H, W).permute(2, 0, 1, 3, 4, 5)

    def bias_dot(self, A: Tensor) -> Tensor:
        G, n, S = A.shape[:3]
        return torch.bmm(A.sum((-1, -2)).reshape(G, n * S, -1), self.bias.unsqueeze(2)).view(G, n, S)


@dataclass(frozen=True)
class ReLU:
    pass


@dataclass(frozen=True)
class Flatten:
    pass


@dataclass(frozen=True)
class MaxPool2d:
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int] = (0, 0)

    def pool(self, x: Tensor) -> Tensor:
        y = F.max_pool2d(x.flatten(0, 1), self.kernel_size, self.stride, self.padding)
        return y.view(*x.shape[:2], *y.shape[1:])


Layer = Union[Linear, Conv2d, ReLU, Flatten, MaxPool2d]
AFFINE = (Linear, Conv2d)


def forward(layers: list[Layer], x: Tensor) -> Tensor:
    """The network's output ``[G, N, ...]`` at inputs ``[G, N, *input_shape]``."""
    for layer in layers:
        if isinstance(layer, AFFINE):
            x = layer.affine(x)
        elif isinstance(layer, ReLU):
            x = torch.relu(x)
        elif isinstance(layer, Flatten):
            x = x.flatten(2)
        elif isinstance(layer, MaxPool2d):
            x = layer.pool(x)
        else:
            raise ValueError(f"unknown layer {type(layer).__name__}")
    return x


def activations(layers: list[Layer], x: Tensor) -> list[Tensor]:
    """The output ``[G, N, ...]`` of every ReLU of the network at inputs ``[G, N, *input_shape]``."""
    out = []
    for layer in layers:
        x = forward([layer], x)
        if isinstance(layer, ReLU):
            out.append(x)
    return out


def shapes(layers: list[Layer], x: Tensor) -> list[tuple[int, ...]]:
    """The per-point shape entering each layer, then the output's: ``len(layers) + 1`` shapes
    (from one forward pass of the first point)."""
    out = [tuple(x.shape[2:])]
    h = x[:, :1]
    for layer in layers:
        h = forward([layer], h)
        out.append(tuple(h.shape[2:]))
    return out


def from_mlp(params: dict[str, Tensor]) -> list[Layer]:
    """The layers of a stacked :class:`holistic.models.mlp.MLP`: ``Flatten``, then
    ``Linear(W^l^T, b^l)`` with a ``ReLU`` between consecutive ones (``W^l`` is ``[G, in, out]``)."""
    n = sum(1 for key in params if key.startswith("W"))
    layers: list[Layer] = [Flatten()]
    for l in range(n):
        layers.append(Linear(params[f"W{l}"].transpose(1, 2), params[f"b{l}"]))
        if l < n - 1:
            layers.append(ReLU())
    return layers


SUPPORTED = "Linear, Conv2d, ReLU, Flatten, MaxPool2d"


def _param(params: dict[str, Tensor], key: str, like: Tensor | None) -> Tensor | None:
    if like is None:
        return None
    if key not in params:
        raise ValueError(f"parameter {key!r} missing from the stacked params")
    value = params[key]
    if tuple(value.shape[1:]) != tuple(like.shape):
        raise ValueError(f"parameter {key!r} is {tuple(value.shape)}, expected [G, *{tuple(like.shape)}]")
    return value


def _convert(module: nn.Module, name: str, params: dict[str, Tensor]) -> list[Layer]:
    what = f"layer {name!r} ({type(module).__name__})"
    if isinstance(module, nn.Sequential):
        return [layer for child_name, child in module.named_children()
                for layer in _convert(child, f"{name}.{child_name}" if name else child_name, params)]
    prefix = f"{name}." if name else ""
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        weight = _param(params, prefix + "weight", module.weight)
        bias = _param(params, prefix + "bias", module.bias)
        if bias is None:
            bias = weight.new_zeros(weight.shape[:2])
        if isinstance(module, nn.Linear):
            return [Linear(weight, bias)]
        if (module.groups != 1 or _pair(module.dilation) != (1, 1) or module.padding_mode != "zeros"
                or isinstance(module.padding, str)):
            raise ValueError(f"unsupported {what}: only groups=1, dilation=1, integer zero padding")
        return [Conv2d(weight, bias, _pair(module.stride), _pair(module.padding))]
    if isinstance(module, nn.ReLU):
        return [ReLU()]
    if isinstance(module, nn.Flatten):
        if (module.start_dim, module.end_dim) != (1, -1):
            raise ValueError(f"unsupported {what}: only start_dim=1, end_dim=-1")
        return [Flatten()]
    if isinstance(module, nn.MaxPool2d):
        if _pair(module.dilation) != (1, 1) or module.ceil_mode or module.return_indices:
            raise ValueError(f"unsupported {what}: only dilation=1, ceil_mode=False")
        stride = module.stride if module.stride is not None else module.kernel_size
        return [MaxPool2d(_pair(module.kernel_size), _pair(stride), _pair(module.padding))]
    raise ValueError(f"unsupported {what}; supported: {SUPPORTED}")


def from_module(make: Callable[[tuple[int, ...], int], nn.Module], input_shape: tuple[int, ...], k: int,
                params: dict[str, Tensor]) -> list[Layer]:
    """The layers of a :class:`holistic.models.module.StackedModule` whose ``make(input_shape, k)``
    is an ``nn.Sequential`` (nested ones are flattened) of Linear, Conv2d, ReLU, Flatten and
    MaxPool2d; params ``{"0.weight": [G, ...], ...}``. Anything else: ValueError naming it.
    The module is built on the meta device (only its structure and shapes are read), so this
    is cheap enough to call at every training step (certified training)."""
    with torch.device("meta"):
        module = make(tuple(input_shape), k)
    if not isinstance(module, nn.Sequential):
        raise ValueError(f"from_module needs an nn.Sequential, make returned {type(module).__name__}")
    return _convert(module, "", params)


def from_model(model, params: dict[str, Tensor], input_shape: tuple[int, ...], k: int) -> list[Layer]:
    """The layers of a registered stacked model (``holistic.models``): an MLP's via
    :func:`from_mlp`, a ``StackedModule``'s via :func:`from_module`; ValueError otherwise."""
    from ..models.mlp import MLP
    from ..models.module import StackedModule

    if isinstance(model, MLP):
        return from_mlp(params)
    if isinstance(model, StackedModule):
        return from_module(model.make, input_shape, k, params)
    raise ValueError(f"no layer description for model {type(model).__name__}")


def pools(model, probe: tuple[int, ...] = (1, 28, 28), k: int = 10) -> bool:
    """Whether a registered model has max-pooling (no CROWN relaxation here), from its module
    built at a probe shape (MNIST's; the layer types do not depend on the shape)."""
    make = getattr(model, "make", None)
    return make is not None and any(isinstance(m, nn.MaxPool2d) for m in make(probe, k).modules())


def n_outputs(layers: list[Layer], x: Tensor) -> int:
    """K, the number of logits (the network's output must be ``[G, N, K]``)."""
    out = shapes(layers, x)[-1]
    if len(out) != 1:
        raise ValueError(f"the network's output per point is {out}, expected (K,)")
    return math.prod(out)
