# Data sets shared by every study: fetch (checksummed), then the fixed splits.


rule fetch:
    input:
        code=S.job_code(S.FETCH),
    output:
        data=S.FETCH.outputs["data"].path,
    params:
        settings=lambda w: S.settings(P, S.job_params(S.FETCH, dataset=w.dataset, params=P)),
        files=PARAMS,
    log:
        "logs/fetch/{dataset}.log",
    localrule: S.FETCH.local
    conda:
        ENV
    shell:
        command(S.FETCH)


rule split:
    input:
        data=S.SPLIT.inputs["data"],
        code=S.job_code(S.SPLIT),
    output:
        splits=S.SPLIT.outputs["splits"].path,
    params:
        settings=lambda w: S.settings(P, S.job_params(S.SPLIT, dataset=w.dataset, params=P)),
        files=PARAMS,
    log:
        "logs/split/{dataset}.log",
    localrule: S.SPLIT.local
    conda:
        ENV
    shell:
        command(S.SPLIT)
