"""The claims engine: intervals, comparisons, preconditions and verdicts, both ways."""

import math

import pytest

from holistic.fidelity import engine as E
from holistic.fidelity import protocol as P

CLAIM = E.Claim("X", "ours beats theirs", "Table 1", (E.Part("accuracy: ours - theirs", E.at_least(0.0)),))


def test_t_interval_matches_closed_form():
    # d = (1, 2, 3): mean 2, sd 1, t_{0.975, 2} = 4.302652729749464
    s = E.paired({0: 2.0, 1: 4.0, 2: 6.0}, {0: 1.0, 1: 2.0, 2: 3.0})
    lo, hi = s.interval()
    h = 4.302652729749464 / math.sqrt(3)
    assert s.n == 3 and s.mean == 2.0 and s.sd == 1.0
    assert lo == pytest.approx(2 - h, rel=1e-12) and hi == pytest.approx(2 + h, rel=1e-12)


def test_paired_uses_common_finite_units_only():
    s = E.paired({0: 1.0, 1: 2.0, 2: float("nan"), 3: 5.0}, {0: 0.0, 1: 1.0, 2: 0.0, 4: 1.0})
    assert s.units == (0, 1) and s.d == (1.0, 1.0)


@pytest.mark.parametrize("a, verdict", [
    ((2.0, 2.1, 1.9), E.HOLDS),          # clearly above 0
    ((-2.0, -2.1, -1.9), E.FAILS),       # clearly below
    ((1.0, -1.0, 0.5), E.INCONCLUSIVE),  # straddles 0
])
def test_verdict_comes_out_every_way(a, verdict):
    s = E.paired(dict(enumerate(a)), dict(enumerate([0.0] * 3)))
    assert E.judge(CLAIM, [s]).verdict == verdict


def test_too_few_trials_is_not_testable():
    s = E.paired({0: 5.0, 1: 6.0}, {0: 0.0, 1: 0.0})
    j = E.judge(CLAIM, [s])
    assert j.verdict == E.NOT_TESTABLE and "trials" in j.reason and "n = 2" in j.reason


def test_an_unmet_precondition_names_itself_and_its_value():
    s = E.paired({0: 5.0, 1: 6.0, 2: 7.0}, {0: 0.0, 1: 0.0, 2: 0.0})
    j = E.judge(CLAIM, [s], [E.converged(1.0), E.matched_sparsity(90.0, 95.5)])
    assert j.verdict == E.NOT_TESTABLE
    assert "converged: kept checkpoint at 100 %" in j.reason and "90.00 vs 95.50" in j.reason
    assert E.judge(CLAIM, [s], [E.converged(0.5), E.matched_sparsity(90.0, 90.8)]).verdict == E.HOLDS


@pytest.mark.parametrize("comparison, d, verdict", [
    (E.at_least(0.0), (0.0, 0.0, 0.0), E.HOLDS), (E.above(0.0), (0.0, 0.0, 0.0), E.FAILS),
    (E.at_most(0.0), (0.0, 0.0, 0.0), E.HOLDS), (E.below(0.0), (0.0, 0.0, 0.0), E.FAILS),
    (E.within(3.0), (1.0, 1.2, 0.8), E.HOLDS), (E.within(3.0), (5.0, 5.2, 4.8), E.FAILS),
    (E.within(3.0), (-5.0, -5.2, -4.8), E.FAILS), (E.within(3.0), (0.0, 6.0, 3.0), E.INCONCLUSIVE),
    (E.at_most(3.0), (5.0, 5.1, 4.9), E.FAILS), (E.below(3.0), (1.0, 1.1, 0.9), E.HOLDS),
])
def test_comparisons(comparison, d, verdict):
    claim = E.Claim("Y", "s", "src", (E.Part("q", comparison),))
    s = E.paired(dict(enumerate(d)), dict(enumerate([0.0] * 3)))
    assert E.judge(claim, [s]).verdict == verdict


def test_a_failing_part_fails_the_claim_and_an_open_part_leaves_it_inconclusive():
    claim = E.Claim("Z", "s", "src", (E.Part("a", E.at_least()), E.Part("b", E.at_least())))
    up = E.paired({0: 1.0, 1: 1.1, 2: 0.9}, {0: 0.0, 1: 0.0, 2: 0.0})
    down = E.paired({0: -1.0, 1: -1.1, 2: -0.9}, {0: 0.0, 1: 0.0, 2: 0.0})
    mixed = E.paired({0: 1.0, 1: -1.0, 2: 0.2}, {0: 0.0, 1: 0.0, 2: 0.0})
    assert E.judge(claim, [up, up]).verdict == E.HOLDS
    assert E.judge(claim, [up, down]).verdict == E.FAILS
    assert E.judge(claim, [up, mixed]).verdict == E.INCONCLUSIVE
    assert E.judge(claim, [up, None]).verdict == E.NOT_TESTABLE


def test_attack_succeeds_threshold():
    assert E.attack_succeeds(95, 100).met and not E.attack_succeeds(94, 100).met
    assert not E.attack_succeeds(0, 0).met


def test_claims_frame_columns_and_counts():
    s = E.paired({0: 1.0, 1: 1.1, 2: 0.9}, {0: 0.0, 1: 0.0, 2: 0.0})
    f = E.claims_frame("demo", [E.judge(CLAIM, [s], dataset="iris", departures=["batch 64 (paper 60)"])])
    assert list(f.columns) == E.COLUMNS and f.loc[0, "verdict"] == E.HOLDS and f.loc[0, "n"] == 3
    assert f.loc[0, "departures"] == "batch 64 (paper 60)"
    assert E.verdict_counts(f) == {E.HOLDS: 1, E.FAILS: 0, E.INCONCLUSIVE: 0, E.NOT_TESTABLE: 0}


def test_departures_are_computed_and_every_key_compared():
    proto = {"batch_size": P.Setting("batch", 60), "lr": P.Setting("lr", 1.2e-3),
             "optimizer": P.Setting("optimizer", "adam")}
    assert P.departures(proto, {"batch_size": 60, "lr": 0.0012, "optimizer": "adam"}) == {}
    d = P.departures(proto, {"batch_size": 64, "lr": 0.0012, "optimizer": "sgd"})
    assert d == {"batch_size": "batch 64 (paper 60)", "optimizer": "optimizer sgd (paper adam)"}
    with pytest.raises(KeyError, match="not compared: lr"):
        P.departures(proto, {"batch_size": 60, "optimizer": "adam"})
    with pytest.raises(ValueError, match="lacks"):
        P.check_protocol(proto, "demo")
    assert P.header_note(d, "Sec. 4") == "Departs from the paper (Sec. 4): batch 64 (paper 60); optimizer sgd (paper adam)."
    assert P.header_note({}, "Sec. 4") == "Protocol of the paper (Sec. 4)."


@pytest.mark.parametrize("a, b, met", [
    (90.0, 90.99, True), (90.99, 90.0, True),     # within 1 point, either order
    (90.0, 91.0, True), (91.0, 90.0, True),       # exactly 1 point apart: met (<=)
    (90.0, math.nextafter(91.0, math.inf), False),  # just beyond, either order
    (math.nextafter(91.0, math.inf), 90.0, False),
    (90.0, 91.5, False), (91.5, 90.0, False),     # beyond, either order (not a signed a - b)
    (10.0, 10.95, True),                          # absolute points: 9.5 % of 10 apart, still 0.95 point
    (95.0, 95.0, True), (math.nan, 90.0, False), (90.0, math.nan, False),
])
def test_matched_sparsity_is_within_one_absolute_point_boundary_included(a, b, met):
    p = E.matched_sparsity(a, b)
    assert p.name == "matched_sparsity" and p.met is met
    assert E.matched_sparsity(a, b, within_points=2.0).met is (abs(a - b) <= 2.0)  # the margin is the argument
