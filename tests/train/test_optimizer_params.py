"""Issue 32, item 1: what an optimizer, schedule or initialiser adds to a method's params keys and
grid, and bad values refused before any job in one line naming the params file and the field."""

import dataclasses
from pathlib import Path

import pytest

from holistic.config import load_params
from holistic.errors import ParamsError
from holistic.jobs.train import train_config
from holistic.methods import TRAIN_KEYS, Method, all_axes
from holistic.studies import STUDIES
from holistic.workflow.checks import check_studies

ROOT = Path(__file__).resolve().parents[2]
PARAMS = str(ROOT / "params.yaml")


def profile(tmp_path, text):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    return f


def test_the_default_method_reads_nothing_new():
    """Adam, constant, the model's own initialisation: the keys (and so every job) as before."""
    assert Method().param_keys() == [*TRAIN_KEYS, "train.grid.lr"]
    assert Method().axes() == ["lr"]


def test_an_sgd_method_searches_momentum_and_weight_decay_and_a_schedule_reads_its_section():
    sgd = Method(optimizer="sgd", lr_schedule="multistep", initialiser="torch-default")
    assert sgd.axes() == ["lr", "momentum", "weight_decay"]
    keys = sgd.param_keys()
    assert {"train.grid.momentum", "train.grid.weight_decay", "train.lr_schedule"} <= set(keys)
    assert all_axes()["momentum"] == {"minimum": 0} and all_axes()["weight_decay"] == {"minimum": 0}
    params = load_params([PARAMS])
    params["train"]["lr_schedule"] = {"milestones": [5]}
    assert train_config(params, 100, method=sgd).settings["lr_schedule"] == {"milestones": [5]}
    fixed = dataclasses.replace(sgd, settings=(("lr_schedule.gamma", 0.5),))
    assert train_config(params, 100, method=fixed).settings["lr_schedule"] == {"milestones": [5], "gamma": 0.5}


@pytest.mark.parametrize("text, field", [
    ("train:\n  grid:\n    momentum: [0.9, -0.1]\n", "train.grid.momentum.1"),
    ("train:\n  grid:\n    weight_decay: [-1.0e-4]\n", "train.grid.weight_decay.0"),
    ("train:\n  lr_schedule: {per: batch}\n", "train.lr_schedule.per"),
    ("train:\n  lr_schedule: {milestones: [0, 3]}\n", "train.lr_schedule.milestones.0"),
    ("train:\n  lr_schedule: {gamma: 0}\n", "train.lr_schedule.gamma"),
    ("train:\n  lr_schedule: {T_min: 3}\n", "train.lr_schedule"),
])
def test_bad_values_are_refused_by_the_schema(tmp_path, text, field):
    f = profile(tmp_path, text)
    with pytest.raises(ParamsError, match=rf"{f.name}: field '{field}'"):
        load_params([PARAMS, f])


def registry(**changes):
    """The studies, HDL's DL trained with ``changes`` (an optimizer, a schedule)."""
    hdl = STUDIES["hdl"]
    dl = dataclasses.replace(hdl.methods["DL"], **changes)
    return {**STUDIES, "hdl": dataclasses.replace(hdl, methods={**hdl.methods, "DL": dl})}


@pytest.mark.parametrize("changes, text, drop, field", [
    ({"optimizer": "sgd"}, "train:\n  grid:\n    momentum: [0.9]\n", ("grid", "weight_decay"), "train.grid.weight_decay"),
    ({"optimizer": "sgd-nesterov"}, "train:\n  grid:\n    momentum: [0.0, 0.9]\n    weight_decay: [0]\n", None,
     "train.grid.momentum"),
    ({"lr_schedule": "multistep"}, "train:\n  lr_schedule: {gamma: 0.5}\n", ("lr_schedule", "milestones"),
     "train.lr_schedule.milestones"),
    ({"lr_schedule": "warmup"}, "train:\n  lr_schedule: {per: step}\n", None, "train.lr_schedule.warmup"),
])
def test_bad_combinations_are_refused_before_any_job(tmp_path, changes, text, drop, field):
    """``drop``: a key of ``train`` that params.yaml sets (for study rvsm's SGD) and a profile lacks."""
    f = profile(tmp_path, text)
    params = load_params([PARAMS, f])
    if drop:
        params["train"][drop[0]].pop(drop[1])
    with pytest.raises(ParamsError) as err:
        check_studies(params, registry(**changes), source=str(f))
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{f}: field '{field}': ") and "'DL' of study 'hdl'" in msg


def test_good_settings_pass(tmp_path):
    f = profile(tmp_path, "train:\n  grid:\n    momentum: [0.9]\n    weight_decay: [5.0e-4]\n"
                          "  lr_schedule: {milestones: [2, 4], warmup: 1}\n")
    params = load_params([PARAMS, f])
    check_studies(params, registry(optimizer="sgd-nesterov", lr_schedule="multistep"), source=str(f))
