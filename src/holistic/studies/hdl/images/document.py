"""The files of stage ``images``: ``images.md`` (one table per image data set in the layout of
Tables 2-4, each cell ``published / here / difference``, headed by :func:`.notes.table_notes`; the
claims of Section 4.2, :mod:`holistic.studies.hdl.images.claims`; the sanity checks) and
``images.csv`` (:func:`.tables.cells`).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Mapping

import pandas as pd

from ....errors import DataError
from ....fidelity import engine as E
from ....fidelity import outputs
from ....fidelity.compare import within_tolerance
from ....io import write_text
from ....records.evals import tables_eps
from ....render.labels import METRIC_SHORT
from ....render.tables import frame_csv, is_missing, markdown_table, number
from ....selection.select import METRICS
from ..methods import METHODS
from ..protocol import header_note
from ..reads import ADV
from .notes import table_notes
from .sanity import sanity_markdown, sanity_rows
from .tables import (DECIMALS, PAPER_RADIUS, REFERENCE_SOURCE, TABLES, TOLERANCE, cells, printed,
                     published_tables_2_4, run_datasets)


def _cell_text(r) -> str:
    if is_missing(r.here):
        return f"{printed(r.published)} / - / -"
    d = printed(r.difference, sign=True)
    if not within_tolerance(pd.Series([r.difference]), TOLERANCE).iat[0]:
        d = f"**{d}**"
    return f"{printed(r.published)} / {printed(r.here)} / {d}"


def comparison(here: pd.DataFrame, params: Mapping, published: pd.DataFrame | None = None) -> str:
    """Markdown: per data set of ``here`` (table order), its Table 2-4 in the paper's layout
    (rows the four metrics, columns the eight methods), each cell ``published / here /
    difference`` (difference in bold beyond :data:`TOLERANCE` points), headed by
    :func:`table_notes`. A data set without a published table gets a line saying so."""
    published = published_tables_2_4() if published is None else published
    tab = cells(here, published)
    blocks = []
    for ds in run_datasets(here):
        table = TABLES.get(ds)
        sub = tab[tab["dataset"] == ds]
        if sub.empty:
            blocks.append(f"### {ds}\n\nNo published table for {ds} (Tables 2-4: "
                          f"{', '.join(TABLES)}).\n")
            continue
        notes = "\n".join(f"- {n}" for n in table_notes(params, ds))
        eps = tables_eps(params, dataset=ds)
        paper_eps = PAPER_RADIUS[ds]
        names = dict(METRIC_SHORT)
        names[ADV] += f" rho={paper_eps:g}" + ("" if math.isclose(eps, paper_eps) else f" (here {eps:g})")
        methods = [m for m in METHODS if m in set(sub["method"])]
        rows = []
        for metric in METRICS:
            by = {r.method: r for r in sub[sub["metric"] == metric].itertuples()}
            rows.append([names[metric]] + [_cell_text(by[m]) if m in by else "-" for m in methods])
        caption = (f"**{table}, {ds} (test set, %): published / here / difference (here - published, "
                   f"points; bold beyond {TOLERANCE:g}).**")
        blocks.append(f"### {table}: {ds}\n\n{notes}\n\n"
                      + markdown_table(["metric", *methods], rows, "l" + "r" * len(methods), caption))
    return "\n".join(blocks)


def images_markdown(here: pd.DataFrame, params: Mapping, published: pd.DataFrame | None = None,
                    claims: pd.DataFrame | None = None) -> str:
    """The whole ``images.md``: intro, one table per data set, the claims (``claims``: the engine's
    rows of :mod:`holistic.studies.hdl.images.claims`, :func:`holistic.fidelity.engine.claims_frame`;
    None: no claims section), the sanity checks."""
    published = published_tables_2_4() if published is None else published
    run = run_datasets(here)
    absent = [f"{d} ({t})" for d, t in TABLES.items() if d not in set(run)]
    intro = [
        "# Tables 2-4: the image data sets against the published values", "",
        "This run's Tables 2-4 (Section 4.2 of *Holistic Deep Learning*, Bertsimas et al.) beside "
        f"the published ones (`{REFERENCE_SOURCE}`). Data sets of this run: "
        + ", ".join(f"{d} ({TABLES.get(d, 'no published table')})" for d in run)
        + (f"; not in this run: {', '.join(absent)}." if absent else "."), "",
        "How to read. Each cell is `published / here / difference`, in percent, rounded to the "
        "tables' one decimal; difference = here - published in percentage points, in bold beyond "
        f"{TOLERANCE:g}. As in the paper, each method's value comes from the one configuration "
        "with the best average validation rank over the four metrics (multi-objective choice). "
        "The lines above each table say where this run's protocol departs from the paper's; "
        "a table made with another network, fewer epochs or a slice of the rows is not expected to "
        "match it, and the claims are then the fairer comparison.", "",
        header_note(params, run), "",
    ]
    caption = (f"**Claims of Section 4.2** ({outputs.counts_text(E.verdict_counts(claims))}; the same rows "
               f"are in `claims.csv`). {header_note(params, run)}" if claims is not None else "")
    return "\n".join([
        *intro, "## Tables 2-4", "", comparison(here, params, published),
        *(["## Claims of Section 4.2", "",
           "Each claim judged by the claims engine on each image data set it speaks of: the paired difference "
           "of the two methods' test values over the data set's splits (each method's multi-objective choice), "
           "its 95 % interval against the claim's margin, after the preconditions (at least 3 splits, the "
           "values measured, no departure that voids the claim). `paper`: the published differences of the "
           "same table (no splits there, so no verdict).", "",
           outputs.claims_markdown(claims, caption)] if claims is not None else []),
        "## Sanity checks", "",
        "Checks a reviewer makes first, on this run's values (one decimal): measured value against "
        "threshold. A failed check is reported, not raised.", "",
        sanity_markdown(sanity_rows(here, params["aggregate"]["adversarial_eps"])),
    ])


def images_csv(here: pd.DataFrame, published: pd.DataFrame | None = None) -> str:
    """:func:`cells` as CSV text (one decimal; an empty cell where the run has no value)."""
    df = cells(here, published)
    for c in ("published", "here", "difference"):
        df[c] = df[c].map(lambda v: number(v, DECIMALS, no_negative_zero=True))
    return frame_csv(df, decimals=None)


def write_images(here: pd.DataFrame, params: Mapping, out_dir: str | os.PathLike,
                 published: pd.DataFrame | None = None, source: str = "selection",
                 claims: pd.DataFrame | None = None) -> None:
    """Write ``images.md`` (``claims``: see :func:`images_markdown`) and ``images.csv`` into
    ``out_dir`` atomically; DataError naming ``source`` when ``here`` holds no data set."""
    if here.empty:
        raise DataError(f"{source}: no image data set in the results")
    published = published_tables_2_4() if published is None else published
    out_dir = Path(out_dir)
    write_text(out_dir / "images.md", images_markdown(here, params, published, claims))
    write_text(out_dir / "images.csv", images_csv(here, published))
