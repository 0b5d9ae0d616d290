"""holistic: one platform for studies of accurate, robust, stable and sparse networks.

The library core composes registered pieces: ``models`` (stacked networks), ``objectives``
(per-sample losses and reductions), ``procedures`` (round structures), ``attacks`` and
``evaluation`` (metrics), trained by the generic loop of ``train`` and selected by
``selection``; ``records`` owns the file formats, ``render`` the documents, ``fidelity`` the
comparison with published tables, ``data`` the data sets. A study (``studies/<name>``) is a
plug-in that composes these into a paper's methods and owns its tables, claims and analyses;
the core never imports a study. ``jobs`` and ``workflow`` are the entry points' library.
"""

__version__ = "0.1.0"
