"""Nominal loss, eq. (3) of the HDL paper: per-sample cross-entropy of a stack of models."""

from __future__ import annotations

import torch
from torch import Tensor


def per_sample_loss(z: Tensor, y: Tensor) -> Tensor:
    """Eq. (3) per sample: ``log sum_k exp((e_k - e_y)^T z)``, i.e. cross-entropy, ``[G, B]``."""
    return torch.logsumexp(z, dim=-1) - torch.gather(z, 2, y.unsqueeze(-1)).squeeze(-1)


class CrossEntropy:
    """Registry entry ``ce``: no grid axis; reads only the logits of the forward output."""

    axes: tuple[str, ...] = ()
    param_keys: tuple[str, ...] = ()
    uses_aux = False  # the trainer may run a model's logits-only forward (no ReLU gates)

    def per_sample(self, model, params: dict, x: Tensor, y: Tensor, hp: dict, out, reference: bool = False) -> Tensor:
        """``[G, B]`` losses from the forward output ``out = (logits, aux)``."""
        return per_sample_loss(out[0], y)
