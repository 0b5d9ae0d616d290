"""Stage `sweep`: the step sweep of one study (``studies.<study>.step_budgets``) as records and a figure.

    python stages/sweep.py --params params.yaml [--params PROFILE.yaml] --study NAME \
        --evals results/<study>/eval/<dataset>/<job>.json ... \
        --logs results/<study>/train/<dataset>/<job>.json ... \
        --models results/<study>/sweep/models.csv --png results/<study>/sweep/steps.png \
        --csv results/<study>/sweep/steps.csv

The jobs: each swept method's own (the run's round length) and its budgets'
(``<method>@steps=<budget>``). ``--models``: every model's measures with its job's steps a round
(``holistic.records.sweep``), which the study's report reads for its claims' ``converged``;
``--png``: per data set, method and measure the mean test accuracy against steps (the clean
accuracy and each attack's at the tables' radius, ``aggregate.adversarial_eps``); ``--csv``: the
plotted means. Every eval file and train log is checked against the run's declarations first.
"""

from __future__ import annotations

from holistic import cli
from holistic.io import write_aside
from holistic.records.declared import Declared
from holistic.records.evals import tables_eps
from holistic.records.sweep import mean_steps, sweep_rows, write_sweep
from holistic.render.sweep import write_sweep_figure
from holistic.studies import STUDIES


def main(argv=None) -> None:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--study", required=True, choices=sorted(STUDIES))
    p.add_argument("--evals", nargs="+", required=True, metavar="FILE", help="eval files of the sweep's jobs")
    p.add_argument("--logs", nargs="+", required=True, metavar="FILE", help="train logs of the sweep's jobs")
    p.add_argument("--models", required=True, metavar="FILE", help="output: the sweep's records (CSV)")
    p.add_argument("--png", required=True, metavar="FILE", help="output figure")
    p.add_argument("--csv", required=True, metavar="FILE", help="output: the plotted means")
    args = p.parse_args(argv)
    params = cli.params_from(args)
    frame = sweep_rows(args.evals, args.logs, Declared(params, STUDIES[args.study]))
    means = mean_steps(frame, lambda dataset: tables_eps(params, dataset=dataset))
    with write_aside():
        write_sweep(frame, args.models)
        write_sweep_figure(means, args.png, args.csv)


if __name__ == "__main__":
    cli.run_stage(main)
