# The platform's workflow: for every study in params.yaml's `studies`, fetch -> split ->
# train -> attack (per data set x method) -> aggregate -> the study's analyses, and
# `snakemake --report results/report.html`. The job grid, each job's params keys and code
# dependencies come from the workflow spec (src/holistic/workflow), which also writes dvc.yaml.
# Settings: params.yaml (the `quick` profile); other profiles add --configfile files,
# e.g. `snakemake --workflow-profile workflow/profiles/uci`.
from snakemake.utils import min_version

min_version("8.0")


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
