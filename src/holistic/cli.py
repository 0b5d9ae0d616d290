"""Shared command-line plumbing for the stage scripts in ``stages/``.

Every stage takes ``--params FILE`` (repeatable; later files override earlier
ones) so that Snakemake and DVC call the same script with the same settings.
"""

from __future__ import annotations

import argparse
import sys

from . import numerics

numerics.pin_environment(numerics.mode_from_argv(sys.argv))  # before torch / numpy load: every stage imports this first

from .config import load_params  # noqa: E402
from .errors import HolisticError  # noqa: E402


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--params", action="append", required=True, metavar="FILE",
                   help="parameter file(s); later ones override earlier ones")
    return p


def params_from(args: argparse.Namespace) -> dict:
    """The merged, checked params; the process then runs under their ``numerics`` mode."""
    params = load_params(args.params)
    numerics.apply(params)
    return params


def run_stage(main) -> None:
    """Run a stage's ``main``; bad input exits 2 with its message and no traceback."""
    try:
        main()
    except HolisticError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
