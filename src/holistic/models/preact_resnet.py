"""PreAct ResNet20/38 and the noisy ensembles En_nResNet20 of Dinh et al. (for a GPU; CIFAR or
Fashion-MNIST), as ``make(input_shape, k) -> nn.Module``, after the EnResNet code
(BaoWangMath/EnResNet ``ResNet20/resnet_cifar.py``, ``PreAct_ResNet_Cifar``):

conv 3x3, 16 (no bias) -> 3 stages of ``n = (depth - 2) / 6`` pre-activation basic blocks with
16, 32, 64 channels (stride 2 at the start of stages 2 and 3, a 1x1 convolution on the
pre-activated input as the shortcut there) -> BatchNorm -> ReLU -> global average pooling ->
``head`` dense 64 -> k. A block::

    out = relu(bn1(x));  shortcut = conv1x1(out) or x;  out = conv2(relu(bn2(conv1(out))))
    out = out + shortcut;  out = noise(out)      (En nets: 0.1 std(out) N(0, 1), :mod:`.noise`)

Sizes for 3x32x32 inputs and k = 10: ResNet20 272,282 parameters, En_2ResNet20 544,564
(the paper's ~0.54M), ResNet38 563,930 (~0.56M); the input size changes only ``conv1``. The
average pooling is adaptive (the code's ``AvgPool2d(8)`` on 32x32 inputs; 7x7 for 28x28).

Initialisation (:meth:`PreActResNet.initialise`, from one generator): convolutions He-normal
``N(0, 2 / (kh kw out))`` as the code, BatchNorm weight 1 and bias 0, the dense layer as
PyTorch's default ``U(-1/sqrt(in), 1/sqrt(in))`` for weight and bias.

BatchNorm uses the statistics of the batch it sees, in training and at evaluation alike
(``track_running_stats=False``): the stacked-model protocol carries parameters only, no
buffers, so there are no running averages to evaluate with. Evaluation in large chunks
(thousands of points) comes close to the population statistics, but a point's logits depend
on the other points of its chunk; the code evaluated in ``net.eval()`` with running averages.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from .noise import NOISE_COEF, NoiseInjection
from .residual import ensemble


def conv3x3(c_in: int, c_out: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)


def batch_norm(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, track_running_stats=False)


class PreActBlock(nn.Module):
    """The pre-activation basic block, with its noise layer where ``noise`` > 0."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1, noise: float = 0.0):
        super().__init__()
        self.bn1, self.conv1 = batch_norm(c_in), conv3x3(c_in, c_out, stride)
        self.bn2, self.conv2 = batch_norm(c_out), conv3x3(c_out, c_out)
        self.shortcut = (nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False)
                         if stride != 1 or c_in != c_out else None)
        self.noise = NoiseInjection(noise) if noise else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        out = self.bn1(x).relu()
        shortcut = x if self.shortcut is None else self.shortcut(out)
        out = self.conv2(self.bn2(self.conv1(out)).relu())
        return self.noise(out + shortcut)


class PreActResNet(nn.Module):
    """PreAct ResNet-``depth`` (``depth = 6 n + 2``): logits ``[B, k]`` of images ``[B, C, H, W]``."""

    def __init__(self, channels: int, k: int, depth: int = 20, noise: float = 0.0):
        super().__init__()
        if (depth - 2) % 6:
            raise ValueError(f"PreAct ResNet depth must be 6n + 2, got {depth}")
        n = (depth - 2) // 6
        self.conv1 = conv3x3(channels, 16)
        blocks, c_in = [], 16
        for c_out, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(n):
                blocks.append(PreActBlock(c_in, c_out, stride if i == 0 else 1, noise))
                c_in = c_out
        self.blocks = nn.Sequential(*blocks)
        self.bn = batch_norm(64)
        self.head = nn.Linear(64, k)

    def forward(self, x: Tensor) -> Tensor:
        h = self.bn(self.blocks(self.conv1(x))).relu()
        return self.head(h.mean(dim=(2, 3)))

    @torch.no_grad()
    def initialise(self, generator: torch.Generator) -> None:
        """He-normal convolutions, BatchNorm 1/0, PyTorch's default dense layer (module docstring)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                m.weight.copy_(torch.randn(m.weight.shape, generator=generator) * math.sqrt(2.0 / fan_out))
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.fill_(1.0)
                m.bias.zero_()
            elif isinstance(m, nn.Linear):
                bound = 1 / math.sqrt(m.in_features)
                for p in (m.weight, m.bias):
                    p.copy_((torch.rand(p.shape, generator=generator) * 2 - 1) * bound)


def preact_resnet20(input_shape: tuple[int, ...], k: int) -> nn.Module:
    return PreActResNet(input_shape[0], k, depth=20)


def preact_resnet38(input_shape: tuple[int, ...], k: int) -> nn.Module:
    return PreActResNet(input_shape[0], k, depth=38)


def en_preact_resnet20(input_shape: tuple[int, ...], k: int, n: int, noise: float = NOISE_COEF) -> nn.Module:
    """En_nResNet20: n noisy PreAct ResNet20s, logits averaged."""
    return ensemble(lambda: PreActResNet(input_shape[0], k, depth=20, noise=noise), n)


def en2_preact_resnet20(input_shape: tuple[int, ...], k: int) -> nn.Module:
    return en_preact_resnet20(input_shape, k, n=2)


def en5_preact_resnet20(input_shape: tuple[int, ...], k: int) -> nn.Module:
    return en_preact_resnet20(input_shape, k, n=5)
