"""Errors raised on bad input: each names the file, the field and the reason."""


class HolisticError(Exception):
    """Base class: bad input detected before any work starts."""


class ParamsError(HolisticError):
    """A parameter file is malformed or fails the schema."""


class DataError(HolisticError):
    """A data file is missing, corrupt or inconsistent."""


class RecordError(DataError):
    """A record (eval file, training log, model file) breaks its format: names the file, the
    model and the field."""
