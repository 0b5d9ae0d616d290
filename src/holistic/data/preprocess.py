"""Feature scaling, fitted on a split's training rows only (params ``split.preprocessing``).

``minmax``
    ``(X - min) / (max - min)`` with min/max of the training rows (constant
    columns: scale 1), then clipped to [0, 1]: validation/test rows may fall
    outside the training range, and clipping keeps every input inside the box
    the adversarial attack projects onto (:func:`input_box`).
``paper``
    The published code's scaling (``input_data.py`` of github.com/kimvc7/HDL):
    standardise with the training mean and standard deviation (population std,
    ``np.std``; zero std replaced by 1), then multiply by 1/255 as its
    ``_DataSet`` does for every float32 input. I.e. ``(X - mean) / (std * 255)``;
    no clipping, no input box.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParamsError

MODES = ("minmax", "paper")


def _check(mode: str) -> None:
    if mode not in MODES:
        raise ParamsError(f"field split.preprocessing: unknown mode {mode!r}; expected one of {MODES}")


def fit_scaler(X_train, mode: str) -> dict:
    """``{"shift": float64 [p], "scale": float64 [p]}`` fitted on ``X_train`` only."""
    _check(mode)
    X = np.asarray(X_train, dtype=np.float64)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"fit_scaler needs a non-empty 2-d array, got shape {X.shape}")
    if mode == "minmax":
        shift = X.min(axis=0)
        scale = X.max(axis=0) - shift
    else:
        shift = X.mean(axis=0)
        scale = X.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    if mode == "paper":
        scale = scale * 255.0
    return {"shift": shift, "scale": scale}


def transform(X, scaler: dict, mode: str) -> np.ndarray:
    """``(X - shift) / scale`` as float32; clipped to [0, 1] in ``minmax`` mode."""
    _check(mode)
    Z = (np.asarray(X, dtype=np.float64) - scaler["shift"]) / scaler["scale"]
    if mode == "minmax":
        Z = np.clip(Z, 0.0, 1.0)
    return Z.astype(np.float32)


def input_box(mode: str) -> tuple[float, float] | None:
    """The valid input range after :func:`transform`: (0, 1) for minmax, None for paper."""
    _check(mode)
    return (0.0, 1.0) if mode == "minmax" else None
