"""Study guo's methods are compositions of registered pieces; the protocol's floor counting; the
published reference holds the paper's numbers; the profiles load and name the study's slice; the
paper's protocol covers every key and each profile's departures are named."""

from pathlib import Path

import pytest

from holistic.config import load_params
from holistic.fidelity import protocol as P
from holistic.studies import STUDIES
from holistic.studies.guo.methods import METHODS, parse_l1
from holistic.studies.guo.protocol import PROTOCOL, departures, effective, kept_after, paper_protocol
from holistic.studies.guo.published import load_published
from holistic.workflow.spec import select

ROOT = Path(__file__).resolve().parents[3]


def test_methods_compose_registered_pieces():
    assert STUDIES["guo"].methods is METHODS
    assert {m: (METHODS[m].procedure, METHODS[m].model) for m in ("linear", "lenet300", "lenet5")} == {
        "linear": ("progressive", "linear"), "lenet300": ("progressive", "lenet300"), "lenet5": ("progressive", "lenet5")}
    l1 = {m: dict(v.settings)["activation_l1.strength"] for m, v in METHODS.items() if parse_l1(m)}
    assert len(l1) == 6 and all(METHODS[m].loss == "activation_l1" and METHODS[m].procedure == "single" for m in l1)
    for net in ("lenet300", "lenet5"):
        assert l1[f"{net}-l1-none"] == 0.0 < l1[f"{net}-l1-mid"] < l1[f"{net}-l1-high"]
    for m in METHODS.values():
        m.pieces()  # every piece registered
        assert "train.progressive" in m.param_keys() or "train.activation_l1" in m.param_keys()


def test_floor_counting_ends_the_paper_models_where_the_notes_say():
    assert kept_after(784, 16) == 2 and round(100 * (1 - kept_after(784, 16) / 784), 3) == 99.745
    assert kept_after(784, 1) == 523  # 33.29 % after the first prune (the reference's round 1)
    assert kept_after(7840, 16) == 13  # the 10-class model: 99.83 %


def test_published_reference_is_the_papers_numbers():
    p = load_published()
    cell = lambda src, method, measure: p[(p["source"] == src) & (p["method"] == method)  # noqa: E731
                                          & (p["measure"] == measure)]["mean"].tolist()
    assert cell("Table 1", "lenet300-l1-mid", "r2:deepfool") == [1.5903]
    assert cell("Table 1", "lenet5-l1-high", "activation_sparsity") == [99.64]
    assert cell("Table 2", "lenet5", "r2:deepfool") == [2.7226, 1.7383]
    assert cell("Sec. 4.1", "linear", "r2:cw") == [2.3151, 2.3061]
    assert set(p["method"]) <= set(METHODS)


def test_protocol_covers_every_key():
    P.check_protocol(PROTOCOL, "guo")
    assert set(P.KEYS) <= set(PROTOCOL) and {"prunes", "rate", "deepfool", "cw"} <= set(PROTOCOL)
    for key in P.KEYS:
        with pytest.raises(ValueError, match=key):
            P.check_protocol({k: v for k, v in PROTOCOL.items() if k != key}, "guo")
    params = load_params([ROOT / "params.yaml"])
    run = effective(params, "mnist-1v7")
    assert set(run) == set(PROTOCOL)
    with pytest.raises(KeyError, match="not compared: lr"):
        P.departures(paper_protocol("mnist-1v7"), {k: v for k, v in run.items() if k != "lr"})


COMMON = {"optimizer", "lr_schedule", "weight_decay", "initialiser", "steps", "train_rows"}
#: profile -> data set -> the keys on which it departs from the paper
DEPARTING = {
    # the default slice's r_inf: the shared suite's fgsm / rfgsm, clipped to the box
    "": {"mnist-1v7": COMMON | {"test_rows", "batch_size", "lr", "attack", "trials", "rinf_box"},
         "mnist": COMMON | {"test_rows", "batch_size", "attack", "trials", "rinf_box"}},   # lr 0.01 as Caffe's
    # Table 1's nets early-stopped (the rounds are not), the activation penalty on ReLU outputs only
    "guo": {"mnist-1v7": COMMON | {"test_rows", "batch_size", "lr", "trials", "cw"},
            "mnist": COMMON | {"test_rows", "lr", "trials", "l1_checkpoint", "l1_scope", "cw", "l1_strengths",
                               "table2"}},
    "guo-paper": {"mnist-1v7": COMMON | {"batch_size", "lr", "cw"},
                  "mnist": COMMON | {"lr", "l1_checkpoint", "l1_scope", "cw", "l1_strengths", "table2"}},
}


@pytest.mark.parametrize("profile", sorted(DEPARTING))
def test_each_profile_names_its_departures(profile):
    files = [ROOT / "params.yaml"] + ([ROOT / f"workflow/profiles/{profile}/params.yaml"] if profile else [])
    params = load_params(files)
    for dataset, keys in DEPARTING[profile].items():
        found = departures(params, dataset)
        assert set(found) == keys, dataset
        assert found["optimizer"] == "optimizer adam (paper sgd-momentum)"
        assert found["initialiser"] == "initialiser glorot-uniform (paper not given)"
    if profile == "guo":
        assert departures(params, "mnist")["test_rows"] == "test points 200 (paper 10,000)"
        # the linear models train 20 epochs a round (studies.guo.method_train), LeNet-300-100 6, LeNet-5 4
        assert departures(params, "mnist-1v7")["steps"] == "steps a round 3,880 (paper not given)"  # 20 x 194
        assert departures(params, "mnist")["steps"] == \
            "steps a round 716 (linear: 3,580; lenet300, lenet300-l1-none, lenet300-l1-mid, lenet300-l1-high: 1,074) (paper 50,000)"  # x 179
        assert departures(params, "mnist")["lr"] == "lr 0.001 (paper 0.01)"
        assert departures(params, "mnist")["l1_checkpoint"] == "Table 1 checkpoint val_accuracy (paper last)"
        assert departures(params, "mnist")["l1_scope"] == (
            "activation-L1 penalty on lenet5: the ReLU outputs only, 1 of 3 hidden layers (no ReLU after its 2 "
            "convolutions) (paper every hidden layer's output)")
    if profile == "":  # the default slice: the minimal attacks are off, one reference
        assert departures(params, "mnist-1v7")["attack"] == "attacks {fgsm, rfgsm} (paper {fgsm, rfgsm, deepfool, cw})"
        assert departures(params, "mnist-1v7")["trials"] == "reference models 1 (paper 10)"
        assert departures(params, "mnist-1v7")["rinf_box"] == ("r_inf points clipped to the input box "
                                                                "(paper no box (eq. 1))")


@pytest.mark.parametrize("profile", ["guo", "guo-paper"])
def test_profiles_select_the_study(profile):
    params = load_params([ROOT / "params.yaml", ROOT / f"workflow/profiles/{profile}/params.yaml"])
    (jobs,) = select(params)
    assert jobs.name == "guo" and jobs.datasets == ("mnist-1v7", "mnist") and jobs.methods == tuple(METHODS)


def test_metric_definitions_off_eq_1_are_named_departures_and_captions():
    """The guo profile measures eq. (1)'s quantities (no departure); switched back, each is named:
    r_inf clipped to the box, r_2 over the points the attacks did not fail on, DeepFool's distance with
    its overshoot; the captions' sentences follow the same protocol values (never typed)."""
    from holistic.config import deep_merge
    from holistic.studies.guo.protocol import captions

    params = load_params([ROOT / "params.yaml", ROOT / "workflow/profiles/guo/params.yaml"])
    here = captions(effective(params, "mnist"), "mnist")
    assert "without the input box, as eq. (1)" in here["rinf"] and "over all test points, as eq. (1)" in here["r2"]
    assert here["rounds"] == "Each round's model: its last weights (no early stopping), as the paper."
    assert here["table1"].startswith("Each net: its epoch of best validation accuracy (early stopping) (paper: its "
                                     "last weights (no early stopping)); the activation-L1 penalty on lenet5: the "
                                     "ReLU outputs only")
    old = deep_merge(params, {"attack": {"suite": {"fgsm-nobox": [], "rfgsm-nobox": []},
                                         "deepfool": {"distance": "overshot", "failed": "exclude"}}})
    found = departures(old, "mnist-1v7")
    assert found["rinf_box"] == "r_inf points clipped to the input box (paper no box (eq. 1))"
    assert found["r2_mean"] == ("r_2 mean over the points the attack did not fail on (DeepFool) "
                                "(paper all points (eq. 1))")
    assert found["deepfool"].startswith("DeepFool 50 steps, overshoot 0.02, no box, distance with the overshoot (paper")
    there = captions(effective(old, "mnist-1v7"), "mnist-1v7")
    assert "clipped to the input box" in there["rinf"] and "did not fail on" in there["r2"]
