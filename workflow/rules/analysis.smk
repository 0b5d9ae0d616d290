# Section 4 analyses on top of the aggregated results: Figures 1-3, Table 5, policy trees
# with Table 6, and the comparison with the published tables. Each rule calls one stage.

SELECTED = "results/tables/selected.csv"
POLICY_OBJECTIVES = P["analysis"]["policy"]["objectives"]


rule figures:
    input:
        selected=SELECTED,
        logs=expand("results/train/{dataset}/{method}.json", dataset=DATASETS, method=METHOD_NAMES),
        evals=expand("results/eval/{dataset}/{method}.json", dataset=DATASETS, method=METHOD_NAMES),
    output:
        fig1=in_report("results/analysis/figure1.png", "figure1.rst", "2. Figures 1-2, Table 5",
                       name="Figure 1"),
        fig1_data="results/analysis/figure1.csv",
        fig2=in_report("results/analysis/figure2.png", "figure2.rst", "2. Figures 1-2, Table 5",
                       name="Figure 2"),
        fig2_data="results/analysis/figure2.csv",
        table5="results/analysis/table5.csv",
        table5_md="results/analysis/table5.md",
        per_dataset="results/analysis/per_dataset.md",
    params:
        settings=settings("aggregate.adversarial_rho"),
    log:
        "logs/figures.log",
    shell:
        "{PY} stages/figures.py {STAGE_ARGS} --selected {input.selected} --train-logs {input.logs}"
        " --evals {input.evals} --out results/analysis 2> {log}"


rule shap:
    input:
        SELECTED,
    output:
        csv="results/analysis/shap.csv",
        per_dataset="results/analysis/shap_per_dataset.csv",
        png=in_report("results/analysis/shap.png", "shap.rst", "3. SHAP values (Figure 3)",
                      name="Figure 3"),
    log:
        "logs/shap.log",
    shell:
        "{PY} stages/shap_values.py {STAGE_ARGS} --selected {input} --out results/analysis 2> {log}"


rule policy:
    input:
        expand("results/eval/{dataset}/{method}.json", dataset=DATASETS, method=METHOD_NAMES),
    output:
        trees="results/policy/trees.txt",
        pngs=[in_report(f"results/policy/tree_{o}.png", "policy_tree.rst",
                        "4. Policy trees (Section 4.5)", name=f"tree: {o}") for o in POLICY_OBJECTIVES],
        cv="results/policy/cv.csv",
        table6="results/policy/table6.csv",
        table6_md="results/policy/table6.md",
        comparison="results/policy/comparison.csv",
        features="results/policy/features.csv",
    params:
        settings=settings("analysis.policy", "aggregate.adversarial_rho"),
    log:
        "logs/policy.log",
    shell:
        "{PY} stages/policy.py {STAGE_ARGS} --evals {input} --out results/policy 2> {log}"


rule fidelity:
    input:
        SELECTED,
    output:
        md="results/fidelity.md",
        csv="results/fidelity.csv",
    params:
        settings=settings("split.preprocessing", "split.n_splits", "train.epochs",
                          "train.max_steps_per_round", "aggregate.adversarial_rho"),
    log:
        "logs/fidelity.log",
    shell:
        "{PY} stages/fidelity.py {STAGE_ARGS} --run {P[split][preprocessing]}=results/tables"
        " --out {output.md} --csv {output.csv} 2> {log}"


# Markdown and text outputs as HTML pages of the report: page stem -> (source, caption, category, label).
HTML_PAGES = {
    **{f"results/tables/{t}": (".md", "table.rst", "1. Tables A1-A4", t.replace("_", " "))
       for t in TABLE_NAMES},
    "results/fidelity": (".md", "fidelity.rst", "5. Fidelity to the published tables", "fidelity"),
    "results/analysis/table5": (".md", "table5.rst", "2. Figures 1-2, Table 5", "Table 5"),
    "results/analysis/per_dataset": (".md", "per_dataset.rst", "1. Tables A1-A4", "per data set (Tables 2-4 layout)"),
    "results/policy/table6": (".md", "table6.rst", "4. Policy trees (Section 4.5)", "Table 6"),
    "results/policy/trees": (".txt", "trees.rst", "4. Policy trees (Section 4.5)", "trees as text"),
}

for _stem, (_ext, _caption, _category, _label) in HTML_PAGES.items():

    rule:
        name:
            "html_" + Path(_stem).name
        input:
            _stem + _ext,
        output:
            in_report(_stem + ".html", _caption, _category, name=_label),
        log:
            "logs/html/" + Path(_stem).name + ".log",
        shell:
            "{PY} stages/html_page.py --src {input} --out {output} 2> {log}"


ANALYSIS = (
    rules.figures.output + rules.shap.output + rules.policy.output + rules.fidelity.output
    + [stem + ".html" for stem in HTML_PAGES]
)
