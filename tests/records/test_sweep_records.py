"""A step sweep's records (``holistic.records.sweep``) and figure (``holistic.render.sweep``) from a
synthetic records folder: a method's own job and two budget jobs (``natural-init@steps=...``), round
models, their train logs; every model's measures with its job's steps a round, the means the
figure plots, and the files stage ``sweep`` writes."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import write_evals
from holistic.errors import DataError
from holistic.records.sweep import COLUMNS, mean_steps, read_sweep, sweep_rows, write_sweep
from holistic.render.sweep import line_label, panel_title, write_sweep_figure

ROOT = Path(__file__).resolve().parents[2]
KEPT = [100.0, 80.0]
#: job -> (total steps of its 2 rounds, its accuracy offset): the method's own job runs 504 steps a round
JOBS = {"natural-init": (1008, 0.0), "natural-init@steps=168": (336, -20.0), "natural-init@steps=2016": (4032, 1.0)}


def evaluation(job, offset, rounds=True):
    models = []
    for r in range(2 if rounds else 1):
        for s in range(2):
            rows = [{"metric": "accuracy", "attack": "none", "norm": None, "eps": None, "part": "test",
                     "value": 90.0 + offset + s - r},
                    {"metric": "accuracy", "attack": "pgd", "norm": "inf", "eps": 0.3, "part": "test",
                     "value": 40.0 + offset + s},
                    {"metric": "accuracy", "attack": "pgd", "norm": "inf", "eps": 0.1, "part": "test",
                     "value": 70.0 + offset},
                    {"metric": "accuracy", "attack": "pgd", "norm": "inf", "eps": 0.3, "part": "val", "value": 1.0}]
            model = {"config_id": 0, "config": {"lr": 0.0012}, "split": s, "rows": rows}
            if rounds:
                model.update(round=r, kept_percent=KEPT[r], stop_step=10 * (r + 1) + s)
            models.append(model)
    return {"study": "lth", "dataset": "mnist", "method": job, "adversarial": "pgd",
            "info": {"n": 70000, "p": 784, "k": 10, "paper_name": "MNIST"}, "models": models}


def log(tmp_path, job, steps):
    path = tmp_path / "train" / f"{job}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"dataset": "mnist", "method": job, "models": 2, "steps": steps, "seconds": 1.0,
                                "seconds_per_batch": 0.1}))
    return path


@pytest.fixture
def folder(tmp_path):
    evals = write_evals(tmp_path, [evaluation(j, off) for j, (_, off) in JOBS.items()])
    logs = [log(tmp_path, j, steps) for j, (steps, _) in JOBS.items()]
    return evals, logs


def test_every_model_and_measure_with_its_jobs_steps_a_round(folder):
    frame = sweep_rows(*folder)
    assert list(frame.columns) == COLUMNS
    assert set(frame["method"]) == {"natural-init"}
    steps = frame.drop_duplicates("job").set_index("job")["steps"].to_dict()
    assert steps == {"natural-init": 504, "natural-init@steps=168": 168, "natural-init@steps=2016": 2016}
    # 3 jobs x 2 rounds x 2 splits models, each: natural, pgd at 0.3 and 0.1 (test part only), stop_step
    assert len(frame) == 12 * 4
    assert set(frame["measure"]) == {"natural", "pgd", "stop_step"}
    one = frame[(frame["job"] == "natural-init@steps=2016") & (frame["split"] == 1) & (frame["round"] == 1)]
    values = {(m, None if pd.isna(e) else e): v for m, e, v in zip(one["measure"], one["eps"], one["value"])}
    assert values == {("natural", None): 91.0, ("pgd", 0.3): 42.0, ("pgd", 0.1): 71.0, ("stop_step", None): 21.0}
    assert set(one["kept_percent"]) == {80.0}


def test_the_records_round_trip_through_their_csv(folder, tmp_path):
    frame = sweep_rows(*folder)
    write_sweep(frame, tmp_path / "models.csv")
    back = read_sweep(tmp_path / "models.csv")
    assert list(back.columns) == COLUMNS and len(back) == len(frame)
    assert back["value"].tolist() == frame["value"].astype(float).tolist()
    (tmp_path / "bad.csv").write_text("dataset,method\nmnist,DL\n")
    with pytest.raises(DataError, match="bad.csv: not a step sweep's records: no column"):
        read_sweep(tmp_path / "bad.csv")


def test_a_budget_as_long_as_the_methods_own_rounds_repeats_it_and_is_left_out(tmp_path):
    evals = write_evals(tmp_path, [evaluation("natural-init", 0.0), evaluation("natural-init@steps=504", 5.0)])
    logs = [log(tmp_path, "natural-init", 1008), log(tmp_path, "natural-init@steps=504", 1008)]
    frame = sweep_rows(evals, logs)
    assert set(frame["job"]) == {"natural-init"} and set(frame["steps"]) == {504}


def test_a_job_without_its_train_log_is_named(folder):
    evals, logs = folder
    with pytest.raises(DataError, match="no train log of job 'natural-init@steps=2016' on 'mnist'"):
        sweep_rows(evals, logs[:2])


def test_the_figures_means_per_level_and_steps_at_the_tables_radius(folder):
    means = mean_steps(sweep_rows(*folder), lambda dataset: 0.3)
    assert set(means["measure"]) == {"natural", "pgd"} and set(means["eps"].dropna()) == {0.3}   # no 0.1, no stops
    pgd = means[(means["measure"] == "pgd") & (means["round"] == 0)]
    assert pgd["steps"].tolist() == [168, 504, 2016]       # ascending along a line
    assert pgd["value"].tolist() == [20.5, 40.5, 41.5] and set(pgd["models"]) == {2}
    nat = means[(means["measure"] == "natural") & (means["round"] == 1)]
    assert nat["value"].tolist() == [69.5, 89.5, 90.5]


def test_a_method_without_rounds_is_one_line(tmp_path):
    evals = write_evals(tmp_path, [evaluation("DL", 0.0, rounds=False), evaluation("DL@steps=40", -3.0, rounds=False)])
    logs = [log(tmp_path, "DL", 80), log(tmp_path, "DL@steps=40", 40)]
    frame = sweep_rows(evals, logs)
    assert "stop_step" not in set(frame["measure"]) and frame["round"].isna().all()
    means = mean_steps(frame, lambda dataset: 0.3)
    assert means[means["measure"] == "natural"]["value"].tolist() == [87.5, 90.5]
    assert line_label(means["kept_percent"].iloc[0]) == "all models"
    write_sweep_figure(means, tmp_path / "steps.png", tmp_path / "steps.csv")
    assert (tmp_path / "steps.png").read_bytes()[:4] == b"\x89PNG"


def test_labels():
    assert panel_title("mnist", "PGD-init", "pgd", 0.3) == "mnist: PGD-init, pgd at eps 0.3"
    assert panel_title("mnist", "PGD-init", "natural", float("nan")) == "mnist: PGD-init, natural"
    assert line_label(51.28) == "P_m 51.3 %"


def test_the_stage_writes_the_records_the_figure_and_its_data(folder, tmp_path):
    evals, logs = folder
    params = tmp_path / "p.yaml"
    params.write_text("studies:\n  lth:\n    datasets: [mnist]\n    methods: [natural-init]\n"
                      "run_studies: [lth]\nsplit:\n  per_dataset:\n    mnist: {n_splits: 2}\n"
                      "attack:\n  eps: [0.1, 0.3]\naggregate:\n  adversarial_eps: {default: 0.3, mnist: 0.3}\n"
                      "train:\n  grid: {lr: [0.0012]}\n")
    out = tmp_path / "sweep"
    res = subprocess.run([sys.executable, str(ROOT / "stages/sweep.py"), "--params", str(ROOT / "params.yaml"),
                          "--params", str(params), "--study", "lth", "--evals", *map(str, evals), "--logs",
                          *map(str, logs), "--models", str(out / "models.csv"), "--png", str(out / "steps.png"),
                          "--csv", str(out / "steps.csv")], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert len(read_sweep(out / "models.csv")) == 48
    plotted = pd.read_csv(out / "steps.csv")
    assert set(plotted["steps"]) == {168, 504, 2016} and set(plotted["measure"]) == {"natural", "pgd"}
    assert (out / "steps.png").read_bytes()[:4] == b"\x89PNG"
