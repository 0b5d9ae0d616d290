"""Shared command-line plumbing for the stage scripts in ``stages/``.

Every stage takes ``--params FILE`` (repeatable; later files override earlier
ones) so that Snakemake and DVC call the same script with the same settings.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import load_params
from .errors import HolisticError


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--params", action="append", required=True, metavar="FILE",
                   help="parameter file(s); later ones override earlier ones")
    return p


def params_from(args: argparse.Namespace) -> dict:
    return load_params(args.params)


def job_files(directory: str, params: dict) -> list[str]:
    """``<directory>/<dataset>/<method>.json`` for every data set in params and every method,
    in params and Table 1 order: the per-job outputs (train logs, eval files) a stage reads
    when given a folder instead of a file list."""
    from .train.methods import METHODS

    return [str(Path(directory) / d / f"{m}.json") for d in params["data"]["datasets"] for m in METHODS]


def run(main) -> None:
    """Run a stage's ``main``; bad input exits 2 with its message and no traceback."""
    try:
        main()
    except HolisticError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
