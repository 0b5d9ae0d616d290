"""Precondition ``converged`` read from a step sweep (:func:`holistic.fidelity.engine.settled`): a
quantity has stopped moving when its paired move between the sweep's last two step counts is at
most ``max(1 point, its standard error)``. Hand-computed cases, each on the edge of the rule, so a
flipped comparison (``<`` for ``<=``, ``>=`` for ``<=``), another pair of budgets, or the error
left out changes an outcome here."""

import math

import pytest

from holistic.fidelity import engine as E


def curve(*points):
    """steps -> {unit: value} from ``(steps, [value per unit])`` pairs."""
    return {s: dict(enumerate(values)) for s, values in points}


def test_a_move_of_exactly_the_tolerance_is_settled_and_a_hair_more_is_not():
    # three units, each moving by exactly +1.0 (sd 0, se 0): |mean d| = 1.0 <= max(1, 0)
    at_edge = curve((504, [50.0, 51.0, 52.0]), (2016, [51.0, 52.0, 53.0]))
    p = E.settled({"q": at_edge})
    assert p.met and p.name == "converged", p.value
    assert "moved +1.00, allowed 1.00, n = 3" in p.value
    beyond = curve((504, [50.0, 51.0, 52.0]), (2016, [51.01, 52.01, 53.01]))
    p = E.settled({"q": beyond})
    assert not p.met and "still moving" in p.value
    assert "51.00 at 504 -> 52.01 at 2,016 steps (moved +1.01, allowed 1.00, n = 3)" in p.value


def test_a_fall_counts_as_a_move_too():
    down = curve((504, [60.0, 61.0]), (2016, [58.0, 59.0]))   # -2 points on both units
    p = E.settled({"q": down})
    assert not p.met and "moved -2.00" in p.value
    assert E.settled({"q": curve((504, [60.0, 61.0]), (2016, [59.0, 60.0]))}).met   # -1: at the edge


def test_only_the_last_two_budgets_are_compared():
    # a big move early (504 -> 2016), none late (2016 -> 8064): settled; the reverse is not
    early = curve((504, [10.0, 10.0, 10.0]), (2016, [60.0, 61.0, 62.0]), (8064, [60.2, 61.2, 62.2]))
    late = curve((504, [60.0, 61.0, 62.0]), (2016, [60.2, 61.2, 62.2]), (8064, [70.0, 71.0, 72.0]))
    assert E.settled({"q": early}).met
    p = E.settled({"q": late})
    assert not p.met and "at 2,016 -> " in p.value and " at 8,064 steps" in p.value
    # the order the budgets are given in does not matter: the two largest step counts are compared
    shuffled = {8064: early[8064], 504: early[504], 2016: early[2016]}
    assert E.settled({"q": shuffled}).met


def test_the_standard_error_widens_the_tolerance_where_it_is_larger():
    # moves 0, 4 (mean 2, sd 2.83, se 2.0): |2| <= max(1, 2.0) -> settled, at the edge
    noisy = curve((504, [50.0, 50.0]), (2016, [50.0, 54.0]))
    move = E.step_move("q", noisy)
    assert move.change.mean == pytest.approx(2.0) and move.se == pytest.approx(2.0)
    assert move.allowed() == pytest.approx(2.0) and move.settled()
    assert E.settled({"q": noisy}).met
    # moves 1, 5 (mean 3, se 2): beyond both
    assert E.settled({"q": curve((504, [50.0, 50.0]), (2016, [51.0, 55.0]))}).met is False
    # without the error (a mutant using the tolerance alone), the first case would fail: 2 > 1
    assert abs(move.change.mean) > 1.0


def test_the_values_are_paired_by_unit_and_one_unit_uses_the_tolerance_alone():
    # unit 0 at both budgets, unit 1 only at the last: one pair, its move +0.5
    c = {504: {0: 40.0}, 2016: {0: 40.5, 1: 99.0}}
    move = E.step_move("q", c)
    assert move.change.n == 1 and math.isnan(move.se) and move.allowed() == 1.0
    assert E.settled({"q": c}).met
    assert not E.settled({"q": c}, tolerance=0.4).met


def test_every_quantity_must_have_stopped():
    ok = curve((504, [50.0, 51.0]), (2016, [50.5, 51.5]))
    moving = curve((504, [20.0, 21.0]), (2016, [30.0, 31.0]))
    p = E.settled({"natural": ok, "pgd": moving})
    assert not p.met and "pgd 20.50 at 504 -> 30.50 at 2,016 steps" in p.value and "natural" not in p.value
    p = E.settled({"natural": ok, "pgd": ok})
    assert p.met and "2 quantities settled" in p.value


def test_the_claims_models_must_be_at_one_of_the_last_two_budgets():
    c = curve((504, [50.0, 51.0]), (2016, [55.0, 56.0]), (8064, [55.2, 56.2]))
    assert E.settled({"q": c}, {"q": 8064}).met
    assert E.settled({"q": c}, {"q": 2016}).met      # the one before the largest: within the rule
    p = E.settled({"q": c}, {"q": 504})              # the run's own models were cut off at 504
    assert not p.met and "the claim's models at 504 steps, short of the sweep's last two (2,016 and 8,064)" in p.value


@pytest.mark.parametrize("curves, text", [
    ({}, "no swept quantity measured"),
    ({"q": {504: {0: 50.0}}}, "q measured at 1 step count (needs 2)"),
    ({"q": {504: {0: 50.0}, 2016: {0: math.nan}}}, "q measured at 1 step count (needs 2)"),
    ({"q": {504: {0: 50.0}, 2016: {1: 50.0}}}, "q: no unit measured at both 504 and 2,016 steps"),
])
def test_too_little_swept_is_unmet(curves, text):
    p = E.settled(curves)
    assert not p.met and text in p.value
