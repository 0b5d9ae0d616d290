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
            h = torch.relu(z)
            gates.append((h > 0).to(h.dtype))
        else:
            h = z
    return h, gates


def input_directional_gradients(W: list[Tensor], gates: list[Tensor], V: Tensor) -> Tensor:
    """Input gradients of last-hidden-layer directions: ``V D^{L-1} W^{L-1}^T ... D^1 W^1^T``.

    ``V`` is ``[G, B, C, r_{L-1}]``: for each sample C directions in the last hidden
    layer (``W^L u`` for an output direction u). Returns ``[G, B, C, M]``, the gradient
    of ``u^T z^L`` with respect to the input. Each layer is one batched matmul with the
    (transposed, un-copied) ``W^l``; the result stays differentiable in W (the gates are
    piecewise constant).
    """
    G, B, C, _ = V.shape
    for l in range(len(W) - 2, -1, -1):
        V = V * gates[l].unsqueeze(2)  # D^l: zero the directions through inactive units
        V = torch.bmm(V.reshape(G, B * C, -1), W[l].transpose(1, 2)).view(G, B, C, -1)
    return V


def input_jacobian(W: list[Tensor], gates: list[Tensor]) -> Tensor:
    """Exact input Jacobian of the logits, ``[G, B, M, K]`` with entry ``d z_k / d x_m``.

    For a ReLU network it is ``W^1 D^1 W^2 D^2 ... W^L`` (D^l the diagonal gate
    matrices): the linear piece of eq. (6).
    """
    G, B = gates[0].shape[:2]
    V = W[-1].transpose(1, 2).unsqueeze(1).expand(G, B, *W[-1].shape[::-1][:2])  # [G, B, K, r]
    return input_directional_gradients(W, gates, V).transpose(2, 3)


def predict(W: list[Tensor], b: list[Tensor], x: Tensor, chunk: int = 4096) -> Tensor:
    """Predicted classes ``[G, N]`` (argmax of the logits), evaluated in chunks of N."""
    out = []
    with torch.no_grad():
        for start in range(0, x.shape[1], chunk):
            logits, _ = forward(W, b, x[:, start:start + chunk])
            out.append(logits.argmax(-1))
    return torch.cat(out, dim=1)
