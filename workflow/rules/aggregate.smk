rule aggregate:
    input:
        expand("results/eval/{dataset}/{method}.json", dataset=DATASETS, method=METHOD_NAMES),
    output:
        TABLES,
        selected="results/tables/selected.csv",
        metrics="results/metrics.json",
        plot=in_report("results/plots/metrics.png", "metrics.rst", "1. Tables A1-A4",
                       name="means over data sets"),
        plot_data="results/plots/metrics.csv",
    params:
        settings=settings("aggregate"),
    log:
        "logs/aggregate.log",
    shell:
        "{PY} stages/aggregate.py {STAGE_ARGS} --evals {input} --tables results/tables"
        " --metrics {output.metrics} --plots results/plots 2> {log}"
