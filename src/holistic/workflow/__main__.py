"""``python -m holistic.workflow dvc-yaml [--params FILE ...]``: print dvc.yaml; ``jobs``: list the jobs;
``check``: validate the params files (the checks the workflow runs before any job; a missing file
or a YAML error is one line naming the file and line, which Snakemake's own ``--configfile``
parse does not give)."""

from __future__ import annotations

import argparse
import sys

from ..errors import HolisticError


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m holistic.workflow", description=__doc__)
    p.add_argument("command", choices=["dvc-yaml", "jobs", "check"])
    p.add_argument("--params", action="append", metavar="FILE",
                   help="parameter file(s), default params.yaml; dvc.yaml's commands read the same files")
    args = p.parse_args(argv)
    from . import spec as spec_mod
    from .dvc import dvc_yaml

    try:
        spec = spec_mod.load(args.params or ["params.yaml"])
    except HolisticError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "check":
        print(f"ok: {' + '.join(spec.files)}")
    elif args.command == "dvc-yaml":
        sys.stdout.write(dvc_yaml(spec, spec.files))
    else:
        for name, stage, wildcards, keys, code in spec.jobs():
            print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
