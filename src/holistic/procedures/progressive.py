"""Progressive pruning (Guo et al. 2018, Sec. 4.1-4.2, after Han et al. 2015; registry key
``progressive``).

Train a dense reference, then m times: set to zero the fraction rho of the *nonzero* entries of
each layer's weights whose magnitudes are smallest, permanently, and retrain from the weights as
they are (continued training). The paper's m = 16, rho = 1/3. Each round a layer of n nonzero
weights loses ``floor(rho n)`` of them (:func:`pruned_count`): the binary linear model's 784
weights go 784, 523, 349, ..., 3, 2, i.e. 99.745 % sparsity after 16 rounds, the "99.74 %" of
the text (the closed form ``(2/3)^16`` would give 99.85 %). Pruning is uniform per layer (Sec.
4.2: "weight matrices/tensors within each layer is uniformly pruned"), so the network's
sparsity follows each layer's. Each round's model (``early_stopping``, by default the round's
last weights: the paper keeps the retrained model, no early stopping) and metrics are in
``TrainResult.rounds``: the 10 (m + 1) models of the paper are 10 references' rounds.
"""

from __future__ import annotations

import math
from fractions import Fraction

from torch import Tensor

from ..train.pieces import piece_settings
from .layer_pruning import LayerwisePruning, exact_rate, prune_smallest

DEFAULTS = {"prunes": 16, "rate": "1/3", "early_stopping": "last"}


def pruned_count(n: int, rho: Fraction) -> int:
    """How many of a layer's n nonzero weights a round sets to zero: ``floor(rho n)`` (exact)."""
    return math.floor(rho * n)


class ProgressivePruning(LayerwisePruning):
    """Registry entry ``progressive``: settings ``train.progressive`` (:data:`DEFAULTS`: the
    paper's 16 rounds at rho = 1/3)."""

    param_keys: tuple[str, ...] = ("train.progressive",)

    def __init__(self, prunes: int = DEFAULTS["prunes"], rate: float | str = DEFAULTS["rate"],
                 early_stopping: str = DEFAULTS["early_stopping"]):
        super().__init__(prunes, early_stopping)
        self.rate = exact_rate(rate)

    def configured(self, settings: dict, box=None) -> "ProgressivePruning":
        return ProgressivePruning(**piece_settings(settings, "progressive", DEFAULTS))

    def start_from(self, r: int) -> str:
        return "trained"

    def prune(self, theta: Tensor, m: Tensor, output: bool) -> Tensor:
        """Of the layer's n nonzero weights (kept and not exactly 0), ``floor(rho n)`` go; a kept
        weight that training left at exactly 0 counts as pruned."""
        nonzero = m & (theta != 0)
        counts = [pruned_count(n, self.rate) for n in nonzero.flatten(1).sum(dim=1).tolist()]
        return prune_smallest(theta, nonzero, counts)
