"""Image networks as ``make(input_shape, k) -> nn.Module`` (stacked by ``holistic.models.module``).

* :func:`alex`: the HDL paper's image network ("AlexNet" in the text; in the published code
  ``ALEX = ((5,5,32),(5,5,64),(1024,))`` with pooling after both convolutions): the TF
  "deep MNIST" net, conv 5x5x32 (same padding) -> ReLU -> max-pool 2 -> conv 5x5x64 ->
  ReLU -> max-pool 2 -> dense 1024 -> ReLU -> dense k. 3,274,634 parameters on MNIST,
  4,259,274 on RGB CIFAR-10.
* :func:`lenet5`: Caffe's LeNet-5 (conv 5x5x20 -> max-pool 2 -> conv 5x5x50 -> max-pool 2 ->
  dense 500 -> ReLU -> dense k; no ReLU after the convolutions, as in Caffe's prototxt):
  431,080 parameters on MNIST.
* :func:`lenet300_100`: LeNet-300-100, dense 300 -> ReLU -> dense 100 -> ReLU -> dense k on the
  flattened input (266,610 parameters on MNIST; 266,200 without biases, the lottery-ticket
  paper's variant).
"""

from __future__ import annotations

import math

from torch import nn


def alex(input_shape: tuple[int, ...], k: int) -> nn.Module:
    C, H, W = input_shape
    return nn.Sequential(
        nn.Conv2d(C, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * (H // 4) * (W // 4), 1024), nn.ReLU(), nn.Linear(1024, k))


def lenet5(input_shape: tuple[int, ...], k: int) -> nn.Module:
    C, H, W = input_shape
    h, w = ((H - 4) // 2 - 4) // 2, ((W - 4) // 2 - 4) // 2
    return nn.Sequential(
        nn.Conv2d(C, 20, 5), nn.MaxPool2d(2), nn.Conv2d(20, 50, 5), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(50 * h * w, 500), nn.ReLU(), nn.Linear(500, k))


def lenet300_100(input_shape: tuple[int, ...], k: int, bias: bool = True) -> nn.Module:
    return nn.Sequential(
        nn.Flatten(), nn.Linear(math.prod(input_shape), 300, bias=bias), nn.ReLU(),
        nn.Linear(300, 100, bias=bias), nn.ReLU(), nn.Linear(100, k, bias=bias))


def lenet300_100_nobias(input_shape: tuple[int, ...], k: int) -> nn.Module:
    return lenet300_100(input_shape, k, bias=False)


def mlp(input_shape: tuple[int, ...], k: int, hidden: tuple[int, ...] = (128, 128)) -> nn.Module:
    """The 2 x 128 MLP written as a module (the reference of the MLP's fast path)."""
    sizes = [math.prod(input_shape), *hidden]
    layers: list[nn.Module] = [nn.Flatten()]
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], k))
