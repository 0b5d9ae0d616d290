# Per study: aggregate (tables, metrics), the study's analyses (Study.analyses, e.g.
# src/holistic/studies/hdl/stages.py) and the report pages, one rule each, named
# <stage>_<study>. The same Stage specs make dvc.yaml (python -m holistic.workflow dvc-yaml).

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
                settings=S.settings(P, _stage.params),
                files=PARAMS,
                **{k: (lambda w, input, output, f=f: f(input, output)) for k, f in _stage.values.items()},
            log:
                f"logs/{_study.name}/{_stage.name}.log",
            localrule: _stage.local
            conda:
                ENV
            shell:
                command(_stage)
