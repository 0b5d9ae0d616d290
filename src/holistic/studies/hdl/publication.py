"""HDL's publication: the published Tables A1-A4 as package data and how the fidelity document
(:mod:`holistic.fidelity`) compares this run's tables with them (:data:`PUBLICATION`), with the
document's header lines (:func:`notes`) and its line on the verified accuracy
(:func:`verified_note`).

Reference. The published Tables A1-A4 (natural accuracy, adversarial accuracy at
rho = 0.1, stability, sparsity; 45 UCI and 3 image data sets, 8 methods, percent)
ship as package data in ``holistic/studies/hdl/reference/`` (see its README):
``hdl_paper_tables_A1_A4.csv`` (long ``dataset, n, p, k, metric, method, value``) and
``dataset_names.csv`` (``paper_name, file_stem`` of the 45 UCI sets). Table A1's ``n``
is one less than every published file's row count, which the matching allows for.
"""

from __future__ import annotations

from importlib import resources
from typing import Mapping, Sequence

import pandas as pd

from ...fidelity.reference import Publication
from ...records.selected import RANK
from . import TABLE_REFS
from .methods import METHODS
from .protocol import header_note

REFERENCE_DIR = "holistic/studies/hdl/reference/"
REFERENCE_FILES = {"tables": "hdl_paper_tables_A1_A4.csv", "names": "dataset_names.csv"}


def reference_file(name: str):
    """The packaged reference file ``name`` (a ``importlib.resources`` traversable)."""
    return resources.files("holistic").joinpath("studies", "hdl", "reference", name)


# --------------------------------------------------------------------------- document

HOW_TO_READ = (
    "How to read. Each cell of the per-data-set tables is `published / here / difference`, "
    "with difference = here - published in percentage points (positive: this project's value is "
    "higher) and in bold when it exceeds the cell's tolerance: {tol:g} points, or one row of the "
    "published test set (100 / ceil(n / 5) points, n the file's rows) where that is more. Published "
    "values are Tables A1-A4 of the "
    "paper; reproduced values are this project's test values of the configuration chosen on the "
    "validation sets, rounded to the tables' 2 decimals. Only data sets whose size agrees with "
    "Table A1 (published n = n or n - 1, same p and k) enter the summary and the claims; data "
    "sets marked † share a paper name but not the data. Where a second run of the same protocol "
    "with another seed is given, the summary sets beside the share of cells within tolerance of "
    "the paper the share of the same cells within the same tolerance between the two runs: the "
    "most a reproduction can reach with these test sets. The claims table (at the end) judges "
    "each claim of the paper with the claims engine: the paired difference of the two methods' "
    "test values over the compared data sets (over the splits where there are fewer than 3), its "
    "95 % interval against the claim's margin, after the preconditions (enough data sets, the "
    "values measured, no departure that voids the claim); `paper` gives the published values of "
    "the same data sets and, for the claims on the multi-objective rank of Figure 2 (a bar chart, "
    "no value per data set), says so. "
    "Neither preprocessing mode reproduces the published code: `paper` mode copies "
    "only its input scaling (standardise, then / 255); split mode `published` its test rows and "
    "validation draws; `train.batch_size: 64`, `train.min_steps_per_round: 3000` and "
    "`train.select_every_steps: 1000` its schedule; the other defects of that code (PGD "
    "clipping to [0, 1], the inverted final sparsity mask, the dropped sparsity penalty, the "
    "frozen stability threshold) are not reproduced, so cell-level agreement is not expected "
    "everywhere: the claims are the fairer comparison."
)

PUBLICATION = Publication(
    tables=reference_file(REFERENCE_FILES["tables"]),
    tables_source=REFERENCE_DIR + REFERENCE_FILES["tables"],
    names=reference_file(REFERENCE_FILES["names"]),
    names_source=REFERENCE_DIR + REFERENCE_FILES["names"],
    methods=tuple(METHODS),
    table_refs=TABLE_REFS,
    tables_label="Tables A1-A4",
    names_label="UCI",
    intro="This project's Tables A1-A4 and the claims of Section 4.1 against those published "
          "in *Holistic Deep Learning* (Bertsimas et al.), Appendix A "
          f"(`{REFERENCE_DIR}`).",
    how_to_read=HOW_TO_READ,
    untabulated={RANK: "not computable (Fig. 2 not tabulated)"},
    tolerance=2.0,
    test_fraction=0.2,  # the published code's test_size=1/5: one test row is 100 / ceil(n / 5) points
)


def notes(params: Mapping, datasets: Sequence[str]) -> list[str]:
    """Header lines of ``fidelity.md``: the run's departures from the paper's protocol
    (:func:`holistic.studies.hdl.protocol.header_note`, over ``datasets``)."""
    return [header_note(params, datasets)]


def verified_note(table: pd.DataFrame) -> str | None:
    """What the verified-accuracy table (``tables/verified_accuracy.csv``: data sets x methods)
    shows, in one line: per method the mean over data sets, and whether the robust loss
    (eq. 7, a first-order approximation) gives certified robustness (a question the paper
    leaves open). None without a measured table."""
    methods = [m for m in table.columns if m not in ("dataset", "n", "p", "k")]
    means = {m: float(table[m].mean()) for m in methods if table[m].notna().any()}
    if not means or "DL" not in means:
        return None
    robust = {m: v for m, v in means.items() if "Robust" in m or m == "HDL"}
    text = ", ".join(f"{m} {v:.1f}" for m, v in means.items())
    verdict = ""
    if robust:
        lo, hi = min(robust.values()), max(robust.values())
        verdict = (f" The methods with the robust loss (eq. 7) certify {lo:.1f}-{hi:.1f} % against DL's "
                   f"{means['DL']:.1f} %: " + ("the first-order robust loss does give certifiable robustness."
                                               if lo > means["DL"] else
                                               "the robust loss does not certify more than DL everywhere."))
    return ("Verified accuracy (not in the paper; `tables/verified_accuracy.md`, the models of the "
            f"adversarial-accuracy table), mean over data sets: {text}.{verdict}")


__all__ = ["REFERENCE_DIR", "REFERENCE_FILES", "TABLE_REFS", "reference_file", "HOW_TO_READ", "PUBLICATION",
           "notes", "verified_note"]
