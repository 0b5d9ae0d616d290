# Per (study, data set, method): train every configuration x split, then attack the models.
# Params: exactly the keys the method reads; code: the import graph of the stage script, with
# the study's package and the method's pieces (an edit reruns exactly the jobs that run it).


rule train:
    input:
        data=S.TRAIN.inputs["data"],
        splits=S.TRAIN.inputs["splits"],
        code=lambda w: S.job_code(S.TRAIN, w.study, method_of(w)),
    output:
        model=S.TRAIN.outputs["model"].path,
        log=S.TRAIN.outputs["log"].path,
    params:
        settings=lambda w: S.settings(P, S.job_params(S.TRAIN, method_of(w), params=P, study=w.study)),
        files=PARAMS,
    log:
        "logs/{study}/train/{dataset}/{method}.log",
    benchmark:
        "benchmarks/{study}/train/{dataset}/{method}.tsv"
    conda:
        ENV
    shell:
        command(S.TRAIN)


rule attack:
    input:
        data=S.ATTACK.inputs["data"],
        splits=S.ATTACK.inputs["splits"],
        model=S.ATTACK.inputs["model"],
        code=lambda w: S.job_code(S.ATTACK, w.study, method_of(w)),
    output:
        eval=S.ATTACK.outputs["eval"].path,
    params:
        settings=lambda w: S.settings(P, S.job_params(S.ATTACK, params=P, study=w.study)),
        files=PARAMS,
    log:
        "logs/{study}/attack/{dataset}/{method}.log",
    benchmark:
        "benchmarks/{study}/attack/{dataset}/{method}.tsv"
    conda:
        ENV
    shell:
        command(S.ATTACK)
