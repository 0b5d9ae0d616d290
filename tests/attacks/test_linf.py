"""APGD (CE, DLR), IFGSM, R+FGSM and the worst-case ensemble: stay in the ball and the box,
APGD's published checkpoint schedule, APGD-CE at least as strong as PGD on a trained MLP,
APGD-DLR exact on a linear model, the ensemble is the per-sample AND of its members, each
model independent of the stack, DLR refused for K = 2."""

import math

import numpy as np
import pytest
import torch

from conftest import blobs, hdl
from holistic.attacks.apgd import APGD, APGDCE, APGDDLR, apgd, checkpoints, dlr_loss
from holistic.attacks.ensemble import WorstCase, worst_case
from holistic.attacks.fgsm import FGSM
from holistic.attacks.ifgsm import IFGSM, ifgsm
from holistic.attacks.pgd import PGD
from holistic.attacks.rfgs import RFGSM, rfgsm
from holistic.data.stacked import stack_splits
from holistic.methods import model_grid
from holistic.models import MODELS
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid

BOX = (0.0, 1.0)


def gens(G, seed=0):
    return [torch.Generator().manual_seed(1000 * seed + g) for g in range(G)]


@pytest.fixture(scope="module")
def trained():
    """Two 2 x 128 MLPs (two splits) trained on 8-class blobs in [0, 1]^20: ``(f, x, y)`` of
    the 200 test points (natural accuracy 100%, FGSM clearly weaker than PGD at eps 0.1)."""
    torch.set_num_threads(1)
    X, y = blobs(600, 20, 8, seed=4)
    idx = np.random.default_rng(0).permutation(600)
    test, rest = idx[:200], idx[200:]
    splits = {"test": test, "train": np.stack([rest[:320], rest[80:]]), "val": np.stack([rest[320:], rest[:80]])}
    data = stack_splits(X, y, splits, "minmax")
    specs = model_grid(hdl("DL"), {"lr": [0.01]}, 2)
    res = train_grid(data, hdl("DL"), specs, TrainConfig(epochs=10, batch_size=32), log=None)
    split = torch.tensor([s.split for s in specs])
    params = {n: p.detach() for n, p in res.params.items()}
    f = lambda x: MODELS["mlp"].forward(params, x)[0]  # noqa: E731
    return f, data.X_test[split], data.y_test[split]


def accuracy(f, x_adv, y):
    """Accuracy ``[G]`` in percent."""
    with torch.no_grad():
        return 100.0 * (f(x_adv).argmax(-1) == y).double().mean(1)


ATTACKS = {
    "apgd-ce": APGDCE(steps=20),
    "apgd-dlr": APGDDLR(steps=20),
    "ifgsm": IFGSM(),
    "rfgsm": RFGSM(),
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_every_attack_stays_in_the_ball_and_the_box(trained, name):
    f, x, y = trained
    for eps in (0.05, 0.3):
        x_adv = ATTACKS[name](f, x, y, eps, BOX, gens(2))
        assert x_adv.shape == x.shape
        assert (x_adv - x).abs().max() <= eps + 1e-6
        assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0
    xw = x * 4 - 2  # off the box: no clipping to [0, 1] when the box is None
    x_adv = ATTACKS[name](f, xw, y, 0.5, None, gens(2))
    assert (x_adv - xw).abs().max() <= 0.5 + 1e-6
    assert x_adv.min() < 0 and x_adv.max() > 1


def test_apgd_checkpoints_are_the_published_schedule():
    p = [0.0, 0.22]
    while p[-1] + max(p[-1] - p[-2] - 0.03, 0.06) <= 1 + 1e-9:
        p.append(p[-1] + max(p[-1] - p[-2] - 0.03, 0.06))
    assert checkpoints(100) == [math.ceil(round(q * 100, 6)) for q in p]
    assert checkpoints(100) == [0, 22, 41, 57, 70, 80, 87, 93, 99]
    assert checkpoints(1000) == [0, 220, 410, 570, 700, 800, 870, 930, 990]
    assert checkpoints(10) == [0, 3, 5, 6, 7, 8, 9, 10]  # ceil(2.2) = 3, duplicates dropped


def test_apgd_ce_is_at_least_as_strong_as_pgd(trained):
    f, x, y = trained
    nat = accuracy(f, x, y)
    for eps in (0.1, 0.15):
        acc_pgd = accuracy(f, PGD(40, 2.5)(f, x, y, eps, BOX, gens(2)), y)
        acc_apgd = accuracy(f, APGD.from_params({})(f, x, y, eps, BOX, gens(2)), y)
        assert (acc_apgd <= acc_pgd + 1).all(), (eps, acc_apgd, acc_pgd)
        assert (acc_apgd < nat - 20).all()


def test_apgd_restarts_only_add_points_found(trained):
    """The first restart draws what a single run draws (same generators): a second restart
    can only break more points."""
    f, x, y = trained
    one = f(apgd(f, x, y, 0.1, BOX, gens(2), steps=10)).argmax(-1) == y
    two = f(apgd(f, x, y, 0.1, BOX, gens(2), steps=10, restarts=2)).argmax(-1) == y
    assert not (two & ~one).any()


def linear_problem(G=2, N=300, p=10, K=4, seed=0):
    """G linear K-class models ``z = x W + b`` (float64) and points in [0.2, 0.8]^p labelled by
    each model; the exact robust correctness ``[G, N]`` at radius eps inside the box [0, 1]."""
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(G, p, K, generator=g, dtype=torch.float64)
    x = 0.2 + 0.6 * torch.rand(G, N, p, generator=g, dtype=torch.float64)
    b = -(0.5 * W.sum(1)) + 0.3 * torch.randn(G, K, generator=g, dtype=torch.float64)
    f = lambda xx: xx @ W + b[:, None]  # noqa: E731
    y = f(x).argmax(-1)

    def robust(eps):
        # min over the box-clipped ball of z_y - z_k, coordinate-wise: every pair k != y.
        lo, hi = (x - eps).clamp(0, 1), (x + eps).clamp(0, 1)
        d = W.gather(2, y[:, None, :].expand(G, p, N)).transpose(1, 2)[..., None] - W[:, None]  # [G, N, p, K]
        worst = torch.where(d > 0, lo[..., None], hi[..., None])
        m = (worst * d).sum(2) + (b.gather(1, y)[..., None] - b[:, None])
        m = m.masked_fill(torch.nn.functional.one_hot(y, K).bool(), float("inf"))
        return m.amin(-1) > 0

    return f, x, y, robust


def test_apgd_dlr_nearly_reaches_the_exact_robust_accuracy_of_a_linear_model():
    """Sound for both losses (in the ball: a robust point is never broken); DLR within one
    point of the exact accuracy on this seeded problem and no weaker than CE, which stops at
    a worse class for some points. Not exact in general: the worst margin is a minimum over
    classes, and an untargeted attack may climb towards the wrong one."""
    f, x, y, robust = linear_problem()
    for eps in (0.02, 0.05):
        exact = robust(eps)
        assert 20 < 100 * exact.double().mean() < 95  # a non-trivial radius
        acc = {}
        for loss in ("dlr", "ce"):
            correct = f(apgd(f, x, y, eps, BOX, gens(2), steps=50, loss=loss)).argmax(-1) == y
            assert not (exact & ~correct).any()
            acc[loss] = 100 * correct.double().mean(1)
        gap = acc["dlr"] - 100 * exact.double().mean(1)
        assert (gap <= 1).all(), (eps, gap)
        assert (acc["dlr"] <= acc["ce"]).all()


def test_dlr_needs_three_classes():
    z = torch.tensor([[[3.0, 1.0, 0.0, -1.0], [0.0, 2.0, 1.0, 5.0]]])
    y = torch.tensor([[0, 1]])
    torch.testing.assert_close(dlr_loss(z, y), torch.tensor([[-2.0 / 3.0, 3.0 / 4.0]]))
    torch.testing.assert_close(dlr_loss(3 * z + 7, y), dlr_loss(z, y))  # shift and scale invariant
    f = lambda xx: torch.stack([xx.sum(-1), -xx.sum(-1)], -1)  # noqa: E731
    x = torch.rand(1, 5, 3, generator=torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="at least 3 classes"):
        APGDDLR(steps=2)(f, x, torch.zeros(1, 5, dtype=torch.long), 0.1, BOX, gens(1))
    with pytest.raises(ValueError, match="unknown APGD loss"):
        APGD("margin")


def test_ensemble_is_the_per_sample_and_of_its_members(trained):
    f, x, y = trained
    members = [("fgsm", FGSM()), ("rfgsm", RFGSM()), ("ifgsm", IFGSM(10)), ("apgd-dlr", APGDDLR(steps=20))]
    for eps in (0.05, 0.1):
        x_adv, correct = worst_case(f, x, y, members, eps, BOX, gens(2))
        assert list(correct) == [n for n, _ in members]
        assert (x_adv - x).abs().max() <= eps + 1e-6 and x_adv.min() >= 0 and x_adv.max() <= 1
        ok = f(x_adv).argmax(-1) == y
        assert torch.equal(ok, torch.stack(list(correct.values())).all(0))
        acc = ok.double().mean(1)
        for name, c in correct.items():
            assert (acc <= c.double().mean(1)).all(), name
    assert 100 * acc.min() < accuracy(f, x, y).min() - 5
    with pytest.raises(ValueError, match="budgeted"):
        worst_case(f, x, y, [("cw", type("M", (), {"budgeted": False, "norm": "2"})())], 0.1, BOX, gens(2))


@pytest.mark.parametrize("name", ["apgd-ce", "apgd-dlr", "ifgsm", "rfgsm", "ensemble"])
def test_a_models_result_does_not_depend_on_the_other_models(name):
    model = MODELS["mlp"]
    G, p, K, N = 3, 12, 5, 30
    params = model.init((p,), K, gens(G, seed=7))
    x = torch.rand(G, N, p, generator=torch.Generator().manual_seed(1))
    f = lambda prm: (lambda xx: model.forward(prm, xx)[0])  # noqa: E731
    y = f(params)(x).argmax(-1)
    attack = (WorstCase([("apgd-ce", APGDCE(steps=10)), ("rfgsm", RFGSM())]) if name == "ensemble"
              else {**ATTACKS, "apgd-ce": APGDCE(steps=30, restarts=2)}[name])
    x_all = attack(f(params), x, y, 0.1, BOX, gens(G, seed=3))
    for g in range(G):
        one = {n: v[g:g + 1] for n, v in params.items()}
        x_one = attack(f(one), x[g:g + 1], y[g:g + 1], 0.1, BOX, [gens(G, seed=3)[g]])
        assert torch.equal(x_one, x_all[g:g + 1])


def test_ifgsm_and_rfgsm_follow_their_definitions():
    f, x, y, _ = linear_problem(N=50, seed=3)
    # On a linear model the CE gradient sign is constant along IFGSM's path until the box or
    # ball binds: one step of eps equals the projection of x + eps sign(grad).
    eps = 0.05
    one = ifgsm(f, x, y, eps, 1, eps, BOX)
    many = ifgsm(f, x, y, eps, 40, eps / 4, BOX)
    assert (one - x).abs().max() <= eps + 1e-12
    assert (accuracy(f, many, y) <= accuracy(f, one, y) + 1e-9).all()
    # R+FGSM with ratio 0 is FGSM; with ratio 1 it is the projected random sign step.
    torch.testing.assert_close(rfgsm(f, x, y, eps, BOX, gens(2), ratio=0.0), FGSM()(f, x, y, eps, BOX, None))
    noise = torch.stack([torch.randn(x.shape[1:], generator=g, dtype=x.dtype) for g in gens(2)]).sign()
    torch.testing.assert_close(rfgsm(f, x, y, eps, BOX, gens(2), ratio=1.0), (x + eps * noise).clamp(0, 1))
    with pytest.raises(ValueError):
        rfgsm(f, x, y, eps, BOX, gens(2), ratio=1.5)


def test_params_protocol():
    for cls, key, defaults in ((APGDCE, "apgd", {"loss": "ce", "steps": 100, "restarts": 1, "rho": 0.75}),
                               (APGDDLR, "apgd", {"loss": "dlr", "steps": 100, "restarts": 1, "rho": 0.75}),
                               (IFGSM, "ifgsm", {"steps": 20, "step_size": 0.25}),
                               (RFGSM, "rfgsm", {"ratio": 0.5})):
        assert cls.norm == "inf" and cls.budgeted is True and cls.param_keys == (f"attack.{key}",)
        assert cls.from_params({"pgd_steps": 40}).settings() == defaults
        first = next(k for k in defaults if k != "loss")
        assert cls.from_params({key: {first: 7}}).settings()[first] == 7
        with pytest.raises(ValueError, match="unknown"):
            cls.from_params({key: {"nonsense": 7}})
    assert APGD.from_params({}, loss="dlr").settings()["loss"] == "dlr"
    ens = WorstCase([("apgd-ce", APGDCE.from_params({})), ("ifgsm", IFGSM.from_params({}))])
    assert ens.norm == "inf" and ens.budgeted is True
    assert ens.param_keys == ("attack.ensemble", "attack.apgd", "attack.ifgsm")
    assert ens.settings() == {"apgd-ce": APGDCE().settings(), "ifgsm": IFGSM().settings()}
