"""Any ``torch.nn.Module`` as a stack of G models (registry helper for CNNs and others).

Following PyTorch's model-ensembling recipe, the G copies' parameters are stacked into
one dict of ``[G, ...]`` tensors and one structure module runs them with
``torch.func.functional_call``. Model g is run on its own (a loop over G), not under
``torch.func.vmap``: vmap turns a convolution over G models into one grouped convolution
whose gradients are summed in another order, so a CNN trained in a grid would differ in the
last bits from the same CNN trained alone; the loop keeps them bitwise equal, at the same
speed on CPU for these networks (LeNet-5, ALEX: within the noise of a side-by-side
measurement). Input gradients (attacks, the robust loss) come from autograd, the general path.

An architecture is ``make(input_shape, k) -> nn.Module`` taking inputs ``[B, *input_shape]``
(e.g. ``(1, 28, 28)`` for MNIST, ``(p,)`` for a table) and returning logits ``[B, k]``.
Weights are drawn Glorot-uniform (Glorot & Bengio 2010, fans over the receptive field as in
Keras/TensorFlow, the published HDL code's initialiser), biases are zero; a method may name
another initialiser (``holistic.models.initialisers``, e.g. ``torch-default``).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable

import torch
from torch import Tensor, nn
from torch.func import functional_call, stack_module_state

Make = Callable[[tuple[int, ...], int], nn.Module]


def glorot_bound(shape: torch.Size) -> float:
    """``sqrt(6 / (fan_in + fan_out))`` of a weight ``[out, in, *kernel]`` (a linear layer: no kernel)."""
    receptive = math.prod(shape[2:])
    return math.sqrt(6.0 / ((shape[1] + shape[0]) * receptive))


class StackedModule:
    """The stacked-model protocol over one architecture ``make(input_shape, k)``."""

    axes: tuple[str, ...] = ()
    param_keys: tuple[str, ...] = ()

    def __init__(self, make: Make):
        self.make = make

    @lru_cache(maxsize=8)
    def _structure(self, input_shape: tuple[int, ...], k: int) -> nn.Module:
        """The architecture on the meta device: only its structure is used by ``functional_call``."""
        return self.make(input_shape, k).to("meta")

    def init(self, input_shape: tuple[int, ...], k: int, generators: list[torch.Generator],
             initialiser=None) -> dict[str, Tensor]:
        """One module per generator (Glorot-uniform weights, zero biases; with an ``initialiser``,
        ``holistic.models.initialisers``, its ``module(module, generator)``), stacked ``[G, ...]``;
        model g's parameters depend only on ``generators[g]`` (a model initialises the same
        alone or in a grid)."""
        modules = []
        for g in generators:
            m = self.make(tuple(input_shape), k)
            with torch.no_grad():
                if initialiser is None:
                    self.initialise(m, g)
                else:
                    initialiser.module(m, g)
            modules.append(m)
        params, _ = stack_module_state(modules)
        return {name: v.detach() for name, v in params.items()}

    def initialise(self, module: nn.Module, generator: torch.Generator) -> None:
        """One module's weights, in place (under no_grad): Glorot-uniform weights, zero biases."""
        for p in module.parameters():
            if p.dim() >= 2:
                p.copy_((torch.rand(p.shape, generator=generator) * 2 - 1) * glorot_bound(p.shape))
            else:
                p.zero_()

    def prunable(self, params: dict[str, Tensor]) -> list[str]:
        """Weights of dimension >= 2 (linear and convolution kernels), not biases."""
        return [name for name, v in params.items() if v.dim() >= 3]

    def forward(self, params: dict[str, Tensor], x: Tensor) -> tuple[Tensor, None]:
        """Logits ``[G, B, K]`` for inputs ``[G, B, *input_shape]``: model g sees ``x[g]``.
        K is read off the last parameter (the output layer's bias or weight, ``[G, K, ...]``)."""
        base = self._structure(tuple(x.shape[2:]), int(next(reversed(params.values())).shape[1]))
        G = x.shape[0]
        return torch.stack([self.run(base, {n: p[g] for n, p in params.items()}, x[g], g, G)
                            for g in range(G)]), None

    def run(self, base: nn.Module, params: dict[str, Tensor], x: Tensor, g: int, G: int) -> Tensor:
        """Model g of the G stacked ones: its logits ``[B, K]`` from its parameters and inputs
        ``[B, *input_shape]`` (one ``functional_call`` of the structure)."""
        return functional_call(base, params, (x,))

    def predict(self, params: dict[str, Tensor], x: Tensor, chunk: int = 4096) -> Tensor:
        with torch.no_grad():
            return torch.cat([self.forward(params, x[:, s:s + chunk])[0].argmax(-1)
                              for s in range(0, x.shape[1], chunk)], dim=1)

    def memory_floats(self, input_shape: tuple[int, ...], k: int, batch: int) -> tuple[int, int]:
        """(parameters per model, activation floats per sample), the latter counted by a
        forward pass on the meta device (every submodule's output)."""
        m = self.make(tuple(input_shape), k).to("meta")
        sizes = []
        hooks = [mod.register_forward_hook(lambda _m, _i, o: sizes.append(o[0].numel()))
                 for mod in m.modules() if not list(mod.children())]
        with torch.no_grad():
            m(torch.empty(1, *input_shape, device="meta"))
        for h in hooks:
            h.remove()
        return sum(p.numel() for p in m.parameters()), math.prod(input_shape) + sum(sizes)
