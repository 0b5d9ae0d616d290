"""Every study's claims as one file format and one page: ``results/<study>/claims.csv``
(:data:`holistic.fidelity.engine.COLUMNS`), its Markdown table in the study's ``fidelity.md``,
and ``results/claims.md``, every claim of every study at a glance with the verdict counts and
the invariants (:mod:`holistic.fidelity.invariants`) reported apart from the claims."""

from __future__ import annotations

import os
from typing import Mapping, Sequence

import pandas as pd

from ..errors import DataError
from ..io import write_text
from ..render.tables import frame_csv, markdown_table
from .engine import COLUMNS, VERDICTS, claims_frame, verdict_counts


def claims_csv(frame: pd.DataFrame) -> str:
    """The CSV text of a claims frame (:data:`COLUMNS`, in that order)."""
    return frame_csv(frame[COLUMNS], decimals=None)


def write_claims(path: str | os.PathLike, study: str, judged) -> pd.DataFrame:
    """Write the judged claims of ``study`` to ``path`` (atomically); return the frame."""
    frame = claims_frame(study, judged)
    write_text(path, claims_csv(frame))
    return frame


def read_claims(path: str | os.PathLike) -> pd.DataFrame:
    """A study's ``claims.csv``, checked: DataError naming the file and what is wrong."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot read the claims ({exc})") from None
    lacking = [c for c in COLUMNS if c not in frame.columns]
    if lacking:
        raise DataError(f"{path}: columns {', '.join(lacking)} missing")
    bad = sorted(set(frame["verdict"]) - set(VERDICTS))
    if bad:
        raise DataError(f"{path}: field 'verdict' has {', '.join(map(repr, bad))}; one of {', '.join(VERDICTS)}")
    return frame[COLUMNS]


def cell(text) -> str:
    """A table cell: a ``|`` escaped so that it cannot split the row."""
    return str(text).replace("|", "\\|")


def claims_markdown(frame: pd.DataFrame, caption: str) -> str:
    """The claims table of a study's ``fidelity.md``."""
    rows = [[cell(v) for v in (r.key, r.dataset or "-", r.claim, r.source, r.paper or "-", r.here or "-",
                                r.statistic, r.verdict, r.reason, r.departures)] for r in frame.itertuples()]
    return markdown_table(["", "data set", "claim", "source", "paper", "here", "paired statistic", "verdict",
                           "why", "departures"], rows, "llllllllll", caption)


def counts_text(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{counts[v]} {v}" for v in VERDICTS)


def overview_markdown(frames: Mapping[str, pd.DataFrame], invariants: Mapping[str, tuple[int, int]],
                      violations: Mapping[str, Sequence[str]] | None = None) -> str:
    """``results/claims.md``: the verdict counts per study, the invariants apart, then every
    claim (study, data set, claim, verdict, why)."""
    lines = ["# Claims at a glance", "",
             "Every claim of every study, judged by one engine (`holistic.fidelity.engine`): `holds` or "
             "`fails` when the 95 % interval of a paired difference over splits or seeds lies on one side "
             "of the claim's margin, `inconclusive` when it straddles it, `not testable here` when a "
             "precondition (enough trials, convergence, a successful attack, matched sparsity, the "
             "protocol) is unmet. Invariants (natural >= empirical robust >= verified accuracy, "
             "r >= 0, shares in [0, 100], sound bounds) are checked on every model and never counted "
             "as claims.", ""]
    rows = []
    for study, frame in frames.items():
        c = verdict_counts(frame)
        checked, violated = invariants.get(study, (0, 0))
        rows.append([study, str(len(frame))] + [str(c[v]) for v in VERDICTS] + [f"{checked} checked, {violated} violated"])
    lines.append(markdown_table(["study", "claims"] + list(VERDICTS) + ["invariants"], rows,
                                "lrrrrrl", "**Verdicts per study.**"))
    for study, texts in (violations or {}).items():
        if texts:
            lines += [f"Invariant violations in {study}:", ""] + [f"- {t}" for t in texts] + [""]
    for study, frame in frames.items():
        rows = [[cell(v) for v in (r.key, r.dataset or "-", r.claim, r.verdict, r.reason)]
                for r in frame.itertuples()]
        lines += ["", markdown_table(["", "data set", "claim", "verdict", "why"], rows, "lllll",
                                     f"**{study}** ({counts_text(verdict_counts(frame))}; departures and "
                                     f"statistics: `results/{study}/claims.csv`)")]
    return "\n".join(lines) + "\n"


__all__ = ["claims_csv", "write_claims", "read_claims", "cell", "claims_markdown", "counts_text", "overview_markdown"]
