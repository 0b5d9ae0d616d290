"""Gradient-norm clipping per model of a stack (auto_LiRPA's ``cifar_training.py`` clips at 8,
as SparseVLR's author's follow-up VeriCompress does): ``torch.nn.utils.clip_grad_norm_`` with
the L2 norm, applied to each model g of ``[G, ...]`` gradients on its own:

    ||g||  = || (||grad_1[g]||_2, ..., ||grad_P[g]||_2) ||_2
    grad[g] <- grad[g] * min(1, max_norm / (||g|| + 1e-6))

Each model's norm is taken over its own slices only, so a model is clipped the same alone
and in any grid.
"""

from __future__ import annotations

import torch
from torch import Tensor


def grad_norms(grads: list[Tensor]) -> Tensor:
    """Per-model L2 norm over all gradients ``[G, ...]``: ``[G]``."""
    G = grads[0].shape[0]
    return torch.stack([torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g[i]) for g in grads]))
                        for i in range(G)])


@torch.no_grad()
def clip_grad_norms_(grads: list[Tensor], max_norm: float) -> Tensor:
    """Scale each model's gradients in place to norm at most ``max_norm``; returns the norms
    before clipping ``[G]``."""
    norms = grad_norms(grads)
    coef = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for g in grads:
        for i in range(g.shape[0]):
            g[i].mul_(coef[i])
    return norms
