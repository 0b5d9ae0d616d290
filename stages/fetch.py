"""Stage `fetch`: one data set -> data/raw/<name>.npz (X float64 or uint8 pixels, y int64 in 0..k-1)."""

from __future__ import annotations

import sys

from holistic import cli
from holistic.data import registry
from holistic.data.fetch import fetch, load_dataset


def main() -> None:
    p = cli.parser(__doc__)
    p.add_argument("--dataset", required=True, help="registry name (a studies.<study>.datasets entry)")
    p.add_argument("--out", required=True, help="output .npz")
    args = p.parse_args()
    params = cli.params_from(args)
    for study, slice_ in params["studies"].items():  # fail early on any unknown name of any study
        for name in slice_["datasets"]:
            registry.get(name, f"studies.{study}.datasets")
    info = registry.get(args.dataset)
    fetch(info, params["data"].get(info.section) or {}, args.out)
    print(f"fetch {info.name} ({info.source}): {load_dataset(args.out).describe()} -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    cli.run_stage(main)
