"""The length of a training round: optimizer steps per epoch and epochs per round.

Read by the trainer (:mod:`holistic.train.loop`), the chunking (:mod:`holistic.train.chunks`),
the train job and the studies' protocols (the steps a run takes); no ``torch`` import.
"""

from __future__ import annotations

import math


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    """Optimizer steps of one epoch: ``ceil(n_train / batch_size)`` (the last batch may be short)."""
    return math.ceil(n_train / batch_size)


def epochs_per_round(epochs: int, n_train: int, batch_size: int, max_steps: int | None = None,
                     min_steps: int | None = None) -> int:
    """Epochs of one training round: ``train.epochs``, raised to the fewest whole epochs of at
    least ``min_steps`` optimizer steps when ``train.min_steps_per_round`` is set (the published
    HDL code's floor, ``max(epochs, 3000 / iters_per_epoch)``: defect 8 of
    ``original_code_notes.md``), then, when ``train.max_steps_per_round`` (``max_steps``) is set
    and the round would take more steps than that, cut to the most whole epochs that stay
    within it (at least one). A round has ``ceil(n_train / batch_size)`` steps per epoch; the
    cap only shortens rounds on large data sets (the ``uci`` profile caps skin-segmentation),
    the floor only lengthens them on small ones."""
    spe = steps_per_epoch(n_train, batch_size)
    if min_steps is not None:
        epochs = max(epochs, math.ceil(min_steps / spe))
    if max_steps is None:
        return epochs
    return max(1, min(epochs, max_steps // spe))
