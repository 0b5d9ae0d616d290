"""Training procedures: the round structure of a method, as hooks of the generic loop
(``holistic.train.loop``): ``n_rounds``, ``init_state``, ``trainable``, ``effective``
(the weights the network uses and a penalty) and ``end_round``; optional hooks, run under
``torch.no_grad`` on the stacked parameters ``[G, ...]``: ``after_step(params, state, hp, final)``
after every optimizer step, ``after_steps(params, state, hp, epoch, done, final, trace)`` after a
round's steps K, 2K, ... and its last (``every_steps`` K) and ``end_epoch(params, state, hp,
epoch, final, trace)`` after each epoch's last step (before the epoch's validation); and, described
in ``holistic.train.pieces``, ``configured(settings, box)``, ``start_from(r)`` (what a round starts from: the rewind point,
the initial weights, a fresh draw or the trained weights), ``after_round(params, state, hp, r,
final, trace)`` and ``round_results`` with ``selection`` (a checkpoint and metrics per round).
One line per procedure.
"""

from .admm import ADMM
from .continuous_sparsification import ContinuousSparsification
from .imp import IterativeMagnitudePruning
from .progressive import ProgressivePruning
from .dynamic_sparse import DynamicSparse
from .rgsm import RGSM
from .rvsm import RVSM
from .single import Single
from .sparse_trace import WeightTrace
from .static_sparse import PrunedOnly, StaticSparse

PROCEDURES = {
    "single": Single(),
    "single_traced": WeightTrace(),                            # ... logging the weights' histogram (SparseVLR App. D)
    "continuous_sparsification": ContinuousSparsification(),   # Section 3.3, eq. (9)
    "imp": IterativeMagnitudePruning(),                        # Cosentino et al. Sec. 4.1 (lottery tickets)
    "progressive": ProgressivePruning(),                       # Guo et al. Sec. 4.1 (floor(n/3) a round)
    "dynamic_sparse": DynamicSparse("rsm"),                    # SparseVLR Alg. 1 from a random sparse seed (RSM^T)
    "dynamic_sparse_pm": DynamicSparse("pm"),                  # ... from the pruned dense model (PM^T)
    "dynamic_sparse_ripm": DynamicSparse("ripm"),              # ... from PM's mask on random weights (RIPM^T)
    "static_sparse_pm": StaticSparse("pm"),                    # PM fine-tuned under its fixed mask (Fig. 1 (ii))
    "pruned_pm": PrunedOnly("pm"),                             # PM alone: the dense model pruned, not retrained
    "rvsm": RVSM(),                                            # Dinh et al. Alg. 1, eq. (4)
    "rgsm": RGSM(),                                            # Dinh et al. Alg. 2, eqs. (5)-(6)
    "admm": ADMM(),                                            # ADMM pruning, W counted as is (Table 4)
    "admm_channel": ADMM(channel=True),                        # ... by input channel
    "admm_project": ADMM(project=True),                        # ... + final projection, masked retraining
    "admm_channel_project": ADMM(channel=True, project=True),  # ... by input channel
    "admm_project_matched": ADMM(project=True, matched=RVSM()),  # admm_project at its RVSM source's sparsity
    "admm_channel_project_matched": ADMM(channel=True, project=True, matched=RGSM()),  # ... channel, RGSM's
}
