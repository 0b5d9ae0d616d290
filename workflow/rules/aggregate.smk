rule aggregate:
    input:
        expand("results/eval/{dataset}/{method}.json", dataset=DATASETS, method=METHOD_NAMES),
    output:
        TABLES,
        metrics="results/metrics.json",
        plot="results/plots/metrics.png",
        plot_data="results/plots/metrics.csv",
    params:
        settings=settings("aggregate"),
    log:
        "logs/aggregate.log",
    shell:
        "{PY} stages/aggregate.py {STAGE_ARGS} --evals {input} --tables results/tables"
        " --metrics {output.metrics} --plots results/plots 2> {log}"
