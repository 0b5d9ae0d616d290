"""The study's analysis as one call (stage ``tables``): Tables 1-4 beside the published cells,
the noise table, the summary CSV, the figure, the fidelity document and the claims."""

from __future__ import annotations

from pathlib import Path

from ...io import atomic_path
from .claims import evaluate
from .fidelity import fidelity_markdown
from .figures import write_figure
from .protocol import departures, evaluation_eps, header_note
from .published import load_published
from .results import load_summary
from .tables import summary_csv, tables_markdown

OUTPUTS = ("tables.md", "summary.csv", "rvsm.png", "fidelity.md", "claims.csv")


def write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)


def run_notes(params: dict, summary) -> dict[str, str]:
    """Per data set, the header line of its tables (:func:`.protocol.header_note`)."""
    return {d: header_note(departures(params, d, list(summary.loc[summary["dataset"] == d, "network"].unique())))
            for d in summary["dataset"].unique()}


def write_report(params: dict, evals: list, out: str | Path) -> None:
    """``out``/:data:`OUTPUTS` of the run whose eval files are given."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary = load_summary(evals, evaluation_eps(params))
    notes = run_notes(params, summary)
    draws = int({"draws": 10, **(params["attack"].get("eot_ifgsm") or {})}["draws"])
    write_text(out / "tables.md", tables_markdown(summary, load_published(), notes, draws))
    write_text(out / "summary.csv", summary_csv(summary))
    write_figure(summary, out / "rvsm.png")
    write_text(out / "fidelity.md", fidelity_markdown(summary, notes))
    write_text(out / "claims.csv", evaluate(summary).to_csv(index=False, lineterminator="\n"))
