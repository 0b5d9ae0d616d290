"""Verified accuracy (``holistic.evaluation.run``): each bound on every test point, independent of
the attacks of the suite; a bound that certifies a point an attack breaks is counted (``unsound``),
not an error; the invariants natural >= robust >= verified are then checked, not forced."""

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import blobs, hdl
from holistic.attacks import ATTACKS
from holistic.data.stacked import stack_splits
from holistic.evaluation import run
from holistic.evaluation.run import evaluate_models, layer_form
from holistic.fidelity.invariants import check, summary
from holistic.methods import model_grid
from holistic.models import MODELS
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid
from holistic.verify import bounds as margin_bounds

EPS = [0.01, 0.03]
BOUNDS = ("ibp", "crown")
SMALL = {"apgd": {"steps": 5}, "pgd_restarts": {"steps": 3}}


class Elsewhere:
    """A budgeted 'attack' that leaves the ball: each point becomes another test point (the
    points in reverse order), so it 'breaks' points no attack within eps could."""

    norm = "inf"
    budgeted = True
    param_keys = ()

    def __call__(self, f, x, y, eps, box, generator):
        return x.flip(1)


@pytest.fixture(scope="module")
def trained():
    torch.set_num_threads(1)
    X, y = blobs(300, 6, 3, seed=1)
    idx = np.random.default_rng(0).permutation(300)
    test, rest = idx[:80], idx[80:]
    splits = {"test": test, "train": np.stack([rest[:160], rest[60:220]]), "val": np.stack([rest[160:], rest[:60]])}
    data = stack_splits(X, y, splits, "minmax")
    specs = model_grid(hdl("DL"), {"lr": [0.01]}, 2)
    res = train_grid(data, hdl("DL"), specs, TrainConfig(epochs=10, batch_size=32), log=None)
    return res.params, data, torch.tensor([s.split for s in specs])


def evaluate(trained, suite, **kw):
    params, data, split = trained
    return evaluate_models(MODELS["mlp"], params, data, split, suite, EPS, seed=3, bounds=BOUNDS, **kw)


def table(rows, metric):
    return {(r["attack"], r["eps"]): r["value"] for r in rows if r["metric"] == metric and r["part"] == "test"}


def certified(trained, bound, eps):
    """``[G, N]``: the bound's certificate on every test point, computed here directly."""
    params, data, split = trained
    layers = layer_form(MODELS["mlp"], params, data)
    x, y = data.X_test[split], data.y_test[split]
    return (margin_bounds(bound, layers, x, y, eps, data.box) > 0).all(-1)


def test_verified_accuracy_is_the_bound_on_every_test_point_whatever_the_attacks(trained):
    """The same verified accuracy with no attack, PGD, an attack that 'breaks' certified points,
    and with the ensemble; the old evaluation bounded only the points the attacks left robust
    and reported fewer certified points (0 of those the out-of-ball attack broke)."""
    pgd = ("pgd", ATTACKS["pgd"](5, 2.5), ("val", "test"))
    elsewhere = ("elsewhere", Elsewhere(), ("val", "test"))
    ensemble = ("ensemble", ATTACKS["ensemble"].from_params(SMALL), ("val", "test"))
    params, data, split = trained
    expected = {(b, e): [100.0 * float(c.double().mean()) for c in certified(trained, b, e)]
                for b in BOUNDS for e in EPS}
    assert all(0 < v < 100 for vs in expected.values() for v in vs)  # the test can tell
    # one model per call: the old evaluation then reported the broken certified points as not
    # certified (it bounded only the columns some model of the call left robust)
    runs = [(suite, evaluate(trained, suite, models_per_call=1))
            for suite in ([], [pgd], [elsewhere], [pgd, elsewhere, ensemble])]
    for suite, rows in runs:
        for g, model in enumerate(rows):
            assert table(model, "verified_accuracy") == {k: v[g] for k, v in expected.items()}, [n for n, _, _ in suite]
    x, y = data.X_test[split], data.y_test[split]
    with torch.no_grad():
        f = lambda z: MODELS["mlp"].forward(params, z)[0]  # noqa: E731
        robust = (f(x).argmax(-1) == y) & (f(x.flip(1)).argmax(-1) == y)  # under the out-of-ball attack
    broken = 0
    for suite, rows in runs:
        for g, model in enumerate(rows):
            unsound = table(model, "unsound")
            assert set(unsound) == set(expected)
            if not any(name == "elsewhere" for name, _, _ in suite):
                assert all(v == 0 for v in unsound.values())  # PGD breaks no certified point
                continue
            for (b, e), v in unsound.items():
                want = int((certified(trained, b, e)[g] & ~robust[g]).sum())
                assert v == want
                broken += want
    assert broken > 0  # the out-of-ball attack 'broke' certified points: counted, and nothing else changed


def test_an_unsound_bound_is_counted_not_an_error(trained, monkeypatch):
    """A bound that certifies every point: 100 % verified, the points PGD broke or the model
    misclassifies counted as ``unsound`` (the old evaluation stopped with a RuntimeError); the
    ensemble skips the robust certified points as before; the invariants flag the model."""
    monkeypatch.setattr(run, "margin_bounds", lambda bound, layers, x, y, eps, box, chunk=None:
                        torch.ones(*y.shape, 2, dtype=x.dtype))
    suite = [("pgd", ATTACKS["pgd"](5, 2.5), ("val", "test")),
             ("ensemble", ATTACKS["ensemble"].from_params(SMALL), ("val", "test"))]
    rows = evaluate(trained, suite)
    N = trained[1].X_test.shape[1]
    flagged = 0
    for model in rows:
        assert set(table(model, "verified_accuracy").values()) == {100.0}
        acc, unsound = table(model, "accuracy"), table(model, "unsound")
        for (b, e), v in unsound.items():
            # every robust point is certified, so the ensemble attacks none: its accuracy is the robust share
            assert v == N - round(acc[("ensemble", e)] * N / 100) and acc[("ensemble", e)] <= acc[("pgd", e)]
        flagged += sum(v > 0 for v in unsound.values())
    assert flagged > 0
    checks = check(records(rows))
    bad = set(checks.loc[~checks["ok"], "invariant"])
    assert bad == {"robust>=verified", "unsound==0"}


def test_a_sound_evaluation_passes_every_invariant_and_chunking_changes_nothing(trained):
    suite = [("pgd", ATTACKS["pgd"](5, 2.5), ("val", "test")), ("fgsm", ATTACKS["fgsm"](), ("test",)),
             ("ensemble", ATTACKS["ensemble"].from_params(SMALL), ("val", "test"))]
    rows = evaluate(trained, suite)
    assert rows == evaluate(trained, suite, models_per_call=1)
    checks = check(records(rows))
    assert summary(checks) == (2 * 4, 0)  # natural>=robust, robust>=verified, percent, unsound==0 per model
    assert set(checks["invariant"]) == {"natural>=robust", "robust>=verified", "percent", "unsound==0"}


def records(rows) -> pd.DataFrame:
    """The tidy records of evaluated models (as ``holistic.records.evals.tidy_rows`` reads them)."""
    return pd.DataFrame([{"dataset": "blobs", "method": "DL", "config_id": 0, "split": g, **r}
                         for g, model in enumerate(rows) for r in model]).drop(columns="norm")
