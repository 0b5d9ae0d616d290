"""The data-set registry: one row of ``registry.csv`` per data set.

Columns: ``name, source, stem, paper_name, n, p, k, paper_n, sha256_x, sha256_y, note, classes``.

* ``source == "uci"``: the 45 UCI sets of the paper, preprocessed as published
  (``<stem>_X.csv`` / ``<stem>_Y.csv``, no header). ``name`` is the file stem;
  ``n, p, k`` are the true shapes of the files; ``paper_n`` is Table A1's n, which
  for every set is the file's row count minus one (the published code most likely
  read the first row as a header); ``p`` and ``k`` agree with Table A1 everywhere.
  ``sha256_x`` / ``sha256_y`` are the SHA-256 of the raw CSV bytes.
* ``source == "bundled"``: scikit-learn's built-in copies (no network); ``stem`` is the
  ``sklearn.datasets`` loader. Their checksums are over canonical bytes::

      sha256(np.ascontiguousarray(X, dtype="<f8").tobytes())   # sha256_x
      sha256(np.ascontiguousarray(y, dtype="<i8").tobytes())   # sha256_y

  with ``X, y = loader(return_X_y=True)`` (``y`` as returned, before re-coding).
* ``source == "idx"``: MNIST-like images as four gzip'd IDX files (``holistic.data.idx``);
  ``stem`` names the params section's default mirror folder; ``sha256_x`` / ``sha256_y`` are
  ``train;test`` SHA-256 of the image / label files. The official test set is the test set.
  ``classes`` (``"1;7"``; empty: all) keeps only those labels of the files: a task on a class
  subset (Guo et al.'s binary MNIST 1 vs 7, ``mnist-1v7``), read from the files (and the params
  section) of its ``stem`` (``data.mnist``).
* ``source == "cifar"``: the CIFAR-10 binary archive ``stem`` (``holistic.data.cifar``);
  ``sha256_x`` is the archive's SHA-256 (``data.cifar10.sha256`` overrides it for another
  copy); ``p`` is RGB (3072), 1024 with ``data.cifar10.grayscale``.

Image sets (idx, cifar) are stored as uint8 pixels ``[n, C, H, W]``, the official training
rows first; their params section is ``data.<name>`` (``data.uci`` for every UCI set).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import ParamsError

REGISTRY_CSV = Path(__file__).resolve().with_name("registry.csv")
SOURCES = ("bundled", "uci", "idx", "cifar")
IMAGE_SOURCES = ("idx", "cifar")


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    source: str            # "bundled" | "uci"
    stem: str              # uci: file stem; bundled: sklearn.datasets loader name
    paper_name: str | None # short name in the paper's Table A1, or None
    n: int
    p: int
    k: int
    sha256_x: str
    sha256_y: str
    paper_n: int | None = None  # Table A1's n where it differs in meaning (see module doc)
    classes: tuple[int, ...] | None = None  # the raw labels kept (a class subset), None: all

    @property
    def image(self) -> bool:
        """Pixels with an official test set (MNIST, Fashion-MNIST, CIFAR-10)."""
        return self.source in IMAGE_SOURCES

    @property
    def section(self) -> str:
        """The params section (under ``data``) that says where the files come from."""
        if self.source == "uci":
            return "uci"
        return self.stem if self.classes else self.name


@lru_cache(maxsize=1)
def _load() -> dict[str, DatasetInfo]:
    out: dict[str, DatasetInfo] = {}
    with open(REGISTRY_CSV, newline="") as f:
        for row in csv.DictReader(f):
            if row["source"] not in SOURCES:
                raise ParamsError(f"{REGISTRY_CSV}: data set '{row['name']}': unknown source '{row['source']}'")
            info = DatasetInfo(
                name=row["name"],
                source=row["source"],
                stem=row["stem"],
                paper_name=row["paper_name"] or None,
                n=int(row["n"]),
                p=int(row["p"]),
                k=int(row["k"]),
                sha256_x=row["sha256_x"].lower(),
                sha256_y=row["sha256_y"].lower(),
                paper_n=int(row["paper_n"]) if row.get("paper_n") else None,
                classes=tuple(int(c) for c in row["classes"].split(";")) if row.get("classes") else None,
            )
            if info.name in out:
                raise ParamsError(f"{REGISTRY_CSV}: duplicate data set '{info.name}'")
            out[info.name] = info
    return out


def names() -> list[str]:
    """All registered data-set names, in registry order (bundled first, then UCI)."""
    return list(_load())


def get(name: str, field: str = "studies.<study>.datasets") -> DatasetInfo:
    """The registry entry for ``name``; ParamsError naming the params ``field`` for unknown names."""
    reg = _load()
    try:
        return reg[name]
    except KeyError:
        raise ParamsError(
            f"unknown data set '{name}' (field {field}); known: {', '.join(reg)}"
        ) from None
