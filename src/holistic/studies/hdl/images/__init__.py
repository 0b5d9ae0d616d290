"""Tables 2-4 of Section 4.2 (Fashion-MNIST, MNIST, CIFAR10) against the published values: a small
study of its own inside HDL, stage ``images`` (``stages/images.py``).

- :mod:`.tables`: the published Tables 2-4 (:func:`published_tables_2_4`, package data
  ``reference/hdl_paper_tables_2_to_4.csv``), this run's values in their layout
  (:func:`image_values`: per image data set and method, the four test values of the one
  configuration chosen by the multi-objective validation rank) and ``published / here /
  difference`` per data set, metric and method (:func:`cells`).
- :mod:`.notes`: each table's header lines: the radii compared, a flag when the network is not
  the paper's (ALEX CNN) and the run's other departures from the paper's protocol
  (:func:`table_notes`, from params).
- :mod:`.sanity`: checks a reviewer makes before reading further (DL trained properly; the
  robust loss works on MNIST), each reported as measured value vs threshold, pass or fail
  (:func:`sanity_rows`).
- :mod:`.claims`: the claims of Section 4.2, judged by the claims engine (``images.md`` shows
  their table, the ``fidelity`` stage writes their rows into ``claims.csv``).
- :mod:`.document`: ``images.md`` and ``images.csv`` (:func:`write_images`).

Values are compared as the tables print them: rounded to one decimal, difference =
here - published in percentage points. The functions take the merged params (a
mapping) where they need the run's settings. The names below are re-exported from the modules.
"""

from .document import comparison, images_csv, images_markdown, write_images
from .notes import PAPER_GRID, PAPER_MODEL, PAPER_PROTOCOL, run_model, table_notes
from .sanity import (SANITY_DL_ACCURACY, SANITY_ROBUST_DATASET, SANITY_ROBUST_EPS, SANITY_ROBUST_MARGIN,
                     sanity_markdown, sanity_rows)
from .tables import (CELL_COLUMNS, DECIMALS, PAPER_RADIUS, REFERENCE_FILE, TABLES, TOLERANCE, cells, image_values,
                     published_tables_2_4)

__all__ = ["REFERENCE_FILE", "TABLES", "PAPER_RADIUS", "PAPER_MODEL", "PAPER_PROTOCOL", "PAPER_GRID",
           "DECIMALS", "TOLERANCE", "CELL_COLUMNS", "SANITY_DL_ACCURACY", "SANITY_ROBUST_DATASET", "SANITY_ROBUST_EPS",
           "SANITY_ROBUST_MARGIN", "published_tables_2_4", "image_values", "cells", "run_model", "table_notes",
           "comparison", "sanity_rows", "sanity_markdown", "images_markdown", "images_csv", "write_images"]
