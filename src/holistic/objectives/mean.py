"""The nominal reduction of eq. (3): the mean of the per-sample losses of a batch."""

from __future__ import annotations

from torch import Tensor


class Mean:
    """Registry entry ``mean``: no state, no grid axis."""

    axes: tuple[str, ...] = ()
    param_keys: tuple[str, ...] = ()

    def init_state(self, G: int, device) -> dict[str, Tensor]:
        return {}

    def reduce(self, losses: Tensor, state: dict[str, Tensor], hp: dict) -> Tensor:
        """``[G, B]`` -> ``[G]``."""
        return losses.mean(dim=1)
