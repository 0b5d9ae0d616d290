"""Stage `claims`: every study's claims at a glance and the invariants of every model.

    python stages/claims.py --params params.yaml [--params PROFILE.yaml] \
        --study NAME results/NAME/claims.csv results/NAME/eval/<dataset>/<method>.json ... \
        [--study ...] --md results/claims.md --invariants results/invariants.csv

Reads each study's judged claims (``holistic.fidelity.outputs.read_claims``) and checks the
invariants (``holistic.fidelity.invariants``) on every model of its eval files; writes both
outputs only after every input has been read and checked.
"""

from __future__ import annotations

from holistic import cli  # first: it pins the numeric code paths before numpy loads (holistic.numerics)

import pandas as pd  # noqa: E402

from holistic.fidelity import invariants
from holistic.fidelity.outputs import overview_markdown, read_claims
from holistic.io import write_text
from holistic.render.tables import frame_csv


def main(argv=None) -> None:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--study", action="append", nargs="+", required=True, metavar=("NAME", "FILE"),
                   help="a study's name, its claims.csv, then its eval files (repeatable)")
    p.add_argument("--md", required=True, metavar="FILE", help="output Markdown (results/claims.md)")
    p.add_argument("--invariants", required=True, metavar="FILE", help="output CSV of every invariant check")
    args = p.parse_args(argv)
    cli.params_from(args)
    frames, counts, violations, checks = {}, {}, {}, []
    for name, claims, *evals in args.study:
        frames[name] = read_claims(claims)
        c = invariants.check(invariants.load(evals))
        counts[name] = invariants.summary(c)
        violations[name] = invariants.violations_text(c)
        checks.append(c.assign(study=name))
    table = pd.concat(checks, ignore_index=True)
    write_text(args.invariants, frame_csv(table[["study"] + [c for c in table.columns if c != "study"]]))
    write_text(args.md, overview_markdown(frames, counts, violations))


if __name__ == "__main__":
    cli.run_stage(main)
