"""What a study (one paper reproduced on the platform) declares.

A study is a package under ``holistic.studies`` holding its method table (methods as
compositions of registered pieces), its baseline, its reference tables, claims and
analyses. The library core never imports a study; only the entry points (the workflow
spec, the stage scripts, ``bench/``) look studies up in ``holistic.studies.STUDIES``.

A study's report (its tables, figures, judged claims and fidelity document) is one function
named by ``Study.report`` (``"module:function"``) with the signature every study shares,
:data:`REPORT_SIGNATURE`; the platform's stage ``stages/report.py`` calls it (see
``holistic.workflow.stage.report_stage``). It is named, not imported, so that importing a
study for its methods (a train job) does not import its report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Collection, Mapping

from ..methods import Method

#: The arguments of every study's report entry (:attr:`Study.report`), in order; an entry takes
#: them all, whether or not it reads each: the params, the study's methods in table order, the
#: train jobs' eval files and train logs, the folder of its tables and figures, the paths of its
#: judged claims (``results/<study>/claims.csv``) and of its fidelity document
#: (``results/<study>/fidelity.md``), and the run's step sweep (``results/<study>/sweep/models.csv``,
#: :mod:`holistic.records.sweep`; None without ``studies.<study>.step_budgets``), for a claim's
#: ``converged`` precondition.
REPORT_SIGNATURE = ("params", "methods", "evals", "logs", "out", "claims", "fidelity", "sweep")


def pair_name(first: str, second: str) -> str:
    """A method of a study's grid of two axes (training x reset, network x pruning): ``<first>-<second>``."""
    return f"{first}-{second}"


def split_pair(method: str, firsts: Collection[str], seconds: Collection[str],
               axes: tuple[str, str]) -> tuple[str, str]:
    """``(first, second)`` of a :func:`pair_name` with ``first`` in ``firsts`` and ``second`` in
    ``seconds`` (either may hold a ``-``); ValueError naming the two ``axes`` otherwise."""
    for i, c in enumerate(method):
        if c == "-" and method[:i] in firsts and method[i + 1:] in seconds:
            return method[:i], method[i + 1:]
    raise ValueError(f"{method!r}: not <{axes[0]}>-<{axes[1]}> of {list(firsts)} x {list(seconds)}")


@dataclass(frozen=True)
class Study:
    name: str                       # the key in STUDIES and in params.yaml's ``studies``
    title: str                      # the paper, for reports
    methods: dict[str, Method]      # column order of the study's tables
    baseline: str                   # the method others are compared with
    analyses: tuple = field(default=())  # the study's analysis stages (holistic.workflow.Stage)
    table_refs: Mapping[str, str] = field(default_factory=dict)  # metric -> the published table it mirrors
    # method -> the method whose trained models it starts from (a procedure with ``needs_source``,
    # e.g. SparseVLR's PM^T from the dense model): its train job has that job's model file as input
    sources: Mapping[str, str] = field(default_factory=dict)
    # "module:function" of the study's report (:data:`REPORT_SIGNATURE`), run by stages/report.py;
    # None for a study with analyses of its own only (hdl)
    report: str | None = None

    @property
    def report_module(self) -> str | None:
        """The module of :attr:`report` (a code dependency of the report stage, not of a train job)."""
        return None if self.report is None else self.report.partition(":")[0]

    def report_entry(self) -> Callable:
        """The function :attr:`report` names, imported."""
        import importlib

        from ..errors import ParamsError

        module, _, name = (self.report or "").partition(":")
        if not module or not name:
            raise ParamsError(f"study {self.name!r} declares no report entry ('module:function'): {self.report!r}")
        return getattr(importlib.import_module(module), name)

    def method(self, name: str, params: Mapping | None = None) -> Method:
        """The method ``name``; with ``params``, on the model ``studies.<study>.model`` when set.
        A replicate's name (``DL@seed+1``) or a step budget's (``DL@steps=2000``) gives its method
        (:func:`holistic.methods.base_method`): either trains the same method (with another seed, or
        rounds of another length)."""
        from dataclasses import replace

        from ..errors import ParamsError
        from ..methods import base_method

        try:
            base = base_method(name)
        except ValueError as exc:
            raise ParamsError(f"study {self.name!r}: {exc}") from None
        if base not in self.methods:
            raise ParamsError(f"study {self.name!r}: unknown method {name!r}; known: {', '.join(self.methods)}")
        name = base
        model = ((params or {}).get("studies", {}).get(self.name) or {}).get("model")
        return replace(self.methods[name], model=model) if model else self.methods[name]
