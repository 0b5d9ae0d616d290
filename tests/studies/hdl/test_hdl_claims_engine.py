"""HDL's claims judged by the claims engine, its protocol and departures, and the seed-to-seed
ceiling of the comparison with the paper: every claim comes out `holds` and `fails` on
constructed values (a flipped comparison or margin fails a test), each precondition makes it
`not testable here`, and every profile's departures are computed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from holistic import fidelity as fid
from holistic.config import deep_merge, load_params
from holistic.fidelity import engine as E
from holistic.fidelity import protocol as P
from holistic.records.selected import RANK
from holistic.studies.hdl import claims as C
from holistic.studies.hdl import protocol as H
from holistic.studies.hdl.methods import METHODS

ROOT = Path(__file__).resolve().parents[3]
PARAMS = load_params([ROOT / "params.yaml"])
UCI = ("iris", "wine", "seeds", "ecoli")
METRICS = (C.NAT, C.ADV, C.STAB, C.SPARS, RANK)


def values(datasets=UCI, shift=None):
    """Long values: every metric and method 50 on every data set, then ``shift(dataset index,
    metric, method) -> delta`` added."""
    rows = [{"dataset": d, "metric": k, "method": m,
             "value": 50.0 + (shift(i, k, m) if shift else 0.0)}
            for i, d in enumerate(datasets) for k in METRICS for m in METHODS]
    return pd.DataFrame(rows)


#: The paper's direction and margin of every claim, stated here and not read from the claims (so
#: a flipped comparison or margin in ``CLAIMS`` fails the tests): +1 "a above b", -1 "a below b"
#: (a lower rank is better), and the margin d must clear.
EXPECTED = {"robust_family_adv": (+1, 0.0), "combinations_adv": (+1, 0.0), "stable_stability": (+1, 0.0),
            "sparse_vs_dense": (+1, 10.0), "help_sparsity": (+1, 0.0), "framework_rank": (-1, 0.0),
            "hdl_rank": (-1, 0.0)}


def moved(key, sign, size=5.0, step=1.0):
    """A shift putting every ``a`` method of claim ``key`` at ``margin + sign * (size + step i)``
    from ``b`` (i the data set's index), in the paper's direction of the claim (``sign`` +1: on
    its side of the margin, -1: on the other side)."""
    up, margin = EXPECTED[key]
    reads = C.READS[key]
    a = {r.a for r in reads}
    metric = reads[0].metric
    return lambda i, k, m: up * (margin + sign * (size + step * i)) if (k == metric and m in a) else 0.0


def run(vals, datasets=UCI, params=PARAMS, **kw):
    return C.Run(values=vals, datasets=tuple(datasets), params=params, **kw)


def judged(r, key):
    rows = [j for j in C.judge_claims(r) if j.claim.key == key]
    return rows[0] if len(rows) == 1 else rows


KEYS = [c.key for c in C.CLAIMS]


# --------------------------------------------------------------------------- claims as data

def test_claims_are_data_with_one_reader_each():
    assert KEYS == ["robust_family_adv", "combinations_adv", "stable_stability", "sparse_vs_dense",
                    "help_sparsity", "framework_rank", "hdl_rank"]
    assert set(C.READERS) == set(KEYS) == set(C.READS)
    for c in C.CLAIMS:
        assert c.source.startswith("Sec.") and c.statement.startswith('"')
        assert len(c.parts) == len(C.READS[c.key])
    # the robust family vs DL: one part per robust method; sparse vs dense: one per sparse method
    assert [r.a for r in C.READS["robust_family_adv"]] == ["Robust", "Robust+Sparse", "Stable+Robust", "HDL"]
    assert [r.a for r in C.READS["sparse_vs_dense"]] == ["Sparse", "Robust+Sparse", "Stable+Sparse", "HDL"]
    assert all(r.b == C.DENSE_METHODS for r in C.READS["sparse_vs_dense"])
    assert C.CLAIM["sparse_vs_dense"].parts[0].comparison == E.at_least(10.0)


@pytest.mark.parametrize("key", KEYS)
def test_each_claim_holds_and_fails_on_constructed_values(key):
    assert judged(run(values(shift=moved(key, +1))), key).verdict == E.HOLDS
    assert judged(run(values(shift=moved(key, -1))), key).verdict == E.FAILS
    # just past the margin (0.5-0.8 points) on either side: a moved margin fails one of them
    assert judged(run(values(shift=moved(key, +1, 0.5, 0.1))), key).verdict == E.HOLDS
    assert judged(run(values(shift=moved(key, -1, 0.5, 0.1))), key).verdict == E.FAILS


@pytest.mark.parametrize("key", KEYS)
def test_a_straddling_difference_is_inconclusive(key):
    # d = margin + (-5, +5, -4, +6) in the claim's direction: the interval straddles the margin
    up, margin = EXPECTED[key]
    offsets = (-5.0, 5.0, -4.0, 6.0)
    a = {r.a for r in C.READS[key]}
    metric = C.READS[key][0].metric
    vals = values(shift=lambda i, k, m: up * (margin + offsets[i]) if (k == metric and m in a) else 0.0)
    assert judged(run(vals), key).verdict == E.INCONCLUSIVE


def test_much_sparser_needs_the_margin():
    # every sparse method 5-8 points sparser than every dense one: sparser, but not "much"
    j = judged(run(values(shift=moved("sparse_vs_dense", -1, size=2.0))), "sparse_vs_dense")
    assert j.verdict == E.FAILS and "d >= 10 fails" in j.reason
    # one dense model as sparse as the sparse ones: the largest dense value is what counts
    both = lambda i, k, m: (20.0 + i) if k == C.SPARS and m in C.SPARSE_METHODS + ("Stable",) else 0.0  # noqa: E731
    assert judged(run(values(shift=both)), "sparse_vs_dense").verdict == E.FAILS


#: The verdict on equal values (d = 0 on every data set): "improves", "higher", "sparser",
#: "outperform" are strict; HDL's best rank counts ties as best (the paper: "typically the best").
ON_TIES = {"robust_family_adv": E.FAILS, "combinations_adv": E.FAILS, "stable_stability": E.FAILS,
           "sparse_vs_dense": E.FAILS, "help_sparsity": E.FAILS, "framework_rank": E.FAILS, "hdl_rank": E.HOLDS}


@pytest.mark.parametrize("key", KEYS)
def test_equal_values(key):
    assert judged(run(values()), key).verdict == ON_TIES[key]


def test_one_failing_part_fails_the_claim_and_is_named():
    shift = moved("robust_family_adv", +1)
    vals = values(shift=lambda i, k, m: -3.0 - i if (k == C.ADV and m == "HDL") else shift(i, k, m))
    j = judged(run(vals), "robust_family_adv")
    assert j.verdict == E.FAILS and "HDL - DL: d > 0 fails" in j.reason
    assert "Robust - DL: d > 0 holds" in j.reason
    assert "HDL - DL > 0 on 0/4 data sets" in j.here and "Robust - DL > 0 on 4/4 data sets" in j.here


# --------------------------------------------------------------------------- preconditions

def test_a_missing_method_is_not_measured():
    vals = values(shift=moved("robust_family_adv", +1))
    vals = vals[~((vals["dataset"] == "wine") & (vals["method"] == "Stable+Robust"))]
    j = judged(run(vals), "robust_family_adv")
    assert j.verdict == E.NOT_TESTABLE
    assert "measured" in j.reason and "Stable+Robust - DL on 1 data set" in j.reason
    assert judged(run(vals), "help_sparsity").verdict != E.NOT_TESTABLE   # reads no Stable+Robust


def test_another_radius_voids_the_adversarial_and_rank_claims_only():
    other = deep_merge(PARAMS, {"aggregate": {"adversarial_eps": {"default": 0.01}}})
    for key in KEYS:
        j = judged(run(values(shift=moved(key, +1)), params=other), key)
        if key in C.VOIDING:
            assert j.verdict == E.NOT_TESTABLE, key
            assert "protocol: adversarial accuracy at rho 0.01 (paper 0.1)" in j.reason
        else:
            assert j.verdict == E.HOLDS, key
        assert "adversarial accuracy at rho 0.01 (paper 0.1)" in j.departures


def test_stability_needs_a_worst_split():
    one = deep_merge(PARAMS, {"split": {"n_splits": 1}})
    j = judged(run(values(shift=moved("stable_stability", +1)), params=one), "stable_stability")
    assert j.verdict == E.NOT_TESTABLE
    assert "splits: no data set of >= 2 splits; left out (one split): iris, wine, seeds, ecoli" in j.reason
    assert judged(run(values(shift=moved("stable_stability", +1))), "stable_stability").verdict == E.HOLDS
    # one data set of one split is left out; the other three are judged
    some = deep_merge(PARAMS, {"split": {"per_dataset": {"ecoli": {"n_splits": 1}}}})
    j = judged(run(values(shift=moved("stable_stability", +1)), params=some), "stable_stability")
    assert j.verdict == E.HOLDS and j.statistics[0].units == ("iris", "seeds", "wine")
    assert "splits: worst of 3 to 3 splits on 3 data sets; left out (one split): ecoli (met)" in \
        "; ".join(p.text() for p in j.preconditions)


def test_two_data_sets_are_judged_over_their_splits():
    ds = ("iris", "wine")
    vals = values(ds, shift=moved("robust_family_adv", +1))
    # no per-split values: nothing is testable
    for j in C.judge_claims(run(vals, ds)):
        assert j.verdict == E.NOT_TESTABLE and j.dataset in ds
    # per-split values of the adversarial accuracy: each data set judged over its 3 splits
    split_rows = [{"dataset": d, "metric": C.ADV, "method": m, "split": s,
                   "value": 50.0 + ((10.0 + s) * sign if m in C.ROBUST_METHODS else 0.0)}
                  for d, sign in (("iris", 1.0), ("wine", -1.0)) for m in METHODS for s in range(3)]
    r = run(vals, ds, per_split=pd.DataFrame(split_rows))
    rows = {j.dataset: j for j in judged(r, "robust_family_adv")}
    assert rows["iris"].verdict == E.HOLDS and rows["wine"].verdict == E.FAILS
    assert rows["iris"].statistics[0].unit == "split" and rows["iris"].statistics[0].n == 3
    stab = judged(r, "stable_stability")
    assert all(j.verdict == E.NOT_TESTABLE and "one value per data set" in j.reason for j in stab)


def test_paper_column_gives_the_published_values_of_the_same_data_sets():
    pub = values(shift=moved("help_sparsity", +1))
    every = values(("a", "b", "c", "d", "e"), shift=moved("help_sparsity", -1))
    r = run(values(shift=moved("help_sparsity", -1)), published=pub, published_all=every)
    j = judged(r, "help_sparsity")
    assert j.verdict == E.FAILS
    assert j.claim.paper.startswith("Tables A1-A4 on the same 4 data sets: Robust+Sparse - Sparse +6.50 (4/4)")
    assert "All 5 UCI sets: Robust+Sparse - Sparse 0/5" in j.claim.paper
    assert judged(r, "hdl_rank").claim.paper == C.UNTABULATED[RANK]


def test_claims_run_reads_the_compared_data_sets(tmp_path):
    reference, names = fid.load_reference(C.PUBLICATION), fid.load_reference_names(C.PUBLICATION)
    cells = []
    for d in ("sklearn-iris", "sklearn-wine", "sklearn-digits"):
        for k in METRICS:
            for m in METHODS:
                cells.append({"dataset": d, "method": m, "metric": k, "config_id": 0, "config": "{}",
                              "validation": 0.0, "test": 50.0})
    sel = pd.DataFrame(cells)
    matched = fid.match_datasets(sel["dataset"], reference, names=names)
    r = C.claims_run(PARAMS, sel, matched, reference, names)
    assert r.datasets == ("sklearn-iris", "sklearn-wine")      # digits: not the published optdigits
    assert set(r.published["dataset"]) == {"sklearn-iris", "sklearn-wine"}
    assert r.published_all["dataset"].nunique() == 45 and not r.over_datasets()


# --------------------------------------------------------------------------- protocol

def test_protocol_covers_every_key():
    assert set(P.KEYS) <= set(H.PROTOCOL) and set(P.KEYS) <= set(H.IMAGE_PROTOCOL)
    for key in P.KEYS:
        with pytest.raises(ValueError, match=key):
            P.check_protocol({k: v for k, v in H.PROTOCOL.items() if k != key}, "hdl")
    assert set(H.effective(PARAMS, "iris")) == set(H.PROTOCOL)
    assert set(H.effective(PARAMS, "mnist")) == set(H.IMAGE_PROTOCOL)


PROFILES = {
    # profile: keys that must depart, keys that must not
    None: ({"train_rows", "test_rows", "steps", "lr", "attack", "trials", "preprocessing", "rounds", "rho",
            "lambda", "beta_bar", "a", "batch_size", "model"},   # batch and model: on the mnist slice
           {"optimizer", "eps", "checkpoint", "weight_decay", "initialiser"}),
    "published": ({"preprocessing", "rounds", "rho", "lambda", "beta_bar", "a"},
                  {"train_rows", "test_rows", "steps", "batch_size", "lr", "eps", "attack", "trials"}),
    "uci": ({"steps", "lr", "attack", "trials", "rounds", "rho"}, {"train_rows", "batch_size", "eps"}),
    "paper": ({"attack", "preprocessing"}, {"steps", "trials", "rounds", "rho", "lambda", "beta_bar", "a", "lr"}),
    "images": ({"steps", "lr", "model", "trials", "rounds"}, {"batch_size", "eps", "train_rows", "test_rows"}),
    "images-cnn": ({"attack"}, {"steps", "model", "trials", "rounds", "batch_size", "lr", "eps"}),
}


@pytest.mark.parametrize("profile", list(PROFILES))
def test_departures_of_every_profile(profile):
    files = [ROOT / "params.yaml"] + ([ROOT / f"workflow/profiles/{profile}/params.yaml"] if profile else [])
    params = load_params(files)
    depart, keep = PROFILES[profile]
    for d in params["studies"]["hdl"]["datasets"]:
        found = H.departures(params, d)
        paper, here = H.protocol_for(d), H.effective(params, d)
        assert set(found) == {k for k in paper if not P.same(here[k], paper[k].paper)}
        for k, phrase in found.items():
            assert phrase.startswith(paper[k].label) and "(paper " in phrase
    over = H.departures_over(params, params["studies"]["hdl"]["datasets"])
    assert depart <= set(over), depart - set(over)
    assert not keep & set(over), keep & set(over)
    note = H.header_note(params, params["studies"]["hdl"]["datasets"])
    assert note.startswith("Departs from the paper (Sec. 4): ")


def test_the_default_slice_words_its_departures():
    over = H.departures_over(PARAMS, PARAMS["studies"]["hdl"]["datasets"])
    assert over["trials"] == "splits 3 (paper 10) on 4 data sets; splits 1 (paper 10) on mnist"
    assert over["test_rows"].endswith("test rows 250 (paper 10,000) on mnist")
    assert over["attack"] == "attack ensemble (apgd-ce, apgd-dlr, pgd-restarts) (paper PGD-40)"
    assert over["batch_size"] == "batch 32 (paper 64) on mnist"
    published = load_params([ROOT / "params.yaml", ROOT / "workflow/profiles/published/params.yaml"])
    schedule = deep_merge(published, {"train": {"batch_size": 64, "min_steps_per_round": 3000,
                                                "select_every_steps": 1000}})
    found = H.departures(schedule, "iris")   # the published code's schedule: 94 training rows
    assert found["batch_size"] == "batch 64 (paper 32)"
    assert found["steps"] == "epochs a round 1,500 (paper 150)"
    assert found["checkpoint"].startswith("checkpoint best validation accuracy at steps 0, 1,000, 2,000")


# --------------------------------------------------------------------------- seed-to-seed ceiling

def selection(cells):
    rows = [{"dataset": d, "method": m, "metric": k, "config_id": 0, "config": "{}", "validation": 0.0,
             "test": v} for (d, k, m), v in cells.items()]
    return pd.DataFrame(rows)


def test_seed_comparison_uses_the_paper_rule_and_its_cells():
    pub = fid.load_reference(C.PUBLICATION)
    names = fid.load_reference_names(C.PUBLICATION)
    iris = pub[pub["dataset"] == "iris"]
    here = {("sklearn-iris", r.metric, r.method): r.value + (5.0 if r.method == "Sparse" else 0.0)
            for r in iris.itertuples()}
    second = {k: v + (4.0 if k[2] == "DL" else 1.0) for k, v in here.items() if k[2] in ("DL", "HDL")}
    seeds = fid.seed_comparison(C.PUBLICATION, selection(here), selection(second), reference=pub, names=names)
    assert len(seeds) == 8 and set(seeds["method"]) == {"DL", "HDL"}
    assert (seeds["tolerance"] == 3.33).all()          # one row of iris's 30 test rows
    assert seeds.set_index(["metric", "method"]).loc[("natural_accuracy", "DL"), "difference"] == -4.0
    comparison = fid.compare(C.PUBLICATION, selection(here), reference=pub, names=names)
    lines = "\n".join(fid.ceiling_lines(C.PUBLICATION, comparison, seeds))
    # DL 4 points apart (outside 3.33), HDL 1 point: 4 of 8 between seeds; the same 8 cells of
    # the paper: all within (Sparse's +5 is not among them)
    assert "Seed-to-seed ceiling (DL, HDL;" in lines
    assert "4/8 (50.0%) of the cells within tolerance (max(2 points, one test row)) of the other seed's, " \
           "against 8/8 (100.0%) of the same cells" in lines
    assert "Natural accuracy (Table A1): between seeds 1/2 (50.0%), against the paper 2/2 (100.0%)." in lines
