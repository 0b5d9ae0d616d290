"""Initialisers as registered pieces (registry ``INITIALISERS`` in :mod:`holistic.models`).

A method names one (``holistic.methods.Method.initialiser``); model g of a stack draws from its
own generator only (``holistic.train.seeds.model_seed``), so it initialises the same alone or in
any grid, whichever the initialiser.

* ``glorot`` (:class:`ModelDefault`, the default): each model's own initialisation, the
  platform's before initialisers were pieces, bit for bit: Glorot-uniform weights (fans over the
  receptive field) and zero biases (``holistic.models.mlp``, ``holistic.models.module``), or a
  network's own ``initialise`` where it has one (PreAct ResNet's He-normal convolutions,
  ``holistic.models.residual``).
* ``torch-default`` (:class:`TorchDefault`): what PyTorch's layers draw when built,
  ``nn.Linear`` and ``nn.Conv2d``'s ``reset_parameters``: weights ``kaiming_uniform_(a=sqrt(5))``,
  i.e. ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with ``fan_in = in_features * kernel size``, then
  the bias ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, layer after layer in the order of
  ``module.modules()`` (the order they are built in); normalisation layers their own (weight 1,
  bias 0). From the same seed, model g's parameters are bit for bit those of
  ``torch.manual_seed(seed); make(input_shape, k)`` (the MLP's: of the same ``nn.Linear`` layers,
  transposed to its ``[in, out]`` weights).

A model takes ``init(input_shape, k, generators, initialiser=...)`` where it supports other
initialisers than its own (:func:`init_models` passes it only for those).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

#: Layers ``torch-default`` resets with their own ``reset_parameters`` (no random draw).
NORMS = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)


class ModelDefault:
    """``glorot``: the model's own initialisation (module docstring)."""

    default = True
    axes: tuple[str, ...] = ()
    param_keys: tuple[str, ...] = ()


def _bias_bound(weight: Tensor) -> float:
    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(weight)
    return 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0


class TorchDefault:
    """``torch-default``: PyTorch's layers' own ``reset_parameters``, drawn from a model's generator."""

    default = False
    axes: tuple[str, ...] = ()
    param_keys: tuple[str, ...] = ()

    def dense(self, fan_in: int, fan_out: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """``nn.Linear(fan_in, fan_out)``'s weight (as ``[fan_in, fan_out]``, the MLP's layout) and bias."""
        weight, bias = torch.empty(fan_out, fan_in), torch.empty(fan_out)
        self.linear(weight, bias, generator)
        return weight.t().contiguous(), bias

    @staticmethod
    def linear(weight: Tensor, bias: Tensor | None, generator: torch.Generator) -> None:
        """``nn.Linear`` / ``nn.Conv*``'s ``reset_parameters`` in place, from ``generator``."""
        nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
        if bias is not None:
            bound = _bias_bound(weight)
            nn.init.uniform_(bias, -bound, bound, generator=generator)

    def module(self, module: nn.Module, generator: torch.Generator) -> None:
        """Every layer of ``module`` in place (under no_grad), in the order of ``module.modules()``;
        ValueError for a layer with parameters whose default this does not know."""
        for m in module.modules():
            if not any(True for _ in m.parameters(recurse=False)):
                continue
            if isinstance(m, (nn.Linear, nn.modules.conv._ConvNd)):
                self.linear(m.weight, m.bias, generator)
            elif isinstance(m, NORMS):
                m.reset_parameters()
            else:
                raise ValueError(f"initialiser torch-default: no PyTorch default known for layer {type(m).__name__}")


def init_models(model, input_shape: tuple[int, ...], k: int, generators: list[torch.Generator],
                initialiser) -> dict[str, Tensor]:
    """``model.init(input_shape, k, generators)``, with ``initialiser=`` unless it is the model's own
    (``ModelDefault``: the call is exactly as it always was)."""
    if getattr(initialiser, "default", False):
        return model.init(input_shape, k, generators)
    return model.init(input_shape, k, generators, initialiser=initialiser)
