"""The minibatches of a grid: every model draws from its own split's training rows."""

from __future__ import annotations

import torch
from torch import Tensor

from ..data.stacked import SplitTensors
from .seeds import batch_order_seed


class Batches:
    """Minibatches of every model: model g draws from its own split's training rows, in the
    order of a permutation drawn per split and epoch (``torch.randperm`` with the split's
    generator, one draw per split and epoch).

    The splits' rows are flattened once to ``[S * n_train, ...]``; an epoch's orders become
    row numbers ``split * n_train + order`` ``[G, n_train]``, and a step's batch is one
    ``index_select`` of those rows (the same values as indexing ``X_train[split, order]``).
    """

    def __init__(self, data: SplitTensors, split: Tensor, seed: int, batch_size: int):
        self.n_train = data.X_train.shape[1]
        self.batch_size = batch_size
        self.G = len(split)
        self.X = data.X_train.reshape(-1, *data.X_train.shape[2:])
        self.y = data.y_train.reshape(-1)
        self.split = split.tolist()
        self.offset = split[:, None] * self.n_train  # [G, 1]
        self.gen = {sp: torch.Generator().manual_seed(batch_order_seed(seed, sp)) for sp in sorted(set(self.split))}
        self.rows = None

    def states(self) -> dict[int, Tensor]:
        """Every split's generator state (``torch.Generator.get_state``): where its orders go on."""
        return {sp: g.get_state() for sp, g in self.gen.items()}

    def set_states(self, states: dict[int, Tensor]) -> None:
        for sp, g in self.gen.items():
            g.set_state(states[sp])

    def new_epoch(self) -> None:
        """Draw the epoch's permutation of every split (in increasing split order)."""
        perms = {sp: torch.randperm(self.n_train, generator=g) for sp, g in self.gen.items()}
        order = torch.stack([perms[sp] for sp in self.split]).to(self.offset.device)  # [G, n_train]
        self.rows = self.offset + order

    def batch(self, step: int) -> tuple[Tensor, Tensor]:
        """Inputs ``[G, B, ...]`` and labels ``[G, B]`` of the epoch's step ``step``."""
        idx = self.rows[:, step * self.batch_size:(step + 1) * self.batch_size].reshape(-1)
        x = self.X.index_select(0, idx)
        return x.view(self.G, -1, *x.shape[1:]), self.y.index_select(0, idx).view(self.G, -1)
