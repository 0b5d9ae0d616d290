"""Stage `levels` of study guo: robustness per pruning round, Table 1, the figure, fidelity and claims.

    python stages/guo_levels.py --params params.yaml [--params PROFILE.yaml] \
        --evals results/guo/eval/<dataset>/<method>.json ... \
        --logs results/guo/train/<dataset>/<method>.json ... --out results/guo/levels
"""

from __future__ import annotations

from holistic import cli
from holistic.studies.guo.report import write_report


def main(argv=None) -> None:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--evals", nargs="+", required=True, metavar="FILE", help="eval files of the train jobs")
    p.add_argument("--logs", nargs="+", required=True, metavar="FILE", help="train logs of the train jobs")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    args = p.parse_args(argv)
    write_report(cli.params_from(args), args.evals, args.logs, args.out)


if __name__ == "__main__":
    cli.run_stage(main)
