"""Robust loss, eq. (7) of the HDL paper (Bertsimas et al. 2021 linear approximation).

For each sample and class k the worst-case logit difference over the L-inf ball of
radius rho is approximated by its linearisation,

    (e_k - e_y)^T z + rho * || grad_x (e_k - e_y)^T z ||_1 ,

and the loss is the log-sum-exp over k of these values. Because the k = y term is 0
for both parts, this equals cross-entropy on the shifted logits
``z_k + rho * ||J_k - J_y||_1`` (J the input Jacobian), so rho = 0 gives plain CE.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def logit_difference_gradient_norms(J: Tensor, y: Tensor) -> Tensor:
    """``||grad_x (z_k - z_y)||_1`` for every k: ``[G, B, K]`` from ``J`` ``[G, B, M, K]``."""
    J_y = torch.gather(J, 3, y[:, :, None, None].expand(*J.shape[:3], 1))
    return (J - J_y).abs().sum(dim=2)


def robust_logits(z: Tensor, J: Tensor, y: Tensor, rho: Tensor) -> Tensor:
    """Logits shifted by the robustness term: ``z_k + rho * ||grad_x (z_k - z_y)||_1``.

    ``z`` is ``[G, B, K]``, ``rho`` is ``[G]`` (one radius per model).
    """
    return z + rho[:, None, None] * logit_difference_gradient_norms(J, y)


def per_sample_loss(z: Tensor, y: Tensor) -> Tensor:
    """Eq. (3) per sample: ``log sum_k exp((e_k - e_y)^T z)``, i.e. cross-entropy, ``[G, B]``."""
    return torch.logsumexp(z, dim=-1) - torch.gather(z, 2, y.unsqueeze(-1)).squeeze(-1)


def robust_loss(z: Tensor, J: Tensor, y: Tensor, rho: Tensor) -> Tensor:
    """Eq. (7) per sample, ``[G, B]``."""
    return per_sample_loss(robust_logits(z, J, y, rho), y)


def cross_entropy(z: Tensor, y: Tensor) -> Tensor:
    """Reference cross-entropy via torch (used in tests and attacks), ``[G, B]``."""
    return F.cross_entropy(z.reshape(-1, z.shape[-1]), y.reshape(-1), reduction="none").view(y.shape)
