"""Fetch one data set into ``data/raw/<name>.npz``: ``X`` float64 [n, p] (tables) or uint8
[n, C, H, W] (images, with ``test_start``: the first row of the official test set), ``y`` int64 [n].

Sources (where the files come from: params section ``data.<section>``, see
:attr:`holistic.data.registry.DatasetInfo.section`, with ``mirror`` a local directory, or
``url`` a template):

* ``bundled``: scikit-learn's built-in copy (no network), checked against the
  registry's checksum of its canonical bytes (see :mod:`holistic.data.registry`).
* ``uci``: the published preprocessed CSVs ``<stem>_X.csv`` / ``<stem>_Y.csv``,
  read from ``uci["mirror"]`` (a local directory) when set, else downloaded from
  ``uci["url"]`` (or :data:`DEFAULT_UCI_URL`), a template with ``{stem}`` and
  ``{part}`` (``X`` or ``Y``). The SHA-256 of the raw bytes is checked before
  parsing; the parser is strict and every error names the file (and line, column).
* ``idx``: the four gzip'd IDX files of MNIST / Fashion-MNIST (``{file}`` in ``url``), each
  checked against the registry's SHA-256, read by :mod:`holistic.data.idx` (errors name the
  file and byte offset); the 60,000 training images, then the 10,000 official test images.
* ``cifar``: the CIFAR-10 binary archive (``{file}`` in ``url``), checked against the
  registry's SHA-256 or ``data.cifar10.sha256`` (another copy), read by
  :mod:`holistic.data.cifar` without unpickling or extracting; ``data.cifar10.grayscale``
  turns RGB into one BT.601 luma channel (Table A1's p = 1024).

Labels are re-coded to ``0..k-1`` in ``np.unique`` order. The output is written
atomically and byte-for-byte reproducibly (fixed zip timestamps), so a failure
leaves nothing behind and a re-run gives an identical file.
"""

from __future__ import annotations

import hashlib
import io
import os
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import DataError, ParamsError
from ..io import atomic_path
from .registry import DatasetInfo

# The published preprocessed UCI CSVs have no public per-file URL that could be
# pinned: the paper's repository (github.com/kimvc7/HDL) ships the UCI sets only as
# pickles (HDLParallel/UCI/data<N>.pickle), not as <stem>_X.csv. Set
# ``data.uci.url`` (or ``data.uci.mirror``) in params.yaml instead.
DEFAULT_UCI_URL: str | None = None
DOWNLOAD_TIMEOUT_S = 60.0
PARTS = ("X", "Y")


# ----------------------------------------------------------------------------- output

def save_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """Atomically write ``arrays`` as an uncompressed .npz readable by ``np.load``.

    Unlike ``np.savez`` the zip entries carry a fixed timestamp, so equal arrays
    give byte-identical files (stable DVC/Snakemake hashes).
    """
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as zf:
            for key in sorted(arrays):
                buf = io.BytesIO()
                np.lib.format.write_array(buf, np.ascontiguousarray(arrays[key]), allow_pickle=False)
                zi = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                zi.external_attr = 0o644 << 16
                zf.writestr(zi, buf.getvalue())


class Fetched(NamedTuple):
    """A fetched data set: ``X`` float64 [n, p] or uint8 pixels [n, C, H, W], ``y`` int64 [n], and
    for images the first row of the official test set (``None`` for tables)."""

    X: np.ndarray
    y: np.ndarray
    test_start: int | None = None

    @property
    def image(self) -> bool:
        return self.X.ndim == 4

    def describe(self) -> str:
        shape = f"image={'x'.join(map(str, self.X.shape[1:]))}" if self.image else f"p={self.X.shape[1]}"
        return f"n={len(self.X)} {shape} k={int(self.y.max()) + 1}"


def load_dataset(path: str | os.PathLike) -> Fetched:
    """Read a fetched data set (see :class:`Fetched`)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: data file not found")
    try:
        with np.load(path, allow_pickle=False) as z:
            X, y = z["X"], z["y"]
            test_start = int(z["test_start"].reshape(-1)[0]) if "test_start" in z.files else None
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: not a fetched data set (.npz with X and y): {exc}") from None
    if X.ndim not in (2, 4) or y.ndim != 1 or len(X) != len(y) or (X.ndim == 4) != (test_start is not None):
        raise DataError(f"{path}: inconsistent shapes X{X.shape} y{y.shape}")
    return Fetched(X, y, test_start)


# ----------------------------------------------------------------------------- sources

def _canonical_sha256(a: np.ndarray, dtype: str) -> str:
    return hashlib.sha256(np.ascontiguousarray(a, dtype=dtype).tobytes()).hexdigest()


def _load_bundled(info: DatasetInfo) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets

    loader = getattr(datasets, info.stem, None)
    if loader is None or not info.stem.startswith("load_"):
        raise DataError(f"data set '{info.name}': no scikit-learn loader '{info.stem}'")
    X, y = loader(return_X_y=True)
    where = f"sklearn.datasets.{info.stem}"
    for part, arr, dtype, want in (("X", X, "<f8", info.sha256_x), ("y", y, "<i8", info.sha256_y)):
        got = _canonical_sha256(arr, dtype)
        if got != want:
            raise DataError(
                f"{where} ({part}): sha256 {got} does not match the registry's {want} "
                "(a different scikit-learn version may ship different data)")
    return np.asarray(X, dtype=np.float64), np.asarray(y)


def mirror_dir(mirror: str) -> Path:
    """A ``mirror`` directory of params: an absolute path as it is; a relative one (the default
    ``../shared/data/...``) is relative to the project, i.e. to ``$DVC_ROOT`` when DVC runs the
    stage (``dvc exp run --temp`` / ``--queue`` run it in a copy under ``.dvc/tmp/exps/``, where
    the working directory is not the project) and to the working directory otherwise."""
    path = Path(mirror)
    if path.is_absolute():
        return path
    return Path(os.environ.get("DVC_ROOT", ".")) / path


def _read_bytes(info: DatasetInfo, filename: str, source: dict, **fields: str) -> tuple[bytes, str]:
    """Raw bytes of ``filename`` from the data set's source and a label (path or URL) for
    messages: ``<mirror>/<filename>``, or the ``url`` template filled with ``fields``."""
    section = f"data.{info.section}"
    mirror = source.get("mirror")
    if mirror:
        path = mirror_dir(mirror) / filename
        if not path.is_file():
            raise DataError(f"{path}: file not found (data set '{info.name}', field {section}.mirror)")
        return path.read_bytes(), str(path)
    template = source.get("url") or (DEFAULT_UCI_URL if info.source == "uci" else None)
    if not template:
        raise ParamsError(
            f"data set '{info.name}' needs a source: set field {section}.mirror or {section}.url")
    try:
        url = template.format(**fields)
    except (KeyError, IndexError, ValueError) as exc:
        raise ParamsError(f"field {section}.url: bad template {template!r}: {exc}") from None
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as resp:
            return resp.read(), url
    except urllib.error.HTTPError as exc:
        raise DataError(f"{url}: download failed: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise DataError(f"{url}: download failed: {exc.reason}") from None
    except (OSError, ValueError) as exc:  # timeouts, connection resets, malformed URLs
        raise DataError(f"{url}: download failed: {exc}") from None


def _check_sha256(raw: bytes, want: str, where: str) -> None:
    got = hashlib.sha256(raw).hexdigest()
    if got != want.lower():
        raise DataError(f"{where}: sha256 mismatch: got {got}, registry has {want}")


def parse_csv(raw: bytes, where: str) -> np.ndarray:
    """Strictly parse headerless comma-separated numbers into float64 [rows, cols].

    Every row must have the first row's number of columns, every cell must be a
    finite float. Errors name ``where``, the 1-based line and (for cells) the column.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{where}: not UTF-8 text: {exc}") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # final newline
    if not lines:
        raise DataError(f"{where}: no rows")
    rows: list[list[float]] = []
    width = None
    for lineno, line in enumerate(lines, start=1):
        cells = line.rstrip("\r").split(",")
        if width is None:
            width = len(cells)
        elif len(cells) != width:
            raise DataError(f"{where}: line {lineno}: {len(cells)} columns, expected {width} (as on line 1)")
        try:
            if "_" in line:
                raise ValueError
            row = [float(c) for c in cells]
        except ValueError:
            for col, c in enumerate(cells, start=1):
                try:
                    if "_" in c:
                        raise ValueError
                    float(c)
                except ValueError:
                    raise DataError(
                        f"{where}: line {lineno}, column {col}: not a number: {c!r}") from None
            raise AssertionError("unreachable")  # pragma: no cover
        if not np.all(np.isfinite(row)):
            col = int(np.flatnonzero(~np.isfinite(row))[0]) + 1
            raise DataError(
                f"{where}: line {lineno}, column {col}: non-finite value {cells[col - 1].strip()!r}")
        rows.append(row)
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), width)


def _load_uci(info: DatasetInfo, uci: dict) -> tuple[np.ndarray, np.ndarray]:
    raw_x, where_x = _read_bytes(info, f"{info.stem}_X.csv", uci, stem=info.stem, part="X")
    raw_y, where_y = _read_bytes(info, f"{info.stem}_Y.csv", uci, stem=info.stem, part="Y")
    _check_sha256(raw_x, info.sha256_x, where_x)
    _check_sha256(raw_y, info.sha256_y, where_y)
    X = parse_csv(raw_x, where_x)
    Y = parse_csv(raw_y, where_y)
    if Y.shape[1] != 1:
        raise DataError(f"{where_y}: labels must be one column, found {Y.shape[1]}")
    if len(Y) != len(X):
        raise DataError(f"{where_x} has {len(X)} rows but {where_y} has {len(Y)}")
    return X, Y[:, 0]


def _read_checked(info: DatasetInfo, filename: str, source: dict, sha256: str) -> tuple[bytes, str]:
    raw, where = _read_bytes(info, filename, source, file=filename)
    _check_sha256(raw, sha256, where)
    return raw, where


def _load_idx(info: DatasetInfo, source: dict) -> tuple[np.ndarray, np.ndarray, int]:
    """MNIST-like IDX files: pixels uint8 [n, 1, H, W] (training rows first), labels, n_train."""
    from . import idx

    (sx_train, sx_test), (sy_train, sy_test) = info.sha256_x.split(";"), info.sha256_y.split(";")
    parts = {}
    for key, magic, sha in (("train_images", idx.IMAGES_MAGIC, sx_train), ("train_labels", idx.LABELS_MAGIC, sy_train),
                            ("test_images", idx.IMAGES_MAGIC, sx_test), ("test_labels", idx.LABELS_MAGIC, sy_test)):
        raw, where = _read_checked(info, idx.FILES[key], source, sha)
        parts[key] = (idx.read_idx(raw, where, magic), where)
    for part in ("train", "test"):
        (images, wi), (labels, wl) = parts[f"{part}_images"], parts[f"{part}_labels"]
        if len(images) != len(labels):
            raise DataError(f"{wi} has {len(images)} images but {wl} has {len(labels)} labels")
    X = np.concatenate([parts["train_images"][0], parts["test_images"][0]])[:, None]
    y = np.concatenate([parts["train_labels"][0], parts["test_labels"][0]])
    return X, y, len(parts["train_images"][0])


def _load_cifar(info: DatasetInfo, source: dict) -> tuple[np.ndarray, np.ndarray, int]:
    """The CIFAR-10 binary archive: pixels uint8 [n, 3 (or 1), 32, 32], labels, n_train."""
    from . import cifar

    raw, where = _read_checked(info, info.stem, source, source.get("sha256") or info.sha256_x)
    parts = cifar.read_cifar10(raw, where)
    X = np.concatenate([parts["train_images"], parts["test_images"]])
    if source.get("grayscale"):
        X = cifar.to_grayscale(X)
    return X, np.concatenate([parts["train_labels"], parts["test_labels"]]), len(parts["train_images"])


def class_subset(X: np.ndarray, y: np.ndarray, test_start: int | None, classes: tuple[int, ...]):
    """The rows whose raw label is one of ``classes`` (order kept), and the new first test row."""
    keep = np.isin(y, classes)
    start = None if test_start is None else int(keep[:test_start].sum())
    return X[keep], y[keep], start


# ----------------------------------------------------------------------------- entry point

def fetch(info: DatasetInfo, source: dict | None, out_path: str | os.PathLike) -> None:
    """Fetch, verify and parse data set ``info``; write ``out_path`` (.npz) atomically.

    ``source`` is the data set's params section ``data.<info.section>`` (``mirror``, ``url``;
    for CIFAR-10 also ``grayscale``, ``sha256``); ignored for bundled sets. On any error
    nothing is written.
    """
    source = source or {}
    test_start = None
    if info.source == "bundled":
        X, y_raw = _load_bundled(info)
    elif info.source == "uci":
        X, y_raw = _load_uci(info, source)
    elif info.source == "idx":
        X, y_raw, test_start = _load_idx(info, source)
    elif info.source == "cifar":
        X, y_raw, test_start = _load_cifar(info, source)
    else:
        raise DataError(f"data set '{info.name}': unknown source '{info.source}'")
    if info.classes:
        X, y_raw, test_start = class_subset(X, y_raw, test_start, info.classes)
    classes, y = np.unique(y_raw, return_inverse=True)
    y = y.astype(np.int64).reshape(-1)
    p = int(np.prod(X.shape[1:]))
    want_p = info.p // 3 if info.source == "cifar" and source.get("grayscale") else info.p
    got = (X.shape[0], p, len(classes))
    if got != (info.n, want_p, info.k):
        raise DataError(
            f"data set '{info.name}': parsed (n, p, k) = {got}, registry has {(info.n, want_p, info.k)}")
    if test_start is None:
        save_npz(out_path, X=np.ascontiguousarray(X, dtype=np.float64), y=y)
    else:
        save_npz(out_path, X=np.ascontiguousarray(X, dtype=np.uint8), y=y, test_start=np.array([test_start], dtype=np.int64))
