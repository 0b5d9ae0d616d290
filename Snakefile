# Holistic Deep Learning pipeline: fetch -> split -> train -> attack -> aggregate.
# Settings: params.yaml (the `quick` profile); other profiles add --configfile files,
# e.g. `snakemake --workflow-profile workflow/profiles/uci`.
from snakemake.utils import min_version

min_version("8.0")


configfile: "params.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/aggregate.smk"


rule all:
    input:
        TABLES,
        "results/metrics.json",
    default_target: True
