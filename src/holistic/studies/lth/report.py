"""The study's analysis as one call (stage ``levels``): per-level tables, the figure and the
fidelity document from the train jobs' eval files and logs."""

from __future__ import annotations

from pathlib import Path

from ...io import atomic_path
from ...records.train_log import load_logs
from .claims import evaluate
from .figures import write_levels_figure
from .fidelity import fidelity_markdown
from .levels import load_levels, summarize
from .protocol import departures, evaluation_eps, header_note
from .published import load_published
from .tables import levels_csv, levels_markdown

OUTPUTS = ("levels.md", "levels.csv", "levels.png", "fidelity.md", "claims.csv")


def write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)


def run_notes(params: dict, summary, logs) -> dict[str, str]:
    """Per data set, the header line of its tables (:func:`.protocol.header_note`)."""
    rounds = int(summary["round"].max()) + 1
    notes = {}
    for dataset in summary["dataset"].unique():
        steps = logs.loc[logs["dataset"] == dataset, "steps"]
        per_round = int(steps.max()) // rounds if len(steps) else None
        trials = int(summary.loc[summary["dataset"] == dataset, "n"].max())
        notes[dataset] = header_note(departures(params, dataset, per_round, trials))
    return notes


def write_report(params: dict, methods: list[str], evals: list, logs: list, out: str | Path) -> None:
    """``out``/:data:`OUTPUTS` of the run whose eval files and train logs are given."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize(load_levels(evals, evaluation_eps(params)))
    notes = run_notes(params, summary, load_logs(logs))
    published = load_published()
    write_text(out / "levels.md", levels_markdown(summary, methods, notes))
    write_text(out / "levels.csv", levels_csv(summary))
    write_levels_figure(summary, methods, out / "levels.png")
    write_text(out / "fidelity.md", fidelity_markdown(summary, published, notes))
    write_text(out / "claims.csv", evaluate(summary, published).to_csv(index=False, lineterminator="\n"))
