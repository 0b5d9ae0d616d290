# The platform's workflow: for every study in params.yaml's `studies`, fetch -> split ->
# train -> attack (per data set x method) -> aggregate -> the study's analyses, and
# `snakemake --report results/report.html`. The job grid, each job's params keys and code
# dependencies come from the workflow spec (src/holistic/workflow), which also writes dvc.yaml.
# Settings: params.yaml (the `quick` profile); other profiles add --configfile files,
# e.g. `snakemake --workflow-profile workflow/profiles/uci`.
from snakemake.utils import min_version

min_version("8.0")

# Each params file read by holistic.config first: a missing file or a YAML error is one line naming
# the file (and the line), before Snakemake's own parse of params.yaml. (Snakemake's command line
# has read the --configfile files already, so their errors are Snakemake's own; the stage scripts
# and `python -m holistic.workflow check --params FILE ...` give the one-line messages for them.)
import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(workflow.basedir) / "src"))
from holistic.config import read_params_file as _read_params_file

for _f in ["params.yaml"] + [str(f) for f in workflow.overwrite_configfiles or []]:
    _read_params_file(_f)


configfile: "params.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/study.smk"


rule all:
    input:
        SPEC.targets(),
    default_target: True
