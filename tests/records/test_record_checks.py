"""Records checked where they are read (issue 30, item 3): every eval file, train log and model
file against its format's domain and the run's declarations (``holistic.records.declared``:
``attack.eps``, each job's grid); an error names the file, the model and the field. Each rule
has a case that passes at its boundary and one that breaks it."""

import json

import pytest
import torch

from conftest import write_evals
from holistic.checkpoint import load_models, save_models
from holistic.errors import DataError, RecordError
from holistic.methods import ModelSpec
from holistic.records.declared import Declared
from holistic.records.evals import check_eval, load_eval, load_evals, tidy_rows
from holistic.records.train_log import load_logs
from holistic.studies import STUDIES

RHO = 0.1
RADII = [0.001, 0.01, 0.1]
#: The run the files below are: HDL's DL on lr {0.01, 0.001} (two configurations), three splits.
PARAMS = {"attack": {"eps": RADII}, "train": {"grid": {"lr": [0.01, 0.001], "rho": [0.1]}},
          "split": {"n_splits": 3}}
DECLARED = Declared(PARAMS, STUDIES["hdl"])


def model(cid, split, nat=90.0, adv=50.0, sparsity=10.0, r2=0.5, extra=()):
    def row(metric, attack, eps, part, value):
        return {"metric": metric, "attack": attack, "norm": None if eps is None else "inf", "eps": eps,
                "part": part, "value": value}

    rows = [row("accuracy", "none", None, "val", nat), row("accuracy", "none", None, "test", nat)]
    rows += [row("accuracy", "pgd", e, part, adv) for e in RADII for part in ("val", "test")]
    rows += [row("sparsity", "none", None, "model", sparsity), row("r2", "deepfool", None, "test", r2),
             row("failures", "deepfool", None, "test", 0.0)]
    rows += [row(*r) for r in extra]
    return {"config_id": cid, "config": {"lr": [0.01, 0.001][cid]}, "split": split, "rows": rows}


def evaluation(models=None, method="DL"):
    models = [model(c, s) for c in range(2) for s in range(3)] if models is None else models
    return {"study": "hdl", "dataset": "iris", "method": method, "adversarial": "pgd", "eps": RADII,
            "info": {"n": 150, "p": 4, "k": 3, "paper_name": "iris"}, "models": models}


def value_row(ev, i, metric, attack="none", part=None):
    """(index of) model i's row of ``metric`` under ``attack`` (on ``part`` where given)."""
    rows = ev["models"][i]["rows"]
    return next(j for j, r in enumerate(rows) if r["metric"] == metric and r["attack"] == attack
                and (part is None or r["part"] == part))


def set_value(ev, i, metric, value, attack="none", part=None):
    ev["models"][i]["rows"][value_row(ev, i, metric, attack, part)]["value"] = value
    return ev


def refused(tmp_path, ev, declared=DECLARED):
    """The RecordError of loading ``ev`` as a file through the aggregate's reader."""
    (path,) = write_evals(tmp_path, [ev])
    with pytest.raises(RecordError) as err:
        load_evals([path], RHO, declared)
    return path, str(err.value)


def test_a_consistent_file_loads_against_the_declared_run(tmp_path):
    (path,) = write_evals(tmp_path, [evaluation()])
    models, _ = load_evals([path], RHO, DECLARED)
    assert len(models) == 6 and len(tidy_rows([path], declared=DECLARED)) == 6 * 11


# --------------------------------------------------------------------------- domains

def test_an_accuracy_of_150_is_an_error_naming_the_file_the_model_and_the_field(tmp_path):
    ev = set_value(evaluation(), 4, "accuracy", 150.0, part="test")
    path, msg = refused(tmp_path, ev)
    j = value_row(ev, 4, "accuracy", part="test")
    assert msg == (f"{path}: model DL config 1 split 1: field 'models[4].rows[{j}].value': "
                   f"accuracy 150.0 is not in [0, 100] (a percentage)")


@pytest.mark.parametrize("value", [0.0, 100.0])
def test_an_accuracy_and_a_sparsity_at_the_bounds_are_accepted(tmp_path, value):
    ev = set_value(set_value(evaluation(), 0, "accuracy", value, part="val"), 1, "sparsity", value)
    (path,) = write_evals(tmp_path, [ev])
    models, _ = load_evals([path], RHO, DECLARED)
    assert models["nat_val"].iat[0] == value and models["sparsity"].iat[1] == value


@pytest.mark.parametrize("metric, attack, value", [
    ("sparsity", "none", -5.0), ("sparsity", "none", 100.5), ("accuracy", "pgd", -0.01),
])
def test_a_share_outside_0_100_is_refused(tmp_path, metric, attack, value):
    _, msg = refused(tmp_path, set_value(evaluation(), 2, metric, value, attack))
    assert f"model DL config 0 split 2: field 'models[2].rows[" in msg and f"{metric} {value!r} is not in [0, 100]" in msg


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_distance_that_is_not_finite_is_refused(tmp_path, value):
    _, msg = refused(tmp_path, set_value(evaluation(), 0, "r2", value, "deepfool"))
    assert "model DL config 0 split 0: field 'models[0].rows[" in msg
    assert f"must be a finite number, got {value!r}" in msg


def test_a_negative_distance_or_count_is_refused_and_zero_accepted(tmp_path):
    _, msg = refused(tmp_path, set_value(evaluation(), 0, "r2", -0.5, "deepfool"))
    assert "r2 -0.5 is negative" in msg
    _, msg = refused(tmp_path, set_value(evaluation(), 0, "failures", -1.0, "deepfool"))
    assert "failures -1.0 is negative" in msg
    (path,) = write_evals(tmp_path, [set_value(evaluation(), 0, "r2", 0.0, "deepfool")])
    assert len(load_evals([path], RHO, DECLARED)[0]) == 6


# --------------------------------------------------------------------------- the grid

def test_a_missing_splits_model_is_refused(tmp_path):
    ev = evaluation([model(c, s) for c in range(2) for s in range(3) if (c, s) != (0, 2)])
    path, msg = refused(tmp_path, ev)
    assert msg.startswith(f"{path}: model DL config 0 split 2: field 'models': missing; the job's grid: "
                          "configs 0-1 x splits 0-2")


def test_a_split_missing_from_every_configuration_needs_the_declared_grid(tmp_path):
    """Without the declarations the file looks whole (every configuration on splits 0-1); the run
    declares three splits."""
    ev = evaluation([model(c, s) for c in range(2) for s in range(2)])
    (path,) = write_evals(tmp_path, [ev])
    assert len(load_evals([path], RHO)[0]) == 4
    _, msg = refused(tmp_path, ev)
    assert "model DL config 0 split 2: field 'models': missing" in msg


def test_a_duplicated_model_is_refused(tmp_path):
    ev = evaluation()
    ev["models"].append(model(1, 2, nat=91.0))
    path, msg = refused(tmp_path, ev, declared=None)
    assert msg == (f"{path}: model DL config 1 split 2: field 'models[6]': appears twice "
                   f"(config_id 1 for split 2; first as models[5])")


def test_a_model_outside_the_grid_or_with_another_configuration_is_refused(tmp_path):
    ev = evaluation()
    ev["models"] += [model(1, s) for s in range(3)]
    for m in ev["models"][-3:]:
        m["config_id"] = 2
    _, msg = refused(tmp_path, ev)
    assert "model DL config 2 split 0: field 'models[6].config_id': not in the grid of DL on iris" in msg
    ev = evaluation()
    ev["models"][3]["config"] = {"lr": 0.1}
    _, msg = refused(tmp_path, ev)
    assert "model DL config 1 split 0: field 'models[3].config': {\"lr\": 0.1}, but the grid's" in msg


def test_a_round_models_file_needs_every_round_of_every_model(tmp_path):
    models = [dict(model(c, s), round=r) for r in range(3) for c in range(2) for s in range(3)]
    check_eval(evaluation(models), "x.json", DECLARED)
    with pytest.raises(RecordError, match=r"x\.json: model DL config 1 split 2 round 1: field 'models': missing"):
        check_eval(evaluation([m for m in models if (m["config_id"], m["split"], m["round"]) != (1, 2, 1)]),
                   "x.json", DECLARED)


# --------------------------------------------------------------------------- radii

def test_an_undeclared_radius_is_refused(tmp_path):
    ev = evaluation()
    ev["models"][1]["rows"].append({"metric": "accuracy", "attack": "pgd", "norm": "inf", "eps": 0.2,
                                    "part": "test", "value": 40.0})
    path, msg = refused(tmp_path, ev)
    assert msg == (f"{path}: model DL config 0 split 1: field 'models[1].rows[11].eps': radius 0.2 is not "
                   f"declared (attack.eps: 0.001, 0.01, 0.1)")
    (path,) = write_evals(tmp_path, [ev])
    assert len(load_evals([path], RHO)[0]) == 6  # declared radii only where the run is given


def test_the_header_radii_must_be_the_declared_ones(tmp_path):
    ev = evaluation()
    ev["eps"] = [0.001, 0.01, 0.1, 0.3]
    _, msg = refused(tmp_path, ev)
    assert "field 'eps': radii [0.001, 0.01, 0.1, 0.3], but attack.eps declares 0.001, 0.01, 0.1" in msg


# --------------------------------------------------------------------------- train logs

def log(**changes):
    return {"dataset": "iris", "method": "DL", "models": 6, "steps": 100, "seconds": 2.0,
            "seconds_per_batch": 0.02, "best_epoch": [3] * 6, "best_val_accuracy": [0.9] * 6,
            "eval_seconds": 1.0, **changes}


def write_log(tmp_path, data):
    path = tmp_path / "train" / "iris" / "DL.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def test_a_consistent_train_log_loads_and_a_pruning_only_job_has_zero_steps(tmp_path):
    assert load_logs([write_log(tmp_path, log(best_val_accuracy=[0.0, 1.0] * 3))], declared=DECLARED)["models"].iat[0] == 6
    assert load_logs([write_log(tmp_path, log(steps=0))], declared=DECLARED)["steps"].iat[0] == 0


@pytest.mark.parametrize("value", [1.5, -0.1, float("nan")])
def test_a_train_logs_accuracy_outside_0_1_names_the_model(tmp_path, value):
    path = write_log(tmp_path, log(best_val_accuracy=[0.9] * 4 + [value, 0.9]))
    with pytest.raises(RecordError) as err:
        load_logs([path], declared=DECLARED)
    assert str(err.value) == (f"{path}: model DL config 1 split 1: field 'best_val_accuracy[4]': must be a share "
                              f"in [0, 1], got {value!r}")


def test_a_train_log_of_another_grid_or_with_a_model_too_few_is_refused(tmp_path):
    path = write_log(tmp_path, log(models=4, best_epoch=[3] * 4, best_val_accuracy=[0.9] * 4))
    with pytest.raises(RecordError, match=r"DL\.json: field 'models': 4, but the grid of DL on iris has 6 models"):
        load_logs([path], declared=DECLARED)
    assert load_logs([path])["models"].iat[0] == 4  # the grid is checked where the run is given
    path = write_log(tmp_path, log(best_epoch=[3] * 5))
    with pytest.raises(RecordError, match=r"field 'best_epoch': must be a list of one value per model \(6\), got 5"):
        load_logs([path])
    path = write_log(tmp_path, log(best_epoch=[3, 3, -1, 3, 3, 3]))
    with pytest.raises(RecordError, match=r"model DL #2: field 'best_epoch\[2\]': must be an integer >= 0"):
        load_logs([path])


# --------------------------------------------------------------------------- model files

def model_file(tmp_path, specs, rows=None):
    path = tmp_path / "DL.safetensors"
    G = len(specs) if rows is None else rows
    save_models(path, {"W0": torch.zeros(G, 2, 3)}, {}, {}, specs, {"study": "hdl", "dataset": "iris",
                                                                    "method": "DL", "model": "mlp"})
    return path


def test_a_model_files_grid_is_checked(tmp_path):
    specs = [ModelSpec(c, {"lr": 0.01}, s) for c in range(2) for s in range(3)]
    params, back, _ = load_models(model_file(tmp_path, specs))
    assert back == specs and params["W0"].shape[0] == 6
    path = model_file(tmp_path, specs[:5] + [specs[0]])
    with pytest.raises(RecordError, match=rf"{path}: model DL grid\[5\]: field 'grid\[5\]': config_id 0, split 0 "
                                          r"already given by grid\[0\]"):
        load_models(path)
    path = model_file(tmp_path, specs, rows=5)
    with pytest.raises(RecordError, match=rf"{path}: field 'W0': 5 models stacked, but the grid has 6"):
        load_models(path)


def test_a_record_error_is_a_data_error():
    """Callers that catch DataError (every stage's exit 2) catch the records' errors too."""
    assert issubclass(RecordError, DataError)


def test_load_eval_checks_what_it_reads(tmp_path):
    (path,) = write_evals(tmp_path, [set_value(evaluation(), 0, "sparsity", -5.0)])
    with pytest.raises(RecordError, match="sparsity -5.0 is not in"):
        load_eval(path)
