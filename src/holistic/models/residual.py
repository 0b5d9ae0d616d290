"""Residual networks of Dinh et al. as stacks of G models, and their noisy ensembles En_n.

* :class:`Ensemble`: En_n, n jointly trained nets whose logits are averaged (the EnResNet
  code's ``Ensemble_PreAct_ResNet_Cifar``: ``sum_i net_i(x) / n``); one model of the stack holds
  all n nets (parameters ``nets.<i>.*``), so a grid of G ensembles is G models.
* :class:`ResidualStack`: :class:`holistic.models.module.StackedModule` for these nets. Model g
  runs under ``noise.for_model(g, G)`` (it draws from the g-th generator of
  ``noise.sampling``; :mod:`holistic.models.noise`), ``predict`` under ``noise.predicting()``;
  a net with its own ``initialise(generator)`` (PreAct ResNet's He-normal convolutions,
  BatchNorm 1/0) is initialised by it, any other Glorot-uniform with zero biases; the
  prunable weights are every weight layer but the classifier ``head`` (the RVSM/RGSM code
  prunes the convolution kernels, not the fully connected layer nor BatchNorm).

The networks name their classifier ``head`` and register it last, so the stack reads the
number of classes K off the last parameter (``head.bias``, ``[G, K]``).
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn

from . import noise
from .module import StackedModule


class Ensemble(nn.Module):
    """En_n: the mean of the logits ``[B, K]`` of n nets (their noise drawn net after net)."""

    def __init__(self, nets: list[nn.Module]):
        super().__init__()
        self.nets = nn.ModuleList(nets)

    def forward(self, x: Tensor) -> Tensor:
        return sum(net(x) for net in self.nets) / len(self.nets)


def ensemble(make: Callable[[], nn.Module], n: int) -> Ensemble:
    """En_n of ``n`` nets built by ``make()``."""
    return Ensemble([make() for _ in range(n)])


class ResidualStack(StackedModule):
    """The stacked-model protocol for residual nets, noisy ensembles included (module docstring)."""

    def initialise(self, module: nn.Module, generator: torch.Generator) -> None:
        """An ensemble net after net; a net by its own ``initialise(generator)`` where it has
        one, Glorot-uniform with zero biases otherwise."""
        if isinstance(module, Ensemble):
            for net in module.nets:
                self.initialise(net, generator)
        elif hasattr(module, "initialise"):
            module.initialise(generator)
        else:
            super().initialise(module, generator)

    def run(self, base: nn.Module, params: dict[str, Tensor], x: Tensor, g: int, G: int) -> Tensor:
        with noise.for_model(g, G):
            return super().run(base, params, x, g, G)

    def predict(self, params: dict[str, Tensor], x: Tensor, chunk: int = 4096) -> Tensor:
        with noise.predicting():
            return super().predict(params, x, chunk)

    def noisy(self, input_shape: tuple[int, ...], k: int) -> bool:
        """Whether the net injects noise (:func:`holistic.models.noise.has_noise`): the trainer
        then supplies the draws (``holistic.train.loop``)."""
        return noise.has_noise(self._structure(tuple(input_shape), int(k)))

    def prunable(self, params: dict[str, Tensor]) -> list[str]:
        """Weight layers (``[G, out, in, ...]``) other than the classifier ``head``."""
        return [name for name, v in params.items() if v.dim() >= 3 and "head" not in name.split(".")]
