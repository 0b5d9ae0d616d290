"""Stage `figures`: Figures 1-2, Tables 2-4 style per-data-set tables, Table 5 (Section 4.1-4.3).

    python stages/figures.py --params params.yaml [--params PROFILE.yaml] \
        --selected results/tables/selected.csv \
        (--train-logs results/train/<dataset>/<method>.json ... | --train-dir results/train) \
        [--evals results/eval/<dataset>/<method>.json ... | --eval-dir results/eval] --out results/analysis

Writes OUT/figure1.{png,csv}, OUT/figure2.{png,csv}, OUT/table5.{csv,md}, OUT/per_dataset.md.
With --evals the per-data-set tables show the multi-objective choice of Tables 2-4;
without, each metric's own selected configuration (the Tables A1-A4 values).
"""

from __future__ import annotations

from holistic import cli
from holistic.selection.select import summarize
from holistic.selection.tables import load_evals, read_selected
from holistic.studies.hdl.figures import write_figures
from holistic.studies.hdl.timing import write_table5


def main(argv=None) -> None:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--selected", required=True, metavar="FILE",
                   help="results/tables/selected.csv of the aggregate stage")
    logs = p.add_mutually_exclusive_group(required=True)
    logs.add_argument("--train-logs", nargs="+", metavar="FILE",
                      help="training logs results/train/<dataset>/<method>.json")
    logs.add_argument("--train-dir", metavar="DIR",
                      help="folder holding <dataset>/<method>.json for every data set and method")
    evals = p.add_mutually_exclusive_group()
    evals.add_argument("--evals", nargs="+", metavar="FILE",
                       help="eval JSON files (optional): Tables 2-4 use the multi-objective choice")
    evals.add_argument("--eval-dir", metavar="DIR", help="folder of the eval files, as --train-dir")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    args = p.parse_args(argv)
    params = cli.params_from(args)
    rho = params["aggregate"]["adversarial_rho"]
    selected = read_selected(args.selected)
    evals = args.evals or (cli.job_files(args.eval_dir, params) if args.eval_dir else None)
    summary = summarize(load_evals(evals, rho)[0]) if evals else None
    write_figures(selected, rho, args.out, summary, source=args.selected)
    write_table5(args.train_logs or cli.job_files(args.train_dir, params), args.out)


if __name__ == "__main__":
    cli.run(main)
