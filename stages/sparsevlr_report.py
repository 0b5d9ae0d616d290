"""Stage `report` of study sparsevlr: Tables 2, 3, 6 beside the published ones, figures, fidelity, claims.

    python stages/sparsevlr_report.py --params params.yaml [--params PROFILE.yaml] --study sparsevlr \
        --evals results/sparsevlr/eval/<dataset>/<method>.json ... \
        --logs results/sparsevlr/train/<dataset>/<method>.json ... --out results/sparsevlr/sparsevlr
"""

from __future__ import annotations

from holistic import cli
from holistic.studies import STUDIES
from holistic.studies.sparsevlr.report import write_report


def main(argv=None) -> None:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--study", required=True, choices=sorted(STUDIES))
    p.add_argument("--evals", nargs="+", required=True, metavar="FILE", help="eval files of the train jobs")
    p.add_argument("--logs", nargs="+", required=True, metavar="FILE", help="train logs of the train jobs")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    args = p.parse_args(argv)
    params = cli.params_from(args)
    write_report(params, list(STUDIES[args.study].methods), args.evals, args.logs, args.out)


if __name__ == "__main__":
    cli.run_stage(main)
