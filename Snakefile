# Holistic Deep Learning pipeline: fetch -> split -> train -> attack -> aggregate ->
# figures, SHAP, policy trees, fidelity (and `snakemake --report results/report.html`).
# Settings: params.yaml (the `quick` profile); other profiles add --configfile files,
# e.g. `snakemake --workflow-profile workflow/profiles/uci`.
from snakemake.utils import min_version

min_version("8.0")


configfile: "params.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/analysis.smk"


rule all:
    input:
        TABLES,
        "results/metrics.json",
        ANALYSIS,
    default_target: True
