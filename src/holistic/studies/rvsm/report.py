"""The study's report entry (``Study.report``, run by the platform's stage ``stages/report.py``
as stage ``tables``): Tables 1-4 beside the published cells, the
noise table, the summary CSV and the figure (:data:`OUTPUTS`, under ``out``), the judged claims
(``results/rvsm/claims.csv``, :func:`holistic.fidelity.outputs.write_claims`) and the fidelity
document (``results/rvsm/fidelity.md``). Every table, the figure and the claims carry the run's
departures from the paper's protocol (:mod:`.protocol`)."""

from __future__ import annotations

from pathlib import Path

from ...fidelity.outputs import write_claims
from ...fidelity.protocol import header_note
from ...io import write_text
from ...records.evals import tidy_rows
from ...render.tables import frame_csv
from .claims import evaluate
from .fidelity import fidelity_markdown
from .figures import write_figure
from .protocol import WHERE, departures, evaluation_eps
from .published import load_published
from .readings import network
from .results import configs_of, init_shares, model_rows, summarize
from .tables import tables_markdown

OUTPUTS = ("tables.md", "summary.csv", "rvsm.png")


def run_notes(params: dict, models) -> dict[str, str]:
    """Per data set, the line its tables, figure and claims carry (the run's departures)."""
    return {d: header_note(departures(params, d, list(models.loc[models["dataset"] == d, "method"].unique())), WHERE)
            for d in models["dataset"].unique()}


def write_report(params: dict, methods: list[str], evals: list, logs: list, out: str | Path,
                 claims: str | Path, fidelity: str | Path, sweep: str | Path | None = None) -> None:
    """``out``/:data:`OUTPUTS`, ``claims`` (CSV) and ``fidelity`` (Markdown) of the run whose eval
    files are given (``holistic.studies.base.REPORT_SIGNATURE``; the tables follow the paper's
    layout and the train logs hold nothing they read: ``methods`` and ``logs`` are not read).
    ``sweep`` (a step sweep's records) is not read: no claim of the study has a ``converged``
    precondition; the sweep's figure is the platform's (stage ``sweep``)."""
    out = Path(out)
    models = model_rows(tidy_rows(evals), configs_of(evals), evaluation_eps(params), init_shares(evals, logs))
    summary = summarize(models)
    notes = run_notes(params, models)
    draws = int({"draws": 10, **(params["attack"].get("eot_ifgsm") or {})}["draws"])
    write_text(out / "tables.md", tables_markdown(summary, load_published(), notes, draws))
    write_text(out / "summary.csv", frame_csv(summary))
    write_figure(summary, out / "rvsm.png", notes)
    frame = write_claims(claims, "rvsm", evaluate(models, params))
    singles = {d: network(models[models["dataset"] == d], "single") for d in models["dataset"].unique()}
    write_text(fidelity, fidelity_markdown(summary, frame, notes, singles))
