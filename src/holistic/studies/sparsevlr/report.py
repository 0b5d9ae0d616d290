"""The study's analysis as one call (stage ``report``): Tables 2, 3, 6 side by side with the
published values, the figures, the fidelity document and the claims, from the train jobs' eval
files and logs."""

from __future__ import annotations

from pathlib import Path

from ...io import atomic_path
from ...render.tables import frame_csv
from .claims import evaluate
from .figures import write_dynamics_figure, write_errors_figure
from .fidelity import fidelity_markdown
from .protocol import departures, evaluation_eps, header_note
from .published import load_published
from .results import load_traces, model_errors, summarize
from .tables import summary_csv, tables_markdown

OUTPUTS = ("tables.md", "tables.csv", "traces.csv", "errors.png", "dynamics.png", "fidelity.md", "claims.csv")


def write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)


def run_notes(params: dict, summary, methods: list[str]) -> dict[str, str]:
    """Per data set, the header line of its tables (:func:`.protocol.header_note`)."""
    return {d: header_note(departures(params, d, int(summary.loc[summary["dataset"] == d, "n"].max()), methods))
            for d in summary["dataset"].unique()}


def write_report(params: dict, methods: list[str], evals: list, logs: list, out: str | Path) -> None:
    """``out``/:data:`OUTPUTS` of the run whose eval files and train logs are given."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    models = model_errors(evals, evaluation_eps(params))
    summary = summarize(models)
    traces = load_traces(evals, logs)
    run_methods = [m for m in methods if m in set(summary["method"])]
    notes = run_notes(params, summary, run_methods)
    published = load_published()
    claims = evaluate(summary, models, traces, published)
    write_text(out / "tables.md", tables_markdown(summary, models, published, methods, notes))
    write_text(out / "tables.csv", summary_csv(summary))
    write_text(out / "traces.csv", frame_csv(traces.drop(columns="histogram")))
    write_errors_figure(summary, methods, out / "errors.png")
    write_dynamics_figure(traces, out / "dynamics.png")
    write_text(out / "fidelity.md", fidelity_markdown(summary, published, claims, methods, notes))
    write_text(out / "claims.csv", claims.to_csv(index=False, lineterminator="\n"))
