"""Cosentino, Zaiter, Pei and Zhu (2019), "The search for sparse, robust neural networks"
(NeurIPS workshop): lottery tickets found by iterative magnitude pruning under natural, FGSM and
PGD adversarial training, with three reset strategies (issue 14)."""

from ..base import Study
from .methods import BASELINE, METHODS

TABLE_REFS = {"natural_accuracy": "Tables 1-2 (natural)", "adversarial_accuracy": "Tables 1-2 (attack)"}

STUDY = Study(name="lth", title="The search for sparse, robust neural networks (Cosentino, Zaiter, Pei, Zhu 2019)",
              methods=METHODS, baseline=BASELINE, table_refs=TABLE_REFS,
              report="holistic.studies.lth.report:write_report")
