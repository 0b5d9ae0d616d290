"""The study's report entry (``Study.report``, run by the platform's stage ``stages/report.py``
as stage ``levels``): per-level tables and the figure (``results/lth/levels/``), the judged
claims and the fidelity document (``results/lth/claims.csv``, ``results/lth/fidelity.md``) from
the train jobs' eval files and logs (and, where the run has one, its step sweep's records for the
claims' ``converged``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...fidelity.outputs import write_claims
from ...io import write_text
from ...records.evals import eps_key
from ...records.train_log import load_logs
from ...render.tables import frame_csv
from .claims import Run, evaluate
from .figures import write_levels_figure
from .fidelity import fidelity_markdown
from .levels import MEASURES, load_levels, summarize
from .protocol import departures, evaluation_eps, note
from .published import load_published
from .tables import levels_markdown

#: What :func:`write_report` writes into ``out`` (the claims and the fidelity document go where
#: the stage says: ``results/lth/``).
OUTPUTS = ("levels.md", "levels.csv", "levels.png")


def read_sweep(path: str | Path | None, eps: float) -> pd.DataFrame | None:
    """The rows of the step sweep's records (``holistic.records.sweep``'s CSV, stage ``sweep``) the
    claims read: the clean accuracy and each attack of :data:`.levels.MEASURES` at ``eps``; None
    where the run has no sweep (``path`` None)."""
    if path is None:
        return None
    frame = pd.read_csv(path)
    at_eps = frame["eps"].map(lambda e: pd.notna(e) and eps_key(e) == eps_key(eps))
    keep = (frame["measure"] == "natural") | (frame["measure"].isin(MEASURES) & at_eps)
    return frame[keep].reset_index(drop=True)


def measure_run(params: dict, levels, summary, logs, sweep: pd.DataFrame | None = None) -> Run:
    """The claims' view of the run: round models, a round's steps per (data set, method) from the
    train logs (all rounds' steps / rounds), the departures per data set and the step sweep
    (:func:`read_sweep`; None: none)."""
    rounds = levels.groupby(["dataset", "method"])["round"].nunique()
    steps = {(r.dataset, r.method): int(r.steps) // int(rounds[(r.dataset, r.method)])
             for r in logs.itertuples() if (r.dataset, r.method) in rounds.index}
    found = {}
    for dataset in summary["dataset"].unique():  # each method's steps a round (its own training: method_train)
        per_round = {m: s for (d, m), s in steps.items() if d == dataset}
        trials = int(summary.loc[summary["dataset"] == dataset, "n"].max())
        methods = levels.loc[levels["dataset"] == dataset, "method"].unique()
        found[dataset] = departures(params, dataset, per_round, trials, methods)
    return Run(levels, steps, found, sweep)


def write_report(params: dict, methods: list[str], evals: list, logs: list, out: str | Path,
                 claims: str | Path, fidelity: str | Path, sweep: str | Path | None = None) -> None:
    """``out``/:data:`OUTPUTS`, ``claims`` (CSV) and ``fidelity`` (Markdown) of the run whose eval
    files and train logs are given (``holistic.studies.base.REPORT_SIGNATURE``); ``sweep``: the
    step sweep's records, which the claims' ``converged`` reads where given."""
    out = Path(out)
    levels = load_levels(evals, evaluation_eps(params))
    summary = summarize(levels)
    run = measure_run(params, levels, summary, load_logs(logs), read_sweep(sweep, evaluation_eps(params)))
    notes = {d: note(found) for d, found in run.departures.items()}
    write_text(out / "levels.md", levels_markdown(summary, methods, notes))
    write_text(out / "levels.csv", frame_csv(summary))
    write_levels_figure(summary, methods, out / "levels.png", notes)
    frame = write_claims(claims, "lth", evaluate(run))
    write_text(fidelity, fidelity_markdown(summary, load_published(), notes, frame))
