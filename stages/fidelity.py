"""Stage `fidelity`: this project's Tables A1-A4 against the published ones, and the paper's claims.

    python stages/fidelity.py --params params.yaml [--params PROFILE.yaml] \
        --run LABEL=TABLES_DIR [--run LABEL=TABLES_DIR ...] [--seed-run LABEL=TABLES_DIR ...] \
        [--evals EVAL.json ...] --out results/hdl/fidelity.md --csv results/hdl/fidelity.csv \
        [--claims results/hdl/claims.csv]

Each TABLES_DIR is an `aggregate` output folder holding `selected.csv` (and, where the run
measured bounds, `verified_accuracy.csv`: one more note line); LABEL names the run in the
document (e.g. the preprocessing mode: `minmax`, `paper`). `--seed-run LABEL=DIR`: the tables
of a second run of run LABEL's protocol with another `seed` (e.g. the `published` profile with
`seed: 1`, aggregated into another folder): the summary then sets the share of cells within
tolerance between the two seeds (the ceiling of the comparison) beside the share within it of
the paper. The claims (`holistic.studies.hdl.claims`) are judged on the first run (the one the
params describe); `--evals`: its eval files, for the per-split statistics of a run of fewer than
3 data sets in Tables A1-A4 and of the image data sets, whose claims of Section 4.2
(`holistic.studies.hdl.images.claims`) join the same claims.csv. `--claims` defaults to `claims.csv`
beside `--out`.
"""

from __future__ import annotations

from pathlib import Path

from holistic import cli
from holistic.data import registry
from holistic.fidelity import assess_runs, load_reference, load_reference_names, write_fidelity
from holistic.fidelity import engine as E
from holistic.fidelity import outputs
from holistic.records.evals import load_evals
from holistic.records.selected import load_selected, read_table
from holistic.studies.hdl.claims import claims_run, judge_claims
from holistic.studies.hdl.images.claims import image_datasets, image_run, judge_images
from holistic.studies.hdl.protocol import header_note
from holistic.studies.hdl.publication import PUBLICATION, notes, verified_note


def run_spec(text: str) -> tuple[str, str]:
    """``LABEL=TABLES_DIR`` -> (label, folder); argparse reports a malformed one."""
    import argparse

    label, sep, folder = text.partition("=")
    if not sep or not label.strip() or not folder.strip():
        raise argparse.ArgumentTypeError(f"expected LABEL=TABLES_DIR, got {text!r}")
    return label.strip(), folder.strip()


def main(argv=None) -> None:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--run", action="append", required=True, type=run_spec,
                   metavar="LABEL=TABLES_DIR", help="a run's label and its tables folder (repeatable)")
    p.add_argument("--seed-run", action="append", default=[], type=run_spec, metavar="LABEL=TABLES_DIR",
                   help="the tables of run LABEL's protocol run with another seed (repeatable)")
    p.add_argument("--evals", nargs="*", default=[], metavar="EVAL",
                   help="the first run's eval files (per-split statistics of a run of < 3 data sets)")
    p.add_argument("--out", required=True, metavar="FILE", help="output Markdown (fidelity.md)")
    p.add_argument("--csv", required=True, metavar="FILE", help="output tidy CSV of the cells")
    p.add_argument("--claims", metavar="FILE", help="output claims (default: claims.csv beside --out)")
    args = p.parse_args(argv)
    labels = [label for label, _ in args.run]
    if len(set(labels)) != len(labels):
        p.error(f"--run labels must be distinct, got {', '.join(labels)}")
    unknown = [label for label, _ in args.seed_run if label not in labels]
    if unknown:
        p.error(f"--seed-run of unknown run label(s) {', '.join(unknown)}; --run labels: {', '.join(labels)}")
    params = cli.params_from(args)
    runs = {label: load_selected(f"{folder}/selected.csv", PUBLICATION.methods) for label, folder in args.run}
    seconds = {label: load_selected(f"{folder}/selected.csv", PUBLICATION.methods)
               for label, folder in args.seed_run}
    reference, names = load_reference(PUBLICATION), load_reference_names(PUBLICATION)
    assessed = assess_runs(PUBLICATION, runs, reference=reference, names=names, seconds=seconds)

    first = assessed[0]
    known = set(registry.names())
    datasets = [d for d in first.matched.index if d in known]
    note = header_note(params, datasets)
    run = claims_run(params, runs[first.label], first.matched, reference, names)
    images = image_datasets(runs[first.label]["dataset"])
    models = load_evals(args.evals, params["aggregate"]["adversarial_eps"])[0] \
        if args.evals and (images or not run.over_datasets()) else None
    if models is not None and not run.over_datasets():  # per-split statistics: the selected models' splits
        run = claims_run(params, runs[first.label], first.matched, reference, names, models)
    # Section 4.2: the image data sets' claims, over their splits
    imaged = judge_images(image_run(params, runs[first.label], models)) if images and models is not None else []
    claims_path = args.claims or str(Path(args.out).with_name("claims.csv"))
    frame = outputs.write_claims(claims_path, "hdl", judge_claims(run) + imaged)
    sections = "Sections 1, 4.1 and 4.2" if imaged else "Sections 1 and 4.1"
    caption = (f"**Claims of {sections}, run `{first.label}`** "
               f"({outputs.counts_text(E.verdict_counts(frame))}; `{Path(claims_path).name}`). {note}")
    claims = "## Claims of the paper\n\n" + outputs.claims_markdown(frame, caption)

    lines = notes(params, datasets)
    for label, folder in args.run:  # the verified-accuracy table where the run has one
        path = Path(folder) / "verified_accuracy.csv"
        vnote = path.is_file() and verified_note(read_table(path, str(path), None, what="a verified-accuracy table"))
        if vnote:
            lines.append(f"`{label}`: {vnote}")
    write_fidelity(PUBLICATION, assessed, args.out, args.csv, notes=lines, claims=claims)


if __name__ == "__main__":
    cli.run_stage(main)
