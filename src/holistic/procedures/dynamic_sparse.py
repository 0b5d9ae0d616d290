"""SparseVLR's dynamic sparse training, Algorithm 1 (Kaur & Salekin, §4.2), as a procedure.

From a seed network at target sparsity p (:mod:`holistic.procedures.sparse_seeds`: RSM, PM or
RIPM), every epoch t of one round

* **thickening** (lines 5-7): every minibatch updates *all* weights, the dormant ones (0)
  included, which grow from their gradients: the network uses its weights as they are, so
  the auxiliary network after the epoch is denser than p;
* **pruning** (line 8, ``end_epoch``): global L1 (magnitude) pruning of the prunable weights
  back to exactly p (:mod:`holistic.procedures.magnitude_pruning`), after every epoch (§6:
  pruning after each thickening step was the best).

Biases are not pruned and do not count (decided: ``torch.nn.utils.prune.global_unstructured``
is applied to weights only in the usual use; the paper does not say). Adam's moments are kept
across a prune (the trainer's one optimizer per round), as a persistent ``torch.optim.Adam``
over weights pruned in place would. Logged per epoch into ``trace`` (per model):
``sparse_active_before_prune`` (the auxiliary network's nonzero weights),
``sparse_state_changes`` (Fig. 5), ``sparse_weight_histogram`` and, when the trainer calls
``before_step``, ``sparse_gradient_flow`` (Fig. 4b); ``sparse_seed_histogram`` once (Fig. 4a).
"""

from __future__ import annotations

from torch import Tensor

from .magnitude_pruning import global_magnitude_masks, prune_
from .sparse_seeds import SeededSparse
from .sparse_trace import active, log_epoch, state_changes


class DynamicSparse(SeededSparse):
    """Registry entries ``dynamic_sparse`` (RSM -> RSM^T, SparseVLR), ``dynamic_sparse_pm``
    (PM -> PM^T), ``dynamic_sparse_ripm`` (RIPM -> RIPM^T); grid axis ``target_sparsity``."""

    def effective(self, params: dict[str, Tensor], state: dict, hp: dict, final: bool, t: int, T: int):
        """Thickening: the weights as they are (dormant ones at 0 until their gradients move them)."""
        self.ensure_seed(params, state, hp)
        return params, None

    def end_epoch(self, params: dict[str, Tensor], state: dict, hp: dict, epoch: int, final: bool,
                  trace: dict) -> None:
        """Alg. 1 line 8: prune back to the target sparsity; log the epoch."""
        self.ensure_seed(params, state, hp)
        W = {n: params[n] for n in state["prunable"]}
        log_epoch(trace, "sparse_active_before_prune", active(W))
        masks = global_magnitude_masks(W, hp["target_sparsity"].tolist())
        log_epoch(trace, "sparse_state_changes", state_changes(state["masks"], masks))
        prune_(params, masks)
        state["masks"] = masks
        self.log(params, state, trace)
