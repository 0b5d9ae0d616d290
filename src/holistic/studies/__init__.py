"""The studies of the platform: one line per paper (see ``holistic.studies.base.Study``)."""

from . import hdl

STUDIES = {
    "hdl": hdl.STUDY,
}
