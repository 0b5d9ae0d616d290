"""The claims of SparseVLR through the engine, each both ways on constructed runs of 3 splits
(holds / fails, and not testable where its preconditions are unmet), with differences placed
just inside and just outside each margin so that a flipped direction or a moved margin fails a
test; the paper's protocol as data and the departures of the study's profiles; the published
cells the claims quote."""

import math
from pathlib import Path

import pandas as pd
import pytest

from holistic.config import load_params
from holistic.fidelity import engine as E
from holistic.fidelity import protocol as P
from holistic.studies.sparsevlr import claims as C
from holistic.studies.sparsevlr.protocol import PROTOCOL, departures, effective, note
from holistic.studies.sparsevlr.published import cell, load_published
from holistic.studies.sparsevlr.results import MODEL_COLUMNS

ROOT = Path(__file__).resolve().parents[3]
SPLITS = (0, 1, 2)
JITTER = (-0.05, 0.0, 0.05)  # per split: a narrow interval around the intended difference


def models(spec: dict, standard: dict | None = None, splits=SPLITS) -> pd.DataFrame:
    """``{(method, p): IBP-verified error per split}`` -> model rows; natural error 10 % (alive)
    unless ``standard`` gives ``{(method, p): error}``."""
    rows = []
    for (method, p), errors in spec.items():
        for s, v in zip(splits, errors):
            std = (standard or {}).get((method, p), 10.0)
            rows.append({"dataset": "mnist", "method": method, "sparsity": float(p), "split": s, "lr": 5e-4,
                         "standard": std, "pgd": std, "ibp": v, "crown": math.nan,
                         "measured_sparsity": float(p), "chance": 10.0})
    return pd.DataFrame(rows, columns=MODEL_COLUMNS)


def shifted(base: float, d: float, other=None):
    """Per split: ``other`` (a list) or ``base``, plus ``d`` and the jitter."""
    other = other or [base] * len(SPLITS)
    return [o + d + j for o, j in zip(other, JITTER)]


NO_TRACES = pd.DataFrame(columns=["dataset", "method", "sparsity", "split", "epoch", "gradient_flow", "state_changes"])


def verdict(key: str, m: pd.DataFrame, traces=NO_TRACES, found=None) -> E.Judged:
    return C.READERS[key](m, traces, "mnist", found or {})


# ----------------------------------------------------------------- V1

def v1(d, dead=False):
    std = {("dense", 0): 89.0, ("RSM-T", 90): 89.0} if dead else None
    return models({("dense", 0): [20.0] * 3, ("RSM-T", 90): shifted(20.0, d)}, std)


def test_v1_within_three_points_of_dense():
    assert verdict("V1", v1(2.7)).verdict == E.HOLDS      # d <= 3
    assert verdict("V1", v1(3.3)).verdict == E.FAILS
    assert verdict("V1", v1(-5.0)).verdict == E.HOLDS     # better than dense is within


def test_v1_two_collapsed_models_are_not_a_verdict():
    j = verdict("V1", v1(0.0, dead=True))  # equal errors of two models at 11 %: "holds" by construction
    assert j.verdict == E.NOT_TESTABLE and "alive" in j.reason and "11.0 %" in j.reason


# ----------------------------------------------------------------- V2

def v2(collapse, usable, dead=False):
    rsm = shifted(20.0, usable)
    std = {("dense", 0): 89.0} if dead else None
    return models({("dense", 0): [20.0] * 3, ("RSM-T", 99): rsm, ("PM", 99): shifted(0, collapse, rsm)}, std)


def test_v2_pm_collapses_and_rsm_stays_usable():
    assert verdict("V2", v2(20.3, 5.7)).verdict == E.HOLDS
    assert verdict("V2", v2(19.7, 5.7)).verdict == E.FAILS   # PM not 20 points worse
    assert verdict("V2", v2(20.3, 6.3)).verdict == E.FAILS   # RSM^T not within 6 of dense


def test_v2_needs_a_dense_model_that_learned_but_not_a_living_pm():
    j = verdict("V2", v2(20.3, 5.7, dead=True))
    assert j.verdict == E.NOT_TESTABLE and "alive: natural test accuracy dense split 0: 11.0 %" in j.reason
    m = v2(20.3, 5.7)
    m.loc[m["method"] == "PM", "standard"] = 90.0  # PM at chance: its collapse is the claim
    assert verdict("V2", m).verdict == E.HOLDS


# ----------------------------------------------------------------- V2-text

def v2_text(d, rsm_dead=False, pm_t_dead=False):
    std = {**({("RSM-T", 99): 89.0} if rsm_dead else {}), **({("PM-T", 99): 90.0} if pm_t_dead else {})}
    return models({("RSM-T", 99): [30.0] * 3, ("PM-T", 99): shifted(30.0, d)}, std)


def test_v2_text_rsm_t_below_pm_t():
    assert verdict("V2-text", v2_text(0.3)).verdict == E.HOLDS
    assert verdict("V2-text", v2_text(-0.3)).verdict == E.FAILS  # Table 2's MNIST rows
    assert verdict("V2-text", v2_text(0.3, pm_t_dead=True)).verdict == E.HOLDS  # CIFAR-10's collapsed PM^T counts
    j = verdict("V2-text", v2_text(0.3, rsm_dead=True))
    assert j.verdict == E.NOT_TESTABLE and "alive" in j.reason


# ----------------------------------------------------------------- V3

def v3(d, dead=False):
    std = {("RSM-T", 99): 89.0, ("RIPM-T", 99): 89.0} if dead else None
    return models({("RSM-T", 99): [30.0] * 3, ("RIPM-T", 99): shifted(30.0, d)}, std)


@pytest.mark.parametrize("d, expected", [(1.7, E.HOLDS), (-1.7, E.HOLDS), (2.3, E.FAILS), (-2.3, E.FAILS)])
def test_v3_ripm_within_two_points_of_rsm(d, expected):
    assert verdict("V3", v3(d)).verdict == expected


def test_v3_two_dead_models_agree_by_construction_so_not_testable():
    assert verdict("V3", v3(0.0, dead=True)).verdict == E.NOT_TESTABLE


# ----------------------------------------------------------------- V4

def traces(flow_d: float, changes_d: float, pm_flow: float = 100.0, pm_changes: float = 50.0, epochs: int = 4):
    rows = []
    for s, j in zip(SPLITS, JITTER):
        for e in range(epochs):
            for method, f, c in (("PM-T", pm_flow, pm_changes),
                                 ("RSM-T", pm_flow + flow_d + j, pm_changes + changes_d + j)):
                rows.append({"dataset": "mnist", "method": method, "sparsity": 99.0, "split": s, "epoch": e,
                             "gradient_flow": f, "state_changes": c / epochs})
    return pd.DataFrame(rows)


V4_MODELS = models({("RSM-T", 99): [40.0] * 3, ("PM-T", 99): [40.0] * 3})


def test_v4_gradient_flow_and_mask_changes_larger_from_rsm():
    assert verdict("V4", V4_MODELS, traces(0.2, 0.2)).verdict == E.HOLDS
    assert verdict("V4", V4_MODELS, traces(-0.2, 0.2)).verdict == E.FAILS  # flow smaller
    assert verdict("V4", V4_MODELS, traces(0.2, -0.2)).verdict == E.FAILS  # fewer changes


def test_v4_a_dead_seed_is_not_testable():
    """The issue's dead 99 % seed: PM^T at chance, no mask change: flows compare artefacts."""
    dead = V4_MODELS.copy()
    dead.loc[dead["method"] == "PM-T", "standard"] = 89.0
    j = verdict("V4", dead, traces(50.0, 40.0, pm_flow=0.5, pm_changes=0.0))
    assert j.verdict == E.NOT_TESTABLE and "alive: natural test accuracy PM^T at 99 % split 0: 11.0 %" in j.reason


# ----------------------------------------------------------------- V5, V5-text

def v5(d, dead=False):
    ibp, cibp = [30.0, 40.0, 30.0], [40.0, 30.0, 40.0]  # the better one alternates: the reader takes the min
    std = {("RSM-T-IBP", 99): 89.0, ("RSM-T", 99): 89.0} if dead else None
    return models({("RSM-T-IBP", 99): ibp, ("RSM-T", 99): cibp, ("RSM-T-CROWN", 99): shifted(30.0, d)}, std)


def test_v5_crown_far_worse_than_the_better_of_ibp_and_crown_ibp():
    assert verdict("V5", v5(20.3)).verdict == E.HOLDS
    assert verdict("V5", v5(19.7)).verdict == E.FAILS
    assert verdict("V5", v5(20.3, dead=True)).verdict == E.NOT_TESTABLE


def v5_text(d, dead=False):
    std = {("RSM-T-IBP", 99): 89.0, ("RSM-T", 99): 89.0} if dead else None
    return models({("RSM-T", 99): [30.0] * 3, ("RSM-T-IBP", 99): shifted(30.0, d)}, std)


def test_v5_text_crown_ibp_below_ibp():
    assert verdict("V5-text", v5_text(0.3)).verdict == E.HOLDS
    assert verdict("V5-text", v5_text(-0.3)).verdict == E.FAILS   # Table 6's MNIST rows
    assert verdict("V5-text", v5_text(0.3, dead=True)).verdict == E.NOT_TESTABLE


# ----------------------------------------------------------------- every claim

def test_one_split_a_missing_method_or_a_voiding_departure_is_not_testable():
    one = v1(2.7)[lambda m: m["split"] == 0]  # the default run's slice: one split
    j = verdict("V1", one)
    assert j.verdict == E.NOT_TESTABLE and "trials: n = 1" in j.reason
    j = verdict("V1", models({("dense", 0): [20.0] * 3}))
    assert j.verdict == E.NOT_TESTABLE and "measured: not trained (or not measured) here: RSM^T at 90 %" in j.reason
    j = verdict("V1", v1(2.7), found={"bound": "training bound of RSM^T X (paper CROWN-IBP)"})
    assert j.verdict == E.NOT_TESTABLE and "protocol: training bound of RSM^T X" in j.reason


def test_judge_all_covers_every_claim_with_the_departures():
    m = pd.concat([v1(2.7), v2(20.3, 5.7)[lambda x: x["method"] != "dense"]])
    rows = E.claims_frame("sparsevlr", C.judge_all(m, NO_TRACES, {"mnist": {"lr": "lr 0.0005 (paper 0.0001)"}}))
    assert list(rows["key"]) == [c.key for c in C.CLAIMS] and set(rows["departures"]) == {"lr 0.0005 (paper 0.0001)"}
    assert dict(zip(rows["key"], rows["verdict"]))["V1"] == E.HOLDS
    # no ordering claim (the notes' V6): standard <= PGD <= verified error is the platform's invariant on every
    # model (holistic.fidelity.invariants, tests/fidelity/test_invariants.py)
    assert list(C.READERS) == [c.key for c in C.CLAIMS] == ["V1", "V2", "V2-text", "V3", "V4", "V5", "V5-text"]


def test_published_cells_the_claims_quote():
    pub = load_published()
    assert cell(pub, 2, "mnist", "RSM-T", 99, "verified") == 23.14
    assert cell(pub, 2, "mnist", "PM", 99, "pgd") is None  # Table 2's PM rows have no PGD error
    assert cell(pub, 6, "mnist", "RSM-T-CROWN", 99, "verified") == 93.13
    assert cell(pub, 3, "mnist", "RIPM-T", 99, "verified") is None  # Table 3 is CIFAR-10 only
    assert C.BY_KEY["V1"].paper == "MNIST 19.33 - 18.07 = +1.26"


# ----------------------------------------------------------------- the protocol

def test_protocol_covers_every_key_and_effective_reports_each():
    P.check_protocol(PROTOCOL, "sparsevlr")
    for key in P.KEYS:
        with pytest.raises(ValueError, match=key):
            P.check_protocol({k: v for k, v in PROTOCOL.items() if k != key}, "sparsevlr")
    params = load_params([ROOT / "params.yaml"])
    assert set(effective(params, "mnist")) == set(PROTOCOL)


PROFILES = {
    # the default run's slice: the MLP, 400 rows, 20 epochs, the quick attack suite, lr 0.01
    (): {"train_rows", "test_rows", "steps", "batch_size", "lr", "initialiser", "eps", "attack", "model", "trials",
         "val_rows", "eps_test", "sparsities", "table6_bounds"},
    ("sparsevlr",): {"train_rows", "test_rows", "steps", "lr", "initialiser", "eps", "trials", "val_rows", "eps_test",
                     "sparsities", "table6_bounds"},
    ("sparsevlr-paper",): {"train_rows", "lr", "initialiser", "val_rows", "table6_bounds"},
}


@pytest.mark.parametrize("profile", list(PROFILES))
def test_the_profiles_name_every_departure(profile):
    params = load_params([ROOT / "params.yaml", *(ROOT / f"workflow/profiles/{p}/params.yaml" for p in profile)])
    found = departures(params, "mnist")
    assert set(found) == PROFILES[profile]
    for key, phrase in found.items():
        assert phrase.startswith(PROTOCOL[key].label)
    assert note(found).startswith("Departs from the paper (App. A): ")


def test_the_paper_profile_departs_in_lr_rows_initialiser_and_crown_fast():
    params = load_params([ROOT / "params.yaml", ROOT / "workflow/profiles/sparsevlr-paper/params.yaml"])
    found = departures(params, "mnist")
    assert found["lr"] == "lr 0.0005 (paper 0.0001)"
    assert found["train_rows"] == "training rows 55,000 (paper 60,000)"
    assert found["val_rows"] == "validation rows held out of training 5,000 (paper 0)"
    assert found["initialiser"].startswith("initialiser Glorot-uniform (paper PyTorch default")
    assert "CROWN-IBP without mixing" in found["table6_bounds"] and "Fastened-CROWN" in found["table6_bounds"]
    cpu = departures(load_params([ROOT / "params.yaml", ROOT / "workflow/profiles/sparsevlr/params.yaml"]), "mnist")
    assert cpu["train_rows"] == "training rows 6,000 (paper 60,000)"
    assert cpu["steps"] == "(T, s, l) epochs (40, 4, 24) (paper (100, 10, 60))"
    assert cpu["table6_bounds"] == ("Table 6 training bounds {IBP, CROWN-IBP without mixing, CROWN-IBP} "
                                    "(paper {IBP, CROWN, Fastened-CROWN, CROWN-IBP})")
