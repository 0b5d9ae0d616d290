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
from torch import Tensor

from .ce import per_sample_loss


def logit_difference_gradient_norms(J: Tensor, y: Tensor) -> Tensor:
    """``||grad_x (z_k - z_y)||_1`` from a full Jacobian ``J`` ``[G, B, M, K]``: ``[G, B, K]``."""
    J_y = torch.gather(J, 3, y[:, :, None, None].expand(*J.shape[:3], 1))
    return (J - J_y).abs().sum(dim=2)


def robust_loss(z: Tensor, norms: Tensor, y: Tensor, rho: Tensor) -> Tensor:
    """Eq. (7) per sample, ``[G, B]``: cross-entropy of ``z_k + rho * ||grad_x (z_k - z_y)||_1``.

    ``norms`` ``[G, B, K]`` from :func:`gradient_norms` (or the autograd reference);
    ``rho`` ``[G]``, one radius per model.
    """
    return per_sample_loss(z + rho[:, None, None] * norms, y)


def gradient_norms_autograd(model, params: dict, x: Tensor, y: Tensor) -> Tensor:
    """``||grad_x (z_k - z_y)||_1`` ``[G, B, K]`` for any stacked model, by K autograd passes
    (double backprop); inputs of any shape ``[G, B, ...]``. The general path, and the
    reference for a model's exact fast path (the MLP's Jacobian chain)."""
    x = x.detach().requires_grad_(True)
    z, _ = model.forward(params, x)
    z_y = torch.gather(z, 2, y.unsqueeze(-1)).squeeze(-1)
    norms = []
    for k in range(z.shape[-1]):
        (g,) = torch.autograd.grad((z[..., k] - z_y).sum(), x, create_graph=True)
        norms.append(g.abs().flatten(2).sum(dim=-1))
    return torch.stack(norms, dim=-1)


class RobustLinear:
    """Registry entry ``robust_linear``: eq. (7) with radius ``rho`` (grid axis ``rho``).

    Uses the model's exact fast path (``logit_difference_gradient_norms``, the MLP's
    Jacobian chain) when it has one, else autograd; ``reference=True`` forces autograd.
    """

    axes: tuple[str, ...] = ("rho",)
    axis_bounds = {"rho": {"exclusiveMinimum": 0, "maximum": 1}}  # a radius in the box [0, 1]
    param_keys: tuple[str, ...] = ()
    uses_aux = True  # the fast path reads the forward's aux (the MLP's ReLU gates)
    input_gradients = True  # propagates K-1 logit-difference directions to the input (chunk sizing)

    def per_sample(self, model, params: dict, x: Tensor, y: Tensor, hp: dict, out, reference: bool = False) -> Tensor:
        z, aux = out
        if not reference and hasattr(model, "logit_difference_gradient_norms"):
            norms = model.logit_difference_gradient_norms(params, aux, y)
        else:
            norms = gradient_norms_autograd(model, params, x, y)
        return robust_loss(z, norms, y, hp["rho"])
