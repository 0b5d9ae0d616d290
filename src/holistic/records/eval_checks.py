"""The checks every eval-file reader runs (docs/records.md): each value in its metric's domain,
every model once, and with the run's declarations (``holistic.records.declared``) the radii and the
job's grid. Every failure is a RecordError naming the file, the model and the field.
The file format itself: ``holistic.records.evals``.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Iterable, Mapping

from ..errors import RecordError

if TYPE_CHECKING:  # the train job writes these records and never needs the run's declarations
    from .declared import Declared

#: The metrics measured in percent: every value in [0, 100].
PERCENT_METRICS = ("accuracy", "verified_accuracy", "sparsity", "channel_sparsity",
                   "activation_sparsity", "last_activation_sparsity")
#: The distances and counts (Guo et al.'s r_2, the minimal attacks' ``failures``, a bound's
#: ``unsound`` points): every value >= 0.
NONNEGATIVE_METRICS = ("r2", "failures", "unsound")


def eps_key(eps) -> str:
    """A radius as text, ``str(float(eps))``: how radii are compared and named."""
    return str(float(eps))


def _get(obj, keys: tuple, source: str, where: str):
    """Follow ``keys`` into nested dicts/lists; RecordError naming file and field if absent."""
    cur = obj
    path = where
    for key in keys:
        path = f"{path}.{key}" if path else str(key)
        try:
            cur = cur[key]
        except (KeyError, IndexError, TypeError):
            raise RecordError(f"{source}: field '{path}': missing") from None
    return cur


def _number(value, source: str, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RecordError(f"{source}: field '{field}': must be a finite number, got {value!r}")
    return float(value)


def _int(value, source: str, field: str, low: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(f"{source}: field '{field}': must be an integer, got {value!r}")
    if low is not None and value < low:
        raise RecordError(f"{source}: field '{field}': must be >= {low}, got {value!r}")
    return value


def _text(obj: Mapping, key: str, source: str, where: str = "") -> str:
    value = _get(obj, (key,), source, where)
    if not isinstance(value, str) or not value:
        raise RecordError(f"{source}: field '{f'{where}.{key}' if where else key}': must be a non-empty string, "
                          f"got {value!r}")
    return value


def model_name(model, method: str | None = None, index: int | None = None) -> str:
    """How errors name a model: ``DL config 0 split 1`` (``round 2`` where it has one), from the
    fields it has; ``models[<index>]`` where it has none of them."""
    words = [] if method is None else [str(method)]
    if isinstance(model, Mapping):
        for f, word in (("config_id", "config"), ("split", "split"), ("round", "round")):
            if model.get(f) is not None:
                words.append(f"{word} {model[f]!r}")
    if len(words) == (0 if method is None else 1) and index is not None:
        words.append(f"models[{index}]")
    return " ".join(words)


def check_value(metric: str, value: float, source: str, field: str) -> float:
    """A measurement in its domain: a :data:`PERCENT_METRICS` value in [0, 100], a
    :data:`NONNEGATIVE_METRICS` value >= 0 (every value is finite already); RecordError otherwise."""
    if metric in PERCENT_METRICS and not 0.0 <= value <= 100.0:
        raise RecordError(f"{source}: field '{field}': {metric} {value!r} is not in [0, 100] (a percentage)")
    if metric in NONNEGATIVE_METRICS and value < 0.0:
        raise RecordError(f"{source}: field '{field}': {metric} {value!r} is negative")
    return value


def measurements(model: Mapping, source: str, where: str, radii: Iterable[str] | None = None,
                 name: str | None = None) -> dict[tuple, float]:
    """``{(metric, attack, eps_key or None, part): value}`` of one model's rows, each checked:
    text fields, a radius finite and > 0 (and one of ``radii``, the declared radius keys, when
    given), the value finite and in its metric's domain (:func:`check_value`), no row twice.
    RecordError naming ``source``, the model (``name``, else :func:`model_name`) and the field."""
    source = f"{source}: model {name or model_name(model, index=_index(where))}"
    rows = _get(model, ("rows",), source, where)
    if not isinstance(rows, list):
        raise RecordError(f"{source}: field '{where}.rows': must be a list")
    declared = None if radii is None else set(radii)
    out = {}
    for j, r in enumerate(rows):
        w = f"{where}.rows[{j}]"
        metric, attack, part = (_text(r, f, source, w) for f in ("metric", "attack", "part"))
        eps = _get(r, ("eps",), source, w)
        if eps is not None:
            _number(eps, source, f"{w}.eps")
            if eps <= 0:
                raise RecordError(f"{source}: field '{w}.eps': a radius must be > 0, got {eps!r}")
            if declared is not None and eps_key(eps) not in declared:
                raise RecordError(f"{source}: field '{w}.eps': radius {eps!r} is not declared "
                                  f"(attack.eps: {', '.join(sorted(declared, key=float))})")
        key = (metric, attack, None if eps is None else eps_key(eps), part)
        if key in out:
            raise RecordError(f"{source}: field '{w}': repeats metric {metric!r}, attack {attack!r}, "
                              f"eps {eps!r}, part {part!r}")
        out[key] = check_value(metric, _number(_get(r, ("value",), source, w), source, f"{w}.value"),
                               source, f"{w}.value")
    return out


def _index(where: str) -> int | None:
    """``models[3]`` -> 3 (None for anything else)."""
    if where.startswith("models[") and where.endswith("]") and where[7:-1].isdigit():
        return int(where[7:-1])
    return None


def _span(values) -> str:
    values = sorted(values)
    if not values:
        return "none"
    return f"{values[0]}" if len(values) == 1 else (
        f"{values[0]}-{values[-1]}" if values == list(range(values[0], values[-1] + 1)) else
        ", ".join(map(str, values)))


def check_eval(ev, source: str = "<eval>", declared: Declared | None = None):
    """Check one eval dict and return it. Every model: ``config_id``, ``split`` (and ``round``
    where the models carry one) integers >= 0, ``config`` an object, its rows as
    :func:`measurements` checks them; no (config_id, split, round) twice; every configuration on
    the same splits and every (configuration, split) with the same rounds 0, 1, ..., R - 1. With
    ``declared`` (:class:`holistic.records.declared.Declared`): the header's ``eps`` and every row's
    radius among ``attack.eps``, and, where it has the study, the models exactly the job's
    grid, each (configuration, split) of it once with the grid's configuration. RecordError naming
    ``source``, the model and the field."""
    if not isinstance(ev, Mapping):
        raise RecordError(f"{source}: top level must be a JSON object")
    dataset, method = _text(ev, "dataset", source), _text(ev, "method", source)
    models = _get(ev, ("models",), source, "")
    if not isinstance(models, list) or not models:
        raise RecordError(f"{source}: field 'models': must be a non-empty list")
    radii = None if declared is None else declared.radii
    if radii is not None and ev.get("eps") is not None:
        header = ev["eps"]
        if not isinstance(header, list) or {eps_key(_number(e, source, "eps")) for e in header} != set(radii):
            raise RecordError(f"{source}: field 'eps': radii {header!r}, but attack.eps declares "
                              f"{', '.join(radii)}")
    keys: dict[tuple, int] = {}
    for i, model in enumerate(models):
        w = f"models[{i}]"
        name = model_name(model, method, i)
        where = f"{source}: model {name}"
        if not isinstance(model, Mapping):
            raise RecordError(f"{where}: field '{w}': must be a JSON object")
        cid = _int(_get(model, ("config_id",), where, w), where, f"{w}.config_id", 0)
        split = _int(_get(model, ("split",), where, w), where, f"{w}.split", 0)
        rnd = model.get("round")
        if rnd is not None:
            _int(rnd, where, f"{w}.round", 0)
        if not isinstance(_get(model, ("config",), where, w), Mapping):
            raise RecordError(f"{where}: field '{w}.config': must be a JSON object")
        measurements(model, source, w, radii, name)
        if (cid, split, rnd) in keys:
            raise RecordError(f"{where}: field '{w}': appears twice (config_id {cid} for split {split}"
                              + (f", round {rnd}" if rnd is not None else "")
                              + f"; first as models[{keys[(cid, split, rnd)]}])")
        keys[(cid, split, rnd)] = i
    _check_grid(keys, models, dataset, method, source, declared)
    return ev


def _check_grid(keys: dict[tuple, int], models: list, dataset: str, method: str, source: str,
                declared: Declared | None) -> None:
    """The models' (config_id, split, round) are the full product of their configurations,
    splits and rounds 0..R-1, or with a declared grid, of the grid's; see :func:`check_eval`."""
    rounded = [i for k, i in keys.items() if k[2] is not None]
    if rounded and len(rounded) != len(keys):
        i = min(i for k, i in keys.items() if k[2] is None)
        raise RecordError(f"{source}: model {model_name(models[i], method, i)}: field 'models[{i}].round': missing, "
                          f"while other models of the file carry one")
    configs = sorted({k[0] for k in keys})
    splits = sorted({k[1] for k in keys})
    rounds = list(range(max(k[2] for k in keys) + 1)) if rounded else [None]
    grid = None
    if declared is not None and declared.has_grid:
        try:
            grid = declared.configs(method)
        except ValueError as exc:
            raise RecordError(f"{source}: field 'method': {exc}") from None
        configs, splits = list(range(len(grid))), list(range(declared.n_splits(dataset)))
        for (cid, split, _), i in keys.items():
            bad = "config_id" if cid not in configs else "split" if split not in splits else None
            if bad:
                raise RecordError(f"{source}: model {model_name(models[i], method, i)}: field 'models[{i}].{bad}': "
                                  f"not in the grid of {method} on {dataset} (configs {_span(configs)}, "
                                  f"splits {_span(splits)})")
            if dict(models[i]["config"]) != grid[cid]:
                raise RecordError(f"{source}: model {model_name(models[i], method, i)}: field 'models[{i}].config': "
                                  f"{json.dumps(models[i]['config'], sort_keys=True)}, but the grid's configuration "
                                  f"{cid} is {json.dumps(grid[cid], sort_keys=True)}")
    for cid in configs:
        for split in splits:
            for rnd in rounds:
                if (cid, split, rnd) not in keys:
                    name = f"{method} config {cid} split {split}" + ("" if rnd is None else f" round {rnd}")
                    scope = "the job's grid" if grid is not None else "the file's other models"
                    raise RecordError(f"{source}: model {name}: field 'models': missing; {scope}: configs "
                                      f"{_span(configs)} x splits {_span(splits)}"
                                      + ("" if rnd is None else f" x rounds {_span(rounds)}") + ", each once")


def _value(m: dict, key: tuple, source: str, where: str) -> float:
    if key not in m:
        metric, attack, eps, part = key
        have = sorted({k[2] for k in m if k[1] == attack and k[2] is not None})
        raise RecordError(f"{source}: field '{where}.rows': has no {metric} result for attack {attack!r}, "
                          f"eps {eps}, part {part!r}" + (f"; radii present: {have}" if have else ""))
    return m[key]
