"""Stage `shap`: SHAP values of the loss components on the four metrics (Section 4.4, Fig. 3).

    python stages/shap.py --params params.yaml [--params PROFILE.yaml] \
        --selected results/tables/selected.csv --out results/analysis

Writes OUT/shap.csv (mean per difficulty category), OUT/shap_per_dataset.csv, OUT/shap.png.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This script is named like the `shap` package and Python puts its folder first on
# the import path: drop that folder so that `import shap` finds the package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from holistic import cli  # noqa: E402
from holistic.aggregate.tables import read_selected  # noqa: E402
from holistic.analysis.shap_values import write_shap  # noqa: E402


def main(argv=None) -> None:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--selected", required=True, metavar="FILE",
                   help="results/tables/selected.csv of the aggregate stage")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    args = p.parse_args(argv)
    cli.params_from(args)  # validates the parameter files; SHAP needs no setting
    write_shap(read_selected(args.selected), args.out, source=args.selected)


if __name__ == "__main__":
    cli.run(main)
