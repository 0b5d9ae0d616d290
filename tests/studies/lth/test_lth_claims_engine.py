"""The claims of Cosentino et al. (2019) through the claims engine, on hand-built round models:
every claim comes out `holds` and `fails` (and `not testable here` where a precondition of its
own is unmet); a flipped direction or margin changes a verdict below."""

import math

import pandas as pd
import pytest

from holistic.fidelity import engine as E
from holistic.studies.lth import claims as C

SPLITS = (0, 1, 2)
#: round -> P_m as the lth profile reaches them (8 prunes: 100 ... 16.9 %).
KEPT = {0: 100.0, 3: 51.28, 8: 16.88}
JITTER = (0.0, 0.1, -0.1)  # per split: a spread, so every interval has a width
COLUMNS = ["dataset", "method", "config_id", "split", "round", "training", "reset", "kept_percent", "stop_step",
           "natural", "pgd", "fgsm"]


#: A kept checkpoint half-way through a 504-step round: converged (precondition ``converged``).
CONVERGED_STOP = {r: 250.0 for r in KEPT}


def models(method, natural=None, pgd=None, fgsm=None, stop=None, dataset="mnist"):
    """Rows of ``method``: per round of :data:`KEPT`, every split, measure = value + the split's jitter
    (a measure given as {round: value}; missing rounds or measures: NaN; the stop step defaults
    to :data:`CONVERGED_STOP`)."""
    stop = CONVERGED_STOP if stop is None else stop
    training, _, reset = method.rpartition("-")
    rows = []
    for r, kept in KEPT.items():
        for s, j in zip(SPLITS, JITTER):
            def at(m, jitter=j):
                return m[r] + jitter if m is not None and r in m else math.nan
            rows.append({"dataset": dataset, "method": method, "config_id": 0, "split": s, "round": r,
                         "training": training, "reset": reset, "kept_percent": kept,
                         "stop_step": at(stop, 10 * j), "natural": at(natural), "pgd": at(pgd), "fgsm": at(fgsm)})
    return rows


def run(*groups, steps=504, departures=None):
    levels = pd.DataFrame([row for g in groups for row in g], columns=COLUMNS)
    methods = levels["method"].unique()
    return C.Run(levels, {("mnist", m): steps for m in methods}, {"mnist": departures or {}})


def verdict(r, key):
    claim = next(c for c in C.CLAIMS if c.key == key)
    return C.judge(r, "mnist", claim)


def flat(v):
    return {r: v for r in KEPT}


def test_every_claim_has_a_reader_and_a_unique_key():
    keys = [c.key for c in C.CLAIMS]
    assert len(set(keys)) == len(keys) and set(keys) == set(C.READERS)
    assert {"L4-random", "L4-continue"} <= set(keys)  # init against every other reset strategy


# ----------------------------------------------------------------- L1: tickets against the dense net

def tickets(pgd_ticket, nat_ticket):
    return models("PGD-init", pgd={0: 45.0, 3: pgd_ticket, 8: pgd_ticket},
                  natural={0: 98.4, 3: nat_ticket, 8: nat_ticket})


@pytest.mark.parametrize("key", ["L1@51.3", "L1@16.9"])
@pytest.mark.parametrize("pgd, natural, expected", [
    (60.0, 98.0, E.HOLDS),    # more robust, natural within 1 point (paired over splits)
    (40.0, 98.0, E.FAILS),    # less robust than the dense net
    (45.0, 98.0, E.FAILS),    # as robust: "higher" fails (direction and margin 0 of the PGD part)
    (60.0, 97.0, E.FAILS),    # 1.4 points of natural accuracy lost: beyond the 1-point margin
    (60.0, 97.6, E.HOLDS),    # 0.8 points lost: within it
])
def test_tickets(key, pgd, natural, expected):
    j = verdict(run(tickets(pgd, natural)), key)
    assert j.verdict == expected, j.reason
    assert j.statistics[0].n == 3 and j.statistics[0].unit == "split"


def test_tickets_pair_each_split_with_its_own_dense_net():
    # the ticket beats its split's dense net by 1 point in every split, though the splits' levels
    # spread by 10 points (the means of two groups of 3 would not separate them; the pairs do)
    spread = {0: -10.0, 1: 0.0, 2: 10.0}
    rows = models("PGD-init", pgd={0: 45.0, 3: 46.0, 8: 46.0}, natural=flat(98.0))
    for row in rows:
        row["pgd"] += spread[row["split"]]
    assert verdict(run(rows), "L1@51.3").verdict == E.HOLDS


def test_tickets_at_another_radius_or_unmeasured_are_not_testable():
    voided = verdict(run(tickets(60.0, 98.0), departures={"eps": "attacks at eps 0.1 (paper 0.3)"}), "L1@51.3")
    assert voided.verdict == E.NOT_TESTABLE and "protocol: attacks at eps 0.1" in voided.reason
    short = [row for row in tickets(60.0, 98.0) if row["round"] < 8]
    j = verdict(run(short), "L1@16.9")
    assert j.verdict == E.NOT_TESTABLE and "measured" in j.reason


# ----------------------------------------------------------------- L3: natural nets broken (a contrast)

@pytest.mark.parametrize("attack, trained", [("pgd", "PGD-init"), ("fgsm", "FGSM-init")])
@pytest.mark.parametrize("at, natural, expected", [
    (flat(40.0), flat(1.0), E.HOLDS),                  # 39 points of gap at every level
    (flat(12.0), flat(4.0), E.FAILS),                  # AT nets not broken, but only 8 points above: margin 10
    (flat(15.0), flat(3.0), E.HOLDS),                  # 12 points: above the margin
    ({0: 40.0, 3: 40.0, 8: 9.0}, flat(1.0), E.FAILS),  # at every P_m: one level of 8 points fails it
    (flat(3.0), flat(1.0), E.NOT_TESTABLE),            # the attack breaks every net: automatic, not testable
])
def test_natural_nets_broken(attack, trained, at, natural, expected):
    r = run(models(trained, **{attack: at}), models("natural-init", **{attack: natural}))
    j = verdict(r, f"L3-{attack.upper()}")
    assert j.verdict == expected, j.reason
    if expected == E.NOT_TESTABLE:
        assert "not_automatic" in j.reason and "3.00 %" in j.reason


def test_natural_nets_near_zero_alone_is_no_longer_a_verdict():
    # the old claim ("natural nets at PGD accuracy <= 6 %") held on this run by the radius alone
    r = run(models("PGD-init", pgd=flat(0.5)), models("natural-init", pgd=flat(0.0)))
    assert verdict(r, "L3-PGD").verdict == E.NOT_TESTABLE


# ----------------------------------------------------------------- L4: init against every other reset

@pytest.mark.parametrize("other", ["random", "continue"])
@pytest.mark.parametrize("init, rival, expected", [
    (97.0, 96.0, E.HOLDS),
    (95.0, 96.0, E.FAILS),
    (96.0, 96.2, E.FAILS),   # 0.2 below: fails at margin 0 (a flipped margin or direction would not)
])
def test_init_beats_other_resets(other, init, rival, expected):
    r = run(models("natural-init", natural={0: 98.0, 3: 90.0, 8: init}),
            models(f"natural-{other}", natural={0: 98.0, 3: 99.0, 8: rival}))  # 51.3 % is not high sparsity
    assert verdict(r, f"L4-{other}").verdict == expected


def test_init_must_lead_in_every_training():
    r = run(models("natural-init", natural=flat(97.0)), models("natural-random", natural=flat(96.0)),
            models("PGD-init", natural=flat(90.0)), models("PGD-random", natural=flat(92.0)))
    assert verdict(r, "L4-random").verdict == E.FAILS
    j = verdict(r, "L4-continue")  # no continue method in the run
    assert j.verdict == E.NOT_TESTABLE and "init and continue: none" in j.reason


# ----------------------------------------------------------------- L5: early stopping falls with pruning

@pytest.mark.parametrize("training", ["natural", "FGSM", "PGD"])
@pytest.mark.parametrize("dense, sparse, expected", [
    (420.0, 168.0, E.HOLDS),
    (168.0, 336.0, E.FAILS),
    (252.0, 252.0, E.FAILS),          # no fall: "below 0" fails
    (504.0, 168.0, E.NOT_TESTABLE),   # the dense round stopped at its last step: cut off
    (504.0, 504.0, E.NOT_TESTABLE),   # every round at its last step (the old claim said "does not hold")
])
def test_early_stopping_falls(training, dense, sparse, expected):
    r = run(models(f"{training}-init", stop={0: dense, 3: 300.0, 8: sparse}))
    j = verdict(r, f"L5-{training}")
    assert j.verdict == expected, j.reason
    if expected == E.NOT_TESTABLE:
        assert "converged: kept checkpoint at 10" in j.reason


def test_early_stopping_positions_count_against_the_round_length():
    r = run(models("natural-init", stop={0: 420.0, 3: 300.0, 8: 168.0}), steps=440)  # 421 of 440: last 10 %
    assert verdict(r, "L5-natural").verdict == E.NOT_TESTABLE
    voided = run(models("natural-init", stop={0: 420.0, 3: 300.0, 8: 168.0}),
                 departures={"early_stopping": "early-stopping iteration at the round's last step (paper ...)"})
    assert verdict(voided, "L5-natural").verdict == E.NOT_TESTABLE


def test_every_row_carries_the_departures():
    r = run(tickets(60.0, 98.0), departures={"batch_size": "batch 32 (paper 60)"})
    frame = E.claims_frame("lth", C.evaluate(r))
    assert len(frame) == len(C.CLAIMS) and set(frame["departures"]) == {"batch 32 (paper 60)"}


# ----------------------------------------------------------------- converged: a cut-off round compares learning speed

def test_accuracy_claims_are_not_testable_where_a_compared_round_was_cut_off():
    """L1, L3 and L4 compare accuracies: where a compared model's kept checkpoint is in the last
    10 % of its round (stop step 481 of 504), the models were still learning, and the claim is
    `not testable here` naming ``converged``; at 450 of 504 (89 %) it is judged."""
    late = {r: 480.0 for r in KEPT}
    cases = {
        "L1@51.3": lambda stop: [models("PGD-init", pgd={0: 45.0, 3: 60.0, 8: 60.0},
                                        natural={0: 98.4, 3: 98.0, 8: 98.0}, stop=stop)],
        "L3-PGD": lambda stop: [models("PGD-init", pgd=flat(40.0), stop=stop),
                                models("natural-init", pgd=flat(1.0))],
        "L4-random": lambda stop: [models("natural-init", natural=flat(98.0), stop=stop),
                                   models("natural-random", natural=flat(96.0))],
    }
    for key, groups in cases.items():
        j = verdict(run(*groups(late)), key)
        assert j.verdict == E.NOT_TESTABLE and "converged: kept checkpoint at 95 % of the round" in j.reason, key
        assert verdict(run(*groups({r: 440.0 for r in KEPT})), key).verdict == E.HOLDS, key
