"""Kaur and Salekin, "SparseVLR: a framework for verified locally robust sparse neural networks
search" (issue 15): certified (CROWN-IBP) training of sparse networks by dynamic sparse training
from a random sparse seed, against pruning a converged dense certified model."""

from ..base import Study
from .methods import BASELINE, METHODS, SOURCES

TABLE_REFS = {"natural_accuracy": "Table 2 (standard error)", "verified_accuracy": "Table 2 (verified error)"}

STUDY = Study(name="sparsevlr", title="SparseVLR: verified locally robust sparse networks (Kaur, Salekin)",
              methods=METHODS, baseline=BASELINE, table_refs=TABLE_REFS, sources=SOURCES,
              report="holistic.studies.sparsevlr.report:write_report")
