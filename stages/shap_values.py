"""Stage `shap` (not named shap.py: that would shadow the `shap` package): SHAP values of the loss components on the four metrics (Section 4.4, Fig. 3).

    python stages/shap_values.py --params params.yaml [--params PROFILE.yaml] \
        --selected results/tables/selected.csv --out results/analysis

Writes OUT/shap.csv (mean per difficulty category), OUT/shap_per_dataset.csv, OUT/shap.png.
"""

from __future__ import annotations

from holistic import cli
from holistic.records.selected import read_selected
from holistic.studies.hdl.protocol import header_note
from holistic.studies.hdl.shap_values import write_shap


def main(argv=None) -> None:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--selected", required=True, metavar="FILE",
                   help="results/tables/selected.csv of the aggregate stage")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    args = p.parse_args(argv)
    params = cli.params_from(args)
    selected = read_selected(args.selected)
    write_shap(selected, args.out, source=args.selected, note=header_note(params, selected["dataset"].unique()))


if __name__ == "__main__":
    cli.run_stage(main)
