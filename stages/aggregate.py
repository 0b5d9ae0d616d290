"""Stage `aggregate`: Section 4 model selection -> Tables A1-A4, ranks, metrics, plot.

    python stages/aggregate.py --params params.yaml [--params PROFILE.yaml] \
        (--evals results/eval/<dataset>/<method>.json ... | --eval-dir results/eval) \
        --tables results/tables --metrics results/metrics.json --plots results/plots
"""

from __future__ import annotations

from holistic import cli
from holistic.selection.tables import aggregate


def main(argv=None) -> None:
    p = cli.parser(__doc__.splitlines()[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--evals", nargs="+", metavar="FILE", help="eval JSON files, one per (data set, method)")
    src.add_argument("--eval-dir", metavar="DIR",
                     help="folder holding <dataset>/<method>.json for every data set in params and every method")
    p.add_argument("--tables", required=True, metavar="DIR", help="output folder of the tables")
    p.add_argument("--metrics", required=True, metavar="FILE", help="output metrics.json")
    p.add_argument("--plots", required=True, metavar="DIR", help="output folder of the plot")
    args = p.parse_args(argv)
    params = cli.params_from(args)
    evals = args.evals or cli.job_files(args.eval_dir, params)
    aggregate(evals, params["aggregate"]["adversarial_rho"],
              args.tables, args.metrics, args.plots)


if __name__ == "__main__":
    cli.run(main)
