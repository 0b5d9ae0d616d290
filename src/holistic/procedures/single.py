"""One training round of the weights (every method without a sparsification procedure)."""

from __future__ import annotations

from torch import Tensor


class Single:
    """Registry entry ``single``: one round, the network uses its weights as they are."""

    axes: tuple[str, ...] = ()
    param_keys: tuple[str, ...] = ()

    def n_rounds(self, cfg) -> int:
        return 1

    def init_state(self, params: dict[str, Tensor], prunable: list[str]) -> dict:
        return {}

    def trainable(self, state: dict, final: bool) -> list[Tensor]:
        return []

    def effective(self, params: dict[str, Tensor], state: dict, hp: dict, final: bool, t: int, T: int):
        return params, None

    def end_round(self, state: dict, r: int, n_rounds: int, hp: dict, trace: dict) -> None:
        return None
