"""Any ``torch.nn.Module`` as a stack of G models (registry helper for CNNs and others).

Following PyTorch's model-ensembling recipe, the G copies' parameters are stacked into
one dict of ``[G, ...]`` tensors and the module runs under ``torch.func.vmap`` of
``torch.func.functional_call`` (no per-model Python loop). Input gradients (attacks,
the robust loss) come from autograd, the general path.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn
from torch.func import functional_call, stack_module_state, vmap


class StackedModule:
    """The stacked-model protocol over ``make() -> nn.Module`` (one architecture)."""

    axes: tuple[str, ...] = ()
    param_keys: tuple[str, ...] = ()

    def __init__(self, make: Callable[[], nn.Module]):
        self.make = make  # -> a fresh module of the architecture; its parameters are re-drawn per model

    def init(self, n_features: int, k: int, generators: list[torch.Generator]) -> dict[str, Tensor]:
        """One module per generator, each parameter drawn from ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``
        (PyTorch's default bound) with that model's generator, stacked ``[G, ...]``."""
        modules = []
        for g in generators:
            m = self.make()
            with torch.no_grad():
                for p in m.parameters():
                    bound = 1.0 / max(1, p[0].numel() if p.dim() > 1 else p.numel()) ** 0.5
                    p.copy_((torch.rand(p.shape, generator=g) * 2 - 1) * bound)
            modules.append(m)
        params, _ = stack_module_state(modules)
        return {k: v.detach() for k, v in params.items()}

    def prunable(self, params: dict[str, Tensor]) -> list[str]:
        """Weights of dimension >= 2 (linear and convolution kernels), not biases."""
        return [k for k, v in params.items() if v.dim() >= 3]

    def forward(self, params: dict[str, Tensor], x: Tensor) -> tuple[Tensor, None]:
        """Logits ``[G, B, K]`` for inputs ``[G, B, ...]``: model g sees ``x[g]``."""
        base = self.make().to("meta")

        def one(p, xg):
            return functional_call(base, p, (xg,))

        return vmap(one)(params, x), None

    def predict(self, params: dict[str, Tensor], x: Tensor, chunk: int = 4096) -> Tensor:
        with torch.no_grad():
            return torch.cat([self.forward(params, x[:, s:s + chunk])[0].argmax(-1)
                              for s in range(0, x.shape[1], chunk)], dim=1)

    def memory_floats(self, n_features: int, k: int, batch: int) -> tuple[int, int]:
        n = sum(p.numel() for p in self.make().parameters())
        return n, 4 * n  # activations of a general module: a generous guess per sample
