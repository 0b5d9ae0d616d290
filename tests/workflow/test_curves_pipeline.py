"""The validation curves through the pipeline (tiny profile): every train job's curve file, the
study's figure, and ``dvc plots show`` on the run."""

import json
import shutil

import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

from holistic.checkpoint import load_models
from holistic.records.curves import load_curves
from pipeline import BIN, HDL, run, tiny_params


@pytest.mark.e2e
def test_every_train_job_writes_every_models_curve_and_the_study_plots_them(snakemake_run):
    d = snakemake_run
    datasets = tiny_params()["studies"]["hdl"]["datasets"]
    for dataset in datasets:
        for method in HDL:
            df = load_curves([d / "results/hdl/curves" / dataset / f"{method}.csv"])  # columns, values in [0, 1]
            model_file = d / "models/hdl" / dataset / f"{method}.safetensors"
            _, specs, _ = load_models(model_file)
            t = load_file(model_file)
            epochs = t["val_curve"].shape[0]
            assert epochs >= 2 and len(df) == epochs * len(specs), (dataset, method)
            assert set(df["dataset"]) == {dataset} and set(df["method"]) == {method}
            for g, spec in enumerate(specs):  # model by model, in the model file's order
                rows = df.iloc[g * epochs:(g + 1) * epochs]
                assert set(rows["config_id"]) == {spec.config_id} and set(rows["split"]) == {spec.split}
                assert list(rows["epoch"]) == list(range(epochs))
                curve = rows["val_accuracy"].to_numpy()
                assert torch.equal(torch.tensor(curve), t["val_curve"][:, g])
                # the kept checkpoint: the first epoch of the best value, as the model file says
                best = int(t["best_epoch"][g])
                assert curve[best] == float(t["best_val_accuracy"][g]) == curve.max() > curve[:best].max(initial=-1)
    assert (d / "results/hdl/plots/curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    means = pd.read_csv(d / "results/hdl/plots/curves.csv")
    assert list(dict.fromkeys(means["dataset"])) == datasets and list(dict.fromkeys(means["method"])) == HDL
    assert means["val_accuracy"].between(0, 1).all()


@pytest.mark.e2e
def test_dvc_plots_show_draws_every_train_jobs_curves(snakemake_run, tmp_path):
    """The run's project as a DVC project (dvc.yaml made for its params files): `dvc plots show`
    renders the curve file of every train job, epoch against validation accuracy."""
    d = tmp_path / "project"
    shutil.copytree(snakemake_run, d, symlinks=True, ignore=shutil.ignore_patterns(".snakemake"))
    dvc_yaml = run([str(BIN / "python"), "-m", "holistic.workflow", "dvc-yaml", "--params", "params.yaml",
                    "--params", "tiny.yaml"], d).stdout
    (d / "dvc.yaml").write_text(dvc_yaml)
    run([str(BIN / "dvc"), "init", "-q", "--no-scm"], d)
    shown = json.loads(run([str(BIN / "dvc"), "plots", "show", "--json"], d).stdout)["data"]
    for dataset in tiny_params()["studies"]["hdl"]["datasets"]:
        for method in HDL:
            path = f"results/hdl/curves/{dataset}/{method}.csv"
            [plot] = shown[path]
            vega = plot["content"]
            assert (vega["encoding"]["x"]["field"], vega["encoding"]["y"]["field"]) == ("epoch", "val_accuracy")
            rows = load_curves([d / path])
            assert [float(v["val_accuracy"]) for v in vega["data"]["values"]] == list(rows["val_accuracy"])
