"""The fidelity document of one or more runs: ``fidelity.md`` and its tidy CSV.

:func:`assess_runs` matches and compares each run (a label and its selection trace) with
the published tables, and, where a second run of the same protocol with another seed is
given, the run with that one by the same tolerance rule (:func:`seed_comparison`: the
ceiling of the comparison with the paper, issue 28 item 5); :func:`fidelity_markdown`
writes the document (header with the runs, notes and how to read it, then per run: data
sets, summary of the cells, the seed-to-seed ceiling, one ``published / here /
difference`` table per metric, then the study's claims section, given as text: the claims
engine's table, :func:`holistic.fidelity.outputs.claims_markdown`); :func:`fidelity_csv`
the tidy cells.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Sequence

import pandas as pd

from ..errors import DataError
from ..io import write_text
from ..records.selected import check_selected
from ..render.tables import frame_csv, markdown_table, number, ordered, percent
from ..selection.select import METRICS
from ..selection.tables import TABLE_DECIMALS
from .compare import compare, shares_by_method, summarize_by_test_size, summarize_cells, within_tolerance
from .match import COMPARED, SIZE_DIFFERS, UNMATCHED, match_datasets
from .reference import REFERENCE_COLUMNS, Publication, load_reference, load_reference_names


def _f(v, sign: bool = False) -> str:
    """A cell value: the tables' 2 decimals, ``-`` when missing."""
    return number(v, TABLE_DECIMALS, missing="-", sign=sign)


# --------------------------------------------------------------------------- assessment

def seed_comparison(pub: Publication, selected: pd.DataFrame, second: pd.DataFrame,
                    info: pd.DataFrame | None = None, reference: pd.DataFrame | None = None,
                    names: pd.DataFrame | None = None) -> pd.DataFrame:
    """The cells of ``selected`` against those of ``second`` (a run of the same protocol with
    another seed) by the rule of the comparison with the paper: the same data sets (those the
    published tables hold at the same size), the same cell tolerance (max(tolerance, one row
    of the published test set)); ``published`` is the second run's value. Columns
    :data:`holistic.fidelity.compare.COMPARISON_COLUMNS`; cells where either run lacks a value
    are left out."""
    reference = load_reference(pub) if reference is None else reference
    names = load_reference_names(pub) if names is None else names
    second = check_selected(second, "the second seed's run", pub.methods)
    matched = match_datasets(second["dataset"], reference, info, names, pub.tables_label)
    rows = []
    for d, m in matched[matched["status"] == COMPARED].iterrows():
        values = {(r.metric, r.method): float(r.test) for r in second[second["dataset"] == d].itertuples()}
        for r in reference[reference["dataset"] == m["paper_name"]].itertuples(index=False):
            if (r.metric, r.method) in values:
                rows.append({**r._asdict(), "value": values[(r.metric, r.method)]})
    return compare(pub, selected, info, pd.DataFrame(rows, columns=REFERENCE_COLUMNS), names)


@dataclass(frozen=True)
class RunFidelity:
    """Everything the documents need about one run (``seeds``: its cells against a second run
    of the same protocol with another seed, :func:`seed_comparison`, or None)."""
    label: str
    matched: pd.DataFrame
    comparison: pd.DataFrame
    seeds: pd.DataFrame | None = None


def assess_run(pub: Publication, label: str, selected: pd.DataFrame,
               info: pd.DataFrame | None = None, reference: pd.DataFrame | None = None,
               names: pd.DataFrame | None = None, second: pd.DataFrame | None = None) -> RunFidelity:
    """Match and compare one run (and, with ``second``, compare it with its second seed)."""
    reference = load_reference(pub) if reference is None else reference
    names = load_reference_names(pub) if names is None else names
    selected = check_selected(selected, f"run {label!r}", pub.methods)
    matched = match_datasets(selected["dataset"], reference, info, names, pub.tables_label)
    seeds = None if second is None else seed_comparison(pub, selected, second, info, reference, names)
    return RunFidelity(label, matched, compare(pub, selected, info, reference, names), seeds)


def assess_runs(pub: Publication, runs: Mapping[str, pd.DataFrame],
                infos: Mapping[str, pd.DataFrame] | None = None,
                reference: pd.DataFrame | None = None,
                names: pd.DataFrame | None = None,
                seconds: Mapping[str, pd.DataFrame] | None = None) -> list[RunFidelity]:
    """:func:`assess_run` for every run, in the given order (``seconds``: label -> the
    selection of that run's second seed, where there is one)."""
    if not runs:
        raise DataError("no run given")
    reference = load_reference(pub) if reference is None else reference
    names = load_reference_names(pub) if names is None else names
    infos, seconds = infos or {}, seconds or {}
    unknown = sorted(set(seconds) - set(runs))
    if unknown:
        raise DataError(f"second seed of unknown run(s) {', '.join(unknown)}; runs: {', '.join(runs)}")
    return [assess_run(pub, label, sel, infos.get(label), reference, names, seconds.get(label))
            for label, sel in runs.items()]


# --------------------------------------------------------------------------- Markdown

def tolerance_words(pub: Publication) -> str:
    """How the document names a cell's tolerance."""
    if pub.test_fraction is None:
        return f"{pub.tolerance:g} points"
    return f"tolerance (max({pub.tolerance:g} points, one test row))"


def summary_lines(pub: Publication, comparison: pd.DataFrame) -> list[str]:
    """Markdown bullet lines: share of cells within their tolerance (overall and per
    metric), mean absolute and mean signed difference per metric."""
    words = tolerance_words(pub)
    s = summarize_cells(comparison)
    a = s.loc["all"]
    if a["cells"] == 0:
        return ["- No cell compared (no data set of this run matches a published one in size)."]
    lines = [f"- Cells compared: {int(a['cells'])}; within {words} of the published "
             f"value: {int(a['within'])} ({percent(a['share_within'])}); mean |difference| "
             f"{_f(a['mean_abs_difference'])} points."]
    for metric in METRICS:
        r = s.loc[metric]
        if r["cells"] == 0:
            lines.append(f"- {pub.title(metric)}: no cell.")
            continue
        lines.append(f"- {pub.title(metric)}: {int(r['within'])}/{int(r['cells'])} within "
                     f"{words} ({percent(r['share_within'])}); mean |difference| "
                     f"{_f(r['mean_abs_difference'])}, mean difference (here - published) "
                     f"{_f(r['mean_difference'], sign=True)} points.")
    return lines


def shares_markdown(pub: Publication, comparison: pd.DataFrame) -> str:
    """Per metric and method: data sets within tolerance / compared (share)."""
    t = shares_by_method(comparison, pub.methods)
    if t.empty:
        return "No cell.\n"
    rows = [[pub.title(metric)] + ["-" if not isinstance(c, tuple) else
                                   f"{c[0]}/{c[1]} ({percent(c[0] / c[1])})" for c in t.loc[metric]]
            for metric in t.index]
    return markdown_table(["metric", *t.columns], rows, "l" + "r" * len(t.columns))


def sizes_markdown(comparison: pd.DataFrame) -> str:
    """The summary per group of published test-set size."""
    t = summarize_by_test_size(comparison)
    if t.empty:
        return "No cell.\n"
    rows = [[g, str(int(r["datasets"])), f"{int(r['within'])}/{int(r['cells'])}",
             percent(r["share_within"]), _f(r["mean_abs_difference"]), _f(r["mean_difference"], sign=True)]
            for g, r in t.iterrows()]
    return markdown_table(["test rows", "data sets", "cells within", "share", "mean |diff.|",
                           "mean diff."], rows, "lrrrrr")


def ceiling_lines(pub: Publication, comparison: pd.DataFrame, seeds: pd.DataFrame) -> list[str]:
    """The seed-to-seed ceiling beside the paper agreement, on the same cells: per metric and
    in all, the share within tolerance of the paper and between the two seeds."""
    key = ["dataset", "metric", "method"]
    seeds = seeds[seeds["comparable"].astype(bool)] if len(seeds) else seeds
    if not len(seeds):
        return ["- Seed-to-seed ceiling: no cell of the second seed's run matches this run's."]
    same = comparison.merge(seeds[key], on=key) if len(comparison) else comparison
    paper, ceiling = summarize_cells(same), summarize_cells(seeds)
    methods = ordered(seeds["method"].unique(), pub.methods)
    words = tolerance_words(pub)

    def share(s, metric):
        r = s.loc[metric]
        return f"{int(r['within'])}/{int(r['cells'])} ({percent(r['share_within'])})" if r["cells"] else "-"

    lines = [f"- Seed-to-seed ceiling ({', '.join(methods)}; the same protocol run with another seed): "
             f"{share(ceiling, 'all')} of the cells within {words} of the other seed's, against "
             f"{share(paper, 'all')} of the same cells within it of the published value."]
    lines += [f"  - {pub.title(metric)}: between seeds {share(ceiling, metric)}, against the paper "
              f"{share(paper, metric)}." for metric in METRICS if ceiling.loc[metric, "cells"]]
    return lines


def cell_text(published: float, reproduced: float, difference: float, tolerance: float) -> str:
    """``pub / here / diff``; the difference in bold when outside the (cell's) tolerance."""
    d = _f(difference, sign=True)
    if not within_tolerance(pd.Series([difference]), tolerance).iat[0]:
        d = f"**{d}**"
    return f"{_f(published)} / {_f(reproduced)} / {d}"


def cells_markdown(pub: Publication, comparison: pd.DataFrame, metric: str) -> str:
    """Per data set (rows, published order) and method: ``pub / here / diff``; flagged
    data sets marked with a dagger."""
    sub = comparison[comparison["metric"] == metric] if len(comparison) else comparison
    if sub.empty:
        return "No cell.\n"
    methods = ordered(sub["method"].unique(), pub.methods)
    rows = []
    for d in sub["dataset"].drop_duplicates():
        cells = sub[sub["dataset"] == d].set_index("method")
        first = cells.iloc[0]
        label = d if first["paper_name"] == d else f"{d} ({first['paper_name']})"
        if not bool(first["comparable"]):
            label += " †"
        rows.append([label] + [cell_text(cells.at[m, "published"], cells.at[m, "reproduced"],
                                         cells.at[m, "difference"], cells.at[m, "tolerance"])
                               if m in cells.index else "-" for m in methods])
    return markdown_table(["data set", *methods], rows, "l" + "r" * len(methods))


def datasets_lines(matched: pd.DataFrame) -> list[str]:
    """Which data sets were compared, flagged (size differs) or not matched."""
    def fmt(d, m):
        pn = m["paper_name"]
        name = f"{d} -> {pn}" if isinstance(pn, str) and pn != d else d
        return name if m["status"] == COMPARED else f"{name} ({m['reason']})"
    groups = [(COMPARED, "compared"), (SIZE_DIFFERS, "not comparable, size differs (marked †)"),
              (UNMATCHED, "no published counterpart")]
    lines = []
    for status, title in groups:
        sub = matched[matched["status"] == status]
        items = ", ".join(fmt(d, m) for d, m in sub.iterrows()) if len(sub) else "none"
        lines.append(f"- {title} ({len(sub)}): {items}")
    return lines


def run_datasets_sentence(matched: pd.DataFrame) -> str:
    """One line for the document header: how many data sets were compared, and which."""
    comp = [d for d in matched.index if matched.at[d, "status"] == COMPARED]
    other = [f"{d} ({matched.at[d, 'status']})" for d in matched.index if d not in set(comp)]
    text = f"{len(comp)} of {len(matched)} data sets compared"
    if comp:
        text += f" ({', '.join(comp)})"
    return text + (f"; not compared: {', '.join(other)}." if other else ".")


def run_markdown(pub: Publication, run: RunFidelity) -> str:
    """One run's section: data sets, summary lines (with the seed-to-seed ceiling), per-metric
    cell tables."""
    m = run.matched
    ceiling = [] if run.seeds is None else ceiling_lines(pub, run.comparison, run.seeds)
    parts = [f"## Run `{run.label}`", "", "Data sets:", "", *datasets_lines(m), "",
             "### Summary", "", *summary_lines(pub, run.comparison), *ceiling, "",
             f"Data sets within {tolerance_words(pub)}, per metric and method:", "",
             shares_markdown(pub, run.comparison),
             "By the published test set's size (a small test set moves 100 / rows points per row):", "",
             sizes_markdown(run.comparison)]
    for metric in METRICS:
        parts += [f"### {pub.title(metric)}: published / here / difference", "",
                  cells_markdown(pub, run.comparison, metric)]
    return "\n".join(parts)


def fidelity_markdown(pub: Publication, runs: Mapping[str, pd.DataFrame] | Sequence[RunFidelity],
                      infos: Mapping[str, pd.DataFrame] | None = None,
                      reference: pd.DataFrame | None = None,
                      names: pd.DataFrame | None = None, notes: Sequence[str] = (),
                      claims: str = "") -> str:
    """The whole ``fidelity.md``: header (runs, data sets, notes, how to read), then one
    section per run label, then ``claims`` (the study's claims section, Markdown).
    ``runs``: label -> selection trace, or assessed runs."""
    names = load_reference_names(pub) if names is None else names
    assessed = list(runs) if not isinstance(runs, Mapping) else \
        assess_runs(pub, runs, infos, reference, names)
    head = ["# Fidelity to the published tables", "", pub.intro, "",
            "Runs: " + ", ".join(f"`{r.label}`" for r in assessed) + ".", ""]
    for r in assessed:
        head.append(f"- `{r.label}`: " + run_datasets_sentence(r.matched))
    head.append("")
    head += [f"- {n}" for n in notes]
    if notes:
        head.append("")
    head += [pub.how_to_read.format(tol=pub.tolerance), ""]
    body = "\n".join(head) + "\n" + "\n".join(run_markdown(pub, r) for r in assessed)
    return body + ("\n" + claims if claims else "")


# --------------------------------------------------------------------------- CSV, files

def fidelity_frame(runs: Sequence[RunFidelity]) -> pd.DataFrame:
    """Tidy cells of all runs: run, dataset, metric, method, published, reproduced,
    difference, paper_name, comparable."""
    cols = ["run", "dataset", "metric", "method", "published", "reproduced", "difference",
            "tolerance", "n_test", "paper_name", "comparable"]
    frames = [r.comparison.assign(run=r.label) for r in runs if len(r.comparison)]
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)[cols]


def fidelity_csv(runs: Sequence[RunFidelity]) -> str:
    """:func:`fidelity_frame` as CSV text (2 decimals, ``true``/``false``)."""
    df = fidelity_frame(runs).copy()
    for c in ("published", "reproduced", "difference", "tolerance"):
        df[c] = df[c].map(lambda v: _f(v))
    df["comparable"] = df["comparable"].map(lambda b: "true" if b else "false")
    return frame_csv(df, decimals=None)


def write_fidelity(pub: Publication, runs: Mapping[str, pd.DataFrame] | Sequence[RunFidelity],
                   md_path: str | os.PathLike, csv_path: str | os.PathLike,
                   notes: Sequence[str] = (),
                   infos: Mapping[str, pd.DataFrame] | None = None, claims: str = "") -> list[RunFidelity]:
    """Assess the runs (unless given assessed) and write ``fidelity.md`` (``claims``: its
    closing claims section) and the tidy CSV atomically."""
    assessed = assess_runs(pub, runs, infos) if isinstance(runs, Mapping) else list(runs)
    write_text(md_path, fidelity_markdown(pub, assessed, notes=notes, claims=claims))
    write_text(csv_path, fidelity_csv(assessed))
    return assessed


__all__ = ["seed_comparison", "RunFidelity", "assess_run", "assess_runs", "summary_lines",
           "tolerance_words", "shares_markdown", "sizes_markdown",
           "ceiling_lines", "cell_text", "cells_markdown", "datasets_lines",
           "run_datasets_sentence", "run_markdown", "fidelity_markdown", "fidelity_frame",
           "fidelity_csv", "write_fidelity"]
