# Shared by all rules: the validated params, the workflow spec (job grid, params keys, code
# dependencies: src/holistic/workflow), and how a rule calls its stage script.
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from holistic.workflow import spec as S
from holistic.workflow.stage import quoted_args, shell_quote

# params.yaml, then each --configfile in order: exactly what the stage scripts merge.
PARAM_FILES = ["params.yaml"] + [str(f) for f in workflow.overwrite_configfiles or []]
SPEC = S.load(PARAM_FILES)  # schema-checked, studies and methods known, before any job starts
P = SPEC.params
if json.dumps(P, sort_keys=True) != json.dumps(config, sort_keys=True):
    raise ValueError(
        "settings given with --config do not reach the stage scripts; "
        "put them in a YAML file and pass it with --configfile"
    )

# `python` in a rule is the interpreter running Snakemake (its environment has `holistic`),
# or, with `--sdm conda`, the one of workflow/envs/holistic.yaml (activation comes first).
os.environ.update(PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))

# The one software environment of every rule (see workflow/envs/holistic.yaml).
ENV = "../envs/holistic.yaml"


class ParamFiles:
    """`--params FILE ...` of a stage command. Passed as a rule param, but not a builtin type,
    so Snakemake does not record it: switching profiles reruns only the jobs whose `settings`
    (the values of the keys they read) changed, not every job."""

    def __init__(self, files):
        self.files = list(files)

    def __str__(self):
        return " ".join(f"--params {shell_quote(f)}" for f in self.files)  # quoted: a name is never code


PARAMS = ParamFiles(PARAM_FILES)


wildcard_constraints:
    study="|".join(s.name for s in SPEC.studies),
    dataset="[a-z0-9][a-z0-9-]*",
    method="|".join(sorted({m.replace("+", r"\+") for s in SPEC.studies for m in s.trained})),  # replicates too


def command(stage):
    """The shell command of a stage: `python <script> --params ... <args> 2> log`, every path
    and value shell-quoted (`{input.x:q}`; the params files by ParamFiles)."""
    return f"python {shell_quote(stage.script)} {{params.files}} {quoted_args(stage.args)} 2> {{log:q}}"


def in_report(o):
    """An output, marked for `snakemake --report` when the spec gives it a caption."""
    if o.caption is None:
        return o.path
    return report(o.path, caption=f"../report/{o.caption}", category=o.category,
                  labels={"name": o.label} if o.label else None)


def method_of(w):
    return SPEC.study(w.study).method(w.method)


# The methods that start from another method's trained models (rule train_from).
SOURCED = "|".join(sorted({m.replace("+", r"\+") for s in SPEC.studies for m in s.trained if s.source(m)}))
