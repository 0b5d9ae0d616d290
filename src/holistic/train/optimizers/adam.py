"""The optimizer piece ``adam``: :class:`holistic.train.adam.StackedAdam` (Kingma & Ba, PyTorch's
defaults ``betas = (0.9, 0.999)``, ``eps = 1e-8``, no weight decay), one learning rate per model.
The platform's default: the optimizer every method had before optimizers became pieces, built as
it was (the same bits)."""

from __future__ import annotations

from torch import Tensor

from ..adam import StackedAdam


class Adam:
    """Adam over the stacked parameters; its only per-model hyperparameter is the grid's ``lr``."""

    axes: tuple[str, ...] = ()
    param_keys: tuple[str, ...] = ()

    def make(self, params: list[Tensor], hp: dict[str, Tensor], decayed: list[bool]) -> StackedAdam:
        """A fresh Adam over ``params`` at the rates ``hp["lr"]`` (``decayed`` is unused: no weight decay)."""
        return StackedAdam(params, hp["lr"])
