"""The stage spec: one step of the workflow, as both front doors (Snakemake, DVC) need it.

Core module: it imports no study. A study declares its analysis stages with ``Stage`` (see
``holistic.studies.hdl.stages``), or, for its report (tables, figures, claims, fidelity
document), with :func:`report_stage`, one script for every study; the generic stages (fetch,
split, train, attack, aggregate) are declared the same way in ``holistic.workflow.generic``.

``args`` is written in Snakemake's shell syntax (``{input.x}``, ``{output.y}``,
``{params.z}``, ``{wildcards.w}``); the Snakefile uses it as is, the DVC generator renders
it with the job's concrete paths. The full command is always
``python <script> --params FILE... <args>``, every path and value in it shell-quoted
(:func:`quoted_args` for Snakemake, :func:`shell_quote` for both front doors): a params file
named ``my $(touch x).yaml`` is one argument, never a command.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field, replace
from typing import Callable, Union

from ..errors import ParamsError


_FIELD = re.compile(r"(?<!\{)\{(\w+(?:\.\w+)*)\}(?!\})")
_DVC_ITEM = "${item}"


def quoted_args(args: str) -> str:
    """``args`` with each ``{input.x}`` etc. as ``{input.x:q}``: Snakemake then shell-quotes the
    value (each path of a list on its own)."""
    return _FIELD.sub(r"{\1:q}", args)


def shell_quote(value) -> str:
    """``shlex.quote(value)``; a plain name (``params.yaml``, ``data/raw/${item}.npz``: DVC's
    ``${item}`` counts as plain) stays as it is, so the generated dvc.yaml keeps its commands."""
    value = str(value)
    if shlex.quote(value.replace(_DVC_ITEM, "item")) == value.replace(_DVC_ITEM, "item"):
        return value
    return shlex.quote(value)


@dataclass(frozen=True)
class Output:
    """One output file, and how each front door shows it."""

    path: str
    caption: str | None = None    # file under workflow/report/: shown by `snakemake --report`
    category: str | None = None   # report category (sorted by name)
    label: str | None = None      # report label
    dvc: str = "outs"             # outs | metrics | plots (dvc.yaml section)
    plot: dict | None = None      # for dvc plots: {x: ..., y: ...}
    cache: bool = True            # dvc cache (false: committed to git instead, e.g. metrics.json)


Paths = Union[str, list]


@dataclass(frozen=True)
class Stage:
    """One step: a script, its files, the params keys it depends on."""

    name: str                                  # rule name (per study: <name>_<study>)
    script: str                                # stages/<x>.py: its import graph gives the code deps
    args: str                                  # arguments after --params, Snakemake shell syntax
    inputs: dict[str, Paths] = field(default_factory=dict)
    outputs: dict[str, Output] = field(default_factory=dict)
    params: tuple[str, ...] = ()               # dotted params keys: a change reruns the stage
    values: dict[str, Callable] = field(default_factory=dict)  # non-file args: f(input, output) -> str
    data: tuple[str, ...] = ()                 # non-Python files the code reads (relative to the root)
    local: bool = False                        # a Snakemake localrule (cheap; never sent to a cluster)
    # holistic modules the job runs that the script's import graph does not reach (it finds them
    # through a registry, e.g. a study's report entry): code dependencies like the script's imports
    modules: tuple[str, ...] = ()


def out(path: str, *, caption: str | None = None, category: str | None = None, label: str | None = None,
        dvc: str = "outs", plot: dict | None = None, cache: bool = True) -> Output:
    return Output(path, caption, category, label, dvc, plot, cache)


#: The script of a report-page stage (:func:`html_page`, :func:`html_pages`).
PAGE_SCRIPT = "stages/html_page.py"


def html_page(name: str, src: str, caption: str, category: str, label: str) -> Stage:
    """A Markdown / text result as an HTML page beside its source, for ``snakemake --report`` (a DVC
    stage too, so that a clone that pulled a run has every output the workflow makes)."""
    stem = src.rsplit(".", 1)[0]
    return Stage(name=name, script=PAGE_SCRIPT, args="--src {input.src} --out {output.page}",
                 inputs={"src": src},
                 outputs={"page": out(stem + ".html", caption=caption, category=category, label=label)},
                 local=True)


def html_pages(pages: list[Stage], name: str = "html") -> Stage:
    """Several :func:`html_page` stages as one job: one process renders every page (a page is
    a second of Python start-up and a fraction of one of work). Each page keeps its output,
    caption, category and label; input ``<page>`` and output ``<page>_html`` are named after
    the page's stage name without its ``html_`` prefix."""
    keys = [p.name.removeprefix("html_") for p in pages]
    return Stage(name=name, script=PAGE_SCRIPT,
                 args="--src " + " ".join(f"{{input.{k}}}" for k in keys)
                      + " --out " + " ".join(f"{{output.{k}_html}}" for k in keys),
                 inputs={k: p.inputs["src"] for k, p in zip(keys, pages)},
                 outputs={f"{k}_html": p.outputs["page"] for k, p in zip(keys, pages)},
                 local=True)


#: The script of every study's report stage (:func:`report_stage`).
REPORT_SCRIPT = "stages/report.py"


def report_stage(s, name: str, folder: str, params: tuple[str, ...], data: tuple[str, ...] = ("reference",),
                 **outputs: Output) -> Stage:
    """A study's report: ``stages/report.py`` calls the study's report entry (``Study.report``,
    one signature for every study) on the train jobs' eval files and logs. It writes ``outputs``
    (paths relative to ``folder``) into ``folder``, and the judged claims and the fidelity document
    to the study's own paths (``s.claims``, ``s.fidelity``).

    ``s``: the study's ``holistic.workflow.grid.StudyJobs``; ``name``: the stage's (rule
    ``<name>_<study>``); ``params``: the params keys the outputs read (the departures among
    them); ``data``: the folders of the study's package the report reads (its published values).
    The study's report module is a code dependency of this stage (:attr:`Stage.modules`), not of
    the study's train jobs. In a run with a step sweep (``s.budgets``) the sweep's records
    (``s.sweep_models``) are an input too, the entry's ``sweep`` argument. The methods' own training
    (``studies.<study>.method_train``, which the departures read per method) is a params key of the
    stage where the run sets it (and ``params`` does not cover it)."""
    if not s.study.report:
        raise ParamsError(f"study {s.name!r}: a report stage needs the study's report entry (Study.report)")
    files = {k: replace(o, path=f"{folder}/{o.path}") for k, o in outputs.items()}
    files.update(fidelity=out(s.fidelity), claims=out(s.claims))
    inputs, sweep = {"evals": s.evals, "logs": s.train_logs}, ""
    if s.budgets:  # a run with a step sweep: its records (stage sweep) for the claims' `converged`
        inputs["sweep"], sweep = s.sweep_models, " --sweep {input.sweep}"
    own = f"studies.{s.name}.method_train"  # optional: a key only where the run sets it
    if not any(own == k or own.startswith(k + ".") for k in params):
        params = (*params, own)
    return Stage(
        name=name, script=REPORT_SCRIPT,
        args=(f"--study {s.name} --evals {{input.evals}} --logs {{input.logs}} --out {folder} "
              "--claims {output.claims} --fidelity {output.fidelity}" + sweep),
        inputs=inputs, outputs=files, params=tuple(params),
        data=tuple(f"src/holistic/studies/{s.name}/{d}" for d in data), local=True,
        modules=(s.study.report_module,))


def fidelity_page(s, category: str) -> Stage:
    """The page of a study's fidelity document (:func:`html_page`; caption
    ``workflow/report/<study>_fidelity.rst``)."""
    return html_page("html_fidelity", s.fidelity, f"{s.name}_fidelity.rst", category, "fidelity and claims")


def dirname_of(kind: str, name: str) -> Callable:
    """A non-file argument: the folder of an input or output (``dirname_of("output", "fig1")``)."""

    def value(input, output):
        files = {"input": input, "output": output}[kind]
        path = files[name] if isinstance(files, dict) else getattr(files, name)
        path = path[0] if isinstance(path, (list, tuple)) else path
        return str(path).rsplit("/", 1)[0]

    value.__name__ = f"dirname_of_{kind}_{name}"
    return value
