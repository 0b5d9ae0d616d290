"""ResMLP: the CPU stand-in for Dinh et al.'s ResNet20, En_2ResNet20 and ResNet38
(study notes, Sect. 5.4), as ``make(input_shape, k) -> nn.Module``.

On the flattened input (784 pixels for Fashion-MNIST): ``stem`` dense 784 -> 256, then
``blocks`` pre-activation residual blocks of width 256,

    h <- h + W_2 relu(W_1 relu(h)) + b,     then noise (En nets only, :mod:`.noise`),

then ``relu`` and the classifier ``head`` 256 -> k. Sizes on 28 x 28 inputs, k = 10:

* :func:`resmlp` (2 blocks): 466,698 parameters (ResNet20's role, ~0.27M there);
* :func:`en2_resmlp`: En_2 of two noisy 2-block ResMLPs (noise 0.1 std N(0, 1) after every
  residual sum), logits averaged: 933,396 parameters;
* :func:`resmlp_deep` (6 blocks, no noise): 993,034 parameters, the single net of about En_2's
  size (ResNet38's role: 0.56M vs En_2ResNet20's 0.54M; 5 blocks would give 861,450).

Weights Glorot-uniform, biases zero (the platform's initialiser, ``StackedModule``).
"""

from __future__ import annotations

import math

from torch import Tensor, nn

from .noise import NOISE_COEF, NoiseInjection
from .residual import ensemble

WIDTH = 256


class Block(nn.Module):
    """``h + fc2(relu(fc1(relu(h))))``, then the noise layer where ``noise`` > 0."""

    def __init__(self, width: int, noise: float = 0.0):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(width, width), nn.Linear(width, width)
        self.noise = NoiseInjection(noise) if noise else nn.Identity()

    def forward(self, h: Tensor) -> Tensor:
        return self.noise(h + self.fc2(self.fc1(h.relu()).relu()))


class ResMLP(nn.Module):
    """``head(relu(blocks(stem(flatten(x)))))``: logits ``[B, k]`` of inputs ``[B, *input_shape]``."""

    def __init__(self, n_in: int, k: int, blocks: int = 2, width: int = WIDTH, noise: float = 0.0):
        super().__init__()
        self.stem = nn.Linear(n_in, width)
        self.blocks = nn.Sequential(*[Block(width, noise) for _ in range(blocks)])
        self.head = nn.Linear(width, k)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.blocks(self.stem(x.flatten(1))).relu())


def resmlp(input_shape: tuple[int, ...], k: int, blocks: int = 2, width: int = WIDTH, noise: float = 0.0) -> nn.Module:
    return ResMLP(math.prod(input_shape), k, blocks, width, noise)


def en_resmlp(input_shape: tuple[int, ...], k: int, n: int = 2, blocks: int = 2, width: int = WIDTH,
              noise: float = NOISE_COEF) -> nn.Module:
    """En_n of noisy ResMLPs."""
    return ensemble(lambda: resmlp(input_shape, k, blocks, width, noise), n)


def en2_resmlp(input_shape: tuple[int, ...], k: int) -> nn.Module:
    return en_resmlp(input_shape, k, n=2)


def resmlp_deep(input_shape: tuple[int, ...], k: int) -> nn.Module:
    return resmlp(input_shape, k, blocks=6)
