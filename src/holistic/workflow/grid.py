"""The job grid of one study: :class:`StudyJobs`, the study as a run sees it (its data sets, its
methods, their replicates and step budgets, the merged params) with the paths of its jobs' files; what an
analysis stage factory receives.

Core module: it imports no study (it holds one, ``holistic.studies.base.Study``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..methods import base_method, budget_name, replicate_group, replicate_name
from .generic import TABLE_NAMES, TRAIN, TRAIN_FROM
from .paths import curves_file, eval_file, train_log
from .stage import Stage


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
    #: ``studies.<study>.step_budgets``: (method, its step budgets ascending) of each swept method,
    #: in table order: each budget a train job ``<method>@steps=<budget>`` (:attr:`budget_names`)
    budgets: tuple[tuple[str, tuple[int, ...]], ...] = ()

    def datasets_of(self, method: str) -> tuple[str, ...]:
        """The data sets method ``method`` (or a replicate or step budget of it) trains on, in the
        slice's order."""
        return dict(self.method_datasets).get(base_method(method), self.datasets)

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
    def budget_names(self) -> tuple[str, ...]:
        """The step budgets' method names (``natural-init@steps=2016``), by method (table order),
        then budget."""
        return tuple(budget_name(m, b) for m, budgets in self.budgets for b in budgets)

    @property
    def trained(self) -> tuple[str, ...]:
        """The method name of every train job: the methods, the replicates, then the step budgets."""
        return self.methods + self.replicate_names + self.budget_names

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

    def _sweep(self, path) -> list[str]:
        """``path(study, dataset, method)`` of every job of the step sweep: per data set, each swept
        method's own job (the run's length), then its budgets'."""
        return [path(self.name, d, j) for d in self.datasets for m, budgets in self.budgets
                if d in self.datasets_of(m) for j in (m, *(budget_name(m, b) for b in budgets))]

    @property
    def sweep_evals(self) -> list[str]:
        """The eval files of the step sweep (:meth:`_sweep`): its figure's and claims' points."""
        return self._sweep(eval_file)

    @property
    def sweep_logs(self) -> list[str]:
        """The train logs of the step sweep (:meth:`_sweep`): each job's steps a round."""
        return self._sweep(train_log)

    @property
    def sweep_models(self) -> str:
        """The step sweep's records, one row per model and measure (``holistic.records.sweep``),
        written by stage ``sweep``, read by the study's report (its claims' ``converged``)."""
        return f"{self.root}/sweep/models.csv"

    def method(self, name: str):
        """The study's method ``name`` (or a replicate's or step budget's method) as this run trains it
        (``studies.<study>.model`` applied)."""
        return self.study.method(name, self.params)

    def source(self, name: str) -> str | None:
        """The method whose trained models method ``name`` starts from (``Study.sources``), or None;
        a replicate or a step budget starts from its method's source's models (of the run itself)."""
        return self.study.sources.get(base_method(name))

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


def datasets(studies: list[StudyJobs]) -> list[str]:
    """Every data set of every study, first occurrence order."""
    return list(dict.fromkeys(d for s in studies for d in s.datasets))
