"""Linear classifiers on the flattened input, with bias (Guo et al. 2018, Sec. 3.1 and 4.1;
registry key ``linear``, stacked by :mod:`holistic.models.module`).

* k > 2 classes: ``z = W x + b``, one weight vector per class (``nn.Linear(n, k)``; 7,840 weights
  on MNIST), the softmax cross-entropy model of Sec. 4.1.
* Two classes: the binary classifier ``sign(w^T x + b)`` with one weight vector (784 weights on
  MNIST), as the logits ``(0, w^T x + b)`` (:class:`BinaryLinear`): cross-entropy on them is the
  paper's softplus loss ``log(1 + exp(-y (w^T x + b)))`` with y = +1 for class 1, -1 for class
  0, and the predicted class is 1 exactly where ``w^T x + b > 0``. (The stacked forward reads
  K = 1 off the bias ``[G, 1]``: one output also builds this model.)
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class BinaryLinear(nn.Module):
    """``sign(w^T x + b)`` as the two logits ``(0, w^T x + b)`` ``[B, 2]`` of flattened inputs."""

    def __init__(self, n: int):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear = nn.Linear(n, 1)

    def forward(self, x: Tensor) -> Tensor:
        z = self.linear(self.flatten(x))
        return torch.cat([torch.zeros_like(z), z], dim=-1)


def linear(input_shape: tuple[int, ...], k: int) -> nn.Module:
    """The linear classifier of ``k`` classes on inputs ``[B, *input_shape]`` (binary for k <= 2)."""
    n = math.prod(input_shape)
    if k <= 2:
        return BinaryLinear(n)
    return nn.Sequential(nn.Flatten(), nn.Linear(n, k))
