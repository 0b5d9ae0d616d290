"""The params checks of the workflow: which studies run, with which data sets, methods,
per-method training, replicates and step budgets, each checked against the registries before any job starts
(ParamsError naming the params file and field otherwise).

Core module: it imports no study; the study registry comes from the entry point
(:func:`holistic.workflow.spec.select`).
"""

from __future__ import annotations

from ..config import has_key, method_params, method_train
from ..errors import ParamsError
from ..records.evals import eps_key, tables_eps
from .grid import StudyJobs
from .init_checks import check_inits


def check_split(params: dict, dataset: str, source: str = "params") -> None:
    """Split mode ``published`` only for the UCI sets (the HDL code's split of its tables),
    taking every row; ParamsError naming the field otherwise."""
    from ..data import registry as datasets_registry
    from ..data.splits import split_params

    sp = split_params(params, dataset)
    if sp.get("mode") != "published":
        return
    own = (params["split"].get("per_dataset") or {}).get(dataset, {})
    field = f"split.per_dataset.{dataset}.mode" if "mode" in own else "split.mode"
    info = datasets_registry.get(dataset)
    if info.source != "uci":
        raise ParamsError(f"{source}: field '{field}': 'published' is the HDL code's split of the 45 UCI "
                          f"sets; data set {dataset!r} is not one of them (use auto, random or official)")
    for key in ("max_trainval_rows", "max_test_rows"):
        if sp.get(key) is not None:
            raise ParamsError(f"{source}: field 'split.{key}': split mode 'published' (data set {dataset!r}) "
                              f"takes every row; unset it")


def check_studies(params: dict, registry, source: str = "params") -> list[StudyJobs]:
    """The studies of ``params`` that run (``run_studies``, default: every entry of ``studies``)
    with their data sets and methods (with each selected method's source method, ``Study.sources``,
    which it starts from), looked up in ``registry`` (``holistic.studies.STUDIES``: the entry point
    :func:`holistic.workflow.spec.select` passes it); unknown names, a missing grid axis or an
    unknown data set raise ParamsError (before any job runs)."""
    from ..data import registry as datasets_registry
    from ..errors import HolisticError
    from ..jobs.attack import check as check_attack

    check_attack(params, source)
    out_ = []
    for name in params["studies"]:
        if name not in registry:
            raise ParamsError(f"{source}: field 'studies.{name}': unknown study {name!r}; "
                              f"known: {', '.join(sorted(registry))}")
    for name in params.get("run_studies") or list(params["studies"]):
        if name not in params["studies"]:
            raise ParamsError(f"{source}: field 'run_studies': study {name!r} has no slice in 'studies' "
                              f"(its data sets); slices: {', '.join(params['studies'])}")
        slice_ = params["studies"][name]
        study = registry[name]
        methods = slice_.get("methods") or list(study.methods)
        unknown = [m for m in methods if m not in study.methods]
        if unknown:
            raise ParamsError(f"{source}: field 'studies.{name}.methods': unknown method(s) "
                              f"{', '.join(map(repr, unknown))} of study {name!r}; known: {', '.join(study.methods)}")
        sources = study.sources
        while any(sources.get(m) not in (None, *methods) for m in methods):  # a method's source trains too
            methods = [*methods, *(sources[m] for m in methods if sources.get(m) not in (None, *methods))]
        methods = [m for m in study.methods if m in methods]  # table order
        check_method_train(slice_, name, study, methods, source)
        model = slice_.get("model")
        if model is not None:
            from ..models import MODELS

            if model not in MODELS:
                raise ParamsError(f"{source}: field 'studies.{name}.model': unknown model {model!r}; "
                                  f"known: {', '.join(MODELS)}")
            from ..verify.layers import pools

            tight = [b for b in params["attack"].get("verify", ()) if b != "ibp"]
            if tight and pools(MODELS[model]):
                raise ParamsError(f"{source}: field 'attack.verify': {', '.join(tight)} cannot bound model {model!r} "
                                  f"of study {name!r} (max-pooling has no CROWN relaxation here); use [ibp]")
        for m in methods:
            train, own = method_params(params, name, m)["train"], method_train(params, name, m) or {}
            missing = [a for a in study.methods[m].axes() if a not in train["grid"]]
            if missing:
                raise ParamsError(f"{source}: field 'train.grid.{missing[0]}': required by method {m!r} "
                                  f"of study {name!r}")
            bad = study.methods[m].check_training(train)  # its optimizer's and schedule's settings
            if bad is not None:
                parts = bad[0].split(".")[1:]  # train.lr_schedule.per: named in method_train where it sets it
                mine = [".".join(parts[:n]) for n in range(len(parts), 0, -1) if has_key(own, ".".join(parts[:n]))]
                field = f"studies.{name}.method_train.{m}.{mine[0]}" if mine else bad[0]
                raise ParamsError(f"{source}: field '{field}': {bad[1]} (method {m!r} of study {name!r})")
        for d in slice_["datasets"]:
            try:
                datasets_registry.get(d, f"studies.{name}.datasets")
            except HolisticError as exc:
                raise ParamsError(f"{source}: {exc}") from None
            check_split(params, d, source)
            eps = tables_eps(params, dataset=d)
            if eps_key(eps) not in {eps_key(e) for e in params["attack"]["eps"]}:
                raise ParamsError(f"{source}: field 'aggregate.adversarial_eps': the radius {eps:g} of data set "
                                  f"{d!r} is not among attack.eps {params['attack']['eps']}")
        restricted = method_datasets(slice_, name, study, methods, source)
        out_.append(StudyJobs(name, study, tuple(slice_["datasets"]), tuple(methods), params, restricted,
                              replicate_offsets(slice_, name, study, methods, source),
                              step_budgets(slice_, name, study, methods, source)))
        check_inits(out_[-1], source)  # the seeds a procedure refuses (SparseVLR's dead RSM), before any job
    return out_


def run_methods(given, field: str, name: str, study, methods: list[str], what: str, source: str,
                per_key: bool = False) -> None:
    """Every key of ``given`` (a ``studies.<name>.<key>`` mapping) a method of the study that trains
    in this run; ParamsError naming the field (``field.<method>`` with ``per_key``) otherwise.
    ``what`` says what the setting does to a run's method (the error's last words)."""
    for m in given:
        at = f"{field}.{m}" if per_key else field
        if m not in study.methods:
            raise ParamsError(f"{source}: field '{at}': unknown method {m!r} of study {name!r}; "
                              f"known: {', '.join(study.methods)}")
        if m not in methods:
            raise ParamsError(f"{source}: field '{at}': method {m!r} does not train in this run "
                              f"(studies.{name}.methods: {', '.join(methods)}); {what}")


def positive_ints(values, field: str, what: str, why: str, source: str) -> list[int]:
    """``values`` a non-empty list of integers >= 1 (``what``: their name; ``why``: their meaning);
    ParamsError naming the field otherwise."""
    if not isinstance(values, list) or not values:
        raise ParamsError(f"{source}: field '{field}': a non-empty list of {what}, got {values!r}")
    bad = [v for v in values if isinstance(v, bool) or not isinstance(v, int) or v < 1]
    if bad:
        raise ParamsError(f"{source}: field '{field}': {what} are integers >= 1 ({why}), got {bad[0]!r}")
    return values


def check_method_train(slice_: dict, name: str, study, methods: list[str], source: str = "params") -> None:
    """``studies.<name>.method_train`` checked: each key a method of the study that trains in this
    run (its value, merged over ``train``, the params' validation checked: :mod:`holistic.config`);
    ParamsError naming the field otherwise."""
    run_methods(slice_.get("method_train") or {}, f"studies.{name}.method_train", name, study, methods,
                "a method's training is set for a run's method", source, per_key=True)


def step_budgets(slice_: dict, name: str, study, methods: list[str],
                 source: str = "params") -> tuple[tuple[str, tuple[int, ...]], ...]:
    """``studies.<name>.step_budgets`` checked: each key a method of the study that trains in this
    run, each value a non-empty list of step budgets, integers >= 1, distinct and ascending (each a
    train job ``<method>@steps=<budget>``, rounds of at most that many steps); ParamsError naming
    the field otherwise. Returns (method, its budgets) in table order."""
    given = slice_.get("step_budgets") or {}
    field = f"studies.{name}.step_budgets"
    run_methods(given, field, name, study, methods, "a step sweep lengthens a run's method", source)
    for m, budgets in given.items():
        positive_ints(budgets, f"{field}.{m}", "step budgets", "optimizer steps a round", source)
        if any(x >= y for x, y in zip(budgets, budgets[1:])):
            raise ParamsError(f"{source}: field '{field}.{m}': step budgets must be distinct and ascending, "
                              f"got {budgets}")
    return tuple((m, tuple(given[m])) for m in methods if m in given)


def replicate_offsets(slice_: dict, name: str, study, methods: list[str],
               source: str = "params") -> tuple[tuple[str, tuple[int, ...]], ...]:
    """``studies.<name>.replicates`` checked: each key a method of the study that trains in this
    run, each value a list of distinct seed offsets, integers >= 1 (0 is the method's own run);
    ParamsError naming the field otherwise. Returns (method, its offsets ascending) in table order."""
    given = slice_.get("replicates") or {}
    field = f"studies.{name}.replicates"
    run_methods(given, field, name, study, methods, "a replicate repeats a run's method", source)
    for m, offsets in given.items():
        positive_ints(offsets, f"{field}.{m}", "seed offsets",
                      "the replicate trains with seed + offset; 0 is the method itself", source)
        dup = sorted({o for o in offsets if offsets.count(o) > 1})
        if dup:
            raise ParamsError(f"{source}: field '{field}.{m}': seed offset(s) {', '.join(map(str, dup))} "
                              f"given twice")
    return tuple((m, tuple(sorted(given[m]))) for m in methods if m in given)


def method_datasets(slice_: dict, name: str, study, methods: list[str],
                    source: str = "params") -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``studies.<name>.method_datasets`` checked: each key a method of the study, each value a
    subset of the slice's data sets, and a method that starts from another's models
    (``Study.sources``) only where that one trains too; ParamsError naming the field otherwise.
    Returns (method, its data sets in the slice's order) for the selected methods."""
    given = slice_.get("method_datasets") or {}
    field = f"studies.{name}.method_datasets"
    for m, ds in given.items():
        if m not in study.methods:
            raise ParamsError(f"{source}: field '{field}': unknown method {m!r} of study {name!r}; "
                              f"known: {', '.join(study.methods)}")
        outside = [d for d in ds if d not in slice_["datasets"]]
        if outside:
            raise ParamsError(f"{source}: field '{field}.{m}': data set(s) {', '.join(map(repr, outside))} "
                              f"not in studies.{name}.datasets {slice_['datasets']}")
    of = {m: tuple(d for d in slice_["datasets"] if d in given.get(m, slice_["datasets"])) for m in methods}
    for m in methods:
        src = study.sources.get(m)
        missing = [d for d in of[m] if src is not None and d not in of[src]]
        if missing:
            raise ParamsError(f"{source}: field '{field}': method {m!r} starts from {src!r}'s models, "
                              f"which do not train on {', '.join(map(repr, missing))}")
    return tuple((m, of[m]) for m in methods if m in given)
