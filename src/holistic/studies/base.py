"""What a study (one paper reproduced on the platform) declares.

A study is a package under ``holistic.studies`` holding its method table (methods as
compositions of registered pieces), its baseline, its reference tables, claims and
analyses. The library core never imports a study; only the entry points (the workflow
spec, the stage scripts, ``bench/``) look studies up in ``holistic.studies.STUDIES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ..methods import Method


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

    def method(self, name: str, params: Mapping | None = None) -> Method:
        """The method ``name``; with ``params``, on the model ``studies.<study>.model`` when set."""
        from dataclasses import replace

        from ..errors import ParamsError

        if name not in self.methods:
            raise ParamsError(f"study {self.name!r}: unknown method {name!r}; known: {', '.join(self.methods)}")
        model = ((params or {}).get("studies", {}).get(self.name) or {}).get("model")
        return replace(self.methods[name], model=model) if model else self.methods[name]
