"""Continuous sparsification (Savarese et al. 2020), Section 3.3 / eq. (9) of the HDL paper.

Every weight w_j gets a mask logit s_j (initialised at s_0 = 0). During a search
round the network uses ``W * sigma(beta s)`` and the loss carries the penalty
``lambda * sum_j sigma(beta s_j)``; the hardness beta grows geometrically from 1
to beta_bar over the round's T steps. Between rounds ``s <- min(beta_bar s_T, s_0)``
keeps the suppressed weights suppressed and resets the rest. The final round trains
the weights under the hard mask ``1[s > 0]``, from weights rewound to an early epoch.
"""

from __future__ import annotations

import torch
from torch import Tensor


#: Elements a SIMD loop of PyTorch's CPU kernels handles at once (a multiple of every vector width).
LANES = 64


def beta_schedule(beta_bar: Tensor, t: int, T: int) -> Tensor:
    """Hardness at step t of T: ``beta_bar ** (t / T)``, i.e. 1 at t = 0, beta_bar at t = T.

    Computed per model in Python floats: a vectorised ``pow`` over the G models gives a
    model's value in a SIMD lane or in the scalar tail depending on G, and the two may differ
    in the last bit; this way a model's schedule is the same alone or in any grid."""
    return torch.tensor([b ** (t / T) for b in beta_bar.tolist()], dtype=beta_bar.dtype, device=beta_bar.device)


def soft_mask(s: Tensor, beta: Tensor) -> Tensor:
    """``sigma(beta s)`` with one beta per model: s ``[G, ...]``, beta ``[G]``.

    Where a model's share of ``s`` is not a whole number of SIMD blocks (:data:`LANES`; e.g. a
    5x5x20 convolution kernel), each model is computed on its own, so that its elements meet
    the same vectorised or scalar sigmoid whether it is trained alone or in a grid."""
    z = beta.view(-1, *([1] * (s.dim() - 1))) * s
    if s[0].numel() % LANES == 0:
        return torch.sigmoid(z)
    return torch.stack([torch.sigmoid(z[g]) for g in range(len(z))])


def hard_mask(s: Tensor) -> Tensor:
    """The final mask ``H(s) = 1[s > 0]`` (float)."""
    return (s > 0).to(s.dtype)


def penalty(masks: list[Tensor], lam: Tensor) -> Tensor:
    """Eq. (9)'s ``lambda * sum_j sigma(beta s_j)`` per model, ``[G]``, from the soft masks."""
    total = sum(m.flatten(1).sum(dim=1) for m in masks)
    return lam * total


def next_round_logits(s: Tensor, beta_bar: Tensor, s0: float = 0.0) -> Tensor:
    """Between rounds: ``s'_0 = min(beta_bar * s_T, s_0)``."""
    return torch.minimum(beta_bar.view(-1, *([1] * (s.dim() - 1))) * s, torch.full_like(s, s0))



class ContinuousSparsification:
    """Registry entry ``continuous_sparsification``: ``train.sparsity.rounds`` soft-mask search
    rounds (grid axes ``lambda``, ``beta_bar``), then a final round under the hard mask
    from weights rewound to ``train.sparsity.rewind_epoch``."""

    axes: tuple[str, ...] = ("lambda", "beta_bar")
    axis_bounds = {"lambda": {"minimum": 0}, "beta_bar": {"minimum": 1}}
    param_keys: tuple[str, ...] = ("train.sparsity",)

    def n_rounds(self, cfg) -> int:
        return cfg.rounds + 1

    def init_state(self, params: dict[str, Tensor], prunable: list[str]) -> dict:
        """Mask logits ``s = s_0 = 0`` for every prunable weight; no hard mask yet."""
        return {"s": {n: torch.zeros_like(params[n], requires_grad=True) for n in prunable}, "hard": None}

    def trainable(self, state: dict, final: bool) -> list[Tensor]:
        return [] if final else list(state["s"].values())

    def effective(self, params: dict[str, Tensor], state: dict, hp: dict, final: bool, t: int, T: int):
        """The weights the network uses, and eq. (9)'s penalty ``[G]`` (None in the final round)."""
        if final:
            return {n: p * state["hard"][n] if n in state["hard"] else p for n, p in params.items()}, None
        beta = beta_schedule(hp["beta_bar"], t, T)
        masks = {n: soft_mask(s, beta) for n, s in state["s"].items()}
        eff = {n: p * masks[n] if n in masks else p for n, p in params.items()}
        return eff, penalty(list(masks.values()), hp["lambda"])

    @torch.no_grad()
    def end_round(self, state: dict, r: int, n_rounds: int, hp: dict, trace: dict) -> None:
        """After the last search round the ticket ``H(s_T)``; before, ``s <- min(beta_bar s_T, s_0)``."""
        if r == n_rounds - 2:
            state["hard"] = {n: hard_mask(s) for n, s in state["s"].items()}
        elif r < n_rounds - 2:
            for s in state["s"].values():
                s.copy_(next_round_logits(s, hp["beta_bar"]))
            trace.setdefault("s_max_after_reset", []).append(max(float(s.max()) for s in state["s"].values()))
