"""Stage `report` of a study: its tables and figures, judged claims and fidelity document, by the
study's report entry (``Study.report``, one signature for every study).

    python stages/report.py --params params.yaml [--params PROFILE.yaml] --study NAME \
        --evals results/<study>/eval/<dataset>/<method>.json ... \
        --logs results/<study>/train/<dataset>/<method>.json ... --out results/<study>/<folder> \
        --claims results/<study>/claims.csv --fidelity results/<study>/fidelity.md \
        [--sweep results/<study>/sweep/models.csv]

Every eval file and train log is checked against the run's declarations (``attack.eps``,
each job's grid: ``holistic.records.declared``) before the report is made; its outputs are
written aside and swapped in at the end, so an error (exit 2, one line naming the file, the
model and the field) leaves the previous ones as they were (docs/records.md). ``--sweep``: the
records of the run's step sweep (stage ``sweep``; ``studies.<study>.step_budgets``), the entry's
``sweep`` argument (None without one).
"""

from __future__ import annotations

from holistic import cli
from holistic.io import write_aside
from holistic.records.declared import Declared
from holistic.records.evals import load_eval
from holistic.records.train_log import load_logs
from holistic.studies import STUDIES


def check_records(params: dict, study, evals: list, logs: list) -> None:
    """Every eval file and train log of the report checked against the run's declarations
    (RecordError naming the file, the model and the field)."""
    declared = Declared(params, study)
    for path in evals:
        load_eval(path, declared)
    load_logs(logs, declared=declared)


def main(argv=None) -> None:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--study", required=True, choices=sorted(n for n, s in STUDIES.items() if s.report))
    p.add_argument("--evals", nargs="+", required=True, metavar="FILE", help="eval files of the train jobs")
    p.add_argument("--logs", nargs="+", required=True, metavar="FILE", help="train logs of the train jobs")
    p.add_argument("--out", required=True, metavar="DIR", help="folder of the study's tables and figures")
    p.add_argument("--claims", required=True, metavar="FILE", help="the judged claims (results/<study>/claims.csv)")
    p.add_argument("--fidelity", required=True, metavar="FILE",
                   help="the fidelity document (results/<study>/fidelity.md)")
    p.add_argument("--sweep", metavar="FILE",
                   help="the step sweep's records (results/<study>/sweep/models.csv), where the run has one")
    args = p.parse_args(argv)
    study = STUDIES[args.study]
    write_report = study.report_entry()
    params = cli.params_from(args)
    check_records(params, study, args.evals, args.logs)
    with write_aside():
        write_report(params, list(study.methods), args.evals, args.logs, args.out, args.claims, args.fidelity,
                     args.sweep)


if __name__ == "__main__":
    cli.run_stage(main)
