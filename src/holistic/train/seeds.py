"""The seeds of a grid's random draws: each a function of the run's seed and the model's split
(and the round, step and part where they differ), never of the grid or the chunk a model is
trained in, so a model draws the same alone or in any grid, on every rerun and after a resume."""

from __future__ import annotations

import hashlib


def model_seed(seed: int, split: int) -> int:
    """Seed of a model's initialisation: shared by all configurations on one split."""
    return 1_000_003 * seed + 7919 * split + 17


def batch_order_seed(seed: int, split: int) -> int:
    """Seed of a split's minibatch orders (:class:`holistic.train.batches.Batches`)."""
    return 1_000_003 * seed + 7919 * split + 29


def noise_seed(seed: int, split: int) -> int:
    """Seed of a noise-injected model's noise generator (:mod:`holistic.models.noise`): shared
    by all configurations on one split."""
    return 1_000_003 * seed + 7919 * split + 31


def derived_seed(*parts) -> int:
    """A 63-bit seed determined by ``parts`` (ints and strings): BLAKE2b of their text."""
    digest = hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def round_seed(seed: int, split: int, r: int) -> int:
    """Seed of a ``fresh`` initialisation of round ``r`` (round 0: :func:`model_seed`): shared by
    all configurations on one split, another draw every round."""
    return model_seed(seed, split) if r == 0 else derived_seed("init", seed, split, r)


def draw_seed(seed: int, split: int, step: int, part: str) -> int:
    """Seed of a stochastic loss's draws for a model on ``split`` at optimizer step ``step``
    (the steps before it, every round counted) on ``part`` (``train`` or ``val``)."""
    return derived_seed("draws", seed, split, step, part)
