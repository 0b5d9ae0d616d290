"""Tables 2, 3 and 6 of SparseVLR as this run measures them, side by side with the published
values (:mod:`.published`): error in percent (lower is better), standard / PGD / verified (IBP,
as the paper) and, here only, CROWN-verified; mean ± sd over the seeds (splits). Every header
names the run's departures from the paper's protocol (:mod:`.protocol`)."""

from __future__ import annotations

import pandas as pd

from ...render.tables import markdown_table, mean_sd, number
from .methods import BOUNDS, LABELS
from .published import cell
from .results import row

#: Table 3's rows (the seeds compared at 99 %), Table 6's (the training bound of RSM^T at 99 %).
TABLE3 = ("PM", "PM-T", "RSM-T", "RIPM-T")
TABLE6 = ("RSM-T-IBP", "RSM-T-CROWN", "RSM-T-CROWN-Fast", "RSM-T")
HERE = ("standard", "pgd", "ibp", "crown")
PAPER = ("standard", "pgd", "verified")


def paper_cells(published: pd.DataFrame, table: int, dataset: str, method: str, p: float) -> list[str]:
    return [number(cell(published, table, dataset, method, p, m), 2, missing="-") for m in PAPER]


def here_cells(summary: pd.DataFrame, dataset: str, method: str, p: float) -> list[str]:
    r = row(summary, dataset, method, p)
    return ["not run"] * len(HERE) if r is None else [mean_sd(r[f"{m}_mean"], r[f"{m}_sd"]) for m in HERE]


HEADER = ["paper std", "paper PGD", "paper verified (IBP)", "std", "PGD", "verified (IBP)", "verified (CROWN)"]


def table2(summary: pd.DataFrame, published: pd.DataFrame, dataset: str, methods: list[str], note: str) -> str:
    """Table 2 (4-layer): every (method, p) of the run and of the paper's MNIST column."""
    d = summary[summary["dataset"] == dataset]
    pub = published[(published["table"] == 2) & (published["dataset"] == dataset) & (published["model"] == "cnn_4layer")]
    order = {m: i for i, m in enumerate(methods)}
    keys = {(m, float(p)) for m, p in zip(d["method"], d["sparsity"])} | \
           {(m, float(p)) for m, p in zip(pub["method"], pub["sparsity"]) if m in order}
    rows = [[LABELS.get(m, m), f"{p:g}", *paper_cells(published, 2, dataset, m, p), *here_cells(summary, dataset, m, p)]
            for m, p in sorted(keys, key=lambda k: (k[1] > 0, order.get(k[0], 99), k[1]))]
    caption = (f"**Table 2 ({dataset}): error (%) per method and sparsity p, the paper's (4-layer CNN) and "
               f"this run's (mean ± sd over seeds).** {note}")
    return markdown_table(["method", "p (%)", *HEADER], rows, "llrrrrrrr", caption)


def table_at(summary: pd.DataFrame, published: pd.DataFrame, dataset: str, table: int, methods: tuple[str, ...],
             note: str, p: float = 99.0, bounds: dict[str, str] | None = None) -> str:
    """Table 3 (seeds) or Table 6 (training bounds) at p = 99 %; the paper's values of ``dataset``
    where it has them (Table 3: CIFAR-10 only, shown as such). ``bounds``: Table 6's rows' bounds
    where the run trains them otherwise (``train.certified.bound``; default :data:`.methods.BOUNDS`)."""
    pub_dataset = dataset if not published[(published["table"] == table) & (published["dataset"] == dataset)].empty \
        else "cifar10"
    rows = []
    for m in methods:
        label = LABELS.get(m, m) if table == 3 else f"{(bounds or BOUNDS)[m]} ({LABELS.get(m, m)})"
        rows.append([label, *paper_cells(published, table, pub_dataset, m, p), *here_cells(summary, dataset, m, p)])
    what = "seed networks" if table == 3 else "training bounds"
    caption = (f"**Table {table} ({dataset}, p = {p:g} %): error (%) per {what}; paper columns from its "
               f"{pub_dataset} 4-layer CNN rows.** {note}")
    return markdown_table(["method", *HEADER], rows, "lrrrrrrr", caption)


def tables_markdown(summary: pd.DataFrame, published: pd.DataFrame, methods: list[str], notes: dict[str, str],
                    bounds: dict[str, str] | None = None) -> str:
    parts = ["# SparseVLR (Kaur & Salekin): Tables 2, 3 and 6 as measured here", "",
             "Errors in percent (lower is better): standard, PGD (the attack `pgd`, PGD-200 in the study's "
             "profiles) and verified by IBP (the paper's) and CROWN, on every test point at the table radius; "
             "each model is its last epoch (SparseVLR reports the trained model). natural >= PGD >= verified "
             "accuracy is checked on every model by the platform's invariants (`results/claims.md`).", ""]
    for dataset in summary["dataset"].unique():
        note = notes.get(dataset, "")
        parts += [table2(summary, published, dataset, methods, note), ""]
        parts += [table_at(summary, published, dataset, 3, TABLE3, note), ""]
        parts += [table_at(summary, published, dataset, 6, TABLE6, note, bounds=bounds), ""]
    return "\n".join(parts)
