"""Iterative magnitude pruning (Cosentino et al. 2019, Sec. 4.1-4.2; registry key ``imp``), the
lottery-ticket search with three reset strategies.

With the mask ``m = 1`` at first: train, prune ``s %`` of each layer's remaining weights (the
smallest ``|theta|``: :func:`.layer_pruning.prune_smallest`), start the next round, repeat.
The rates (Sec. 4.2, LeNet-300-100): ``rate`` = 20 % for every layer but the output layer,
``output_rate`` = 10 % for it. A layer of n remaining weights loses ``round(s n)`` of them
(:func:`pruned_count`), so P_m after k prunes is the closed form of the paper up to a weight a
layer: for LeNet-300-100 without biases ``(265,200 * 0.8^k + 1,000 * 0.9^k) / 266,200``, i.e.
51.28, 16.88, 8.68, 3.58 and 1.85 % after 3, 8, 11, 15 and 18 prunes. (The public code prunes
every ``|w| <=`` the ``round(s n)``-th smallest: one weight more, and ties.)

What the next round starts from (``reset``, the loop's ``start_from``):

* ``init`` ("original", Strategy 1): the surviving weights rewound to their initial values
  theta_0, bit for bit (the paper's definition; the public code rewinds to the weights after
  the first round's training instead, a defect not reproduced);
* ``random`` (Strategy 2): a new initialisation theta'_0 ~ D_theta, another draw every round;
* ``continue`` ("continued", Strategy 3): the trained weights as they are.

Every round's Adam starts afresh (the loop's). Each round's model is its checkpoint of lowest
validation loss (``early_stopping: val_loss``, the paper's early-stopping criterion: the
method's own loss on the validation rows, i.e. the 50/50 adversarial loss for adversarial
training, as the public code's Keras validation loss), with its early-stopping iteration, in
``TrainResult.rounds``.
"""

from __future__ import annotations

from fractions import Fraction

from torch import Tensor

from ..train.pieces import piece_settings
from .layer_pruning import LayerwisePruning, exact_rate, prune_smallest

#: reset strategy -> what the loop starts the next round from (``holistic.train.pieces.ROUND_STARTS``)
RESETS = {"init": "initial", "random": "fresh", "continue": "trained"}

DEFAULTS = {"prunes": 20, "rate": 0.2, "output_rate": 0.1, "reset": "init", "early_stopping": "val_loss"}


def pruned_count(n: int, s: Fraction) -> int:
    """How many of a layer's n remaining weights rate s prunes: ``round(s n)`` (exact; half to even)."""
    return round(s * n)


class IterativeMagnitudePruning(LayerwisePruning):
    """Registry entry ``imp``: settings ``train.imp`` (:data:`DEFAULTS`: the paper's 20 prunes
    at 20 % / 10 % (output), reset to theta_0, early stopping on the validation loss)."""

    param_keys: tuple[str, ...] = ("train.imp",)

    def __init__(self, prunes: int = DEFAULTS["prunes"], rate: float | str = DEFAULTS["rate"],
                 output_rate: float | str = DEFAULTS["output_rate"], reset: str = DEFAULTS["reset"],
                 early_stopping: str = DEFAULTS["early_stopping"]):
        if reset not in RESETS:
            raise ValueError(f"train.imp.reset: {reset!r} is not one of {', '.join(RESETS)}")
        super().__init__(prunes, early_stopping)
        self.rate, self.output_rate, self.reset = exact_rate(rate), exact_rate(output_rate), reset

    def configured(self, settings: dict, box=None) -> "IterativeMagnitudePruning":
        return IterativeMagnitudePruning(**piece_settings(settings, "imp", DEFAULTS))

    def start_from(self, r: int) -> str:
        return RESETS[self.reset]

    def prune(self, theta: Tensor, m: Tensor, output: bool) -> Tensor:
        """``round(s n)`` of the layer's n kept weights go, s the layer's rate."""
        s = self.output_rate if output else self.rate
        return prune_smallest(theta, m, [pruned_count(n, s) for n in m.flatten(1).sum(dim=1).tolist()])
