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
* :func:`cnn_4layer`, :func:`cnn_7layer`: SparseVLR's 4- and 7-layer CNNs (Kaur & Salekin,
  App. A), as defined in the code they cite (auto_LiRPA ``examples/vision/models/feedforward.py``,
  ``cnn_4layer(width=2, linear_size=256)`` and ``cnn_7layer(width=64, linear_size=512)``):
  205,730 and 13,257,290 parameters on MNIST. Both are Conv2d/ReLU/Flatten/Linear only, so
  every bound of :mod:`holistic.verify` (IBP, CROWN, CROWN-IBP) supports them.
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


def cnn_4layer(input_shape: tuple[int, ...], k: int, width: int = 2, linear_size: int = 256) -> nn.Module:
    """conv 4x4 (4 width) stride 2 pad 1 -> ReLU -> conv 4x4 (8 width) stride 2 pad 1 -> ReLU ->
    dense (8 width * H/4 * W/4 -> linear_size) -> ReLU -> dense k; on MNIST 1->8->16 channels,
    784 -> 256 -> 10."""
    C, H, W = input_shape
    return nn.Sequential(
        nn.Conv2d(C, 4 * width, 4, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(4 * width, 8 * width, 4, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(8 * width * (H // 4) * (W // 4), linear_size), nn.ReLU(),
        nn.Linear(linear_size, k))


def cnn_7layer(input_shape: tuple[int, ...], k: int, width: int = 64, linear_size: int = 512) -> nn.Module:
    """Five 3x3 convolutions (pad 1) of width, width, 2 width (stride 2), 2 width, 2 width
    channels, each followed by ReLU -> dense (2 width * H/2 * W/2 -> linear_size) -> ReLU -> dense k."""
    C, H, W = input_shape
    w2 = 2 * width
    convs = [(C, width, 1), (width, width, 1), (width, w2, 2), (w2, w2, 1), (w2, w2, 1)]  # (in, out, stride)
    layers: list[nn.Module] = []
    for c_in, c_out, stride in convs:
        layers += [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1), nn.ReLU()]
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(w2 * (H // 2) * (W // 2), linear_size), nn.ReLU(),
                         nn.Linear(linear_size, k))
