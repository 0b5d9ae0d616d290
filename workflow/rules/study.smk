# Per study: aggregate (tables, metrics), the study's analyses (Study.analyses, e.g.
# src/holistic/studies/hdl/stages.py) and the report pages, one rule each, named
# <stage>_<study>. The same Stage specs make dvc.yaml (python -m holistic.workflow dvc-yaml).

from snakemake.utils import format as _smk_format


def stage_command(stage):
    """The stage's command with this job's paths filled in, as a param function. (A `shell:`
    directive is evaluated when the job runs, so inside this loop it would see the loop's last
    stage; a param function binds its own.)"""

    def command(wildcards, input, output):
        values = {k: f(input, output) for k, f in stage.values.items()}
        args = _smk_format(quoted_args(stage.args), input=input, output=output, wildcards=wildcards,
                           params=type("Values", (), values))  # each value shell-quoted (`:q`)
        return f"python {shell_quote(stage.script)} {PARAMS} {args}"

    return command


for _study in SPEC.studies:
    for _stage in S.study_stages(_study):

        rule:
            name:
                S.rule_name(_stage, _study.name)
            input:
                **_stage.inputs,
                code=S.job_code(_stage, _study.name),
            output:
                **{k: in_report(o) for k, o in _stage.outputs.items()},
            params:
                settings=S.settings(P, S.job_params(_stage, params=P)),
                command=stage_command(_stage),
            log:
                f"logs/{_study.name}/{_stage.name}.log",
            localrule: _stage.local
            conda:
                ENV
            shell:
                "{params.command} 2> {log:q}"


# The stages over every study (src/holistic/workflow/overview.py): results/claims.md and its page.
for _stage in SPEC.overview:

    rule:
        name:
            _stage.name
        input:
            **_stage.inputs,
            code=S.job_code(_stage),
        output:
            **{k: in_report(o) for k, o in _stage.outputs.items()},
        params:
            settings=S.settings(P, S.job_params(_stage, params=P)),
            command=stage_command(_stage),
        log:
            f"logs/{_stage.name}.log",
        localrule: _stage.local
        conda:
            ENV
        shell:
            "{params.command} 2> {log:q}"
