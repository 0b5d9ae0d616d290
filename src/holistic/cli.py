"""Shared command-line plumbing for the stage scripts in ``stages/``.

Every stage takes ``--params FILE`` (repeatable; later files override earlier
ones) so that Snakemake and DVC call the same script with the same settings.
"""

from __future__ import annotations

import argparse
import sys

from .config import load_params
from .errors import HolisticError


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--params", action="append", required=True, metavar="FILE",
                   help="parameter file(s); later ones override earlier ones")
    return p


def params_from(args: argparse.Namespace) -> dict:
    return load_params(args.params)


def run_stage(main) -> None:
    """Run a stage's ``main``; bad input exits 2 with its message and no traceback."""
    try:
        main()
    except HolisticError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
