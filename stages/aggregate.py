"""Stage `aggregate`: Section 4 model selection of one study -> its tables, ranks, metrics, plot.

    python stages/aggregate.py --params params.yaml [--params PROFILE.yaml] --study hdl \
        --evals results/hdl/eval/<dataset>/<method>.json ... \
        --tables results/hdl/tables --metrics results/hdl/metrics.json --plots results/hdl/plots \
        [--replicates results/hdl/eval/<dataset>/DL@seed+1.json ... --replicate-tables results/hdl/replicates]

Eval files are given per data set in the study's method order: the tables keep it. The
replicates' (``studies.<study>.replicates``) are in no table: each seed offset's get the tables'
selection, ``<replicate-tables>/seed+<offset>/selected.csv`` (``write_replicates``).

Every eval file is checked against the run's declarations (``attack.eps``, each job's grid:
``holistic.records.declared``) before any output is written; the outputs are written aside and
swapped in at the end, so an error (exit 2, one line naming the file, the model and the field)
leaves the previous ones as they were (docs/records.md).
"""

from __future__ import annotations

from holistic import cli
from holistic.records.declared import Declared
from holistic.selection.tables import Layout, aggregate
from holistic.studies import STUDIES


def main(argv=None) -> None:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--study", required=True, choices=sorted(STUDIES))
    p.add_argument("--evals", nargs="+", required=True, metavar="FILE",
                   help="eval JSON files, one per (data set, method)")
    p.add_argument("--tables", required=True, metavar="DIR", help="output folder of the tables")
    p.add_argument("--metrics", required=True, metavar="FILE", help="output metrics.json")
    p.add_argument("--plots", required=True, metavar="DIR", help="output folder of the plot")
    p.add_argument("--replicates", nargs="*", default=[], metavar="FILE",
                   help="eval files of the study's replicates (<method>@seed+<offset>): in no table; each "
                        "offset's selection goes to --replicate-tables/seed+<offset>/selected.csv")
    p.add_argument("--replicate-tables", metavar="DIR", help="output folder of the replicates' selections")
    args = p.parse_args(argv)
    if args.replicates and not args.replicate_tables:
        p.error("--replicates needs --replicate-tables")
    params = cli.params_from(args)
    study = STUDIES[args.study]
    layout = Layout(methods=tuple(study.methods), baseline=study.baseline, refs=dict(study.table_refs))
    aggregate(args.evals, params["aggregate"]["adversarial_eps"], args.tables, args.metrics, args.plots, layout,
              args.replicates, args.replicate_tables, declared=Declared(params, study))


if __name__ == "__main__":
    cli.run_stage(main)
