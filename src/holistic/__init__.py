"""holistic: Holistic Deep Learning (Bertsimas et al.) as a reproducible pipeline.

Sub-packages follow the paper's method section: ``losses`` (robust, stable),
``sparsity`` (continuous sparsification), ``nn`` (the MLP of eqs. 1-2), ``train``
(the grid trainer), ``attacks`` (PGD, FGSM), ``data`` (registry, fetch, splits,
preprocessing) and ``aggregate`` (Section 4 model selection and tables).
"""

__version__ = "0.1.0"
