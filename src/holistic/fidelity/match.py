"""Matching a run's data sets to the published ones.

A data set of a run is matched to a published row by its paper name: the
``paper_name`` of the given ``info`` if any, else the registry's, else the file stem
of the names file, else its own name if the published tables hold it. A matched data
set is *compared* only if its size agrees: the published ``n`` equals the run's ``n``
or ``n - 1`` (a published table may count one row fewer than the file, as HDL's
Table A1 does), and ``p`` and ``k`` are equal. Otherwise it is *flagged* (a different
data set under the same name): its cells are listed but enter neither the summary nor
the claims. Data sets without a published counterpart are listed as such.
"""

from __future__ import annotations

from typing import Iterable

import pandas as pd

from ..data import registry

COMPARED, SIZE_DIFFERS, UNMATCHED = "compared", "size differs", "no published table"
MATCH_COLUMNS = ["dataset", "paper_name", "n", "p", "k", "n_published", "status", "reason"]


def registry_info(datasets: Iterable[str]) -> pd.DataFrame:
    """``n, p, k, paper_name`` of registered data sets (index dataset); others get
    missing values."""
    known = set(registry.names())
    rows = []
    for d in sorted(set(datasets)):
        if d in known:
            i = registry.get(d)
            rows.append({"dataset": d, "n": i.n, "p": i.p, "k": i.k, "paper_name": i.paper_name})
        else:
            rows.append({"dataset": d, "n": pd.NA, "p": pd.NA, "k": pd.NA, "paper_name": None})
    return pd.DataFrame(rows, columns=["dataset", "n", "p", "k", "paper_name"]).set_index("dataset")


def match_datasets(datasets: Iterable[str], reference: pd.DataFrame,
                   info: pd.DataFrame | None = None, names: pd.DataFrame | None = None,
                   tables_label: str = "the published tables") -> pd.DataFrame:
    """Match a run's data sets to the published ones (see the module doc).

    ``info`` (index dataset; columns n, p, k, optionally paper_name) overrides the
    registry; ``names`` (the publication's names file, required) maps file stems to
    paper names; ``tables_label`` names the published tables in reasons. Returns,
    indexed by dataset (sorted), columns paper_name, n, p, k, n_published, status
    (``COMPARED``, ``SIZE_DIFFERS`` or ``UNMATCHED``) and reason.
    """
    if names is None:
        raise ValueError("match_datasets: the publication's names file is required")
    datasets = sorted(set(datasets))
    stems = dict(zip(names["file_stem"], names["paper_name"]))
    base = registry_info(datasets)
    if info is not None:
        info = info.reindex(datasets)
        for c in ("n", "p", "k", "paper_name"):
            if c in info.columns:
                given = info[c].notna()
                base[c] = base[c].astype(object)
                base.loc[given, c] = info.loc[given, c]
    sizes = reference.drop_duplicates("dataset").set_index("dataset")[["n", "p", "k"]]
    rows = []
    for d in datasets:
        b = base.loc[d]
        paper = b["paper_name"] if isinstance(b["paper_name"], str) and b["paper_name"] else None
        if paper is None and d in stems:
            paper = stems[d]
        if paper is None and d in sizes.index:
            paper = d
        n, p, k = (None if pd.isna(b[c]) else int(b[c]) for c in ("n", "p", "k"))
        row = {"dataset": d, "paper_name": paper, "n": n, "p": p, "k": k, "n_published": None}
        if paper is None or paper not in sizes.index:
            row.update(status=UNMATCHED,
                       reason="no paper name" if paper is None
                       else f"paper name {paper!r} not in {tables_label}")
        else:
            pub = sizes.loc[paper]
            row["n_published"] = int(pub["n"])
            if n is None:
                row.update(status=SIZE_DIFFERS, reason="size unknown (not in the registry, no info)")
            elif int(pub["n"]) not in (n, n - 1) or (p, k) != (int(pub["p"]), int(pub["k"])):
                row.update(status=SIZE_DIFFERS,
                           reason=f"n, p, k = {n}, {p}, {k} here vs {int(pub['n'])}, "
                                  f"{int(pub['p'])}, {int(pub['k'])} published: a different data set")
            else:
                row.update(status=COMPARED, reason="")
        rows.append(row)
    return pd.DataFrame(rows, columns=MATCH_COLUMNS).set_index("dataset")


__all__ = ["COMPARED", "SIZE_DIFFERS", "UNMATCHED", "MATCH_COLUMNS", "registry_info",
           "match_datasets"]
