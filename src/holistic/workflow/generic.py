"""The generic stages, the same for every study: fetch and split per data set, train per
(study, data set, method) (and train from a source method's models), and per study the
aggregate tables, the validation curves and the tables' report pages.

Core module: it imports no study; the per-study stages receive the study as the run sees it
(:class:`holistic.workflow.grid.StudyJobs`)."""

from __future__ import annotations

from .paths import curves_file, eval_file, model, raw, splits, train_log
from .stage import Stage, dirname_of, html_page, out

TABLE_NAMES = ("natural_accuracy", "adversarial_accuracy", "stability", "sparsity", "rank",
               "robustness", "verified_accuracy")
TABLES_CATEGORY = "1. Tables A1-A4"
CURVES_CATEGORY = "6. Training"

TRAIN_ARGS = ("--study {wildcards.study} --dataset {wildcards.dataset} --method {wildcards.method}"
              " --data {input.data} --splits {input.splits} --out {output.model} --log {output.log}"
              " --eval {output.eval} --curves {output.curves}")

FETCH = Stage(name="fetch", script="stages/fetch.py", args="--dataset {wildcards.dataset} --out {output.data}",
              outputs={"data": out(raw())}, data=("src/holistic/data/registry.csv",),
              local=True)  # params: per data set; local: a cluster's login node has the network
SPLIT = Stage(name="split", script="stages/split.py",
              args="--dataset {wildcards.dataset} --data {input.data} --out {output.splits}",
              inputs={"data": raw()}, outputs={"splits": out(splits())},
              params=("seed", "split.test_fraction", "split.val_fraction", "split.n_splits"), local=True)
TRAIN = Stage(name="train", script="stages/train.py", args=TRAIN_ARGS,
              inputs={"data": raw(), "splits": splits()},
              outputs={"model": out(model()), "log": out(train_log()), "eval": out(eval_file()),
                       # `dvc plots show`: every model's validation accuracy at every epoch
                       "curves": out(curves_file(), dvc="plots",
                                     plot={"x": "epoch", "y": "val_accuracy", "template": "scatter"})})
              # params: per method (its pieces' keys) and holistic.workflow.deps.EVAL_KEYS
#: The train job of a method that starts from another method's trained models (``Study.sources``,
#: e.g. SparseVLR's PM^T from the dense model): that job's model file is an input, ``{source}``
#: the source method. Everything else as ``TRAIN`` (the same script, params keys and code).
TRAIN_FROM = Stage(name="train", script=TRAIN.script, args=TRAIN_ARGS + " --source {input.source}",
                   inputs={**TRAIN.inputs, "source": model(method="{source}")}, outputs=TRAIN.outputs)


def aggregate_stage(s) -> Stage:
    """The tables of the study's methods (``s``: a ``StudyJobs``); with replicates, also each seed
    offset's replicates' selection (:meth:`StudyJobs.replicate_selected`), the tables' selection
    code run on the replicates' eval files in place of their methods' (the tables never see them)."""
    outputs = {f"{t}_{ext}": out(f"{s.root}/tables/{t}.{ext}") for t in TABLE_NAMES for ext in ("csv", "md")}
    outputs.update(
        selected=out(s.selected),
        metrics=out(s.metrics, dvc="metrics", cache=False),
        plot=out(f"{s.root}/plots/metrics.png", caption="metrics.rst", category=TABLES_CATEGORY,
                 label="means over data sets"),
        plot_data=out(f"{s.root}/plots/metrics.csv", dvc="plots", plot={"x": "method", "y": "value"}),
    )
    inputs, replicas = {"evals": s.evals}, ""
    if s.replicates:
        inputs["replicates"] = s.replicate_evals
        outputs.update({f"replicates_{o}": out(s.replicate_selected(o)) for o in s.offsets})
        replicas = f" --replicates {{input.replicates}} --replicate-tables {s.root}/replicates"
    return Stage(name="aggregate", script="stages/aggregate.py",
                 args=(f"--study {s.name} --evals {{input.evals}} --tables {{params.tables}}"
                       " --metrics {output.metrics} --plots {params.plots}" + replicas),
                 inputs=inputs, outputs=outputs, params=("aggregate",),
                 values={"tables": dirname_of("output", "selected"), "plots": dirname_of("output", "plot")},
                 local=True)


def curves_stage(s) -> Stage:
    """The mean validation curve of each method on each data set (one figure per study)."""
    return Stage(name="curves", script="stages/curves.py",
                 args="--curves {input.curves} --png {output.png} --csv {output.csv}",
                 inputs={"curves": s.curves},
                 outputs={"png": out(f"{s.root}/plots/curves.png", caption="curves.rst", category=CURVES_CATEGORY,
                                     label="validation curves"),
                          "csv": out(f"{s.root}/plots/curves.csv")},
                 local=True)


def sweep_stage(s) -> Stage:
    """The step sweep of the study (``s.budgets``: ``studies.<study>.step_budgets``): every model of
    each swept method's own job and budget jobs, one row per measure and its steps a round
    (``models.csv``, read by the study's report for its claims' ``converged``), and each swept
    quantity's mean against steps (``steps.png``, its data ``steps.csv``). Only in a run with a sweep."""
    return Stage(name="sweep", script="stages/sweep.py",
                 args=(f"--study {s.name} --evals {{input.evals}} --logs {{input.logs}} --models {{output.models}}"
                       " --png {output.png} --csv {output.csv}"),
                 inputs={"evals": s.sweep_evals, "logs": s.sweep_logs},
                 outputs={"models": out(s.sweep_models),
                          "png": out(f"{s.root}/sweep/steps.png", caption="sweep.rst", category=CURVES_CATEGORY,
                                     label="quantities against training steps"),
                          "csv": out(f"{s.root}/sweep/steps.csv")},
                 params=("aggregate",), local=True)


def table_pages(s) -> list[Stage]:
    return [html_page(f"html_{t}", f"{s.root}/tables/{t}.md", "table.rst", TABLES_CATEGORY, t.replace("_", " "))
            for t in TABLE_NAMES]
