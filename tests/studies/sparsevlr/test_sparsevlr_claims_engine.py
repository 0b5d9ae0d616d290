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


def test_v1_at_99_is_its_own_row():
    m = models({("dense", 0): [20.0] * 3, ("RSM-T", 99): shifted(20.0, 2.7), ("RSM-T", 90): shifted(20.0, 3.3)})
    assert verdict("V1-99", m).verdict == E.HOLDS and verdict("V1", m).verdict == E.FAILS
    m = models({("dense", 0): [20.0] * 3, ("RSM-T", 99): shifted(20.0, 3.3), ("RSM-T", 90): shifted(20.0, 2.7)})
    assert verdict("V1-99", m).verdict == E.FAILS and verdict("V1", m).verdict == E.HOLDS
    assert C.BY_KEY["V1-99"].paper == "text: holds; Table 2 MNIST 23.14 - 18.07 = +5.07 (does not hold)"


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


# ----------------------------------------------------------------- V7 (App. D)

def histogram(share: float, n: int = 1000) -> list[int]:
    """Counts of :func:`holistic.procedures.sparse_trace.magnitude_histogram` with ``share`` percent of
    n weights in the bin (1e-3.25, 1e-3] (at most 1e-3) and the rest in (0.1, 10^-0.75]."""
    small = round(share * n / 100)
    counts = [0] * 39
    counts[1 + 20], counts[1 + 29] = small, n - small
    return counts


def weight_traces(dense: list[float], natural: list[float], epochs: int = 3) -> pd.DataFrame:
    """Per split, the dense models' histograms after each epoch (the last one with the given shares)."""
    rows = []
    for s, d, nat in zip(SPLITS, dense, natural):
        for e in range(epochs):
            for method, share in (("dense", d), ("dense-natural", nat)):
                rows.append({"dataset": "mnist", "method": method, "sparsity": 0.0, "split": s, "epoch": e,
                             "gradient_flow": math.nan, "state_changes": math.nan,
                             "histogram": histogram(share if e == epochs - 1 else 50.0)})
    return pd.DataFrame(rows)


V7_MODELS = models({("dense", 0): [20.0] * 3, ("dense-natural", 0): [90.0] * 3},
                   {("dense", 0): 10.0, ("dense-natural", 0): 2.0})


def test_v7_certified_dense_weights_have_a_larger_share_near_zero():
    """The last epoch's share of |w| <= 1e-3: dense above dense-natural holds, below fails; an earlier
    epoch's share (50 % both) is not read."""
    assert verdict("V7", V7_MODELS, weight_traces([10.5, 10.3, 10.4], [10.0, 10.0, 10.0])).verdict == E.HOLDS
    j = verdict("V7", V7_MODELS, weight_traces([9.5, 9.7, 9.6], [10.0, 10.0, 10.0]))
    assert j.verdict == E.FAILS and "dense 9.6" in j.here


def test_v7_needs_both_dense_models_trained_and_alive():
    j = verdict("V7", V7_MODELS[V7_MODELS["method"] == "dense"],
                weight_traces([10.5] * 3, [10.0] * 3)[lambda t: t["method"] == "dense"])
    assert j.verdict == E.NOT_TESTABLE and "not trained (or not measured) here: dense (natural)" in j.reason
    dead = V7_MODELS.copy()
    dead.loc[dead["method"] == "dense", "standard"] = 89.0  # collapsed: its weights compare artefacts
    j = verdict("V7", dead, weight_traces([10.5, 10.3, 10.4], [10.0] * 3))
    assert j.verdict == E.NOT_TESTABLE and "alive: natural test accuracy dense split 0: 11.0 %" in j.reason
    assert verdict("V7", V7_MODELS, NO_TRACES).verdict == E.NOT_TESTABLE


# ----------------------------------------------------------------- every claim

def test_one_split_a_missing_method_or_a_voiding_departure_is_not_testable():
    one = v1(2.7)[lambda m: m["split"] == 0]  # the default run's slice: one split
    j = verdict("V1", one)
    assert j.verdict == E.NOT_TESTABLE and "trials: n = 1" in j.reason
    j = verdict("V1", models({("dense", 0): [20.0] * 3}))
    assert j.verdict == E.NOT_TESTABLE and "measured: not trained (or not measured) here: RSM^T at 90 %" in j.reason
    j = verdict("V1", v1(2.7), found={"bound": "training bound CROWN (paper CROWN-IBP)"})
    assert j.verdict == E.NOT_TESTABLE and "protocol: training bound CROWN" in j.reason


def test_training_through_ibp_voids_only_the_claims_comparing_bounds():
    """IBP (the CPU profile's training bound) is named in every row but voids only Table 6's claims
    (V5, V5-text: they compare the bounds); any other bound voids every claim."""
    ibp = {"bound": "training bound IBP (paper CROWN-IBP)"}
    assert C.ACCEPTED == ibp["bound"]
    j = verdict("V1", v1(2.7), found=ibp)
    assert j.verdict == E.HOLDS and ibp["bound"] in j.departures
    j = verdict("V5-text", v5_text(0.3), found=ibp)
    assert j.verdict == E.NOT_TESTABLE and "protocol: training bound IBP" in j.reason
    assert verdict("V5", v5(20.3), found=ibp).verdict == E.NOT_TESTABLE


def test_judge_all_covers_every_claim_with_the_departures():
    m = pd.concat([v1(2.7), v2(20.3, 5.7)[lambda x: x["method"] != "dense"]])
    rows = E.claims_frame("sparsevlr", C.judge_all(m, NO_TRACES, {"mnist": {"lr": "lr 0.0005 (paper 0.0001)"}}))
    assert list(rows["key"]) == [c.key for c in C.CLAIMS] and set(rows["departures"]) == {"lr 0.0005 (paper 0.0001)"}
    assert dict(zip(rows["key"], rows["verdict"]))["V1"] == E.HOLDS
    # no ordering claim (the notes' V6): standard <= PGD <= verified error is the platform's invariant on every
    # model (holistic.fidelity.invariants, tests/fidelity/test_invariants.py)
    assert list(C.READERS) == [c.key for c in C.CLAIMS] == ["V1", "V1-99", "V2", "V2-text", "V3", "V4", "V5",
                                                            "V5-text", "V7"]


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
    # the default run's slice: the MLP, 400 rows, 20 epochs, the quick attack suite, lr 0.01, a per-layer seed
    (): {"train_rows", "test_rows", "steps", "batch_size", "lr", "eps", "attack", "model", "trials",
         "val_rows", "eps_test", "sparsities", "table6_bounds", "seed_scope", "prune_every"},
    ("sparsevlr",): {"train_rows", "trials", "val_rows", "sparsities", "bound", "table6_bounds",
                     "seed_scope"},
    ("sparsevlr-paper",): {"train_rows", "val_rows", "table6_bounds", "seed_scope"},
}


@pytest.mark.parametrize("profile", list(PROFILES))
def test_the_profiles_name_every_departure(profile):
    params = load_params([ROOT / "params.yaml", *(ROOT / f"workflow/profiles/{p}/params.yaml" for p in profile)])
    found = departures(params, "mnist")
    assert set(found) == PROFILES[profile]
    for key, phrase in found.items():
        assert phrase.startswith(PROTOCOL[key].label)
    assert note(found).startswith("Departs from the paper (App. A): ")


def test_the_paper_profile_departs_in_rows_seed_and_crown_fast_only():
    params = load_params([ROOT / "params.yaml", ROOT / "workflow/profiles/sparsevlr-paper/params.yaml"])
    found = departures(params, "mnist")
    assert "lr" not in found and "initialiser" not in found  # the paper's 1e-4; PyTorch's default
    assert found["train_rows"] == "training rows 55,000 (paper 60,000)"
    assert found["val_rows"] == "validation rows held out of training 5,000 (paper 0)"
    auto_lirpa = {**params, "train": {**params["train"], "grid": {**params["train"]["grid"], "lr": [5e-4]}}}
    assert departures(auto_lirpa, "mnist")["lr"] == "lr 0.0005 (paper 0.0001)"
    assert "CROWN-IBP without mixing" in found["table6_bounds"] and "Fastened-CROWN" in found["table6_bounds"]
    assert found["seed_scope"] == "seed's top (100 - p) % erk (paper global)"


def test_the_initialiser_reads_each_method_s_own():
    """The methods draw PyTorch's default (the paper's code); a Glorot method is named as one."""
    from holistic.methods import Method
    from holistic.studies.sparsevlr.methods import METHODS
    from holistic.studies.sparsevlr.protocol import PROTOCOL, _initialiser

    assert {_initialiser(m) for m in METHODS.values()} == {PROTOCOL["initialiser"].paper}
    assert _initialiser(Method(loss="certified", procedure="single", model="mlp")) == "Glorot-uniform"


def test_the_cpu_profile_names_ibp_the_seed_rule_and_a_cadence_other_than_235_steps(tmp_path):
    """The `sparsevlr` profile: App. A's rows, (T, s, l), eps and lr; IBP training, the per-layer seed,
    PM^T at 99 % only and one seed named; prunes every 235 steps (the paper's cadence: not named),
    whereas a prune after each of its epochs of 55,000 rows (215 steps) or every 100 steps is."""
    files = [ROOT / "params.yaml", ROOT / "workflow/profiles/sparsevlr/params.yaml"]
    cpu = departures(load_params(files), "mnist")
    assert cpu["bound"] == "training bound IBP (paper CROWN-IBP)"
    assert cpu["table6_bounds"] == "Table 6 training bounds {IBP} (paper {IBP, CROWN, Fastened-CROWN, CROWN-IBP})"
    assert cpu["sparsities"] == "p (%) {90, 99} (PM-T: {99}) (paper {80, 90, 95, 99})"
    assert cpu["train_rows"] == "training rows 55,000 (paper 60,000)" and "prune_every" not in cpu
    assert effective(load_params(files), "mnist")["test_rows"] == 10_000
    for k, steps in ((None, 215), (100, 100)):
        f = tmp_path / f"k{k}.yaml"
        f.write_text(f"train:\n  dynamic_sparse: {{prune_every_steps: {'null' if k is None else k}}}\n")
        assert departures(load_params([*files, f]), "mnist")["prune_every"] == \
            f"prune / regrow every (optimizer steps) {steps} (paper 235)"
