rule fetch:
    output:
        "data/raw/{dataset}.npz",
    params:
        settings=settings("data.uci"),
    log:
        "logs/fetch/{dataset}.log",
    shell:
        "{PY} stages/fetch.py {STAGE_ARGS} --dataset {wildcards.dataset} --out {output} 2> {log}"


rule split:
    input:
        "data/raw/{dataset}.npz",
    output:
        "data/splits/{dataset}.npz",
    params:
        settings=settings("seed", "split.test_fraction", "split.val_fraction", "split.n_splits"),
    log:
        "logs/split/{dataset}.log",
    shell:
        "{PY} stages/split.py {STAGE_ARGS} --dataset {wildcards.dataset} --data {input} --out {output} 2> {log}"
