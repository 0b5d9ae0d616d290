"""Atomic file output: write to a temporary path beside the target, then rename.

A job that fails half-way therefore never leaves a half-written file where the
workflow (Snakemake, DVC) would take it for a finished output. Inside :func:`write_aside`
the renames wait until the whole block has succeeded: a stage that writes several outputs
changes all of them or none (docs/records.md).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import tempfile
from pathlib import Path
from typing import Iterator


#: The files written inside :func:`write_aside` and not yet renamed: target -> its temporary
#: file, in the order written (None outside a ``write_aside`` block).
_aside: dict[Path, Path] | None = None


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    On any exception the temporary file is removed and ``path`` is left untouched. A process
    killed outright (SIGKILL) cannot clean up: the temporary files it left for ``path``
    (``.<name>.XXXXXXXX.tmp``) are removed by the next write of ``path``, i.e. when the job reruns.
    Inside :func:`write_aside` the rename waits for the end of that block.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Path(os.path.abspath(path))
    waiting = None if _aside is None else _aside.get(key)  # an earlier write of this block: kept until replaced
    for stale in path.parent.glob(f".{glob.escape(path.name)}.{'?' * 8}.tmp"):  # mkstemp's 8 characters
        if waiting is None or os.path.abspath(stale) != str(waiting):
            stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if _aside is None:
            os.replace(tmp_path, path)
        else:
            if waiting is not None:
                waiting.unlink(missing_ok=True)
            _aside.pop(key, None)
            _aside[key] = Path(os.path.abspath(tmp_path))
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def write_aside() -> Iterator[None]:
    """Every file written through :func:`atomic_path` (``write_text``, ``write_json``, the
    figures' ``save_png``) inside the block goes to its temporary sibling
    (``.<name>.XXXXXXXX.tmp``) and stays there until the block ends; then all are renamed onto
    their targets, in the order written. If the block raises, every temporary file is removed
    and no target is touched: the previous outputs stay as they were, byte for byte.

    The swap at the end is one ``os.replace`` per file (each atomic, none rolled back: an
    error there, e.g. the disk gone, can leave some files new and the others old). A nested
    block joins the outermost one. Not thread-safe (a stage writes from one thread)."""
    global _aside
    if _aside is not None:
        yield
        return
    _aside = pending = {}
    try:
        yield
    except BaseException:
        _aside = None
        for tmp in pending.values():
            tmp.unlink(missing_ok=True)
        raise
    _aside = None
    items = list(pending.items())
    for i, (path, tmp) in enumerate(items):
        try:
            os.replace(tmp, path)
        except BaseException:
            for _, rest in items[i:]:
                rest.unlink(missing_ok=True)
            raise


def write_text(path: str | os.PathLike, text: str) -> None:
    """Atomically write ``text`` to ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | os.PathLike, obj) -> None:
    """Atomically write ``obj`` as stable, sorted, indented JSON (bitwise reproducible)."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n")


def read_json(path: str | os.PathLike):
    with open(path) as f:
        return json.load(f)
