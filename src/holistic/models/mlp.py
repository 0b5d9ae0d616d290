"""A stack of G feed-forward ReLU networks, eqs. (1)-(2) of the HDL paper (registry key ``mlp``).

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


def forward(W: list[Tensor], b: list[Tensor], x: Tensor, gates: bool = True) -> tuple[Tensor, list[Tensor]]:
    """Logits ``z^L`` ``[G, B, K]`` and the ReLU gates ``1[z^l > 0]`` of each hidden layer
    (``[G, B, r_l]``; an empty list with ``gates=False``: the logits are the same)."""
    D = []
    h = x
    for l, (w, bias) in enumerate(zip(W, b)):
        z = torch.baddbmm(bias.unsqueeze(1), h, w)
        if l < len(W) - 1:
            h = torch.relu(z)
            if gates:
                D.append((h > 0).to(h.dtype))
        else:
            h = z
    return h, D


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


def other_classes(y: Tensor, K: int) -> Tensor:
    """For each label y the K-1 classes k != y, in increasing order: ``[..., K-1]``."""
    k = torch.arange(K - 1, device=y.device)
    return k + (k >= y.unsqueeze(-1)).long()


def gradient_norms(W: list[Tensor], gates: list[Tensor], y: Tensor) -> Tensor:
    """``||grad_x (z_k - z_y)||_1`` for every k, ``[G, B, K]``, from one forward pass (eq. 7's term).

    Exact for a ReLU network: the gradient of ``z_k - z_y`` is the Jacobian chain
    applied to the direction ``W^L (e_k - e_y)``. Only the K-1 directions k != y
    are propagated (the k = y term is 0), in one batched pass per layer, instead of
    K autograd backward passes (``holistic.objectives.robust.gradient_norms_autograd``).
    """
    G, B = y.shape
    K = W[-1].shape[-1]
    others = other_classes(y, K)  # [G, B, K-1]
    rows = W[-1].transpose(1, 2)  # [G, K, r]: row k is W^L e_k
    g = torch.arange(G, device=y.device)
    directions = rows[g[:, None, None], others] - rows[g[:, None], y].unsqueeze(2)  # [G, B, K-1, r]
    norms = input_directional_gradients(W, gates, directions).abs().sum(dim=-1)  # [G, B, K-1]
    return torch.zeros(G, B, K, dtype=norms.dtype, device=norms.device).scatter(2, others, norms)


def predict(W: list[Tensor], b: list[Tensor], x: Tensor, chunk: int = 4096) -> Tensor:
    """Predicted classes ``[G, N]`` (argmax of the logits), evaluated in chunks of N."""
    out = []
    with torch.no_grad():
        for start in range(0, x.shape[1], chunk):
            logits, _ = forward(W, b, x[:, start:start + chunk], gates=False)
            out.append(logits.argmax(-1))
    return out[0] if len(out) == 1 else torch.cat(out, dim=1)


class MLP:
    """The stacked-model protocol for the MLP: parameters ``{"W0".., "b0"..}`` of ``[G, ...]``.

    Keeps the fast paths: batched matmuls (:func:`forward`) and the exact Jacobian chain
    (:func:`input_directional_gradients`) used by the robust loss of eq. (7).
    """

    axes: tuple[str, ...] = ()
    param_keys: tuple[str, ...] = ()

    def __init__(self, hidden: tuple[int, ...] = (128, 128)):
        self.hidden = tuple(hidden)

    def sizes(self, input_shape: tuple[int, ...], k: int) -> list[int]:
        return [math.prod(input_shape), *self.hidden, k]

    def init(self, input_shape: tuple[int, ...], k: int, generators: list[torch.Generator],
             initialiser=None) -> dict[str, Tensor]:
        """Glorot-uniform weights, zero biases: ``W0..W{L-1}`` then ``b0..b{L-1}``; with an
        ``initialiser`` (``holistic.models.initialisers``), its ``dense(fan_in, fan_out, generator)``
        layer after layer, each model from its own generator."""
        sizes = self.sizes(input_shape, k)
        if initialiser is None:
            W, b = init_params(sizes, generators)
        else:
            drawn = [[initialiser.dense(a, c, g) for a, c in zip(sizes[:-1], sizes[1:])] for g in generators]
            W = [torch.stack([layers[l][0] for layers in drawn]) for l in range(len(sizes) - 1)]
            b = [torch.stack([layers[l][1] for layers in drawn]) for l in range(len(sizes) - 1)]
        return {**{f"W{l}": w for l, w in enumerate(W)}, **{f"b{l}": v for l, v in enumerate(b)}}

    @staticmethod
    def split(params: dict[str, Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        n = sum(1 for k in params if k.startswith("W"))
        return [params[f"W{l}"] for l in range(n)], [params[f"b{l}"] for l in range(n)]

    def prunable(self, params: dict[str, Tensor]) -> list[str]:
        """The connection weights (not biases): what sparsity counts and masks prune."""
        return [k for k in params if k.startswith("W")]

    def forward(self, params: dict[str, Tensor], x: Tensor) -> tuple[Tensor, list[Tensor]]:
        """Logits ``[G, B, K]`` and the ReLU gates (the forward's by-product); inputs
        ``[G, B, *input_shape]`` are flattened (an image is its pixels)."""
        return forward(*self.split(params), x.flatten(2))

    def logits(self, params: dict[str, Tensor], x: Tensor) -> Tensor:
        """Logits ``[G, B, K]`` only: :meth:`forward` without the gates (losses that read no
        aux, e.g. cross-entropy; the same values)."""
        return forward(*self.split(params), x.flatten(2), gates=False)[0]

    def predict(self, params: dict[str, Tensor], x: Tensor) -> Tensor:
        return predict(*self.split(params), x.flatten(2))

    def logit_difference_gradient_norms(self, params: dict[str, Tensor], aux: list[Tensor], y: Tensor) -> Tensor:
        """Fast path of eq. (7): ``||grad_x (z_k - z_y)||_1`` ``[G, B, K]`` from the gates."""
        return gradient_norms(self.split(params)[0], aux, y)

    def memory_floats(self, input_shape: tuple[int, ...], k: int, batch: int) -> tuple[int, int]:
        """(parameters per model, activations per sample) for memory-budget chunking."""
        sizes = self.sizes(input_shape, k)
        return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])), sum(sizes)
