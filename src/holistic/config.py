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
import math
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
            "properties": {name: {"type": "array", "minItems": 1, "uniqueItems": True,
                                  "items": {"type": "number", **bounds}}
                           for name, bounds in all_axes().items()}}


def schema() -> dict:
    """The parameter schema: the file, with the ``train.grid`` fragment derived from the pieces."""
    with open(SCHEMA) as f:
        out = yaml.safe_load(f)
    grid = out["properties"]["train"]["properties"]["grid"]
    out["properties"]["train"]["properties"]["grid"] = {**grid_schema(), **{k: v for k, v in grid.items()
                                                                          if k == "description"}}
    return out


def non_finite(params, path: tuple = ()) -> tuple | None:
    """The path (keys and list indexes) of the first NaN or infinite number in ``params``, in
    document order; None when every number is finite. (JSON schema takes ``.nan`` and ``.inf``
    for numbers, and NaN passes every bound, so this walk runs before the schema.)"""
    if isinstance(params, float) and not math.isfinite(params):
        return path
    items = (params.items() if isinstance(params, Mapping)
             else enumerate(params) if isinstance(params, (list, tuple)) else ())
    for key, value in items:
        found = non_finite(value, path + (key,))
        if found is not None:
            return found
    return None


def _field(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _origin(path, files: Mapping[str, Mapping] | None, default: str) -> str:
    """The last file of ``files`` (name -> its contents) that sets the field at ``path`` (or
    the longest part of it that some file sets); ``default`` where none does."""
    if not files:
        return default
    for n in range(len(path), 0, -1):
        keys = path[:n]
        setters = [name for name, data in files.items() if _walk_path(data, keys) is not _ABSENT]
        if setters:
            return setters[-1]
    return default


def _walk_path(data, keys):
    for k in keys:
        if isinstance(data, Mapping) and k in data:
            data = data[k]
        elif isinstance(data, list) and isinstance(k, int) and 0 <= k < len(data):
            data = data[k]
        else:
            return _ABSENT
    return data


def validate(params: dict, source: str = "params", files: Mapping[str, Mapping] | None = None) -> dict:
    """Validate ``params`` against the schema; raise ParamsError naming file, field and reason.

    ``files`` (name -> contents, in merge order): the files ``params`` was merged from; each
    error then names the file that set its field. Every number must be finite first (a NaN or
    inf is refused with its field, before the schema)."""
    import jsonschema

    bad = non_finite(params)
    if bad is not None:
        raise ParamsError(f"{_origin(bad, files, source)}: field '{_field(bad)}': "
                          f"{_walk_path(params, bad)} is not a finite number")
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(params), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for e in errors:
            path = tuple(e.absolute_path)
            lines.append(f"{_origin(path, files, source)}: field '{_field(path)}': {e.message}")
        raise ParamsError("invalid parameters\n  " + "\n  ".join(lines))
    _check_method_train(params, validator, source, files)
    return params


# --------------------------------------------------------------------------- per-method training

def method_train(params: Mapping, study: str, method: str) -> dict | None:
    """``studies.<study>.method_train.<method>``: the partial ``train`` section the train jobs of the
    study's method ``method`` run with over the run's (a replicate's or a step budget's name gives
    its method's, :func:`holistic.methods.base_method`); None where the method has none."""
    from .methods import base_method

    return (lookup(params, f"studies.{study}.method_train") or {}).get(base_method(method))


def method_params(params: Mapping, study: str, method: str) -> dict:
    """The params the train job of ``study``'s method ``method`` trains and measures with, and
    every reader of its ``train`` settings reads: ``params`` with the method's
    :func:`method_train` deep-merged over ``train`` (a new dict; ``params`` itself where the method
    has none)."""
    own = method_train(params, study, method)
    return params if own is None else {**params, "train": deep_merge(params["train"], own)}


def _check_method_train(params: Mapping, validator, source: str, files: Mapping[str, Mapping] | None) -> None:
    """Each ``studies.<study>.method_train.<method>`` deep-merged over ``train`` validates as ``train``
    does; ParamsError in one line naming the file and the field
    (``studies.<study>.method_train.<method>.<key>``) otherwise. (Whether the study has the method,
    and whether it trains in the run, the workflow spec checks.)"""
    for study, slice_ in (params.get("studies") or {}).items():
        for method, own in ((slice_ or {}).get("method_train") or {}).items():
            merged = {**params, "train": deep_merge(params["train"], own)}
            errors = sorted((e for e in validator.iter_errors(merged) if list(e.absolute_path)[:1] == ["train"]),
                            key=lambda e: list(e.absolute_path))
            if not errors:
                continue
            e = errors[0]
            path = ("studies", study, "method_train", method, *list(e.absolute_path)[1:])
            if e.validator == "additionalProperties" and isinstance(e.instance, Mapping):  # name the unknown key
                unknown = [k for k in e.instance if k not in (e.schema.get("properties") or {})]
                path += tuple(unknown[:1])
            raise ParamsError(f"{_origin(path, files, source)}: field '{_field(path)}': {e.message} "
                              f"(a method's train settings over train, validated as train)")


def yaml_error(path, exc: yaml.YAMLError) -> str:
    """One line naming the file, the line and column and what is wrong, for a YAML error."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"{path}, line {mark.line + 1}, column {mark.column + 1}" if mark is not None else str(path)
    context, problem = getattr(exc, "context", None), getattr(exc, "problem", None)
    cmark = getattr(exc, "context_mark", None)
    if context and cmark is not None and mark is not None and cmark.line != mark.line:
        context += f" at line {cmark.line + 1}, column {cmark.column + 1},"  # e.g. where a `[` opened
    what = " ".join(str(x) for x in (context, problem) if x) or str(exc).splitlines()[0]
    return f"{where}: not valid YAML: {what}"


def read_params_file(path: str | os.PathLike) -> dict:
    """One parameter file's contents (a mapping); ParamsError in one line naming the file
    (missing, unreadable, or not YAML: with the line) otherwise."""
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{path}: parameter file not found")
    try:
        with open(path) as f:
            data = yaml.safe_load(f)
    except yaml.YAMLError as exc:
        raise ParamsError(yaml_error(path, exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParamsError(f"{path}: cannot read the parameter file: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParamsError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    return data


def load_params(files: Iterable[str | os.PathLike]) -> dict:
    """Load, merge (later files override earlier ones) and validate parameter files."""
    files = [Path(f) for f in files]
    if not files:
        raise ParamsError("no parameter file given")
    contents = {str(path): read_params_file(path) for path in files}
    merged: dict = {}
    for data in contents.values():
        merged = deep_merge(merged, data)
    return validate(merged, source=" + ".join(str(f) for f in files), files=contents)
