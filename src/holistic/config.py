"""Parameters: load one or more YAML files, deep-merge them in order, validate.

``params.yaml`` is the single source of every setting; a profile file
(``workflow/profiles/<name>/params.yaml``) overrides parts of it. Validation runs
against ``workflow/schemas/params.schema.yaml`` before any work starts, and a
failure names the file(s), the field and the reason.

The schema's ``train.grid`` properties are not typed in the file: they are composed from
the registered pieces (``holistic.methods.all_axes()``: each axis is a non-empty list of
numbers within the bounds its piece declares), so a new piece's axis is a valid grid key as soon as the piece is registered.
Which study and method names exist is checked by the workflow spec
(``holistic.workflow.spec``), an entry point; this core module imports no study.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Iterable, Mapping

import yaml

from .errors import ParamsError

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow" / "schemas" / "params.schema.yaml"


def deep_merge(base: dict, override: dict) -> dict:
    """Return ``base`` updated recursively with ``override`` (lists are replaced whole)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


_ABSENT = object()


def _walk(params: Mapping, key: str):
    value = params
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _ABSENT
        value = value[part]
    return value


def has_key(params: Mapping, key: str) -> bool:
    """Whether the dotted ``key`` (``train.grid.rho``) is set in ``params``."""
    return _walk(params, key) is not _ABSENT


def lookup(params: Mapping, key: str, default=None):
    """The value of the dotted ``key`` in ``params``, ``default`` where it is not set."""
    value = _walk(params, key)
    return default if value is _ABSENT else value


def grid_schema() -> dict:
    """The ``train.grid`` schema: one property per axis of a registered piece."""
    from .methods import all_axes

    return {"type": "object", "additionalProperties": False,
            "properties": {name: {"type": "array", "minItems": 1, "items": {"type": "number", **bounds}}
                           for name, bounds in all_axes().items()}}


def schema() -> dict:
    """The parameter schema: the file, with the ``train.grid`` fragment derived from the pieces."""
    with open(SCHEMA) as f:
        out = yaml.safe_load(f)
    grid = out["properties"]["train"]["properties"]["grid"]
    out["properties"]["train"]["properties"]["grid"] = {**grid_schema(), **{k: v for k, v in grid.items()
                                                                          if k == "description"}}
    return out


def validate(params: dict, source: str = "params") -> dict:
    """Validate ``params`` against the schema; raise ParamsError naming field and reason."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(params), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for e in errors:
            field = ".".join(str(p) for p in e.absolute_path) or "<top level>"
            lines.append(f"{source}: field '{field}': {e.message}")
        raise ParamsError("invalid parameters\n  " + "\n  ".join(lines))
    return params


def load_params(files: Iterable[str | os.PathLike]) -> dict:
    """Load, merge (later files override earlier ones) and validate parameter files."""
    files = [Path(f) for f in files]
    if not files:
        raise ParamsError("no parameter file given")
    merged: dict = {}
    for path in files:
        if not path.is_file():
            raise ParamsError(f"{path}: parameter file not found")
        try:
            with open(path) as f:
                data = yaml.safe_load(f) or {}
        except yaml.YAMLError as exc:
            raise ParamsError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise ParamsError(f"{path}: top level must be a mapping, got {type(data).__name__}")
        merged = deep_merge(merged, data)
    return validate(merged, source=" + ".join(str(f) for f in files))
