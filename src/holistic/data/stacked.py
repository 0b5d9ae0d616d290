"""The splits of one data set as stacked tensors ``[S, n, *input_shape]``, scaled per split.

Tables (``[S, n, p]``): scaling is fitted on each split's training rows only (no leakage
into validation or test rows); the fixed test set is therefore scaled once per split.
Images (``[S, n, C, H, W]``): pixels / 255 in the fixed box [0, 1], the same for every
split (``split.preprocessing`` is for tables; nothing is refitted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .fetch import load_dataset
from .preprocess import fit_scaler, input_box, transform
from .splits import load_splits


@dataclass
class SplitTensors:
    X_train: Tensor  # [S, n_train, M] float32
    y_train: Tensor  # [S, n_train] int64
    X_val: Tensor    # [S, n_val, M]
    y_val: Tensor    # [S, n_val]
    X_test: Tensor   # [S, n_test, M] (the same rows, scaled per split)
    y_test: Tensor   # [S, n_test]
    k: int
    box: tuple[float, float] | None

    @property
    def input_shape(self) -> tuple[int, ...]:
        """One input's shape: ``(p,)`` for a table, ``(C, H, W)`` for images."""
        return tuple(self.X_train.shape[2:])

    @property
    def n_features(self) -> int:
        return math.prod(self.input_shape)

    def to(self, device) -> "SplitTensors":
        return SplitTensors(*(getattr(self, f).to(device) for f in
                              ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test")),
                            self.k, self.box)


def stack_pixels(X: np.ndarray, y: np.ndarray, splits: dict) -> SplitTensors:
    """Images: uint8 pixels / 255 (float32, box [0, 1]), stacked per split; the test set is shared."""
    pixels = lambda rows: torch.from_numpy(X[rows]).to(torch.float32).div_(255.0)  # noqa: E731
    labels = lambda rows: torch.from_numpy(y[rows]).long()  # noqa: E731
    S, test = len(splits["train"]), pixels(splits["test"])
    return SplitTensors(
        X_train=torch.stack([pixels(t) for t in splits["train"]]), y_train=torch.stack([labels(t) for t in splits["train"]]),
        X_val=torch.stack([pixels(v) for v in splits["val"]]), y_val=torch.stack([labels(v) for v in splits["val"]]),
        X_test=test.unsqueeze(0).expand(S, *test.shape), y_test=labels(splits["test"]).unsqueeze(0).expand(S, -1),
        k=int(y.max()) + 1, box=(0.0, 1.0))


def stack_splits(X: np.ndarray, y: np.ndarray, splits: dict, mode: str) -> SplitTensors:
    """Scale every split with a scaler fitted on its own training rows and stack them
    (images: :func:`stack_pixels`, ``mode`` unused)."""
    if X.ndim == 4:
        return stack_pixels(X, y, splits)
    parts = {"X_train": [], "X_val": [], "X_test": []}
    for tr, va in zip(splits["train"], splits["val"]):
        scaler = fit_scaler(X[tr], mode)
        parts["X_train"].append(transform(X[tr], scaler, mode))
        parts["X_val"].append(transform(X[va], scaler, mode))
        parts["X_test"].append(transform(X[splits["test"]], scaler, mode))
    S = len(splits["train"])
    stacked = {key: torch.from_numpy(np.stack(v).astype(np.float32)) for key, v in parts.items()}
    return SplitTensors(
        X_train=stacked["X_train"], y_train=torch.from_numpy(np.stack([y[t] for t in splits["train"]])).long(),
        X_val=stacked["X_val"], y_val=torch.from_numpy(np.stack([y[v] for v in splits["val"]])).long(),
        X_test=stacked["X_test"], y_test=torch.from_numpy(np.tile(y[splits["test"]], (S, 1))).long(),
        k=int(y.max()) + 1, box=input_box(mode),
    )


def load_stacked(data_path, splits_path, mode: str) -> SplitTensors:
    """Stacked split tensors from the fetch stage's data file and the split stage's index file."""
    X, y, _ = load_dataset(data_path)
    return stack_splits(X, y, load_splits(splits_path), mode)
