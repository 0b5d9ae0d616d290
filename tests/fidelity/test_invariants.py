"""The invariants of every model's measurements (``holistic.fidelity.invariants``): each passes
on consistent records and fails when its numbers are flipped; models are told apart by every
key (a round model is a model of its own); eval files load with their rounds."""

import pandas as pd
import pytest

from conftest import write_evals
from holistic.fidelity.invariants import (INVARIANTS, check, load, model_keys, summary, summary_text,
                                          violations_text)

#: One consistent model: (metric, attack, eps, part, value).
ROWS = [
    ("accuracy", "none", None, "test", 90.0), ("accuracy", "none", None, "val", 88.0),
    ("accuracy", "pgd", 0.1, "test", 70.0), ("accuracy", "pgd", 0.1, "val", 71.0),
    ("accuracy", "ensemble", 0.1, "test", 60.0), ("accuracy", "ensemble:apgd-ce", 0.1, "test", 65.0),
    ("accuracy", "pgd", 0.3, "test", 20.0),
    ("verified_accuracy", "ibp", 0.1, "test", 40.0), ("verified_accuracy", "crown", 0.1, "test", 60.0),
    ("verified_accuracy", "crown", 0.3, "test", 10.0),
    ("unsound", "ibp", 0.1, "test", 0.0), ("unsound", "crown", 0.1, "test", 0.0),
    ("r2", "deepfool", None, "test", 0.5), ("failures", "deepfool", None, "test", 0.0),
    ("sparsity", "none", None, "model", 20.0), ("channel_sparsity", "none", None, "model", 0.0),
    ("activation_sparsity", "none", None, "test", 30.0), ("last_activation_sparsity", "none", None, "test", 100.0),
    ("accuracy", "none@noise", None, "test", 85.0), ("accuracy", "ifgsm@noise", 0.1, "test", 30.0),
]
KEY = {"dataset": "iris", "method": "DL", "config_id": 0, "split": 0}


def records(rows=ROWS, **key):
    k = {**KEY, **key}
    return pd.DataFrame([{**k, "metric": m, "attack": a, "eps": e, "part": p, "value": v} for m, a, e, p, v in rows])


def changed(metric, attack, eps, part, value, rows=ROWS):
    """ROWS with one row's value replaced (or added)."""
    out = [r for r in rows if r[:4] != (metric, attack, eps, part)]
    return out + [(metric, attack, eps, part, value)]


def ok(checks) -> dict[str, bool]:
    return dict(zip(checks["invariant"], checks["ok"]))


def test_consistent_records_pass_every_invariant():
    checks = check(records())
    assert list(checks.columns) == ["dataset", "method", "config_id", "split", "invariant", "value", "ok"]
    assert list(checks["invariant"]) == list(INVARIANTS)
    assert checks["ok"].all()
    assert summary(checks) == (6, 0) and summary_text(checks) == "invariants: 6 checked, 0 violated"
    assert violations_text(checks) == []
    value = dict(zip(checks["invariant"], checks["value"]))
    # crown 60 equals the ensemble's 60: equal is consistent, compared exactly
    assert value["robust>=verified"] == "3 compared; tightest: crown at 0.1 60 <= ensemble at 0.1 60"


@pytest.mark.parametrize("row, broken", [
    (("verified_accuracy", "crown", 0.1, "test", 60.5), "robust>=verified"),   # above the ensemble
    (("verified_accuracy", "ibp", 0.3, "test", 20.01), "robust>=verified"),    # above PGD, alone at 0.3
    (("verified_accuracy", "ibp", 0.2, "test", 91.0), "robust>=verified"),     # no attack at 0.2: natural
    (("accuracy", "ensemble", 0.1, "test", 90.5), "natural>=robust"),
    (("accuracy", "ensemble:apgd-ce", 0.1, "test", 91.0), "natural>=robust"),
    (("accuracy", "ifgsm@noise", 0.1, "test", 86.0), "natural>=robust"),       # above none@noise 85
    (("sparsity", "none", None, "model", 101.0), "percent"),
    (("accuracy", "fgsm", 0.1, "val", -1.0), "percent"),
    (("last_activation_sparsity", "none", None, "test", 100.5), "percent"),
    (("r2", "deepfool", None, "test", -1.0), "r2>=0"),
    (("failures", "cw", None, "test", -1.0), "failures>=0"),
    (("unsound", "crown", 0.1, "test", 2.0), "unsound==0"),
])
def test_each_invariant_fails_when_its_numbers_are_flipped(row, broken):
    checks = check(records(changed(*row)))
    assert {name for name, good in ok(checks).items() if not good} == {broken}
    assert summary(checks) == (len(checks), 1)
    (line,) = violations_text(checks)
    assert line.startswith(f"iris/DL config 0 split 0: {broken}: ")


def test_a_nan_fails_every_check_it_is_in():
    checks = check(records(changed("accuracy", "ensemble", 0.1, "test", float("nan"))))
    assert {n for n, good in ok(checks).items() if not good} == {"natural>=robust", "robust>=verified", "percent"}
    assert "ensemble at 0.1 NaN > natural 90" in violations_text(checks)[0]


def test_a_single_attacks_accuracy_may_exceed_the_natural_accuracy_not_the_verified():
    """A budgeted attack's row is the accuracy at its points (Guo et al.'s r_inf): an attack that
    moves a misclassified point back counts it, so it is not compared with the natural accuracy;
    a certified point is correct at every point of the ball, so it stays above every verified one."""
    checks = check(records(changed("accuracy", "fgsm", 0.1, "test", 92.0)))
    assert checks["ok"].all()
    checks = check(records(changed("accuracy", "fgsm", 0.1, "test", 39.0)))
    assert {n for n, good in ok(checks).items() if not good} == {"robust>=verified"}


def test_the_messages_name_the_numbers():
    checks = check(records(changed("verified_accuracy", "crown", 0.1, "test", 61.0)))
    assert violations_text(checks) == ["iris/DL config 0 split 0: robust>=verified: "
                                       "crown at 0.1 61 > ensemble at 0.1 60"]
    checks = check(records(changed("unsound", "crown", 0.1, "test", 2.0)))
    assert violations_text(checks) == ["iris/DL config 0 split 0: unsound==0: unsound crown at 0.1 (test) = 2"]


def test_noise_on_rows_compare_with_the_noise_on_natural_accuracy_only():
    # ifgsm@noise 87 is below the noise-off natural 90 but above none@noise 85: a violation;
    # ifgsm@noise 30 is below every verified accuracy: not compared (the bounds are of the noise-off model)
    assert not ok(check(records(changed("accuracy", "ifgsm@noise", 0.1, "test", 87.0))))["natural>=robust"]
    assert ok(check(records()))["robust>=verified"]
    without = [r for r in ROWS if r[1] != "none@noise"]
    checks = check(records(without))
    assert not ok(checks)["natural>=robust"]
    assert "natural none@noise NaN" in violations_text(checks)[0]


def test_an_invariant_without_rows_is_not_checked():
    rows = [r for r in ROWS if r[0] not in ("verified_accuracy", "unsound", "r2", "failures")]
    checks = check(records(rows))
    assert list(checks["invariant"]) == ["natural>=robust", "percent"] and checks["ok"].all()
    assert len(check(records([]).reindex(columns=records().columns))) == 0


def test_every_model_key_separates_models_and_a_violation_stays_with_its_model():
    bad = changed("verified_accuracy", "ibp", 0.1, "test", 99.0)
    frame = pd.concat([records(), records(bad, split=1), records(config_id=1), records(method="HDL")])
    checks = check(frame)
    assert summary(checks) == (4 * 6, 1)
    assert violations_text(checks)[0].startswith("iris/DL config 0 split 1: robust>=verified: ibp at 0.1 99 > ")
    # a round model is a model of its own (the key round is used where present)
    rounds = pd.concat([records().assign(round=0), records(bad).assign(round=1)])
    assert model_keys(rounds) == ["dataset", "method", "config_id", "split", "round"]
    checks = check(rounds)
    assert summary(checks) == (12, 1)
    assert violations_text(checks)[0].startswith("iris/DL config 0 split 0 round 1: ")


def test_the_limit_of_the_violation_lines():
    frame = pd.concat([records(changed("unsound", "ibp", 0.1, "test", 1.0), split=s) for s in range(12)])
    lines = violations_text(check(frame), limit=10)
    assert len(lines) == 11 and lines[-1] == "... and 2 more"


def test_eval_files_load_with_their_rounds(tmp_path):
    def model(split, round_, rows):
        return {"config_id": 0, "config": {}, "split": split, "round": round_,
                "rows": [{"metric": m, "attack": a, "norm": None if e is None else "inf", "eps": e, "part": p,
                          "value": v} for m, a, e, p, v in rows]}

    ev = {"study": "lth", "dataset": "iris", "method": "DL", "info": {"n": 150, "p": 4, "k": 3}, "attacks": {},
          "adversarial": "pgd", "bounds": ["ibp"], "eps": [0.1],
          "models": [model(0, 0, ROWS), model(0, 1, changed("accuracy", "ensemble", 0.1, "test", 95.0))]}
    checks = check(load(write_evals(tmp_path, [ev])))
    assert summary(checks) == (12, 1)
    assert violations_text(checks) == ["iris/DL config 0 split 0 round 1: natural>=robust: "
                                       "ensemble at 0.1 95 > natural 90"]
