"""Stage `levels` of study lth: accuracy per pruning level, the figure, fidelity and claims.

    python stages/lth_levels.py --params params.yaml [--params PROFILE.yaml] --study lth \
        --evals results/lth/eval/<dataset>/<method>.json ... \
        --logs results/lth/train/<dataset>/<method>.json ... --out results/lth/levels
"""

from __future__ import annotations

from holistic import cli
from holistic.studies import STUDIES
from holistic.studies.lth.report import write_report


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
