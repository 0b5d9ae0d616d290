"""What a grid's training is told: :class:`TrainConfig` and the device it runs on."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass(frozen=True)
class TrainConfig:
    """How one grid is trained (``holistic.jobs.train.train_config`` reads it from the params)."""

    epochs: int
    batch_size: int
    rounds: int = 1          # multi-round procedures: soft-mask search rounds before the final round
    rewind_epoch: int = 1    # weights are rewound to this epoch of the first round between rounds
    seed: int = 0
    device: str = "cpu"
    robust_gradient: str = "jacobian"  # or "autograd": the general double-backprop path (reference)
    select_every_steps: int | None = None  # None: select at epoch ends; K: before steps 0, K, 2K, ...
    # (procedures with per-round results: after steps K, 2K, ... of each round and after its last)
    settings: dict = field(default_factory=dict)  # params train sub-sections the pieces read: {"imp": {...}}


def resolve_device(device: str) -> torch.device:
    """``auto``: CUDA where there is one, else the CPU; otherwise the device named."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)
