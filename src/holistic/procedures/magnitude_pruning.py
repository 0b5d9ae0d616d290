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

Per layer (``scope = "layerwise"``, :func:`magnitude_masks`; a seed's option, not the paper's
rule): the same count and order within each tensor alone, ``round(p_g n_l / 100)`` of its n_l
weights pruned, so every layer keeps its own top (100 - p) %. Per layer at Erdős–Rényi-Kernel
densities (``scope = "erk"``; Evci et al. 2020, "Rigging the lottery", Sec. 3 / App.: the
dynamic sparse training literature's seed; :func:`erk_densities`): a layer of shape
(n_out, n_in, k_h, k_w) keeps a share proportional to (n_out + n_in + k_h + k_w) / (n_out n_in k_h k_w),
so small layers (a first convolution, the output layer) are kept denser than large ones.
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


def layerwise_magnitude_masks(W: dict[str, Tensor], p: list[float]) -> dict[str, Tensor]:
    """Each tensor's own top (100 - p_g) %: :func:`global_magnitude_masks` of every tensor of ``W``
    ``{name: [G, ...]}`` alone (``round(p_g n_l / 100)`` of its n_l weights pruned)."""
    return {name: global_magnitude_masks({name: w}, p)[name] for name, w in W.items()}


def erk_densities(shapes: dict[str, tuple[int, ...]], keep: float) -> dict[str, float]:
    """Erdős–Rényi-Kernel densities d_l of layers with weight shapes ``shapes`` (one model's, no
    stack axis) keeping the share ``keep`` of all their weights: d_l = min(1, e r_l) with
    r_l = sum(shape_l) / prod(shape_l) and e solving sum_l d_l n_l = keep sum_l n_l; a layer whose
    e r_l exceeds 1 is kept dense and e solved again over the rest (RigL's ``erk`` rule)."""
    n = {k: math.prod(s) for k, s in shapes.items()}
    r = {k: sum(s) / n[k] for k, s in shapes.items()}
    dense: set[str] = set()
    while True:
        rest = [k for k in shapes if k not in dense]
        if not rest:
            return {k: 1.0 for k in shapes}
        e = (keep * sum(n.values()) - sum(n[k] for k in dense)) / sum(r[k] * n[k] for k in rest)
        over = {k for k in rest if e * r[k] > 1.0}
        if not over:
            return {k: 1.0 if k in dense else e * r[k] for k in shapes}
        dense |= over


def erk_magnitude_masks(W: dict[str, Tensor], p: list[float]) -> dict[str, Tensor]:
    """Each tensor's own top magnitudes at its Erdős–Rényi-Kernel density (:func:`erk_densities`
    at keep = 1 - p_g / 100, for every model g of ``W`` ``{name: [G, ...]}``)."""
    shapes = {name: tuple(w.shape[1:]) for name, w in W.items()}
    d = [erk_densities(shapes, 1.0 - pg / 100.0) for pg in p]
    return {name: global_magnitude_masks({name: w}, [100.0 * (1.0 - dg[name]) for dg in d])[name]
            for name, w in W.items()}


#: How far a magnitude rule looks: all prunable weights together (Alg. 1), each layer alone, or
#: each layer alone at its Erdős–Rényi-Kernel density.
SCOPES = {"global": global_magnitude_masks, "layerwise": layerwise_magnitude_masks, "erk": erk_magnitude_masks}


def magnitude_masks(W: dict[str, Tensor], p: list[float], scope: str = "global") -> dict[str, Tensor]:
    """The kept weights' masks ``{name: [G, ...]}`` at sparsities ``p`` under ``scope`` (:data:`SCOPES`)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown magnitude scope {scope!r}; known: {', '.join(SCOPES)}")
    return SCOPES[scope](W, p)


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
