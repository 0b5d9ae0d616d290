"""Stage `figures`: Figures 1-2, Tables 2-4 style per-data-set tables, Table 5 (Section 4.1-4.3).

    python stages/figures.py --params params.yaml [--params PROFILE.yaml] \
        --selected results/tables/selected.csv \
        --train-logs results/train/<dataset>/<method>.json ... \
        [--evals results/eval/<dataset>/<method>.json ...] --out results/analysis

Writes OUT/figure1.{png,csv}, OUT/figure2.{png,csv}, OUT/table5.{csv,md}, OUT/per_dataset.md.
With --evals the per-data-set tables show the multi-objective choice of Tables 2-4;
without, each metric's own selected configuration (the Tables A1-A4 values).
"""

from __future__ import annotations

from holistic import cli
from holistic.records.evals import load_evals
from holistic.records.selected import read_selected
from holistic.selection.select import summarize
from holistic.studies.hdl.figures import write_figures
from holistic.studies.hdl.protocol import header_note
from holistic.studies.hdl.timing import write_table5


def main(argv=None) -> None:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--selected", required=True, metavar="FILE",
                   help="results/tables/selected.csv of the aggregate stage")
    p.add_argument("--train-logs", nargs="+", required=True, metavar="FILE",
                   help="training logs results/train/<dataset>/<method>.json")
    p.add_argument("--evals", nargs="+", metavar="FILE",
                   help="eval JSON files (optional): Tables 2-4 use the multi-objective choice")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    args = p.parse_args(argv)
    params = cli.params_from(args)
    rho = params["aggregate"]["adversarial_eps"]
    selected = read_selected(args.selected)
    summary = summarize(load_evals(args.evals, rho)[0]) if args.evals else None
    note = header_note(params, selected["dataset"].unique())  # the run's departures from the paper
    write_figures(selected, rho, args.out, summary, source=args.selected, note=note)
    write_table5(args.train_logs, args.out, note)


if __name__ == "__main__":
    cli.run_stage(main)
