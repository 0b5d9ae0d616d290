"""Layer-wise magnitude pruning in rounds, with masks that never regrow: what iterative
magnitude pruning (Cosentino et al. 2019, Sec. 4.1; :mod:`.imp`) and progressive pruning (Guo
et al. 2018, Sec. 4.1; :mod:`.progressive`) share.

Every prunable weight ``theta`` ``[G, ...]`` (the model's ``prunable``: connections, not biases)
has a boolean mask ``m`` of the same shape, all true at first; the network uses ``m ⊙ theta``
(:func:`masked`: the pruned weights exactly +0.0, their gradient 0, so Adam, fresh every round,
never moves them). After every round but the final one, each layer removes ``k`` of the weights
its mask still keeps, those of smallest ``|theta|`` (:func:`prune_smallest`); a removed weight
never returns (``m' ⊆ m``). Each round keeps its own checkpoint and metrics (``round_results``:
``TrainResult.rounds`` of :mod:`holistic.train.result`), so every pruning level can be evaluated.
"""

from __future__ import annotations

import math
from fractions import Fraction

import torch
from torch import Tensor

from ..evaluation.metrics import share_percent
from ..train.pieces import SELECTIONS


def exact_rate(rate: float | str) -> Fraction:
    """A pruning rate as an exact fraction in [0, 1): a number by its decimal form (0.2 -> 1/5,
    so ``rate * n`` is never off by a float's last bit), or a string ``"p/q"`` (``"1/3"``)."""
    value = Fraction(str(rate))
    if not 0 <= value < 1:
        raise ValueError(f"pruning rate {rate!r}: not in [0, 1)")
    return value


def masked(theta: Tensor, m: Tensor) -> Tensor:
    """``m ⊙ theta`` ``[G, ...]``: theta where the mask keeps it, exactly +0.0 elsewhere."""
    return torch.where(m, theta, 0.0)


def prune_smallest(theta: Tensor, m: Tensor, k: list[int]) -> Tensor:
    """The mask ``m`` ``[G, ...]`` (bool) without, for each model g, the ``k[g]`` weights of
    smallest ``|theta[g]|`` among those it keeps (ties: the earlier position first, by a stable
    sort): ``m' ⊆ m`` with exactly ``k[g]`` fewer true entries (``k[g] <=`` the kept count)."""
    score = torch.where(m, theta.detach().abs(), math.inf).flatten(1)  # [G, n]: pruned ones last
    order = torch.sort(score, dim=1, stable=True).indices
    positions = torch.arange(score.shape[1], device=order.device).expand_as(order)
    rank = torch.empty_like(order).scatter_(1, order, positions)  # each weight's place in the order
    drop = rank < torch.tensor(k, device=order.device).view(-1, 1)
    return m & ~drop.view_as(m)


def kept_percent(masks: list[Tensor]) -> Tensor:
    """``P_m = ||m||_0 / |theta|`` in percent, per model ``[G]`` (on the CPU), over all ``masks``."""
    return share_percent(torch.cat([m.flatten(1) for m in masks], dim=1))


class LayerwisePruning:
    """The shared procedure: ``prunes`` pruning rounds after the first training, each round's
    checkpoint chosen by ``early_stopping`` (``holistic.train.pieces.SELECTIONS``). A subclass says
    how a layer is pruned (:meth:`prune`) and what a round starts from (``start_from``)."""

    axes: tuple[str, ...] = ()
    round_results = True  # the loop keeps every round's checkpoint and metrics

    def __init__(self, prunes: int, early_stopping: str):
        if prunes < 0:
            raise ValueError(f"prunes {prunes}: not >= 0")
        if early_stopping not in SELECTIONS:
            raise ValueError(f"early_stopping {early_stopping!r}: not one of {', '.join(SELECTIONS)}")
        self.prunes, self.selection = int(prunes), early_stopping

    def n_rounds(self, cfg) -> int:
        """The dense training, then one round after each prune."""
        return self.configured(cfg.settings, None).prunes + 1

    def init_state(self, params: dict[str, Tensor], prunable: list[str]) -> dict:
        """All-true masks, one per prunable weight (in the model's order: the last is the output layer's)."""
        return {"masks": {n: torch.ones_like(params[n], dtype=torch.bool) for n in prunable}}

    def trainable(self, state: dict, final: bool) -> list[Tensor]:
        return []

    def effective(self, params: dict[str, Tensor], state: dict, hp: dict, final: bool, t: int, T: int):
        """The weights the network uses, ``m ⊙ theta`` (no penalty)."""
        masks = state["masks"]
        return {n: masked(p, masks[n]) if n in masks else p for n, p in params.items()}, None

    def end_round(self, state: dict, r: int, n_rounds: int, hp: dict, trace: dict) -> None:
        return None

    def after_round(self, params: dict[str, Tensor], state: dict, hp: dict, r: int, final: bool, trace: dict) -> None:
        """After every round but the final one: each layer's mask loses the weights :meth:`prune`
        picks from the round's trained weights (their last values, not the kept checkpoint)."""
        if final:
            return
        masks = state["masks"]
        names = list(masks)
        for l, n in enumerate(names):
            masks[n] = self.prune(params[n].detach(), masks[n], l == len(names) - 1)

    def prune(self, theta: Tensor, m: Tensor, output: bool) -> Tensor:
        """One layer's next mask (``output``: the network's last prunable layer)."""
        raise NotImplementedError
