"""The studies of the platform: one line per paper (see ``holistic.studies.base.Study``)."""

from . import hdl, lth

STUDIES = {
    "hdl": hdl.STUDY,
    "lth": lth.STUDY,
}
