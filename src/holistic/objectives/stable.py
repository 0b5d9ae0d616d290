"""Stable loss, Section 3.4 of the HDL paper (Bertsimas et al. 2022).

The worst-case mean loss over every training subset of size a*N (eq. 10) has the
dual form

    min_theta  theta + 1/(a N) * sum_n [L_n - theta]^+ ,

whose optimum equals the mean of the a*N largest losses. theta is a trained
scalar per model; ``a`` is the subset fraction (paper grid {0.7, 0.8, 0.9, 1}).
"""

from __future__ import annotations

import torch
from torch import Tensor


def stable_loss(losses: Tensor, theta: Tensor, a: Tensor) -> Tensor:
    """``theta + (1/a) * mean_n [L_n - theta]^+`` per model: losses ``[G, B]``, theta, a ``[G]``."""
    return theta + torch.relu(losses - theta[:, None]).mean(dim=1) / a


def worst_subset_mean(losses: Tensor, a: float) -> Tensor:
    """The primal value of eq. (10): mean of the ``a*N`` largest losses (``a*N`` integral)."""
    n = round(a * losses.shape[-1])
    return losses.topk(n, dim=-1).values.mean(dim=-1)


class Stable:
    """Registry entry ``stable``: the dual of eq. (10) with subset fraction ``a`` (grid axis
    ``a``); its threshold theta ``[G]`` is trained with the weights."""

    axes: tuple[str, ...] = ("a",)
    axis_bounds = {"a": {"exclusiveMinimum": 0, "maximum": 1}}
    param_keys: tuple[str, ...] = ()

    def init_state(self, G: int, device) -> dict[str, Tensor]:
        return {"theta": torch.zeros(G, device=device, requires_grad=True)}

    def reduce(self, losses: Tensor, state: dict[str, Tensor], hp: dict) -> Tensor:
        return stable_loss(losses, state["theta"], hp["a"])
