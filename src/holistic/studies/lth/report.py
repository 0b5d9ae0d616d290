"""The study's report entry (``Study.report``, run by the platform's stage ``stages/report.py``
as stage ``levels``): per-level tables and the figure (``results/lth/levels/``), the judged
claims and the fidelity document (``results/lth/claims.csv``, ``results/lth/fidelity.md``) from
the train jobs' eval files and logs."""

from __future__ import annotations

from pathlib import Path

from ...fidelity.outputs import write_claims
from ...io import write_text
from ...records.train_log import load_logs
from ...render.tables import frame_csv
from .claims import Run, evaluate
from .figures import write_levels_figure
from .fidelity import fidelity_markdown
from .levels import load_levels, summarize
from .protocol import departures, evaluation_eps, note
from .published import load_published
from .tables import levels_markdown

#: What :func:`write_report` writes into ``out`` (the claims and the fidelity document go where
#: the stage says: ``results/lth/``).
OUTPUTS = ("levels.md", "levels.csv", "levels.png")


def measure_run(params: dict, levels, summary, logs) -> Run:
    """The claims' view of the run: round models, a round's steps per (data set, method) from the
    train logs (all rounds' steps / rounds), and the departures per data set."""
    rounds = levels.groupby(["dataset", "method"])["round"].nunique()
    steps = {(r.dataset, r.method): int(r.steps) // int(rounds[(r.dataset, r.method)])
             for r in logs.itertuples() if (r.dataset, r.method) in rounds.index}
    found = {}
    for dataset in summary["dataset"].unique():
        per_round = [s for (d, _), s in steps.items() if d == dataset]
        trials = int(summary.loc[summary["dataset"] == dataset, "n"].max())
        found[dataset] = departures(params, dataset, max(per_round) if per_round else None, trials)
    return Run(levels, steps, found)


def write_report(params: dict, methods: list[str], evals: list, logs: list, out: str | Path,
                 claims: str | Path, fidelity: str | Path) -> None:
    """``out``/:data:`OUTPUTS`, ``claims`` (CSV) and ``fidelity`` (Markdown) of the run whose eval
    files and train logs are given (``holistic.studies.base.REPORT_SIGNATURE``)."""
    out = Path(out)
    levels = load_levels(evals, evaluation_eps(params))
    summary = summarize(levels)
    run = measure_run(params, levels, summary, load_logs(logs))
    notes = {d: note(found) for d, found in run.departures.items()}
    write_text(out / "levels.md", levels_markdown(summary, methods, notes))
    write_text(out / "levels.csv", frame_csv(summary))
    write_levels_figure(summary, methods, out / "levels.png", notes)
    frame = write_claims(claims, "lth", evaluate(run))
    write_text(fidelity, fidelity_markdown(summary, load_published(), notes, frame))
