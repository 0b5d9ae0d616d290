"""The studies of the platform: one line per paper (see ``holistic.studies.base.Study``)."""

from . import guo, hdl, lth, rvsm, sparsevlr

STUDIES = {
    "hdl": hdl.STUDY,
    "lth": lth.STUDY,
    "guo": guo.STUDY,
    "sparsevlr": sparsevlr.STUDY,
    "rvsm": rvsm.STUDY,
}
