"""Static-mask sparse fine-tuning: SparseVLR's "Finetuned" baseline (§3, Fig. 1 (ii), App. E.1),
and PM itself (no retraining: :class:`PrunedOnly`).

The seed network's mask (:mod:`holistic.procedures.sparse_seeds`; the baseline is PM, a
converged dense model pruned by global magnitude) stays fixed for the whole round: the network
uses ``theta * M``, so the dormant weights get no gradient and never grow (only the retained
weights are trained), as with a ``torch.nn.utils.prune`` mask that is never removed. Logged
per epoch as dynamic sparse training logs (``sparse_weight_histogram`` and, when the trainer
calls ``before_step``, ``sparse_gradient_flow``: Fig. 7a compares the two).
"""

from __future__ import annotations

from torch import Tensor

from .layer_pruning import masked
from .sparse_seeds import SeededSparse


class StaticSparse(SeededSparse):
    """Registry entry ``static_sparse_pm``: PM fine-tuned under its fixed mask; grid axis
    ``target_sparsity``."""

    def effective(self, params: dict[str, Tensor], state: dict, hp: dict, final: bool, t: int, T: int):
        """``theta * M`` for the prunable weights (exactly +0.0 outside the mask, no gradient there),
        the rest as they are; no penalty."""
        self.ensure_seed(params, state, hp)
        masks = state["masks"]
        return {n: masked(p, masks[n]) if n in masks else p for n, p in params.items()}, None

    def end_epoch(self, params: dict[str, Tensor], state: dict, hp: dict, epoch: int, final: bool,
                  trace: dict) -> None:
        self.ensure_seed(params, state, hp)
        self.log(params, state, trace)


class PrunedOnly(StaticSparse):
    """Registry entry ``pruned_pm``: SparseVLR's PM (§5, Table 2 "PM"): the converged dense model
    (``source``) pruned by global magnitude to the target sparsity, not retrained (no rounds:
    the trainer validates the seed once, ``holistic.train.loop``); grid axis ``target_sparsity``."""

    def n_rounds(self, cfg) -> int:
        return 0
