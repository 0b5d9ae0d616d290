"""The Sec. 6 claims of Cosentino et al. (2019) that the claims engine judges beside L1: L2 (the
best ticket at 16.9 %), L6 (continued training beats the ticket at 51.3 %), L7 (the ticket beats
every strategy at 3.6 and 1.8 %), L8 (random is beaten by another strategy everywhere), on
hand-built round models; each built so that a flipped direction, margin or "better of" fails."""

import math

import pandas as pd

from holistic.fidelity import engine as E
from holistic.studies.lth import claims as C

SPLITS = (0, 1, 2)
JITTER = (0.0, 0.3, -0.2)
#: round -> P_m: the paper's levels after 3, 8, 15 and 18 prunes
KEPT = {0: 100.0, 3: 51.28, 8: 16.88, 15: 3.58, 18: 1.85}
COLUMNS = ["dataset", "method", "config_id", "split", "round", "training", "reset", "kept_percent", "stop_step",
           "natural", "pgd", "fgsm"]


def models(method, kept=KEPT, dataset="mnist", **measures):
    """Rows of ``method`` per round of ``kept`` and split; each measure ``{round: value}`` + the split's
    jitter (NaN where a round is missing); every kept checkpoint half-way through its round."""
    training, _, reset = method.rpartition("-")
    rows = []
    for r, k in kept.items():
        for s, j in zip(SPLITS, JITTER):
            row = {"dataset": dataset, "method": method, "config_id": 0, "split": s, "round": r,
                   "training": training, "reset": reset, "kept_percent": k, "stop_step": 250.0}
            for m in ("natural", "pgd", "fgsm"):
                v = measures.get(m)
                row[m] = v[r] + j if v is not None and r in v else math.nan
            rows.append(row)
    return rows


def run(*groups, dataset="mnist"):
    levels = pd.DataFrame([row for g in groups for row in g], columns=COLUMNS)
    return C.Run(levels, {(dataset, m): 504 for m in levels["method"].unique()}, {dataset: {}})


def verdict(r, key, dataset="mnist"):
    return C.judge(r, dataset, next(c for c in C.CLAIMS if c.key == key))


def every(value, kept=KEPT):
    return {r: value for r in kept}


# ---------------------------------------------------------------- L2: the best ticket at 16.9 %

def test_l2_holds_where_16_9_is_the_best_level_and_within_the_tie_margin():
    assert verdict(run(models("PGD-init", pgd={0: 40, 3: 50, 8: 55, 15: 45, 18: 30})), "L2").verdict == E.HOLDS
    # 0.5 below the best level: a tie within 1 point (Table 1: 59.91 vs 60.14); +1 as the margin fails it
    j = verdict(run(models("PGD-init", pgd={0: 40, 3: 50.5, 8: 50, 15: 45, 18: 30})), "L2")
    assert j.verdict == E.HOLDS and j.statistics[0].mean == -0.5


def test_l2_fails_where_another_pruned_level_is_clearly_better_and_ignores_the_dense_net():
    assert verdict(run(models("PGD-init", pgd={0: 40, 3: 50, 8: 55, 15: 58, 18: 30})), "L2").verdict == E.FAILS
    # the dense net's robustness is not a level of the ticket: 16.9 % best among the pruned ones holds
    assert verdict(run(models("PGD-init", pgd={0: 70, 3: 50, 8: 55, 15: 45, 18: 30})), "L2").verdict == E.HOLDS


def test_l2_not_testable_without_another_pruned_level():
    j = verdict(run(models("PGD-init", kept={0: 100.0, 8: 16.88}, pgd={0: 40, 8: 55})), "L2")
    assert j.verdict == E.NOT_TESTABLE and "other pruned levels" in j.reason


# ---------------------------------------------------------------- L6: continued training at 51.3 %

def test_l6_holds_where_continue_leads_at_51_3_and_fails_where_the_ticket_leads():
    init = models("PGD-init", pgd=every(50))
    assert verdict(run(init, models("PGD-continue", pgd={**every(40), 3: 55})), "L6").verdict == E.HOLDS
    # continue ahead at 16.9 % only: the MNIST claim reads 51.3 %
    assert verdict(run(init, models("PGD-continue", pgd={**every(40), 8: 55})), "L6").verdict == E.FAILS


def test_l6_reads_16_9_on_fashion_and_nothing_elsewhere():
    init = models("PGD-init", pgd=every(50), dataset="fashion-mnist")
    cont = models("PGD-continue", pgd={**every(40), 8: 55}, dataset="fashion-mnist")
    assert verdict(run(init, cont, dataset="fashion-mnist"), "L6", "fashion-mnist").verdict == E.HOLDS
    other = run(models("PGD-init", pgd=every(50), dataset="cifar10"),
                models("PGD-continue", pgd=every(55), dataset="cifar10"), dataset="cifar10")
    assert verdict(other, "L6", "cifar10").verdict == E.NOT_TESTABLE


# ---------------------------------------------------------------- L7: the ticket at 3.6 and 1.8 %

def _strategies(init, random, cont, attack="pgd", training="PGD"):
    return [models(f"{training}-{r}", **{attack: v}) for r, v in (("init", init), ("random", random),
                                                                   ("continue", cont))]


def test_l7_holds_where_the_ticket_beats_both_others_at_both_levels_for_both_trainings():
    low = {15: 40, 18: 30}
    groups = _strategies({**every(50), **low}, {**every(50), 15: 35, 18: 20}, {**every(50), 15: 38, 18: 25}) + \
        _strategies({**every(80), **low}, {**every(80), 15: 30, 18: 25}, {**every(80), 15: 35, 18: 28},
                    attack="fgsm", training="FGSM")
    assert verdict(run(*groups), "L7").verdict == E.HOLDS


def test_l7_fails_where_one_strategy_leads_at_one_sparse_level_and_ignores_the_denser_levels():
    groups = _strategies({**every(50), 15: 40, 18: 30}, {**every(50), 15: 35, 18: 20},
                         {**every(60), 15: 38, 18: 33})  # continue ahead at 1.8 % (and at 51.3, 16.9)
    assert verdict(run(*groups), "L7").verdict == E.FAILS
    groups = _strategies({**every(50), 15: 40, 18: 30}, {**every(50), 15: 35, 18: 20},
                         {**every(60), 15: 38, 18: 25})  # ahead at the denser levels only: holds
    assert verdict(run(*groups), "L7").verdict == E.HOLDS


def test_l7_not_testable_where_the_run_stops_before_3_6():
    kept = {0: 100.0, 3: 51.28, 8: 16.88}
    groups = [models(f"PGD-{r}", kept=kept, pgd=every(50, kept)) for r in ("init", "random", "continue")]
    j = verdict(run(*groups), "L7")
    assert j.verdict == E.NOT_TESTABLE and "51.28, 16.88" in j.reason


# ---------------------------------------------------------------- L8: random beaten by another

def test_l8_holds_when_either_other_strategy_beats_random_at_every_pruned_level():
    # init below random at 51.3 %, continue above it there; init above it elsewhere: "at least one" holds
    init, random, cont = {**every(50), 3: 30}, every(40), {**every(35), 3: 45}
    assert verdict(run(*_strategies(init, random, cont)), "L8").verdict == E.HOLDS


def test_l8_fails_where_random_beats_both_at_one_level_and_ignores_the_dense_round():
    init, random, cont = every(50), {**every(40), 8: 60}, every(45)
    assert verdict(run(*_strategies(init, random, cont)), "L8").verdict == E.FAILS
    # the dense round is one net for all strategies: random's equal dense accuracy is not a case
    init, random, cont = every(50), {**every(40), 0: 50}, every(45)
    assert verdict(run(*_strategies(init, random, cont)), "L8").verdict == E.HOLDS
