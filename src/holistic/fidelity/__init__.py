"""Fidelity: a run's result tables and a paper's claims against the published ones.

Generic machinery; a study supplies its :class:`~holistic.fidelity.reference.Publication`
(reference files, method order, table references, claims, wording):

- ``reference``: the publication and its reference files;
- ``match``: which data sets of a run correspond to published ones;
- ``compare``: published vs reproduced cells and their summary;
- ``claims``: the values the claims engine pairs (a selection's, the published, per split);
- ``document``: assessing runs (with a second seed: the ceiling of the comparison) and
  writing ``fidelity.md`` and its tidy CSV;
- ``engine``, ``protocol``, ``outputs``: the claims engine, a paper's protocol and the
  departures from it, the claims' files (imported as modules).

The commonly used names are re-exported here.
"""

from .claims import (MissingValue, by_unit, claim_tables, published_values, split_values, value,
                     values_from_selected)
from .compare import (COMPARISON_COLUMNS, cell_tolerance, compare, shares_by_method,
                      summarize_by_test_size, summarize_cells, test_rows, within_tolerance)
from .document import (RunFidelity, assess_run, assess_runs, cells_markdown, ceiling_lines,
                       datasets_lines, fidelity_csv, fidelity_frame, fidelity_markdown,
                       run_datasets_sentence, seed_comparison, summary_lines, write_fidelity)
from .match import COMPARED, SIZE_DIFFERS, UNMATCHED, match_datasets, registry_info
from .reference import Publication, load_reference, load_reference_names, named_datasets
