"""The HDL study's analysis stages (Section 4): Figures 1-3, Table 5, Tables 2-4 against the
published ones (image data sets only), policy trees with Table 6, fidelity to the published
tables, and their report pages.

Each factory receives the study as this run sees it (``holistic.workflow.grid.StudyJobs``:
its data sets, methods, eval and train-log files, params) and returns ``Stage``s with
concrete paths; the Snakefile and ``dvc.yaml`` are both made from them.
"""

from __future__ import annotations

from ...data import registry
from ...workflow.paths import eval_file
from ...workflow.stage import Stage, dirname_of, html_page, out
from .protocol import PARAM_KEYS

FIGURES = "2. Figures 1-2, Table 5"
SHAP = "3. SHAP values (Figure 3)"
POLICY = "4. Policy trees (Section 4.5)"
FIDELITY = "5. Fidelity to the published tables"
TABLES = "1. Tables A1-A4"


def figures_stage(s) -> Stage:
    a = f"{s.root}/analysis"
    return Stage(
        name="figures", script="stages/figures.py",
        args="--selected {input.selected} --train-logs {input.logs} --evals {input.evals} --out {params.out}",
        inputs={"selected": s.selected, "logs": s.train_logs, "evals": s.evals},
        outputs={
            "fig1": out(f"{a}/figure1.png", caption="figure1.rst", category=FIGURES, label="Figure 1"),
            "fig1_data": out(f"{a}/figure1.csv", dvc="plots", plot={"x": "method", "y": "value"}),
            "fig2": out(f"{a}/figure2.png", caption="figure2.rst", category=FIGURES, label="Figure 2"),
            "fig2_data": out(f"{a}/figure2.csv", dvc="plots", plot={"x": "method", "y": "mean_rank"}),
            "table5": out(f"{a}/table5.csv"),
            "table5_md": out(f"{a}/table5.md"),
            "per_dataset": out(f"{a}/per_dataset.md"),
        },
        params=PARAM_KEYS, values={"out": dirname_of("output", "fig1")}, local=True)


def image_datasets(s) -> list[str]:
    """The image data sets of the run (MNIST, Fashion-MNIST, CIFAR10), in its order."""
    return [d for d in s.datasets if registry.get(d).image]


def images_stage(s) -> list[Stage]:
    """Tables 2-4 (Section 4.2) beside the published ones: a stage only when the run has an
    image data set."""
    images = image_datasets(s)
    if not images:
        return []
    a = f"{s.root}/analysis"
    return [Stage(
        name="images", script="stages/images.py",
        args="--selected {input.selected} --evals {input.evals} --out {params.out}",
        inputs={"selected": s.selected, "evals": [eval_file(s.name, d, m) for d, m in s.pairs if d in images]},
        outputs={"md": out(f"{a}/images.md"), "csv": out(f"{a}/images.csv")},
        params=PARAM_KEYS,  # the departures line of images.md; studies.hdl holds the model
        values={"out": dirname_of("output", "md")},
        data=("src/holistic/studies/hdl/reference",), local=True)]


def shap_stage(s) -> Stage:
    a = f"{s.root}/analysis"
    return Stage(
        name="shap", script="stages/shap_values.py", args="--selected {input.selected} --out {params.out}",
        inputs={"selected": s.selected},
        outputs={
            "csv": out(f"{a}/shap.csv", dvc="plots", plot={"x": "component", "y": "shap"}),
            "per_dataset": out(f"{a}/shap_per_dataset.csv"),
            "png": out(f"{a}/shap.png", caption="shap.rst", category=SHAP, label="Figure 3"),
        },
        params=PARAM_KEYS, values={"out": dirname_of("output", "csv")})


def has_policy(s) -> bool:
    """Section 4.5's trees need the DL features at every radius of ``FEATURE_RHOS`` (attacked)
    and at least 3 data sets (one held out); a run without them (e.g. the `images` profile:
    two data sets, two radii) has no policy stage."""
    from ...records.evals import eps_key
    from .policy.prescribe import FEATURE_RHOS

    attacked = {eps_key(e) for e in s.params["attack"]["eps"]}
    return len(s.datasets) >= 3 and all(eps_key(r) in attacked for r in FEATURE_RHOS)


def policy_stage(s) -> list[Stage]:
    if not has_policy(s):
        return []
    p = f"{s.root}/policy"
    trees = {f"tree_{o}": out(f"{p}/tree_{o}.png", caption="policy_tree.rst", category=POLICY, label=f"tree: {o}")
             for o in s.params["analysis"]["policy"]["objectives"]}
    return [Stage(
        name="policy", script="stages/policy.py", args="--evals {input.evals} --out {params.out}",
        inputs={"evals": s.evals},
        outputs={"trees": out(f"{p}/trees.txt"), **trees, "cv": out(f"{p}/cv.csv"),
                 "table6": out(f"{p}/table6.csv"), "table6_md": out(f"{p}/table6.md"),
                 "comparison": out(f"{p}/comparison.csv"), "features": out(f"{p}/features.csv")},
        params=("analysis.policy",) + PARAM_KEYS, values={"out": dirname_of("output", "trees")})]


def fidelity_stage(s) -> Stage:
    """Tables A1-A4 against the published ones (``fidelity.md``, ``fidelity.csv``) and the claims
    judged by the engine (``claims.csv``, its table closing ``fidelity.md``), with those of Section
    4.2 on the image data sets (:mod:`.images.claims`, also shown in ``images.md``); the eval files
    give the per-split statistics of the image sets and of a run of fewer than 3 data sets of
    Tables A1-A4. Where the run has replicates (``studies.hdl.replicates``), the selection of the
    smallest seed offset's is the second seed's run (``--seed-run``): the seed-to-seed ceiling
    beside the paper agreement."""
    label = s.params["split"]["preprocessing"]
    tables = dirname_of("input", "selected")
    inputs = {"selected": s.selected, "tables": s.tables, "evals": s.evals}
    values = {"run": lambda input, output: f"{label}={tables(input, output)}"}
    args = "--run {params.run} --evals {input.evals} --out {output.md} --csv {output.csv} --claims {output.claims}"
    if s.offsets:
        inputs["seed_selected"] = s.replicate_selected(s.offsets[0])
        second = dirname_of("input", "seed_selected")
        values["seed_run"] = lambda input, output: f"{label}={second(input, output)}"
        args += " --seed-run {params.seed_run}"
    return Stage(
        name="fidelity", script="stages/fidelity.py", args=args, inputs=inputs,
        outputs={"md": out(f"{s.root}/fidelity.md"), "csv": out(f"{s.root}/fidelity.csv"),
                 "claims": out(f"{s.root}/claims.csv")},
        params=PARAM_KEYS, values=values, data=("src/holistic/studies/hdl/reference",), local=True)


def page_stages(s) -> list[Stage]:
    r = s.root
    return [
        html_page("html_fidelity", f"{r}/fidelity.md", "fidelity.rst", FIDELITY, "fidelity"),
        html_page("html_table5", f"{r}/analysis/table5.md", "table5.rst", FIGURES, "Table 5"),
        html_page("html_per_dataset", f"{r}/analysis/per_dataset.md", "per_dataset.rst", TABLES,
                  "per data set (Tables 2-4 layout)"),
    ] + ([html_page("html_table6", f"{r}/policy/table6.md", "table6.rst", POLICY, "Table 6"),
          html_page("html_trees", f"{r}/policy/trees.txt", "trees.rst", POLICY, "trees as text")]
         if has_policy(s) else []) + ([html_page("html_images", f"{r}/analysis/images.md", "images.rst", TABLES,
                    "Tables 2-4 (image data sets) against the published")] if images_stage(s) else [])


#: ``Study.analyses`` of HDL.
STAGES = (figures_stage, images_stage, shap_stage, policy_stage, fidelity_stage, page_stages)
