"""Stage `fidelity`: this project's Tables A1-A4 and the paper's claims against the published ones.

    python stages/fidelity.py --params params.yaml [--params PROFILE.yaml] \
        --run LABEL=TABLES_DIR [--run LABEL=TABLES_DIR ...] \
        --out results/fidelity.md --csv results/fidelity.csv

Each TABLES_DIR is an `aggregate` output folder holding `selected.csv` (and, where the run
measured bounds, `verified_accuracy.csv`: one more note line); LABEL names the
run in the document (e.g. the preprocessing mode: `minmax`, `paper`).
"""

from __future__ import annotations

from pathlib import Path

from holistic import cli
from holistic.fidelity import write_fidelity
from holistic.records.selected import load_selected, read_table
from holistic.studies.hdl.claims import PUBLICATION, settings_notes, verified_note


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
    p.add_argument("--out", required=True, metavar="FILE", help="output Markdown (fidelity.md)")
    p.add_argument("--csv", required=True, metavar="FILE", help="output tidy CSV of the cells")
    args = p.parse_args(argv)
    labels = [label for label, _ in args.run]
    if len(set(labels)) != len(labels):
        p.error(f"--run labels must be distinct, got {', '.join(labels)}")
    params = cli.params_from(args)
    runs = {label: load_selected(f"{folder}/selected.csv", PUBLICATION.methods)
            for label, folder in args.run}
    notes = settings_notes(params)
    for label, folder in args.run:  # the verified-accuracy table where the run has one
        path = Path(folder) / "verified_accuracy.csv"
        note = path.is_file() and verified_note(read_table(path, str(path), None, what="a verified-accuracy table"))
        if note:
            notes.append(f"`{label}`: {note}")
    write_fidelity(PUBLICATION, runs, args.out, args.csv, notes=notes)


if __name__ == "__main__":
    cli.run_stage(main)
