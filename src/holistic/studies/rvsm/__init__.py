"""Dinh, Wang, Bertozzi, Osher and Xin (2020), "Sparsity meets robustness: channel pruning for the
Feynman-Kac formalism principled robust deep neural nets": RVSM, RGSM and ADMM pruning of PGD
adversarially trained nets and noise-injected ensembles (En_n), issue 16."""

from ..base import Study
from .methods import BASELINE, METHODS, SOURCES

TABLE_REFS = {"natural_accuracy": "Tables 1-4 (A1)", "adversarial_accuracy": "Tables 1-4 (A3, IFGSM-20)"}

STUDY = Study(name="rvsm", title="Sparsity meets robustness: RVSM / RGSM channel pruning of Feynman-Kac "
              "robust nets (Dinh, Wang, Bertozzi, Osher, Xin 2020)",
              methods=METHODS, baseline=BASELINE, table_refs=TABLE_REFS, sources=SOURCES,
              report="holistic.studies.rvsm.report:write_report")
