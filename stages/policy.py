"""Stage `policy`: prescriptive policy trees of Section 4.5 and Table 6.

    python stages/policy.py --params params.yaml [--params PROFILE.yaml] \
        --evals results/eval/<dataset>/<method>.json ... --out results/policy

Writes into the output folder: trees.txt, tree_<objective>.png per objective, cv.csv,
table6.csv, table6.md, comparison.csv and features.csv (see holistic.studies.hdl.policy.outputs).
"""

from __future__ import annotations

from holistic import cli
from holistic.records.evals import load_eval
from holistic.studies.hdl.policy.outputs import policy
from holistic.studies.hdl.protocol import header_note


def main(argv=None) -> None:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--evals", nargs="+", required=True, metavar="FILE",
                   help="eval JSON files, one per (data set, method)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    args = p.parse_args(argv)
    params = cli.params_from(args)
    datasets = dict.fromkeys(str(load_eval(p).get("dataset")) for p in args.evals)  # the run's data sets
    policy(args.evals, params["aggregate"]["adversarial_eps"], params["analysis"]["policy"],
           args.out, header_note(params, datasets))


if __name__ == "__main__":
    cli.run_stage(main)
