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

Straight to the paper's levels (``paper_prunes``, e.g. ``[3, 8, 11]``; null: ``prunes`` single
prunes): one prune per listed level, the j-th taking each layer from its count after k_{j-1} of
the paper's prunes (k_0 = 0) to its count after k_j of them (:func:`kept_after`: the count rule
applied k_j - k_{j-1} times), so the layer counts and P_m are exactly those of k_j single prunes;
the weights removed are the smallest ``|theta|`` of the round's trained kept weights, all at
once. The rounds' levels, and so the number of prunes, come from :func:`paper_levels` alone
(:func:`n_prunes`).

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

DEFAULTS = {"prunes": 20, "paper_prunes": None, "rate": 0.2, "output_rate": 0.1, "reset": "init",
            "early_stopping": "val_loss"}
#: The setting of the paper's levels, as errors name it.
PAPER_PRUNES = "train.imp.paper_prunes"


def pruned_count(n: int, s: Fraction) -> int:
    """How many of a layer's n remaining weights rate s prunes: ``round(s n)`` (exact; half to even)."""
    return round(s * n)


def kept_after(n: int, s: Fraction, times: int) -> int:
    """A layer's remaining weights after ``times`` prunes at rate s from n: :func:`pruned_count`
    applied ``times`` times in sequence."""
    for _ in range(times):
        n -= pruned_count(n, s)
    return n


def paper_prunes_error(value) -> str | None:
    """Why ``value`` is no ``train.imp.paper_prunes`` (a non-empty, strictly increasing list of
    integers >= 1, or None); None where it is one."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not value:
        return f"a non-empty list of the paper's prune counts (or null), got {value!r}"
    bad = [v for v in value if isinstance(v, bool) or not isinstance(v, int) or v < 1]
    if bad:
        return f"prune counts are integers >= 1 (the paper's prunes each level is reached after), got {bad[0]!r}"
    down = next(((a, b) for a, b in zip(value, value[1:]) if b <= a), None)
    if down is not None:
        return f"prune counts must be strictly increasing (each prune goes further), got {down[1]} after {down[0]}"
    return None


def levels_of(prunes: int, paper_prunes) -> tuple[int, ...]:
    """``(k_0 = 0, k_1, ..., k_J)``: round r's model has the layer counts of k_r of the paper's
    single prunes; ``range(prunes + 1)`` where ``paper_prunes`` is None (``prunes`` not read
    otherwise). ValueError naming ``train.imp.paper_prunes`` for a bad list."""
    why = paper_prunes_error(paper_prunes)
    if why is not None:
        raise ValueError(f"{PAPER_PRUNES}: {why}")
    return tuple(range(int(prunes) + 1)) if paper_prunes is None else (0, *paper_prunes)


def paper_levels(settings: dict) -> tuple[int, ...]:
    """:func:`levels_of` the settings ``train.imp`` (``settings``: the ``train`` sections, e.g.
    ``TrainConfig.settings`` or the params' ``train``), over :data:`DEFAULTS`."""
    s = piece_settings(settings, "imp", DEFAULTS)
    return levels_of(s["prunes"], s["paper_prunes"])


def n_prunes(settings: dict) -> int:
    """The run's number of prunes (rounds: one more), the only reader of ``prunes`` / ``paper_prunes``."""
    return len(paper_levels(settings)) - 1


class IterativeMagnitudePruning(LayerwisePruning):
    """Registry entry ``imp``: settings ``train.imp`` (:data:`DEFAULTS`: the paper's 20 prunes
    at 20 % / 10 % (output), reset to theta_0, early stopping on the validation loss)."""

    param_keys: tuple[str, ...] = ("train.imp",)

    def __init__(self, prunes: int = DEFAULTS["prunes"], rate: float | str = DEFAULTS["rate"],
                 output_rate: float | str = DEFAULTS["output_rate"], reset: str = DEFAULTS["reset"],
                 early_stopping: str = DEFAULTS["early_stopping"], paper_prunes: list[int] | None = None):
        if reset not in RESETS:
            raise ValueError(f"train.imp.reset: {reset!r} is not one of {', '.join(RESETS)}")
        self.levels = levels_of(prunes, paper_prunes)
        super().__init__(len(self.levels) - 1, early_stopping)
        self.rate, self.output_rate, self.reset = exact_rate(rate), exact_rate(output_rate), reset

    def configured(self, settings: dict, box=None) -> "IterativeMagnitudePruning":
        return IterativeMagnitudePruning(**piece_settings(settings, "imp", DEFAULTS))

    def check(self, train: dict) -> tuple[str, str] | None:
        """``(field, reason)`` where the params' ``train`` has a bad ``imp.paper_prunes``, else None
        (``holistic.methods.Method.check_training``: before any job runs)."""
        why = paper_prunes_error((train.get("imp") or {}).get("paper_prunes"))
        return None if why is None else (PAPER_PRUNES, why)

    def n_rounds(self, cfg) -> int:
        """The dense training, then one round after each prune (:func:`n_prunes`)."""
        return n_prunes(cfg.settings) + 1

    def start_from(self, r: int) -> str:
        return RESETS[self.reset]

    def after_round(self, params: dict[str, Tensor], state: dict, hp: dict, r: int, final: bool, trace: dict) -> None:
        """After every round r but the final one: each layer's mask from its count after
        ``levels[r]`` of the paper's prunes to its count after ``levels[r + 1]``, by the smallest
        ``|theta|`` of the round's trained weights (their last values), in one prune."""
        if final:
            return
        times = self.levels[r + 1] - self.levels[r]
        masks = state["masks"]
        names = list(masks)
        for l, n in enumerate(names):
            masks[n] = self.prune(params[n].detach(), masks[n], l == len(names) - 1, times)

    def prune(self, theta: Tensor, m: Tensor, output: bool, times: int = 1) -> Tensor:
        """The layer's n kept weights go down to ``kept_after(n, s, times)`` (one prune:
        ``round(s n)`` of them go), s the layer's rate."""
        s = self.output_rate if output else self.rate
        return prune_smallest(theta, m, [n - kept_after(n, s, times) for n in m.flatten(1).sum(dim=1).tolist()])
