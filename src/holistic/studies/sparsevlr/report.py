"""The study's report entry (``Study.report``, run by the platform's stage ``stages/report.py``
as stage ``report``): Tables 2, 3, 6 side by side with the
published values and the figures (in ``out``), the judged claims (``results/sparsevlr/claims.csv``,
:func:`holistic.fidelity.outputs.write_claims`) and the fidelity document
(``results/sparsevlr/fidelity.md``), from the train jobs' eval files and logs. Every table, figure
and claims row names the run's departures from the paper's protocol (:mod:`.protocol`)."""

from __future__ import annotations

from pathlib import Path

from ...fidelity.outputs import write_claims
from ...io import write_text
from ...render.tables import frame_csv
from .claims import judge_all
from .fidelity import fidelity_markdown
from .figures import write_dynamics_figure, write_errors_figure
from .protocol import TABLE6, bound_name, departures, evaluation_eps, note, settings
from .published import load_published
from .results import load_traces, model_errors, summarize
from .tables import tables_markdown

#: The files written into ``out``; the claims and the fidelity document go to their own paths.
OUTPUTS = ("tables.md", "tables.csv", "traces.csv", "errors.png", "dynamics.png")


def write_report(params: dict, methods: list[str], evals: list, logs: list, out: str | Path,
                 claims: str | Path, fidelity: str | Path, sweep: str | Path | None = None) -> None:
    """``out``/:data:`OUTPUTS`, ``claims`` (CSV) and ``fidelity`` (Markdown) of the run whose
    eval files and train logs are given (``holistic.studies.base.REPORT_SIGNATURE``). ``sweep`` (a
    step sweep's records) is not read: no claim of the study has a ``converged`` precondition; the
    sweep's figure is the platform's (stage ``sweep``)."""
    out = Path(out)
    models = model_errors(evals, evaluation_eps(params))
    summary = summarize(models)
    traces = load_traces(evals, logs)
    found = {d: departures(params, d, models) for d in summary["dataset"].unique()}
    notes = {d: note(f) for d, f in found.items()}
    everywhere = " ".join(dict.fromkeys(notes.values()))
    published = load_published()
    c = settings(params)
    bounds = {m: bound_name(c, m) for m in TABLE6} if c["bound"] else None  # train.certified.bound: every row's
    write_text(out / "tables.md", tables_markdown(summary, published, methods, notes, bounds))
    write_text(out / "tables.csv", frame_csv(summary))
    write_text(out / "traces.csv", frame_csv(traces.drop(columns="histogram")))
    write_errors_figure(summary, methods, out / "errors.png", note=everywhere)
    write_dynamics_figure(traces, out / "dynamics.png", note=everywhere)
    frame = write_claims(claims, "sparsevlr", judge_all(models, traces, found))
    write_text(fidelity, fidelity_markdown(summary, published, frame, methods, notes))
