"""Holistic Deep Learning (Bertsimas et al.): Table 1's eight methods on the UCI sets."""

from .methods import BASELINE, METHODS
from ..base import Study

#: The published table (or figure) each metric's table mirrors: named in the table captions.
TABLE_REFS = {"natural_accuracy": "Table A1", "adversarial_accuracy": "Table A2",
              "stability": "Table A3", "sparsity": "Table A4", "multi_objective": "Fig. 2"}

STUDY = Study(name="hdl", title="Holistic Deep Learning (Bertsimas, Carballo, Boussioux et al.)",
              methods=METHODS, baseline=BASELINE, table_refs=TABLE_REFS)
