"""What a job depends on: the params keys it reads (:func:`job_params`, their values as one
setting: :func:`settings`) and the code it runs (:func:`job_code`: the stage script's import
graph, :mod:`holistic.workflow.codedeps`, plus through the registries its study's package and
its method's piece modules). An edit of either reruns exactly the jobs that depend on it.

Core module: it imports no study."""

from __future__ import annotations

import json
from functools import lru_cache

from ..config import has_key, lookup, method_train
from ..methods import base_method
from .codedeps import code_deps
from .generic import FETCH, SPLIT, TRAIN
from .stage import Stage

#: Params keys of the evaluation part of every train job (beside the method's own keys).
EVAL_KEYS = ("threads", "numerics", "split.preprocessing", "attack")
#: Split keys a split job reads only where the params set them.
SPLIT_OPTIONAL = ("split.mode", "split.max_trainval_rows", "split.max_test_rows")


def job_params(stage: Stage, method=None, dataset: str | None = None, params: dict | None = None,
               study: str | None = None, name: str | None = None) -> list[str]:
    """The params keys of one job: a train job's come from its method's pieces (and the
    study's model choice, and the method's own training ``studies.<study>.method_train.<method>``
    where set: ``name``, the job's method name, a replicate's or step budget's giving its method's),
    a fetch job's from its data set's source section, a split job's from ``split`` (with the data
    set's own ``split.per_dataset`` entry), every other job's from its stage. Optional keys count
    only where ``params`` sets them."""
    params = params or {}
    if stage is FETCH:
        from ..data import registry

        info = registry.get(dataset)
        return [] if info.source == "bundled" else [f"data.{info.section}"]
    keys = method.param_keys() + [k for k in EVAL_KEYS if k not in method.param_keys()] if stage is TRAIN \
        else [k for k in stage.params if not params or has_key(params, k)]  # optional sections only where set
    if stage is SPLIT:
        keys += [k for k in SPLIT_OPTIONAL + (f"split.per_dataset.{dataset}",) if has_key(params, k)]
    if stage is TRAIN and study is not None and has_key(params, f"studies.{study}.model"):
        keys.append(f"studies.{study}.model")
    if stage is TRAIN and study is not None and name is not None and method_train(params, study, name) is not None:
        keys.append(f"studies.{study}.method_train.{base_method(name)}")
    return keys


def _piece_modules(method) -> tuple[str, ...]:
    """The modules of the registered pieces a train job runs (all of its method's)."""
    return tuple(dict.fromkeys(type(p).__module__ for p in method.pieces()))


@lru_cache(maxsize=None)
def _deps(script: str, extra: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(code_deps(script, extra))


def study_modules(study_name: str) -> tuple[str, ...]:
    return (f"holistic.studies.{study_name}",)


def job_code(stage: Stage, study: str | None = None, method=None) -> list[str]:
    """Code files (and data files) of one job: the stage's import graph, plus through the
    registries its study's package and its method's piece modules."""
    extra = ((study_modules(study) if study else ()) + stage.modules
             + (_piece_modules(method) if method is not None else ()))
    return list(_deps(stage.script, extra)) + list(stage.data)


def settings(params: dict, keys) -> str:
    """JSON of the dotted params keys a job depends on: a change reruns exactly those jobs."""
    return json.dumps({key: lookup(params, key) for key in keys}, sort_keys=True)
