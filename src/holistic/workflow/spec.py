"""The workflow spec: the job grid, each job's params keys and code dependencies.

One source for both front doors: the Snakefile reads it (rules in ``workflow/rules``), and
``python -m holistic.workflow dvc-yaml > dvc.yaml`` writes the DVC pipeline from it.

Jobs, for every study in ``params.yaml``'s ``studies`` (its data sets, its methods):

    fetch, split           per data set (shared by the studies)
    train                  per (study, data set, method): trains the grid (its models, and their
                           validation accuracy per epoch: a curve file), then measures it with
                           the attack suite (one process: torch and the data are loaded once);
                           a method with a source (``Study.sources``) has the source method's
                           model file as an input (``TRAIN_FROM``; Snakemake rule train_from);
                           per replicate too (``studies.<study>.replicates``: ``DL@seed+1``, its
                           method's job with ``seed`` + 1; in no table, only in its selection)
    aggregate              per study (and each seed offset's replicates' selection)
    curves                 per study: the train jobs' validation curves as one figure
    the study's analyses   per study (``Study.analyses``, declared with ``holistic.workflow.Stage``)
    html pages             per study, for the Snakemake report

An entry point: it may import ``holistic.studies``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from ..config import has_key, load_params, lookup
from ..errors import ParamsError
from ..methods import replicate_group, replicate_name, split_replicate
from ..records.evals import eps_key, radius_for
from .codedeps import code_deps
from .overview import overview_stages
from .stage import PAGE_SCRIPT, Stage, dirname_of, html_page, html_pages, out

TABLE_NAMES = ("natural_accuracy", "adversarial_accuracy", "stability", "sparsity", "rank",
               "robustness", "verified_accuracy")
TABLES_CATEGORY = "1. Tables A1-A4"
CURVES_CATEGORY = "6. Training"

# --------------------------------------------------------------------------- paths

def raw(dataset="{dataset}"):
    return f"data/raw/{dataset}.npz"


def splits(dataset="{dataset}"):
    return f"data/splits/{dataset}.npz"


def model(study="{study}", dataset="{dataset}", method="{method}"):
    return f"models/{study}/{dataset}/{method}.safetensors"


def train_log(study="{study}", dataset="{dataset}", method="{method}"):
    return f"results/{study}/train/{dataset}/{method}.json"


def eval_file(study="{study}", dataset="{dataset}", method="{method}"):
    return f"results/{study}/eval/{dataset}/{method}.json"


def curves_file(study="{study}", dataset="{dataset}", method="{method}"):
    return f"results/{study}/curves/{dataset}/{method}.csv"


def slug(name: str) -> str:
    """A method name as part of a DVC stage name: ``Robust+Sparse`` -> ``robust_sparse``."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


# --------------------------------------------------------------------------- generic stages

TRAIN_ARGS = ("--study {wildcards.study} --dataset {wildcards.dataset} --method {wildcards.method}"
              " --data {input.data} --splits {input.splits} --out {output.model} --log {output.log}"
              " --eval {output.eval} --curves {output.curves}")
#: Params keys of the evaluation part of every train job (beside the method's own keys).
EVAL_KEYS = ("threads", "split.preprocessing", "attack")

FETCH = Stage(name="fetch", script="stages/fetch.py", args="--dataset {wildcards.dataset} --out {output.data}",
              outputs={"data": out(raw())}, data=("src/holistic/data/registry.csv",),
              local=True)  # params: per data set; local: a cluster's login node has the network
SPLIT = Stage(name="split", script="stages/split.py",
              args="--dataset {wildcards.dataset} --data {input.data} --out {output.splits}",
              inputs={"data": raw()}, outputs={"splits": out(splits())},
              params=("seed", "split.test_fraction", "split.val_fraction", "split.n_splits"), local=True)
TRAIN = Stage(name="train", script="stages/train.py", args=TRAIN_ARGS,
              inputs={"data": raw(), "splits": splits()},
              outputs={"model": out(model()), "log": out(train_log()), "eval": out(eval_file()),
                       # `dvc plots show`: every model's validation accuracy at every epoch
                       "curves": out(curves_file(), dvc="plots",
                                     plot={"x": "epoch", "y": "val_accuracy", "template": "scatter"})})
              # params: per method (its pieces' keys) and EVAL_KEYS
#: The train job of a method that starts from another method's trained models (``Study.sources``,
#: e.g. SparseVLR's PM^T from the dense model): that job's model file is an input, ``{source}``
#: the source method. Everything else as ``TRAIN`` (the same script, params keys and code).
TRAIN_FROM = Stage(name="train", script=TRAIN.script, args=TRAIN_ARGS + " --source {input.source}",
                   inputs={**TRAIN.inputs, "source": model(method="{source}")}, outputs=TRAIN.outputs)


# --------------------------------------------------------------------------- the grid

@dataclass(frozen=True)
class StudyJobs:
    """One study as this run sees it: what an analysis stage factory receives."""

    name: str
    study: object                 # holistic.studies.base.Study
    datasets: tuple[str, ...]
    methods: tuple[str, ...]      # table order
    params: dict                  # the merged, validated params
    #: ``studies.<study>.method_datasets``: (method, its data sets) where a method trains on
    #: fewer than all of the slice's data sets
    method_datasets: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: ``studies.<study>.replicates``: (method, its seed offsets) of each replicated method, in
    #: table order: each offset a train job ``<method>@seed+<offset>`` (:attr:`replicate_names`)
    replicates: tuple[tuple[str, tuple[int, ...]], ...] = ()

    def datasets_of(self, method: str) -> tuple[str, ...]:
        """The data sets method ``method`` (or a replicate of it) trains on, in the slice's order."""
        return dict(self.method_datasets).get(split_replicate(method)[0], self.datasets)

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """(data set, method) of every train job of the study's tables (replicates are not), in
        data set order, then the study's method order."""
        return [(d, m) for d in self.datasets for m in self.methods if d in self.datasets_of(m)]

    @property
    def replicate_names(self) -> tuple[str, ...]:
        """The replicates' method names (``DL@seed+1``), by method (table order), then offset."""
        return tuple(replicate_name(m, o) for m, offsets in self.replicates for o in offsets)

    @property
    def trained(self) -> tuple[str, ...]:
        """The method name of every train job: the methods, then the replicates."""
        return self.methods + self.replicate_names

    @property
    def offsets(self) -> tuple[int, ...]:
        """The replicates' seed offsets, ascending (one selection each: :meth:`replicate_selected`)."""
        return tuple(sorted({o for _, offsets in self.replicates for o in offsets}))

    @property
    def replicate_evals(self) -> list[str]:
        """The replicates' eval files, in data set order, then :attr:`replicate_names`'s."""
        return [eval_file(self.name, d, r) for d in self.datasets for r in self.replicate_names
                if d in self.datasets_of(r)]

    def replicate_selected(self, offset: int) -> str:
        """The selection (``selected.csv``) of the replicates at seed offset ``offset``, under their
        methods' names: the tables' selection of a second run of the protocol for those methods
        (written by the aggregate stage)."""
        return f"{self.root}/replicates/{replicate_group(offset)}/selected.csv"

    def method(self, name: str):
        """The study's method ``name`` (or a replicate's method) as this run trains it
        (``studies.<study>.model`` applied)."""
        return self.study.method(name, self.params)

    def source(self, name: str) -> str | None:
        """The method whose trained models method ``name`` starts from (``Study.sources``), or None;
        a replicate starts from its method's source's models (of the run's seed)."""
        return self.study.sources.get(split_replicate(name)[0])

    def train_stage(self, name: str) -> tuple[Stage, dict]:
        """The train stage of method ``name`` (:data:`TRAIN`, or :data:`TRAIN_FROM` for a method
        with a source) and its wildcards beyond study, data set and method."""
        source = self.source(name)
        return (TRAIN, {}) if source is None else (TRAIN_FROM, {"source": source})

    @property
    def root(self) -> str:
        return f"results/{self.name}"

    @property
    def evals(self) -> list[str]:
        """Eval files in data set order, then the study's method order."""
        return [eval_file(self.name, d, m) for d, m in self.pairs]

    @property
    def train_logs(self) -> list[str]:
        return [train_log(self.name, d, m) for d, m in self.pairs]

    @property
    def curves(self) -> list[str]:
        return [curves_file(self.name, d, m) for d, m in self.pairs]

    @property
    def tables(self) -> list[str]:
        return [f"{self.root}/tables/{t}.{ext}" for t in TABLE_NAMES for ext in ("csv", "md")]

    @property
    def selected(self) -> str:
        return f"{self.root}/tables/selected.csv"

    @property
    def metrics(self) -> str:
        return f"{self.root}/metrics.json"

    @property
    def claims(self) -> str:
        """The study's judged claims (``holistic.fidelity.engine.COLUMNS``), one path for every study."""
        return f"{self.root}/claims.csv"

    @property
    def fidelity(self) -> str:
        """The study's fidelity document (published cells beside the run's, the claims)."""
        return f"{self.root}/fidelity.md"


def studies_registry():
    from ..studies import STUDIES

    return STUDIES


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


def select(params: dict, source: str = "params", registry=None) -> list[StudyJobs]:
    """The studies of ``params`` that run (``run_studies``, default: every entry of ``studies``)
    with their data sets and methods (with each selected method's source method, ``Study.sources``,
    which it starts from); unknown names, a missing grid axis or an unknown data set raise
    ParamsError (before any job runs)."""
    from ..data import registry as datasets_registry
    from ..errors import HolisticError
    from ..jobs.attack import check as check_attack

    registry = studies_registry() if registry is None else registry
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
            missing = [a for a in study.methods[m].axes() if a not in params["train"]["grid"]]
            if missing:
                raise ParamsError(f"{source}: field 'train.grid.{missing[0]}': required by method {m!r} "
                                  f"of study {name!r}")
        for d in slice_["datasets"]:
            try:
                datasets_registry.get(d, f"studies.{name}.datasets")
            except HolisticError as exc:
                raise ParamsError(f"{source}: {exc}") from None
            check_split(params, d, source)
            rho = radius_for(params["aggregate"]["adversarial_rho"], d)
            if eps_key(rho) not in {eps_key(e) for e in params["attack"]["rho_test"]}:
                raise ParamsError(f"{source}: field 'aggregate.adversarial_rho': the radius {rho:g} of data set "
                                  f"{d!r} is not among attack.rho_test {params['attack']['rho_test']}")
        restricted = method_datasets(slice_, name, study, methods, source)
        out_.append(StudyJobs(name, study, tuple(slice_["datasets"]), tuple(methods), params, restricted,
                              replicate_offsets(slice_, name, study, methods, source)))
    return out_


def replicate_offsets(slice_: dict, name: str, study, methods: list[str],
               source: str = "params") -> tuple[tuple[str, tuple[int, ...]], ...]:
    """``studies.<name>.replicates`` checked: each key a method of the study that trains in this
    run, each value a list of distinct seed offsets, integers >= 1 (0 is the method's own run);
    ParamsError naming the field otherwise. Returns (method, its offsets ascending) in table order."""
    given = slice_.get("replicates") or {}
    field = f"studies.{name}.replicates"
    for m, offsets in given.items():
        if m not in study.methods:
            raise ParamsError(f"{source}: field '{field}': unknown method {m!r} of study {name!r}; "
                              f"known: {', '.join(study.methods)}")
        if m not in methods:
            raise ParamsError(f"{source}: field '{field}': method {m!r} does not train in this run "
                              f"(studies.{name}.methods: {', '.join(methods)}); a replicate repeats a run's method")
        if not isinstance(offsets, list) or not offsets:
            raise ParamsError(f"{source}: field '{field}.{m}': a non-empty list of seed offsets, got {offsets!r}")
        bad = [o for o in offsets if isinstance(o, bool) or not isinstance(o, int) or o < 1]
        if bad:
            raise ParamsError(f"{source}: field '{field}.{m}': seed offsets are integers >= 1 (the replicate "
                              f"trains with seed + offset; 0 is the method itself), got {bad[0]!r}")
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


def datasets(studies: list[StudyJobs]) -> list[str]:
    """Every data set of every study, first occurrence order."""
    return list(dict.fromkeys(d for s in studies for d in s.datasets))


SPLIT_OPTIONAL = ("split.mode", "split.max_trainval_rows", "split.max_test_rows")


#: Resident memory of a job's process before its data and models (Python, torch and the
#: libraries): about 400 MB measured (Snakemake benchmark files, quick profile), rounded up.
PROCESS_MB = 512


def train_mem_mb(params: dict, dataset: str) -> int:
    """Memory a train job asks a cluster for (Snakemake's ``mem_mb``): the process, the data set's
    stacked splits (every split holds all n rows, float32) and the model grid, which the engine
    trains (and evaluates) in chunks sized to ``train.memory_budget_mb``."""
    from ..data import registry as datasets_registry
    from ..data.splits import split_params

    info = datasets_registry.get(dataset)
    data_mb = (split_params(params, dataset)["n_splits"] + 2) * info.n * info.p * 4 / 2**20
    return int(PROCESS_MB + data_mb + params["train"]["memory_budget_mb"])


def job_params(stage: Stage, method=None, dataset: str | None = None, params: dict | None = None,
               study: str | None = None) -> list[str]:
    """The params keys of one job: a train job's come from its method's pieces (and the
    study's model choice), a fetch job's from its data set's source section, a split job's
    from ``split`` (with the data set's own ``split.per_dataset`` entry), every other job's
    from its stage. Optional keys count only where ``params`` sets them."""
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


def aggregate_stage(s: StudyJobs) -> Stage:
    """The tables of the study's methods; with replicates, also each seed offset's replicates'
    selection (:meth:`StudyJobs.replicate_selected`), the tables' selection code run on the
    replicates' eval files in place of their methods' (the tables never see them)."""
    outputs = {f"{t}_{ext}": out(f"{s.root}/tables/{t}.{ext}") for t in TABLE_NAMES for ext in ("csv", "md")}
    outputs.update(
        selected=out(s.selected),
        metrics=out(s.metrics, dvc="metrics", cache=False),
        plot=out(f"{s.root}/plots/metrics.png", caption="metrics.rst", category=TABLES_CATEGORY,
                 label="means over data sets"),
        plot_data=out(f"{s.root}/plots/metrics.csv", dvc="plots", plot={"x": "method", "y": "value"}),
    )
    inputs, replicas = {"evals": s.evals}, ""
    if s.replicates:
        inputs["replicates"] = s.replicate_evals
        outputs.update({f"replicates_{o}": out(s.replicate_selected(o)) for o in s.offsets})
        replicas = f" --replicates {{input.replicates}} --replicate-tables {s.root}/replicates"
    return Stage(name="aggregate", script="stages/aggregate.py",
                 args=(f"--study {s.name} --evals {{input.evals}} --tables {{params.tables}}"
                       " --metrics {output.metrics} --plots {params.plots}" + replicas),
                 inputs=inputs, outputs=outputs, params=("aggregate",),
                 values={"tables": dirname_of("output", "selected"), "plots": dirname_of("output", "plot")},
                 local=True)


def curves_stage(s: StudyJobs) -> Stage:
    """The mean validation curve of each method on each data set (one figure per study)."""
    return Stage(name="curves", script="stages/curves.py",
                 args="--curves {input.curves} --png {output.png} --csv {output.csv}",
                 inputs={"curves": s.curves},
                 outputs={"png": out(f"{s.root}/plots/curves.png", caption="curves.rst", category=CURVES_CATEGORY,
                                     label="validation curves"),
                          "csv": out(f"{s.root}/plots/curves.csv")},
                 local=True)


def table_pages(s: StudyJobs) -> list[Stage]:
    return [html_page(f"html_{t}", f"{s.root}/tables/{t}.md", "table.rst", TABLES_CATEGORY, t.replace("_", " "))
            for t in TABLE_NAMES]


def analyses(study) -> tuple:
    """``Study.analyses``; when empty, ``STAGES`` of the study's ``stages`` module if it has one."""
    if study.analyses:
        return tuple(study.analyses)
    import importlib

    try:
        module = importlib.import_module(f"holistic.studies.{study.name}.stages")
    except ModuleNotFoundError as exc:
        if exc.name != f"holistic.studies.{study.name}.stages":
            raise
        return ()
    return tuple(getattr(module, "STAGES", ()))


def study_stages(s: StudyJobs) -> list[Stage]:
    """The per-study stages (aggregate, the study's analyses, then every report page as one
    job: :func:`holistic.workflow.stage.html_pages`), concrete paths."""
    stages = [aggregate_stage(s), curves_stage(s)] + table_pages(s)
    for item in analyses(s.study):
        made = item(s) if callable(item) else item
        stages += list(made) if isinstance(made, (list, tuple)) else [made]
    names = [st.name for st in stages]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ParamsError(f"study {s.name!r}: stage name(s) {sorted(dup)} declared twice")
    pages = [st for st in stages if st.script == PAGE_SCRIPT]
    return [st for st in stages if st.script != PAGE_SCRIPT] + ([html_pages(pages)] if pages else [])


def rule_name(stage: Stage, study: str) -> str:
    return f"{stage.name}_{study}"


# --------------------------------------------------------------------------- the whole spec

@dataclass(frozen=True)
class Spec:
    files: tuple[str, ...]            # the params files, in merge order
    params: dict
    studies: tuple[StudyJobs, ...]

    @property
    def datasets(self) -> list[str]:
        return datasets(list(self.studies))

    def study(self, name: str) -> StudyJobs:
        return {s.name: s for s in self.studies}[name]

    @property
    def overview(self) -> list[Stage]:
        """The stages over every study (``holistic.workflow.overview``)."""
        return overview_stages(self.studies)

    def targets(self) -> list[str]:
        """Every output of every per-study stage and of the stages over all studies: the default target."""
        stages = [st for s in self.studies for st in study_stages(s)] + self.overview
        return [o.path for st in stages for o in st.outputs.values()]

    def jobs(self) -> list[tuple[str, Stage, dict, list[str], list[str]]]:
        """(name, stage, wildcards, params keys, code) of every job, in run order."""
        out_ = []
        for stage in (FETCH, SPLIT):
            for d in self.datasets:
                out_.append((f"{stage.name}@{d}", stage, {"dataset": d},
                             job_params(stage, dataset=d, params=self.params), job_code(stage)))
        for s in self.studies:
            for m in s.trained:  # the methods, then the replicates (their method's keys: seed is one)
                keys = job_params(TRAIN, s.method(m), params=self.params, study=s.name)
                code = job_code(TRAIN, s.name, s.method(m))
                stage, extra = s.train_stage(m)
                for d in s.datasets_of(m):
                    out_.append((f"{TRAIN.name}_{s.name}_{slug(m)}@{d}", stage,
                                 {"study": s.name, "dataset": d, "method": m, **extra}, keys, code))
            for stage in study_stages(s):
                out_.append((rule_name(stage, s.name), stage, {"study": s.name}, job_params(stage, params=self.params),
                             job_code(stage, s.name)))
        for stage in self.overview:
            out_.append((stage.name, stage, {}, job_params(stage, params=self.params), job_code(stage)))
        return out_


def load(files) -> Spec:
    """Load, merge and validate the params files; check the studies against the registry."""
    files = tuple(str(f) for f in files)
    params = load_params(files)
    return Spec(files, params, tuple(select(params, " + ".join(files))))


def settings(params: dict, keys) -> str:
    """JSON of the dotted params keys a job depends on: a change reruns exactly those jobs."""
    return json.dumps({key: lookup(params, key) for key in keys}, sort_keys=True)
