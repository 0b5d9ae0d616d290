# Per (study, data set, method): train every configuration x split, save the models, then
# measure them with the attack suite, in one process (torch and the data are loaded once).
# Params: exactly the keys the method reads, and the attack settings; code: the import graph of
# the stage script, with the study's package and the method's pieces (an edit reruns exactly
# the jobs that run it).


rule train:
    input:
        data=S.TRAIN.inputs["data"],
        splits=S.TRAIN.inputs["splits"],
        code=lambda w: S.job_code(S.TRAIN, w.study, method_of(w)),
    output:
        model=S.TRAIN.outputs["model"].path,
        log=S.TRAIN.outputs["log"].path,
        eval=S.TRAIN.outputs["eval"].path,
        curves=S.TRAIN.outputs["curves"].path,
    params:
        settings=lambda w: S.settings(P, S.job_params(S.TRAIN, method_of(w), params=P, study=w.study, name=w.method)),
        files=PARAMS,
    threads: P["threads"]  # torch threads of the job (params.yaml's `threads`)
    resources:
        mem_mb=lambda w: S.train_mem_mb(P, w.dataset, w.study, w.method),
    log:
        "logs/{study}/train/{dataset}/{method}.log",
    benchmark:
        "benchmarks/{study}/train/{dataset}/{method}.tsv"
    conda:
        ENV
    shell:
        command(S.TRAIN)


# A method that starts from another method's trained models (the study's `sources`, e.g.
# SparseVLR's PM^T from the dense model): the same job, with that job's model file as an input.
rule train_from:
    input:
        data=S.TRAIN.inputs["data"],
        splits=S.TRAIN.inputs["splits"],
        source=lambda w: S.model(w.study, w.dataset, SPEC.study(w.study).source(w.method)),
        code=lambda w: S.job_code(S.TRAIN, w.study, method_of(w)),
    output:
        model=S.TRAIN.outputs["model"].path,
        log=S.TRAIN.outputs["log"].path,
        eval=S.TRAIN.outputs["eval"].path,
        curves=S.TRAIN.outputs["curves"].path,
    params:
        settings=lambda w: S.settings(P, S.job_params(S.TRAIN, method_of(w), params=P, study=w.study, name=w.method)),
        files=PARAMS,
    threads: P["threads"]
    resources:
        mem_mb=lambda w: S.train_mem_mb(P, w.dataset, w.study, w.method),
    log:
        "logs/{study}/train/{dataset}/{method}.log",
    benchmark:
        "benchmarks/{study}/train/{dataset}/{method}.tsv"
    conda:
        ENV
    wildcard_constraints:
        method=SOURCED or "(?!)",  # only the methods with a source (none: matches nothing)
    shell:
        command(S.TRAIN_FROM)


ruleorder: train_from > train
