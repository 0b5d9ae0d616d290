"""Global unstructured magnitude pruning of stacked weights (SparseVLR Alg. 1, lines 2 and 8).

For model g at target sparsity p_g (percent) over its prunable weights (connections, not
biases: the model's ``prunable``), concatenated into one vector ``theta`` of n entries,

    theta_down = theta * 1[rank(|theta|) < n - round(p_g n / 100)]                    (Alg. 1)

i.e. the n - round(p n / 100) weights of largest magnitude stay active, the rest become dormant
(exactly 0). ``round`` is Python's, as ``torch.nn.utils.prune.global_unstructured`` counts the
weights to prune (``round(amount * n)``), so exactly that many are pruned. The smallest are
found by :func:`holistic.procedures.layer_pruning.prune_smallest` on the concatenation: ties in
|theta| go by position (the earlier is pruned first; torch's ``topk`` leaves them unspecified).
Each model's mask depends only on its own weights.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .layer_pruning import prune_smallest


def n_pruned(n: int, p: float) -> int:
    """How many of n weights sparsity p (percent) prunes: ``round(p n / 100)``."""
    return round(p / 100.0 * n)


def global_magnitude_masks(W: dict[str, Tensor], p: list[float]) -> dict[str, Tensor]:
    """Alg. 1 line 2/8: bool masks ``{name: [G, ...]}`` of the weights each model keeps, from
    weights ``W`` ``{name: [G, ...]}`` and each model's sparsity ``p`` (percent)."""
    names = list(W)
    flat = torch.cat([W[n].detach().flatten(1) for n in names], dim=1)  # [G, n]
    n = flat.shape[1]
    mask = prune_smallest(flat, torch.ones_like(flat, dtype=torch.bool), [n_pruned(n, pg) for pg in p])
    sizes = [math.prod(W[name].shape[1:]) for name in names]
    return {name: part.view_as(W[name]) for name, part in zip(names, mask.split(sizes, dim=1))}


@torch.no_grad()
def prune_(params: dict[str, Tensor], masks: dict[str, Tensor]) -> None:
    """Make the weights outside ``masks`` dormant: exactly +0.0, in place."""
    for name, m in masks.items():
        params[name].masked_fill_(~m, 0.0)


@torch.no_grad()
def magnitude_pruned(params: dict[str, Tensor], prunable: list[str], p: list[float]) -> dict[str, Tensor]:
    """A pruned copy of ``params`` (e.g. SparseVLR's PM: a converged dense model pruned, no
    retraining); biases and other unprunable tensors copied unchanged."""
    out = {name: v.detach().clone() for name, v in params.items()}
    prune_(out, global_magnitude_masks({name: out[name] for name in prunable}, p))
    return out
