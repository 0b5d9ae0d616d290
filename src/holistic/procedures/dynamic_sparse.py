"""SparseVLR's dynamic sparse training, Algorithm 1 (Kaur & Salekin, §4.2), as a procedure.

From a seed network at target sparsity p (:mod:`holistic.procedures.sparse_seeds`: RSM, PM or
RIPM), every epoch t of one round

* **thickening** (lines 5-7): every minibatch updates *all* weights, the dormant ones (0)
  included, which grow from their gradients: the network uses its weights as they are, so
  the auxiliary network after the epoch is denser than p;
* **pruning** (line 8, ``end_epoch``): global L1 (magnitude) pruning of the prunable weights
  back to exactly p (:mod:`holistic.procedures.magnitude_pruning`), after every epoch (§6:
  pruning after each thickening step was the best), whatever the seed's ``seed_scope``.

Settings ``train.dynamic_sparse`` (:data:`DEFAULTS`, every key optional):

* ``seed_scope``: ``global`` (the paper's seed, Alg. 1 line 2) or ``layerwise`` (the ``rsm``
  seed keeps each layer's own top (100 - p) %: a seed the global rule would leave dead,
  :func:`.sparse_seeds.check_seed`); the prunes stay global;
* ``prune_every_steps``: null (the prune after every epoch, as above) or K, the prune after the
  round's optimizer steps K, 2K, ... and after its last step (the trainer's ``after_steps`` hook,
  :class:`holistic.train.pieces.Hooks`), in optimizer steps whatever the run's rows: the paper
  prunes after every epoch of 60,000 rows at batch 256, i.e. every 235 steps. The epoch's end
  then only logs (its weights are in general thickened, denser than p), so the model kept is the
  round's last (``selection = "last"``: pruned to p at its last step, as SparseVLR reports the
  trained model); the per-prune entries below are logged at each prune, with
  ``sparse_prune_epoch`` (the epoch, from 0, each prune fell in; shared by the models).

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

from ..train.pieces import piece_settings
from .magnitude_pruning import global_magnitude_masks, prune_
from .sparse_seeds import SeededSparse
from .sparse_trace import active, log_epoch, state_changes

#: ``train.dynamic_sparse``: the paper's seed and cadence (a prune after every epoch).
DEFAULTS = {"seed_scope": "global", "prune_every_steps": None}


class DynamicSparse(SeededSparse):
    """Registry entries ``dynamic_sparse`` (RSM -> RSM^T, SparseVLR), ``dynamic_sparse_pm``
    (PM -> PM^T), ``dynamic_sparse_ripm`` (RIPM -> RIPM^T); grid axis ``target_sparsity``;
    settings ``train.dynamic_sparse`` (:data:`DEFAULTS`)."""

    param_keys: tuple[str, ...] = ("train.dynamic_sparse",)

    def __init__(self, seed: str = "rsm", seed_scope: str = DEFAULTS["seed_scope"],
                 prune_every_steps: int | None = DEFAULTS["prune_every_steps"]):
        super().__init__(seed, seed_scope)
        K = prune_every_steps
        if K is not None and (isinstance(K, bool) or not isinstance(K, int) or K < 1):
            raise ValueError(f"train.dynamic_sparse.prune_every_steps: an integer >= 1 or null, got {K!r}")
        self.every_steps = K  # the trainer's cadence of after_steps (None: never; the epoch's end prunes)
        if K is not None:
            self.selection = "last"  # only the round's last step is a prune point among the epochs' ends

    def configured(self, settings: dict, box=None) -> "DynamicSparse":
        return type(self)(self.seed, **piece_settings(settings, "dynamic_sparse", DEFAULTS))

    def effective(self, params: dict[str, Tensor], state: dict, hp: dict, final: bool, t: int, T: int):
        """Thickening: the weights as they are (dormant ones at 0 until their gradients move them)."""
        self.ensure_seed(params, state, hp)
        return params, None

    def prune(self, params: dict[str, Tensor], state: dict, hp: dict, trace: dict) -> None:
        """Alg. 1 line 8: global magnitude pruning back to the target sparsity; logs the prune."""
        self.ensure_seed(params, state, hp)
        W = {n: params[n] for n in state["prunable"]}
        log_epoch(trace, "sparse_active_before_prune", active(W))
        masks = global_magnitude_masks(W, hp["target_sparsity"].tolist())
        log_epoch(trace, "sparse_state_changes", state_changes(state["masks"], masks))
        prune_(params, masks)
        state["masks"] = masks

    def after_steps(self, params: dict[str, Tensor], state: dict, hp: dict, epoch: int, done: int, final: bool,
                    trace: dict) -> None:
        """With ``prune_every_steps`` K: the prune after the round's steps K, 2K, ... and its last
        (``done``: the round's steps so far), and the epoch it fell in."""
        self.prune(params, state, hp, trace)
        trace.setdefault("sparse_prune_epoch", []).append(epoch)

    def end_epoch(self, params: dict[str, Tensor], state: dict, hp: dict, epoch: int, final: bool,
                  trace: dict) -> None:
        """The prune (unless ``prune_every_steps`` sets the cadence: :meth:`after_steps`); log the epoch."""
        self.ensure_seed(params, state, hp)
        if self.every_steps is None:
            self.prune(params, state, hp, trace)
        self.log(params, state, trace)
