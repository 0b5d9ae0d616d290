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
                           method's job with ``seed`` + 1; in no table, only in its selection);
                           per step budget too (``studies.<study>.step_budgets``: its method's
                           job with rounds of at most that many steps, ``natural-init@steps=2016``;
                           in no table, only in the sweep); each with its method's own
                           training where set (``studies.<study>.method_train``: a partial
                           ``train`` merged over the run's, ``holistic.config.method_params``)
    aggregate              per study (and each seed offset's replicates' selection)
    curves                 per study: the train jobs' validation curves as one figure
    sweep                  per study with step budgets: each swept quantity against steps
    the study's analyses   per study (``Study.analyses``, declared with ``holistic.workflow.Stage``)
    html pages             per study, for the Snakemake report

The spec by concern (each name re-exported here):

    paths       the file layout (raw, splits, model, train_log, eval_file, curves_file, slug)
    generic     the generic stages (FETCH, SPLIT, TRAIN, TRAIN_FROM, aggregate, curves, table pages)
    grid        StudyJobs: one study's jobs as this run sees them
    checks      the params checks of the studies' slices (check_studies, check_split, ...)
    deps        each job's params keys and code (job_params, job_code, settings, EVAL_KEYS)
    resources   a train job's memory (train_mem_mb)
    spec        this module: the study registry, every study's stages, the whole Spec

An entry point: it may import ``holistic.studies``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import load_params
from ..errors import ParamsError
from .checks import (check_method_train, check_split, check_studies, method_datasets, replicate_offsets,
                     step_budgets)
from .deps import EVAL_KEYS, SPLIT_OPTIONAL, job_code, job_params, settings, study_modules
from .generic import (CURVES_CATEGORY, FETCH, SPLIT, TABLE_NAMES, TABLES_CATEGORY, TRAIN, TRAIN_ARGS, TRAIN_FROM,
                      aggregate_stage, curves_stage, sweep_stage, table_pages)
from .grid import StudyJobs, datasets
from .overview import overview_stages
from .paths import curves_file, eval_file, model, raw, slug, splits, train_log
from .resources import PROCESS_MB, train_mem_mb
from .stage import PAGE_SCRIPT, Stage, html_pages


def studies_registry():
    from ..studies import STUDIES

    return STUDIES


def select(params: dict, source: str = "params", registry=None) -> list[StudyJobs]:
    """The studies of ``params`` that run, checked (:func:`holistic.workflow.checks.check_studies`)
    against ``registry`` (default: every registered study, ``holistic.studies.STUDIES``)."""
    return check_studies(params, studies_registry() if registry is None else registry, source)


# --------------------------------------------------------------------------- every study's stages

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
    """The per-study stages (aggregate, curves, the step sweep where the run has one, the study's
    analyses, then every report page as one job: :func:`holistic.workflow.stage.html_pages`),
    concrete paths."""
    stages = [aggregate_stage(s), curves_stage(s)] + ([sweep_stage(s)] if s.budgets else []) + table_pages(s)
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
            for m in s.trained:  # the methods, replicates, step budgets (their method's keys: seed, steps)
                keys = job_params(TRAIN, s.method(m), params=self.params, study=s.name, name=m)
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


__all__ = ["raw", "splits", "model", "train_log", "eval_file", "curves_file", "slug",
           "TABLE_NAMES", "TABLES_CATEGORY", "CURVES_CATEGORY", "TRAIN_ARGS", "FETCH", "SPLIT", "TRAIN", "TRAIN_FROM",
           "aggregate_stage", "curves_stage", "sweep_stage", "table_pages", "StudyJobs", "datasets",
           "studies_registry", "select", "check_studies", "check_split", "replicate_offsets", "step_budgets",
           "method_datasets", "check_method_train",
           "EVAL_KEYS", "SPLIT_OPTIONAL", "job_params", "job_code", "study_modules", "settings",
           "PROCESS_MB", "train_mem_mb", "analyses", "study_stages", "rule_name", "Spec", "load"]
