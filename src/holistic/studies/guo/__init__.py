"""Guo, Zhang, Zhang and Chen (2018), "Sparse DNNs with improved adversarial robustness"
(NeurIPS): robustness (r_inf under FGS / rFGS, r_2 under DeepFool / C&W) of progressively pruned
linear models, LeNet-300-100 and LeNet-5, and of networks with L1-sparsified activations
(issue 14, second half)."""

from ..base import Study
from .methods import BASELINE, METHODS

TABLE_REFS = {"natural_accuracy": "Fig. 1-2 (benign accuracy)", "sparsity": "Fig. 1-2 (weight sparsity)"}

STUDY = Study(name="guo", title="Sparse DNNs with improved adversarial robustness (Guo, Zhang, Zhang, Chen 2018)",
              methods=METHODS, baseline=BASELINE, table_refs=TABLE_REFS,
              report="holistic.studies.guo.report:write_report")
