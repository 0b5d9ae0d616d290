"""The study's analysis as one call (stage ``levels``): per-round tables, Table 1, the figure, the
fidelity document and the claims from the train jobs' eval files and logs."""

from __future__ import annotations

from pathlib import Path

from ...io import write_text
from ...records.train_log import load_logs
from .claims import evaluate
from .fidelity import fidelity_markdown
from .figures import write_levels_figure
from .levels import load_levels, summarize
from .protocol import departures, header_note
from .published import load_published
from .tables import levels_csv, levels_markdown

OUTPUTS = ("levels.md", "levels.csv", "levels.png", "fidelity.md", "claims.csv")


def run_notes(params: dict, summary, logs) -> dict[str, str]:
    """Per data set, the header line of its tables (:func:`.protocol.header_note`)."""
    prunes = int((params["train"].get("progressive") or {}).get("prunes", 16))
    notes = {}
    for dataset in summary["dataset"].unique():
        steps = logs.loc[logs["dataset"] == dataset, "steps"] if len(logs) else []
        per_round = int(max(steps)) // (prunes + 1) if len(steps) else None
        refs = int(summary.loc[summary["dataset"] == dataset, "n"].max())
        notes[dataset] = header_note(departures(params, dataset, refs, per_round))
    return notes


def write_report(params: dict, evals: list, logs: list, out: str | Path) -> None:
    """``out``/:data:`OUTPUTS` of the run whose eval files and train logs are given."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    levels = load_levels(evals)
    summary = summarize(levels)
    notes = run_notes(params, summary, load_logs(logs))
    published = load_published()
    write_text(out / "levels.md", levels_markdown(summary, notes))
    write_text(out / "levels.csv", levels_csv(summary))
    write_levels_figure(summary, out / "levels.png")
    note = " ".join(f"{d}: {n}" for d, n in notes.items())
    write_text(out / "fidelity.md", fidelity_markdown(levels, summary, published, note))
    write_text(out / "claims.csv", evaluate(levels, summary).to_csv(index=False, lineterminator="\n"))
