"""Cross-entropy with an L1 penalty on the hidden activations (Guo et al. 2018, Sec. 4.2,
"Activation sparsity", Table 1; registry key ``activation_l1``):

    L(x, y) = CE(f(x), y) + lambda * sum_j ||a_j(x)||_1,

per sample ``[G, B]``, with ``a_j(x)`` ``[G, B, ...]`` the output of the network's j-th ReLU
("a l1 norm regularization of activation matrices/tensors"; the paper gives no lambda, so the
study names its strengths). ``lambda = train.activation_l1.strength`` (:data:`DEFAULTS`: 0, the
cross-entropy of ``ce``, bitwise). The activations come from the network's layer description
(:func:`holistic.verify.layers.from_model`), model g from its own parameters, so a model
trains the same alone or in a grid.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..train.pieces import piece_settings
from ..verify.layers import activations, from_model
from .ce import per_sample_loss

DEFAULTS = {"strength": 0.0}


def activation_l1(acts: list[Tensor]) -> Tensor:
    """``sum_j ||a_j||_1`` per point ``[G, B]`` of ReLU outputs ``a_j`` ``[G, B, ...]`` (>= 0)."""
    return sum(a.flatten(2).sum(dim=-1) for a in acts)


class ActivationL1:
    """Registry entry ``activation_l1``: no grid axis; ``train.activation_l1`` (:data:`DEFAULTS`)."""

    axes: tuple[str, ...] = ()
    param_keys: tuple[str, ...] = ("train.activation_l1",)
    uses_aux = False  # reads the logits of the forward output; the activations it computes itself

    def __init__(self, strength: float = DEFAULTS["strength"]):
        if strength < 0:
            raise ValueError(f"train.activation_l1.strength {strength}: must be >= 0")
        self.strength = float(strength)

    def configured(self, settings: dict, box=None) -> "ActivationL1":
        return ActivationL1(**piece_settings(settings, "activation_l1", DEFAULTS))

    def per_sample(self, model, params: dict, x: Tensor, y: Tensor, hp: dict, out, reference: bool = False) -> Tensor:
        """``[G, B]``: CE of the forward's logits ``out[0]`` plus lambda times the activations' L1 norm."""
        z = out[0]
        ce = per_sample_loss(z, y)
        if self.strength == 0.0:
            return ce
        K = z.shape[-1]
        penalty = torch.cat([activation_l1(activations(
            from_model(model, {n: p[g:g + 1] for n, p in params.items()}, tuple(x.shape[2:]), K), x[g:g + 1]))
            for g in range(z.shape[0])])
        return ce + self.strength * penalty
