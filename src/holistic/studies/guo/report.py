"""The study's report entry (``Study.report``, run by the platform's stage ``stages/report.py``
as stage ``levels``): per-round tables, Table 1 and the figure (``results/guo/levels/``), the
judged claims and the fidelity document (``results/guo/claims.csv``, ``results/guo/fidelity.md``)
from the train jobs' eval files and logs."""

from __future__ import annotations

from pathlib import Path

from ...fidelity.outputs import write_claims
from ...io import write_text
from ...records.train_log import load_logs
from ...render.tables import frame_csv
from .claims import LINEAR_DATASETS, NETS_DATASET, Run, evaluate
from .fidelity import fidelity_markdown
from .figures import write_levels_figure
from .levels import load_levels, summarize, with_correct
from ...fidelity import protocol as P
from .protocol import captions, effective, note, paper_protocol, rows
from .published import load_published
from .tables import levels_markdown

#: What :func:`write_report` writes into ``out`` (the claims and the fidelity document go where
#: the stage says: ``results/guo/``).
OUTPUTS = ("levels.md", "levels.csv", "levels.png")


def run_protocol(params: dict, levels, logs) -> dict[str, dict[str, object]]:
    """Per data set of the run (and the paper's tasks), its effective protocol
    (:func:`.protocol.effective`; the methods and references as run there, the steps from the
    train logs)."""
    datasets = list(dict.fromkeys([*levels["dataset"].unique(), *LINEAR_DATASETS, NETS_DATASET]))
    out = {}
    for d in datasets:
        mine = levels[levels["dataset"] == d]
        out[d] = effective(params, d, tuple(mine["method"].unique()), logs, mine["split"].nunique() or None)
    return out


def run_departures(params: dict, levels, logs) -> dict[str, dict[str, str]]:
    """Per data set of :func:`run_protocol`, its departures from the paper's protocol."""
    return {d: P.departures(paper_protocol(d), run) for d, run in run_protocol(params, levels, logs).items()}


def write_report(params: dict, methods: list[str], evals: list, logs: list, out: str | Path,
                 claims: str | Path, fidelity: str | Path, sweep: str | Path | None = None) -> None:
    """``out``/:data:`OUTPUTS`, ``claims`` (CSV) and ``fidelity`` (Markdown) of the run whose eval
    files and train logs are given (``holistic.studies.base.REPORT_SIGNATURE``; the tables follow
    the methods as run, ``methods`` is not read). ``sweep`` (a step sweep's records) is not read:
    no claim of the study has a ``converged`` precondition; the sweep's figure is the platform's
    (stage ``sweep``)."""
    out = Path(out)
    levels = load_levels(evals)
    levels = with_correct(levels, {d: n for d in levels["dataset"].unique() if (n := rows(params, d)[1])})
    summary = summarize(levels)
    runs = run_protocol(params, levels, load_logs(logs))
    found = {d: P.departures(paper_protocol(d), run) for d, run in runs.items()}
    notes = {d: note(found[d]) for d in summary["dataset"].unique()}
    joined = " ".join(f"{d}: {n}" for d, n in notes.items())
    write_text(out / "levels.md", levels_markdown(summary, notes, texts={d: captions(runs[d], d) for d in runs}))
    write_text(out / "levels.csv", frame_csv(summary))
    write_levels_figure(summary, out / "levels.png", joined)
    frame = write_claims(claims, "guo", evaluate(Run(levels, found)))
    write_text(fidelity, fidelity_markdown(summary, load_published(), frame, joined))
