"""A stack of G feed-forward ReLU networks, eqs. (1)-(2) of the HDL paper.

Parameters are tensors with a leading model axis: ``W[l]`` is ``[G, r_{l-1}, r_l]``
and ``b[l]`` is ``[G, r_l]``, so ``z^l = [z^{l-1}]^+ W^l + b^l`` for every model at
once with batched matmuls. Inputs are ``[G, B, M]``: each model sees its own batch.
A single model is simply G = 1.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def glorot_uniform(fan_in: int, fan_out: int, generator: torch.Generator) -> Tensor:
    """Glorot & Bengio (2010) uniform init: U(-sqrt(6/(fan_in+fan_out)), +...)."""
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return (torch.rand(fan_in, fan_out, generator=generator, dtype=torch.float32) * 2 - 1) * bound


def init_params(sizes: list[int], generators: list[torch.Generator]) -> tuple[list[Tensor], list[Tensor]]:
    """Glorot-uniform weights and zero biases for one network per generator.

    ``sizes`` is ``[M, r_1, ..., K]``. Model g's weights depend only on
    ``generators[g]``, so a model initialises the same alone or in a grid.
    """
    W, b = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        W.append(torch.stack([glorot_uniform(fan_in, fan_out, g) for g in generators]))
        b.append(torch.zeros(len(generators), fan_out))
    return W, b


def forward(W: list[Tensor], b: list[Tensor], x: Tensor) -> tuple[Tensor, list[Tensor]]:
    """Logits ``z^L`` ``[G, B, K]`` and the ReLU gates ``1[z^l > 0]`` of each hidden layer."""
    gates = []
    h = x
    for l, (w, bias) in enumerate(zip(W, b)):
        z = torch.baddbmm(bias.unsqueeze(1), h, w)
        if l < len(W) - 1:
            gate = z > 0
            gates.append(gate)
            h = z * gate
        else:
            h = z
    return h, gates


def input_directional_gradients(W: list[Tensor], gates: list[Tensor], V: Tensor) -> Tensor:
    """Input gradients of the output directions ``V``: ``W^1 D^1 ... W^{L-1} D^{L-1} V``.

    ``V`` is ``[G, r_{L-1}, B, C]``: for each sample C directions in the last hidden
    layer (``W^L u`` for an output direction u). Returns ``[G, M, B, C]``. The running
    product is kept as ``[G, r_l, B*C]`` so each layer is one batched matmul with the
    un-expanded ``W^l``; it stays differentiable in W (the gates are piecewise constant).
    """
    G, r, B, C = V.shape
    for l in range(len(W) - 2, -1, -1):
        V = gates[l].transpose(1, 2).unsqueeze(-1) * V  # gate the rows of layer l
        V = torch.bmm(W[l], V.reshape(G, V.shape[1], B * C)).view(G, -1, B, C)
    return V


def input_jacobian(W: list[Tensor], gates: list[Tensor]) -> Tensor:
    """Exact input Jacobian of the logits, ``[G, B, M, K]`` with entry ``d z_k / d x_m``.

    For a ReLU network it is ``W^1 D^1 W^2 D^2 ... W^L`` (D^l the diagonal gate
    matrices): the linear piece of eq. (6).
    """
    G, B = gates[0].shape[:2]
    V = W[-1].unsqueeze(2).expand(G, W[-1].shape[1], B, W[-1].shape[-1])
    return input_directional_gradients(W, gates, V).permute(0, 2, 1, 3)


def predict(W: list[Tensor], b: list[Tensor], x: Tensor, chunk: int = 4096) -> Tensor:
    """Predicted classes ``[G, N]`` (argmax of the logits), evaluated in chunks of N."""
    out = []
    with torch.no_grad():
        for start in range(0, x.shape[1], chunk):
            logits, _ = forward(W, b, x[:, start:start + chunk])
            out.append(logits.argmax(-1))
    return torch.cat(out, dim=1)
