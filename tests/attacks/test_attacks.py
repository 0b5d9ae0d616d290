"""PGD and FGSM: stay in the ball and the box, hurt a nominal model, PGD at least as strong as FGSM."""

import numpy as np
import pytest
import torch

from conftest import Wb, blobs, hdl
from holistic.attacks import ATTACKS, lookup
from holistic.attacks.fgsm import fgsm
from holistic.attacks.pgd import pgd
from holistic.data.stacked import stack_splits
from holistic.evaluation.run import evaluate_models
from holistic.methods import model_grid
from holistic.models import MODELS
from holistic.models.mlp import forward, predict
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid


@pytest.fixture(scope="module")
def trained_dl():
    torch.set_num_threads(1)
    X, y = blobs(400, 6, 3, seed=1)
    idx = np.random.default_rng(0).permutation(400)
    test, rest = idx[:100], idx[100:]
    splits = {"test": test, "train": np.stack([rest[:240], rest[60:]]), "val": np.stack([rest[240:], rest[:60]])}
    data = stack_splits(X, y, splits, "minmax")
    specs = model_grid(hdl("DL"), {"lr": [0.01]}, 2)
    res = train_grid(data, hdl("DL"), specs, TrainConfig(epochs=15, batch_size=32), log=None)
    return res, data, torch.tensor([s.split for s in specs])


def logits(res):
    W, b = Wb(res.params)
    return lambda x: forward(W, b, x)[0]


SUITE = [("pgd", ATTACKS["pgd"](40, 2.5), ("val", "test")), ("fgsm", ATTACKS["fgsm"](), ("test",))]


def table(rows):
    """``{(attack, eps, part): value}`` of one model's tidy rows."""
    return {(r["attack"], r["eps"], r["part"]): r["value"] for r in rows if r["metric"] == "accuracy"}


@pytest.mark.parametrize("rho", [0.01, 0.1, 0.3])
def test_pgd_stays_in_ball_and_box(trained_dl, rho):
    res, data, split = trained_dl
    x, y = data.X_test[split], data.y_test[split]
    x_adv = pgd(logits(res), x, y, rho, 20, 2.5 * rho / 20, (0.0, 1.0), torch.Generator().manual_seed(0))
    assert (x_adv - x).abs().max() <= rho + 1e-6
    assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0
    x_f = fgsm(logits(res), x, y, rho, (0.0, 1.0))
    assert (x_f - x).abs().max() <= rho + 1e-6
    assert x_f.min() >= 0.0 and x_f.max() <= 1.0


def test_pgd_without_box_stays_in_ball(trained_dl):
    res, data, split = trained_dl
    x, y = data.X_test[split] * 4 - 2, data.y_test[split]
    x_adv = pgd(logits(res), x, y, 0.5, 10, 0.125, None, torch.Generator().manual_seed(0))
    assert (x_adv - x).abs().max() <= 0.5 + 1e-6
    assert x_adv.min() < 0  # no clipping to [0, 1] when the input box is None


def test_pgd_lowers_accuracy_and_beats_fgsm(trained_dl):
    res, data, split = trained_dl
    rows = evaluate_models(MODELS["mlp"], res.params, data, split, SUITE, [0.05, 0.1, 0.2], seed=0)
    for model_rows in rows:
        t = table(model_rows)
        nat = t[("none", None, "test")]
        for r in (0.05, 0.1, 0.2):
            assert t[("pgd", r, "test")] <= t[("fgsm", r, "test")] <= nat
        assert t[("pgd", 0.2, "test")] < nat - 5
        assert t[("pgd", 0.05, "test")] >= t[("pgd", 0.2, "test")]
        sparsity = [r for r in model_rows if r["metric"] == "sparsity"]
        assert len(sparsity) == 1 and sparsity[0]["value"] == 0.0


def test_pgd_never_weaker_than_its_own_start(trained_dl):
    """Best-iterate tracking: a sample misclassified at any iterate stays misclassified."""
    res, data, split = trained_dl
    x, y = data.X_test[split], data.y_test[split]
    x_adv = pgd(logits(res), x, y, 0.1, 0, 0.1, (0.0, 1.0), torch.Generator().manual_seed(3))
    x_adv2 = pgd(logits(res), x, y, 0.1, 10, 0.025, (0.0, 1.0), torch.Generator().manual_seed(3))
    wrong0 = predict(*Wb(res.params), x_adv) != y
    wrong10 = predict(*Wb(res.params), x_adv2) != y
    assert (wrong10 | ~wrong0).all()


SMALL = {"apgd": {"steps": 10}, "pgd_restarts": {"steps": 5}, "deepfool": {"steps": 10}}


def test_evaluation_chunking_never_changes_results(trained_dl):
    """Every row (the ensemble's, r_2's, the bounds') of a model is the same evaluated with
    the other models or alone."""
    res, data, split = trained_dl
    params = {n: torch.cat([p, p.flip(0)]) for n, p in res.params.items()}
    sp = torch.cat([split, split.flip(0)])
    suite = [("pgd", ATTACKS["pgd"](5, 2.5), ("val", "test")),
             ("ensemble", ATTACKS["ensemble"].from_params(SMALL), ("val", "test")),
             ("deepfool", ATTACKS["deepfool"].from_params(SMALL), ("test",))]
    run = lambda **kw: evaluate_models(MODELS["mlp"], params, data, sp, suite, [0.01, 0.1], seed=4,  # noqa: E731
                                       bounds=("ibp", "crown"), **kw)
    whole, chunked = run(), run(models_per_call=1)
    assert whole == chunked
    metrics = {r["metric"] for r in whole[0]}
    assert {"accuracy", "r2", "failures", "verified_accuracy", "activation_sparsity"} <= metrics


def test_an_unknown_attack_is_an_error_not_a_silent_fallback():
    with pytest.raises(ValueError, match="unknown attack 'no-such-attack'.*pgd"):
        lookup("no-such-attack")
    assert ATTACKS["pgd"].budgeted and ATTACKS["pgd"].norm == "inf"
