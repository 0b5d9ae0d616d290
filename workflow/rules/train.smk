rule train:
    input:
        data="data/raw/{dataset}.npz",
        splits="data/splits/{dataset}.npz",
    output:
        model="models/{dataset}/{method}.safetensors",
        log="results/train/{dataset}/{method}.json",
    params:
        settings=lambda w: settings(*param_keys(w.method)),
    log:
        "logs/train/{dataset}/{method}.log",
    shell:
        "{PY} stages/train.py {STAGE_ARGS} --dataset {wildcards.dataset} --method '{wildcards.method}'"
        " --data {input.data} --splits {input.splits} --out {output.model} --log {output.log} 2> {log}"


rule attack:
    input:
        data="data/raw/{dataset}.npz",
        splits="data/splits/{dataset}.npz",
        model="models/{dataset}/{method}.safetensors",
    output:
        "results/eval/{dataset}/{method}.json",
    params:
        settings=settings("threads", "split.preprocessing", "attack"),
    log:
        "logs/attack/{dataset}/{method}.log",
    shell:
        "{PY} stages/attack.py {STAGE_ARGS} --dataset {wildcards.dataset} --method '{wildcards.method}'"
        " --data {input.data} --splits {input.splits} --models {input.model} --out {output} 2> {log}"
