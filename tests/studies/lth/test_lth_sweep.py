"""Study lth's claims with a step sweep (``studies.lth.step_budgets``, issue 33): a claim's
``converged`` reads the sweep where the run has one (each quantity the claim reads must have
stopped moving between the sweep's last two budgets), the checkpoints' positions where it has not,
saying so; on hand-built round models and sweep records."""

import math

import pandas as pd
import pytest

from holistic.fidelity import engine as E
from holistic.methods import budget_name
from holistic.studies.lth import claims as C
from holistic.studies.lth.report import read_sweep

SPLITS = (0, 1, 2)
KEPT = {0: 100.0, 3: 51.28, 8: 16.88}
JITTER = (0.0, 0.1, -0.1)
COLUMNS = ["dataset", "method", "config_id", "split", "round", "training", "reset", "kept_percent", "stop_step",
           "natural", "pgd", "fgsm"]
OWN = 504


def levels(method, natural, pgd, fgsm=None, stop=250.0):
    training, _, reset = method.rpartition("-")
    return [{"dataset": "mnist", "method": method, "config_id": 0, "split": s, "round": r, "training": training,
             "reset": reset, "kept_percent": kept, "stop_step": stop + 10 * j, "natural": natural[r] + j,
             "pgd": pgd[r] + j, "fgsm": math.nan if fgsm is None else fgsm[r] + j}
            for r, kept in KEPT.items() for s, j in zip(SPLITS, JITTER)]


def swept(method, points):
    """Sweep records of ``method``: ``points`` steps -> {measure: {round: value}} (the run's own
    job at :data:`OWN` steps, a budget job otherwise); every split gets its jitter."""
    rows = []
    for steps, measures in points.items():
        job = method if steps == OWN else budget_name(method, steps)
        for measure, by_round in measures.items():
            for r, value in by_round.items():
                for s, j in zip(SPLITS, JITTER):
                    rows.append({"dataset": "mnist", "method": method, "job": job, "steps": steps, "config_id": 0,
                                 "split": s, "round": r, "kept_percent": KEPT[r], "measure": measure,
                                 "eps": None if measure == "natural" else 0.3, "value": value + j})
    return rows


def run(level_rows, sweep_rows=None, stop_fraction_steps=OWN):
    lv = pd.DataFrame(level_rows, columns=COLUMNS)
    steps = {("mnist", m): stop_fraction_steps for m in lv["method"].unique()}
    return C.Run(lv, steps, {"mnist": {}}, None if sweep_rows is None else pd.DataFrame(sweep_rows))


def judge(r, key):
    return C.judge(r, "mnist", next(c for c in C.CLAIMS if c.key == key))


def converged(j):
    return next(p for p in j.preconditions if p.name == "converged")


TICKET = dict(natural={0: 98.4, 3: 98.0, 8: 98.0}, pgd={0: 45.0, 3: 60.0, 8: 60.0})


def ticket_sweep(late_pgd_move=0.5, own=OWN):
    """PGD-init at 168 steps (far lower), its own run, and 2016 steps (``late_pgd_move`` higher PGD)."""
    flat = {m: {r: v for r, v in TICKET[m].items()} for m in ("natural", "pgd")}
    low = {m: {r: v - 20 for r, v in TICKET[m].items()} for m in ("natural", "pgd")}
    late = {"natural": flat["natural"], "pgd": {r: v + late_pgd_move for r, v in TICKET["pgd"].items()}}
    return swept("PGD-init", {168: low, own: flat, 2016: late})


def test_without_a_sweep_the_checkpoints_decide_and_the_row_says_there_is_no_sweep():
    j = judge(run(levels("PGD-init", **TICKET)), "L1@51.3")
    assert j.verdict == E.HOLDS, j.reason
    assert converged(j).value == "kept checkpoint at 50 % of the round (needs < 90 %); no step sweep in this run"
    cut = judge(run(levels("PGD-init", **TICKET, stop=480.0)), "L1@51.3")
    assert cut.verdict == E.NOT_TESTABLE and "kept checkpoint at 95 %" in cut.reason
    assert "no step sweep in this run" in cut.reason


def test_with_a_sweep_a_quantity_that_stopped_moving_is_judged_even_with_a_late_checkpoint():
    # the kept checkpoints at 95 % of the round (cut off by the old rule), but the sweep measures the
    # claim's quantities flat between the run's 504 steps and 2016 (+0.5 point of PGD): judged
    j = judge(run(levels("PGD-init", **TICKET, stop=480.0), ticket_sweep(0.5)), "L1@51.3")
    assert j.verdict == E.HOLDS, j.reason
    p = converged(j)
    assert p.met and p.value.startswith("step sweep: 4 quantities settled between the last two budgets")
    assert "no step sweep" not in p.value and "kept checkpoint" not in p.value


def test_with_a_sweep_a_quantity_still_moving_is_not_testable_with_its_numbers():
    j = judge(run(levels("PGD-init", **TICKET), ticket_sweep(3.0)), "L1@51.3")
    assert j.verdict == E.NOT_TESTABLE
    assert "PGD-init pgd at P_m 51.3 % 60.00 at 504 -> 63.00 at 2,016 steps (moved +3.00, allowed 1.00, n = 3): " \
           "still moving" in j.reason
    assert "PGD-init pgd at P_m 100.0 %" in j.reason and "natural at P_m" not in j.reason
    # the 16.9 % ticket reads the same dense net: not testable either; a 1-point move is within the rule
    assert judge(run(levels("PGD-init", **TICKET), ticket_sweep(3.0)), "L1@16.9").verdict == E.NOT_TESTABLE
    assert judge(run(levels("PGD-init", **TICKET), ticket_sweep(1.0)), "L1@51.3").verdict == E.HOLDS


def test_a_sweep_wholly_beyond_the_runs_length_says_nothing_of_its_models():
    """The run's own models at 504 steps, the sweep's last two at 2016 and 8064: however flat the
    quantity is there, the claim's models were not measured where it stopped moving."""
    rows = [r for r in swept("PGD-init", {OWN: {m: TICKET[m] for m in TICKET}, 2016: {m: TICKET[m] for m in TICKET},
                                          8064: {m: TICKET[m] for m in TICKET}})]
    j = judge(run(levels("PGD-init", **TICKET), rows), "L1@51.3")
    assert j.verdict == E.NOT_TESTABLE
    assert "the claim's models at 504 steps, short of the sweep's last two (2,016 and 8,064)" in j.reason


def test_a_method_left_out_of_the_sweep_falls_back_to_its_checkpoints_and_is_named():
    adv = levels("PGD-init", natural={r: 98.0 for r in KEPT}, pgd={r: 40.0 for r in KEPT})
    nat = levels("natural-init", natural={r: 98.0 for r in KEPT}, pgd={r: 1.0 for r in KEPT}, stop=480.0)
    rows = swept("PGD-init", {OWN: {"pgd": {r: 40.0 for r in KEPT}}, 2016: {"pgd": {r: 40.2 for r in KEPT}}})
    j = judge(run(adv + nat, rows), "L3-PGD")
    p = converged(j)
    assert not p.met and j.verdict == E.NOT_TESTABLE
    assert p.value.startswith("step sweep: 3 quantities settled")          # PGD-init's pgd at each level
    assert "kept checkpoint at 95 % of the round (needs < 90 %); no step sweep of natural-init in this run" in p.value
    both = rows + swept("natural-init", {OWN: {"pgd": {r: 1.0 for r in KEPT}}, 2016: {"pgd": {r: 1.1 for r in KEPT}}})
    j = judge(run(adv + nat, both), "L3-PGD")
    assert converged(j).met and converged(j).value.startswith("step sweep: 6 quantities settled"), converged(j).value
    assert j.verdict == E.HOLDS, j.reason


def test_the_report_reads_the_claims_measures_at_the_studys_radius(tmp_path):
    rows = ticket_sweep(0.5) + [dict(r, measure="pgd", eps=0.1, value=0.0) for r in ticket_sweep(0.5)[:3]] + \
        [dict(r, measure="stop_step", eps=None, value=100.0) for r in ticket_sweep(0.5)[:3]]
    pd.DataFrame(rows).to_csv(tmp_path / "models.csv", index=False)
    frame = read_sweep(tmp_path / "models.csv", 0.3)
    assert set(frame["measure"]) == {"natural", "pgd"} and len(frame) == len(ticket_sweep(0.5))
    assert read_sweep(None, 0.3) is None


@pytest.mark.parametrize("key", ["L4-random"])
def test_l4_reads_the_natural_accuracy_of_every_compared_method(key):
    init = levels("natural-init", natural={r: 98.0 for r in KEPT}, pgd={r: 0.0 for r in KEPT})
    rand = levels("natural-random", natural={r: 97.0 for r in KEPT}, pgd={r: 0.0 for r in KEPT})
    rows = swept("natural-init", {OWN: {"natural": {r: 98.0 for r in KEPT}},
                                  2016: {"natural": {r: 99.5 for r in KEPT}}})
    p = converged(judge(run(init + rand, rows), key))
    assert not p.met and "natural-init natural at P_m 16.9 %" in p.value and "still moving" in p.value
    assert "no step sweep of natural-random in this run" in p.value
