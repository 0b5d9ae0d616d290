"""Fetch one data set into ``data/raw/<name>.npz`` (``X`` float64 [n, p], ``y`` int64 [n]).

Sources:

* ``bundled``: scikit-learn's built-in copy (no network), checked against the
  registry's checksum of its canonical bytes (see :mod:`holistic.data.registry`).
* ``uci``: the published preprocessed CSVs ``<stem>_X.csv`` / ``<stem>_Y.csv``,
  read from ``uci["mirror"]`` (a local directory) when set, else downloaded from
  ``uci["url"]`` (or :data:`DEFAULT_UCI_URL`), a template with ``{stem}`` and
  ``{part}`` (``X`` or ``Y``). The SHA-256 of the raw bytes is checked before
  parsing; the parser is strict and every error names the file (and line, column).

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


def load_dataset(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read a fetched data set: ``(X float64 [n, p], y int64 [n])``."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: data file not found")
    try:
        with np.load(path, allow_pickle=False) as z:
            X, y = z["X"], z["y"]
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: not a fetched data set (.npz with X and y): {exc}") from None
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise DataError(f"{path}: inconsistent shapes X{X.shape} y{y.shape}")
    return X, y


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


def _read_bytes(info: DatasetInfo, part: str, uci: dict) -> tuple[bytes, str]:
    """Raw bytes of ``<stem>_<part>.csv`` and a label (path or URL) for messages."""
    mirror = uci.get("mirror")
    if mirror:
        path = Path(mirror) / f"{info.stem}_{part}.csv"
        if not path.is_file():
            raise DataError(f"{path}: file not found (data set '{info.name}', data.uci.mirror)")
        return path.read_bytes(), str(path)
    template = uci.get("url") or DEFAULT_UCI_URL
    if not template:
        raise ParamsError(
            f"data set '{info.name}' needs a source: set field data.uci.mirror or data.uci.url")
    try:
        url = template.format(stem=info.stem, part=part)
    except (KeyError, IndexError, ValueError) as exc:
        raise ParamsError(f"field data.uci.url: bad template {template!r}: {exc}") from None
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
    raw_x, where_x = _read_bytes(info, "X", uci)
    raw_y, where_y = _read_bytes(info, "Y", uci)
    _check_sha256(raw_x, info.sha256_x, where_x)
    _check_sha256(raw_y, info.sha256_y, where_y)
    X = parse_csv(raw_x, where_x)
    Y = parse_csv(raw_y, where_y)
    if Y.shape[1] != 1:
        raise DataError(f"{where_y}: labels must be one column, found {Y.shape[1]}")
    if len(Y) != len(X):
        raise DataError(f"{where_x} has {len(X)} rows but {where_y} has {len(Y)}")
    return X, Y[:, 0]


# ----------------------------------------------------------------------------- entry point

def fetch(info: DatasetInfo, uci: dict | None, out_path: str | os.PathLike) -> None:
    """Fetch, verify and parse data set ``info``; write ``out_path`` (.npz) atomically.

    ``uci`` is the ``data.uci`` section of the parameters (``mirror``, ``url``);
    it is ignored for bundled sets. On any error nothing is written.
    """
    uci = uci or {}
    if info.source == "bundled":
        X, y_raw = _load_bundled(info)
    elif info.source == "uci":
        X, y_raw = _load_uci(info, uci)
    else:
        raise DataError(f"data set '{info.name}': unknown source '{info.source}'")
    classes, y = np.unique(y_raw, return_inverse=True)
    y = y.astype(np.int64).reshape(-1)
    got = (X.shape[0], X.shape[1], len(classes))
    if got != (info.n, info.p, info.k):
        raise DataError(
            f"data set '{info.name}': parsed (n, p, k) = {got}, registry has {(info.n, info.p, info.k)}")
    save_npz(out_path, X=np.ascontiguousarray(X, dtype=np.float64), y=y)
