"""Stage `split`: data/raw/<name>.npz -> data/splits/<name>.npz (test, train[S], val[S] indices)."""

from __future__ import annotations

import sys

from holistic import cli
from holistic.data import registry
from holistic.data.fetch import load_dataset
from holistic.data.splits import make_splits, save_splits, split_params


def main() -> None:
    p = cli.parser(__doc__)
    p.add_argument("--dataset", required=True, help="registry name (a studies.<study>.datasets entry)")
    p.add_argument("--data", required=True, help="fetched data set (.npz)")
    p.add_argument("--out", required=True, help="output splits (.npz)")
    args = p.parse_args()
    params = cli.params_from(args)
    info = registry.get(args.dataset)
    data = load_dataset(args.data)
    sp = split_params(params, info.name)
    splits = make_splits(data.y, n_splits=sp["n_splits"], test_fraction=sp["test_fraction"],
                         val_fraction=sp["val_fraction"], seed=params["seed"], test_start=data.test_start,
                         mode=sp.get("mode", "auto"), max_trainval_rows=sp.get("max_trainval_rows"),
                         max_test_rows=sp.get("max_test_rows"))
    save_splits(args.out, splits)
    S, n_train = splits["train"].shape
    print(f"split {info.name}: {data.describe()} test={len(splits['test'])} train={n_train} "
          f"val={splits['val'].shape[1]} x {S} splits -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    cli.run_stage(main)
