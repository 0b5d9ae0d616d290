"""Stage `images`: Tables 2-4 of Section 4.2 (image data sets) against the published values.

    python stages/images.py --params params.yaml [--params PROFILE.yaml] \
        --selected results/hdl/tables/selected.csv \
        --evals results/hdl/eval/<image data set>/<method>.json ... --out results/hdl/analysis

Writes OUT/images.md (one table per image data set of the run, each cell published / here /
difference, with the radii compared and the run's departures from the paper's protocol; the
claims of Section 4.2 judged by the claims engine, `holistic.studies.hdl.images.claims`, whose
rows the `fidelity` stage writes into claims.csv; a reviewer's sanity checks) and OUT/images.csv
(the cells, tidy). The values are those of the multi-objective choice, as in Tables 2-4.
"""

from __future__ import annotations

from holistic import cli
from holistic.fidelity import engine as E
from holistic.records.evals import load_evals
from holistic.records.selected import read_selected
from holistic.studies.hdl.images import write_images
from holistic.studies.hdl.images.claims import image_run, judge_images


def main(argv=None) -> None:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--selected", required=True, metavar="FILE",
                   help="results/<study>/tables/selected.csv of the aggregate stage")
    p.add_argument("--evals", nargs="+", required=True, metavar="FILE",
                   help="eval JSON files of the image data sets, results/<study>/eval/<dataset>/<method>.json")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    args = p.parse_args(argv)
    params = cli.params_from(args)
    models, _ = load_evals(args.evals, params["aggregate"]["adversarial_eps"])
    run = image_run(params, read_selected(args.selected), models)
    write_images(run.values, params, args.out, run.published, source=args.selected,
                 claims=E.claims_frame("hdl", judge_images(run)))


if __name__ == "__main__":
    cli.run_stage(main)
