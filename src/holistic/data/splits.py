"""Seeded, stratified train/validation/test splits (row indices into ``X``/``y``).

One test set, fixed for the data set, then ``n_splits`` random train/validation
splits of the remaining rows, each holding out ``val_fraction`` *of those remaining
rows* for validation. Every split therefore has the same ``n_train`` and ``n_val``.
The test set is, by mode (params ``split.mode``):

``random``
    a stratified ``test_fraction`` of all rows (the project's protocol for tables);
``official``
    the data set's official test set (MNIST, Fashion-MNIST, CIFAR-10: the rows from
    ``test_start`` on), as the HDL paper's code does; train/validation come from the
    official training rows;
``auto`` (default)
    ``official`` where the data set has an official test set, else ``random``;
``published``
    the HDL paper's published code, exactly (``../shared/reference/original_code_notes.md``,
    "The published splits"): scikit-learn ``train_test_split(X, Y, test_size=1/5,
    random_state=0)`` for the test set (not stratified, the same rows in every run), and
    for split e ``train_test_split(rest, test_size=int(0.2 * len(rest)),
    random_state=4557077 * (e + 1))`` for validation. Indices are kept in that code's order
    (the test set's order is the published ``<stem>_test_rows.txt``). ``test_fraction`` and
    ``val_fraction`` play the roles of 1/5 and 0.2; ``seed`` is not used (the published
    seeds are), and there is no subsampling.

``max_trainval_rows`` / ``max_test_rows`` (default: all) take a seeded, stratified
subsample of the train/validation pool / of the test set: a slice for quick runs.
All draws are stratified by class; where a class is too small to stratify, that draw
falls back to a plain random split with a warning. Seeds are derived from ``seed``
with ``numpy.random.SeedSequence([seed, i])`` (i = 0 for the test set, s + 1 for
split s, 1,000,001 and 1,000,002 for the subsamples).

Per-data-set settings: ``split.per_dataset.<name>`` overrides any of these keys for one
data set (:func:`split_params`).
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import numpy as np

from ..errors import DataError
from .fetch import save_npz

KEYS = ("test", "train", "val")
MODES = ("auto", "random", "official", "published")
PUBLISHED_TEST_SEED = 0             # random_state of the published test split
PUBLISHED_VAL_SEED = 4_557_077      # split e: random_state = PUBLISHED_VAL_SEED * (e + 1)


def split_params(params: dict, dataset: str) -> dict:
    """The ``split`` section for one data set: ``split`` with ``split.per_dataset.<dataset>`` on top."""
    sp = {k: v for k, v in params["split"].items() if k != "per_dataset"}
    return {**sp, **(params["split"].get("per_dataset") or {}).get(dataset, {})}


def _seed(seed: int, i: int) -> int:
    return int(np.random.SeedSequence([int(seed), i]).generate_state(1)[0])


def _split(pool: np.ndarray, labels: np.ndarray, fraction: float, seed: int, what: str):
    """(keep, held_out) index arrays, sorted; stratified if possible."""
    from sklearn.model_selection import train_test_split  # here: train/attack jobs never need it

    try:
        keep, held = train_test_split(pool, test_size=fraction, random_state=seed, stratify=labels)
    except ValueError as exc:
        warnings.warn(f"{what}: cannot stratify ({exc}); using a non-stratified split", stacklevel=3)
        try:
            keep, held = train_test_split(pool, test_size=fraction, random_state=seed)
        except ValueError as exc2:
            raise DataError(f"{what}: cannot split {len(pool)} rows: {exc2}") from None
    return np.sort(keep).astype(np.int64), np.sort(held).astype(np.int64)


def _subsample(pool: np.ndarray, y: np.ndarray, rows: int | None, seed: int, what: str) -> np.ndarray:
    """A seeded stratified subsample of ``rows`` of ``pool`` (all of it when ``rows`` is None or larger)."""
    if rows is None or rows >= len(pool):
        return pool
    _, kept = _split(pool, y[pool], int(rows), seed, what)
    return kept


def shuffle_split(n: int, n_test: int, random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's ``train_test_split(..., test_size=n_test, random_state=random_state)``
    on ``n`` rows, as positions: (train int64 [n - n_test], test int64 [n_test]), in the order
    that function returns them: ``perm = RandomState(random_state).permutation(n)``, test
    ``perm[:n_test]``, train ``perm[n_test:]`` (numpy's legacy RandomState stream is frozen)."""
    perm = np.random.RandomState(random_state).permutation(n).astype(np.int64)
    return perm[n_test:], perm[:n_test]


def published_splits(n: int, n_splits: int, test_fraction: float = 0.2, val_fraction: float = 0.2) -> dict:
    """The published code's splits of ``n`` rows (mode ``published``, module doc).

    Test: ``ceil(test_fraction * n)`` rows (scikit-learn's count for a float ``test_size``)
    drawn with random_state 0; split e: ``int(val_fraction * len(rest))`` validation rows of
    the rest drawn with random_state ``4557077 * (e + 1)``. Returns ``test`` [n_test],
    ``train`` [S, n_train], ``val`` [S, n_val] (int64 row indices, the code's order)."""
    rest, test = shuffle_split(n, math.ceil(test_fraction * n), PUBLISHED_TEST_SEED)
    n_val = int(val_fraction * len(rest))
    if n_val == 0 or n_val == len(rest):
        raise DataError(f"published split of {n} rows: empty part ({len(rest) - n_val} train, {n_val} val rows)")
    trains, vals = [], []
    for e in range(n_splits):
        tr, va = shuffle_split(len(rest), n_val, PUBLISHED_VAL_SEED * (e + 1))
        trains.append(rest[tr])
        vals.append(rest[va])
    return {"test": test, "train": np.stack(trains), "val": np.stack(vals)}


def make_splits(y, n_splits: int, test_fraction: float, val_fraction: float, seed: int,
                test_start: int | None = None, mode: str = "auto",
                max_trainval_rows: int | None = None, max_test_rows: int | None = None) -> dict:
    """Index splits of ``y``: ``test`` int64 [n_test], ``train`` int64 [S, n_train], ``val`` int64 [S, n_val].

    ``test_start``: the first row of the data set's official test set (None: it has none).
    """
    y = np.asarray(y).reshape(-1)
    if n_splits < 1:
        raise DataError(f"n_splits must be >= 1, got {n_splits}")
    if mode not in MODES:
        raise DataError(f"split mode must be one of {MODES}, got {mode!r}")
    if mode == "official" and test_start is None:
        raise DataError("split mode 'official' needs a data set with an official test set (an image set)")
    if mode == "published":
        if test_start is not None:
            raise DataError("split mode 'published' is the HDL code's split of a UCI table; "
                            "this data set has an official test set (use 'official' or 'auto')")
        if max_trainval_rows is not None or max_test_rows is not None:
            raise DataError("split mode 'published' takes every row: max_trainval_rows and "
                            "max_test_rows must be unset")
        return published_splits(len(y), n_splits, test_fraction, val_fraction)
    idx = np.arange(len(y), dtype=np.int64)
    if mode == "random" or test_start is None:
        rest, test = _split(idx, y, test_fraction, _seed(seed, 0), "test split")
    else:
        rest, test = idx[:test_start], idx[test_start:]
    rest = _subsample(rest, y, max_trainval_rows, _seed(seed, 1_000_001), "train/val subsample")
    test = _subsample(test, y, max_test_rows, _seed(seed, 1_000_002), "test subsample")
    trains, vals = [], []
    for s in range(n_splits):
        tr, va = _split(rest, y[rest], val_fraction, _seed(seed, s + 1), f"train/val split {s}")
        if len(tr) == 0 or len(va) == 0:
            raise DataError(f"train/val split {s}: empty part ({len(tr)} train, {len(va)} val rows)")
        trains.append(tr)
        vals.append(va)
    return {"test": test, "train": np.stack(trains), "val": np.stack(vals)}


def save_splits(path: str | os.PathLike, splits: dict) -> None:
    """Atomically write ``splits`` (keys test, train, val) as a reproducible .npz."""
    save_npz(path, **{k: np.asarray(splits[k], dtype=np.int64) for k in KEYS})


def load_splits(path: str | os.PathLike) -> dict:
    """Read splits written by :func:`save_splits`."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: splits file not found")
    try:
        with np.load(path, allow_pickle=False) as z:
            out = {k: z[k] for k in KEYS}
    except (KeyError, ValueError, OSError) as exc:
        raise DataError(f"{path}: not a splits file (.npz with test, train, val): {exc}") from None
    if out["test"].ndim != 1 or out["train"].ndim != 2 or out["val"].ndim != 2 \
            or len(out["train"]) != len(out["val"]):
        raise DataError(f"{path}: inconsistent split shapes "
                        f"test{out['test'].shape} train{out['train'].shape} val{out['val'].shape}")
    return out
