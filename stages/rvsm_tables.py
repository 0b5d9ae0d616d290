"""Stage `tables` of study rvsm: Tables 1-4 beside the published cells, noise, figure, fidelity, claims.

    python stages/rvsm_tables.py --params params.yaml [--params PROFILE.yaml] --study rvsm \
        --evals results/rvsm/eval/<dataset>/<method>.json ... --out results/rvsm/paper
"""

from __future__ import annotations

from holistic import cli
from holistic.studies import STUDIES
from holistic.studies.rvsm.report import write_report


def main(argv=None) -> None:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--study", required=True, choices=sorted(STUDIES))
    p.add_argument("--evals", nargs="+", required=True, metavar="FILE", help="eval files of the attack jobs")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    args = p.parse_args(argv)
    write_report(cli.params_from(args), args.evals, args.out)


if __name__ == "__main__":
    cli.run_stage(main)
