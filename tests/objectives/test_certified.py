"""Certified training objective (SparseVLR eq. 4): the robust CE of the margins' lower bounds,
the bound mixing of eq. (5), gradients through the bounds, soundness of the bounds of trained
models against PGD, the natural phase at eps 0, settings and schema, grid == alone."""

import numpy as np
import pytest
import torch
import yaml

from holistic.attacks.pgd import pgd
from holistic.config import ROOT, validate
from holistic.data.stacked import stack_splits
from holistic.methods import Method, model_grid
from holistic.models import MODELS
from holistic.objectives import LOSSES
from holistic.objectives.ce import per_sample_loss
from holistic.objectives.certified import (BETA_MIN, BOUND_KINDS, Certified, margin_lower_bounds, mixing_weight,
                                           robust_ce)
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid
from holistic.verify import bounds
from holistic.verify.crown import crown_ibp_bounds
from holistic.verify.ibp import ibp_bounds
from holistic.verify.layers import from_model
from holistic.verify.spec import input_set, other_classes, specification

DT = torch.float64
SHAPE, K = (1, 8, 8), 3


def image_data(n=120, seed=0):
    """Three classes of 8x8 images (a bright bar per class), two splits."""
    rng = np.random.default_rng(seed)
    y = np.tile(np.arange(K), n // K)
    X = (rng.random((n, *SHAPE)) * 60).astype(np.uint8)
    for c in range(K):
        X[y == c, 0, 2 * c + 1:2 * c + 3, :] = 250
    splits = {"test": np.arange(90, 120), "train": np.stack([np.arange(0, 72), np.arange(18, 90)]),
              "val": np.stack([np.arange(72, 90), np.arange(0, 18)])}
    return stack_splits(X, y, splits, "minmax")


def margins(z, y):
    """``z_y - z_i`` for i != y, ``[..., K-1]``."""
    return z.gather(-1, y.unsqueeze(-1)) - z.gather(-1, other_classes(y, z.shape[-1]))


def net(model="cnn_4layer", G=1, seed=0):
    m = MODELS[model]
    params = m.init(SHAPE, K, [torch.Generator().manual_seed(seed + g) for g in range(G)])
    gen = torch.Generator().manual_seed(seed + 99)
    return m, {n: (v.to(DT) + 0.05 * torch.randn(v.shape, generator=gen, dtype=DT)) for n, v in params.items()}


def points(G, N, seed=1):
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(G, N, *SHAPE, generator=gen, dtype=DT), torch.randint(0, K, (G, N), generator=gen)


def test_robust_ce_is_the_cross_entropy_of_the_zero_padded_negated_bounds():
    m = torch.tensor([[[0.5, -1.0], [2.0, 3.0]]], dtype=DT)
    expected = torch.log(1 + torch.exp(-m).sum(-1))
    assert torch.allclose(robust_ce(m), expected)
    z = torch.randn(2, 5, 4, dtype=DT, generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 4, (2, 5), generator=torch.Generator().manual_seed(1))
    assert torch.allclose(robust_ce(margins(z, y)), per_sample_loss(z, y))  # exact margins: the natural CE


def test_mixing_weight_goes_from_one_at_eps_zero_to_its_final_value_at_eps_max():
    assert mixing_weight(0.0, 0.4) == 1.0
    assert mixing_weight(0.4, 0.4) == 0.0
    assert mixing_weight(0.1, 0.4) == pytest.approx(0.75)
    assert mixing_weight(0.4, 0.4, final=0.5) == pytest.approx(0.5)
    assert mixing_weight(0.2, 0.4, final=0.5) == pytest.approx(0.75)


def test_bound_choice_and_mixing():
    model, params = net()
    x, y = points(1, 6)
    layers = from_model(model, params, SHAPE, K)
    lower, upper = input_set(x, 0.02, (0.0, 1.0))
    C = specification(y, K, DT)
    ibp, cibp = ibp_bounds(layers, lower, upper, C), crown_ibp_bounds(layers, lower, upper, C)
    get = lambda bound, beta=1.0: margin_lower_bounds(bound, layers, x, y, K, 0.02, (0.0, 1.0), beta)  # noqa: E731
    assert torch.equal(get("ibp"), ibp)
    assert torch.equal(get("crown-fast"), cibp)
    assert torch.equal(get("crown-ibp", 1.0), cibp)
    assert torch.equal(get("crown-ibp", BETA_MIN / 2), ibp)  # auto_LiRPA skips CROWN below 1e-5
    assert torch.allclose(get("crown-ibp", 0.3), 0.3 * cibp + 0.7 * ibp)
    assert torch.equal(get("crown"), bounds("crown", layers, x, y, 0.02, (0.0, 1.0)))
    with pytest.raises(ValueError, match="unknown training bound"):
        get("deeppoly")


@pytest.mark.parametrize("bound", BOUND_KINDS)
def test_gradients_flow_through_every_bound_to_the_parameters(bound):
    model, params = net()
    x, y = points(1, 4)
    names = list(params)
    gen = torch.Generator().manual_seed(5)
    direction = {n: torch.randn(v.shape, generator=gen, dtype=DT) for n, v in params.items()}

    def loss(p):
        layers = from_model(model, p, SHAPE, K)
        return robust_ce(margin_lower_bounds(bound, layers, x, y, K, 0.02, (0.0, 1.0), 0.5)).sum()

    theta = {n: v.clone().requires_grad_() for n, v in params.items()}
    loss(theta).backward()
    analytic = sum(float((theta[n].grad * direction[n]).sum()) for n in names)
    h = 1e-6
    plus = loss({n: params[n] + h * direction[n] for n in names})
    minus = loss({n: params[n] - h * direction[n] for n in names})
    assert analytic == pytest.approx(float(plus - minus) / (2 * h), rel=1e-5)
    assert all(theta[n].grad.abs().sum() > 0 for n in names)


def test_eps_zero_is_natural_training_and_kappa_mixes():
    model, params = net(G=2)
    x, y = points(2, 5)
    z, _ = model.forward(params, x)
    hp = {"lr": torch.ones(2), "eps_t": torch.tensor([0.0, 0.1], dtype=DT)}
    L = LOSSES["certified"].per_sample(model, params, x, y, hp, (z, None))
    natural = per_sample_loss(z, y)
    assert torch.equal(L[0], natural[0])                   # eps 0: the natural CE, no bound
    assert bool((L[1] > natural[1]).all())                  # a sound bound: robust CE above the natural one
    mixed = Certified("ibp", eps=0.4, kappa_final=0.5).per_sample(model, params, x, y, hp, (z, None))
    kappa = mixing_weight(0.1, 0.4, 0.5)
    robust = Certified("ibp", eps=0.4).per_sample(model, params, x, y, hp, (z, None))
    assert torch.allclose(mixed[1], kappa * natural[1] + (1 - kappa) * robust[1])


def test_the_schedule_comes_per_step_from_at_step():
    loss = LOSSES["certified"].configured({"certified": {"eps": 0.4, "start": 2, "length": 2}}, (0.0, 1.0))
    hp = {"lr": torch.ones(3)}
    assert torch.equal(loss.at_step(hp, 0, 4, 5)["eps_t"], torch.zeros(3, dtype=DT))
    assert float(loss.at_step(hp, 4, 0, 5)["eps_t"][0]) == 0.4
    model, params = net()
    x, y = points(1, 2)
    with pytest.raises(RuntimeError, match="at_step"):
        loss.per_sample(model, params, x, y, hp, model.forward(params, x))
    fixed = loss.configured({"certified": {"schedule": "fixed"}}, None)
    assert fixed.eps_t({"lr": torch.ones(2)}, 2) == [0.4, 0.4] and fixed.box is None


def test_settings_come_from_train_certified_and_the_schema():
    loss = LOSSES["certified_crown_fast"].configured({"certified": {"eps": 0.1, "schedule": "linear"}}, (0.0, 1.0))
    assert loss.bound == "crown-fast" and loss.eps_max == 0.1 and loss.schedule.kind == "linear"
    assert loss.schedule.start == 10 and loss.schedule.length == 60  # SparseVLR's MNIST (s, l)
    assert loss.clip_grad_norm is None
    assert LOSSES["certified"].configured({"certified": {"clip_grad_norm": 8}}, None).clip_grad_norm == 8.0
    with pytest.raises(ValueError, match="unknown train.certified keys"):
        LOSSES["certified"].configured({"certified": {"epsilon": 0.1}}, None)
    assert "train.certified" in Method(loss="certified", model="cnn_4layer").param_keys()
    with open(ROOT / "params.yaml") as f:
        params = yaml.safe_load(f)
    params["train"]["certified"] = {"eps": 0.4, "schedule": "smoothed", "start": 10, "length": 60, "mid": 0.25,
                                    "exponent": 4, "beta_final": 0, "kappa_final": None,
                                    "lr_decay": {"step_size": 10, "gamma": 0.5}, "clip_grad_norm": 8}
    validate(params)
    params["train"]["certified"]["schedule"] = "cosine"
    with pytest.raises(Exception, match="train.certified.schedule"):
        validate(params)


def test_the_lr_factor_follows_the_schedule():
    loss = Certified("crown-ibp", eps=0.4, schedule="linear", start=1, length=1)  # eps_max from epoch 1
    assert loss.lr_factor(0, 4) == 1.0 and loss.lr_factor(10, 4) == 1.0 and loss.lr_factor(11, 4) == 0.5
    assert Certified("ibp", lr_decay=None).lr_factor(50, 4) == 1.0


def test_a_model_trains_bitwise_the_same_alone_and_in_a_grid():
    data = image_data()
    method = Method(loss="certified", model="cnn_4layer")
    specs = model_grid(method, {"lr": [1e-3, 3e-3]}, 2)
    # beta_final 0.5: the mixed CROWN-IBP/IBP bound at eps_max
    cfg = TrainConfig(epochs=2, batch_size=24, settings={"certified": {"schedule": "fixed", "eps": 0.05,
                                                                       "beta_final": 0.5}})
    together = train_grid(data, method, specs, cfg, log=None)
    for g in (0, 3):
        alone = train_grid(data, method, [specs[g]], cfg, log=None)
        for name, p in together.params.items():
            assert torch.equal(p[g], alone.params[name][0]), (g, name)


def test_a_models_loss_and_gradients_are_bitwise_the_same_alone_during_the_ramp():
    model, params = net(G=3)
    params = {n: v.float() for n, v in params.items()}
    x, y = points(3, 5)
    x = x.float()
    loss = Certified("crown-ibp", eps=0.4)
    hp = {"lr": torch.ones(3), "eps_t": torch.full((3,), 0.1, dtype=DT)}  # beta = 0.75: both bounds

    def grads(p, xs, ys, h):
        p = {n: v.clone().requires_grad_() for n, v in p.items()}
        L = loss.per_sample(model, p, xs, ys, h, model.forward(p, xs))
        L.mean(dim=1).backward(torch.ones(L.shape[0]))
        return L.detach(), {n: v.grad for n, v in p.items()}

    L, g_all = grads(params, x, y, hp)
    for g in range(3):
        hp_g = {k: v[g:g + 1] for k, v in hp.items()}
        L_g, g_one = grads({n: v[g:g + 1] for n, v in params.items()}, x[g:g + 1], y[g:g + 1], hp_g)
        assert torch.equal(L[g], L_g[0])
        for n in params:
            assert torch.equal(g_all[n][g], g_one[n][0]), n


@pytest.mark.parametrize("loss,model", [("certified", "cnn_4layer"), ("certified_ibp", "cnn_4layer"),
                                        ("certified_crown_fast", "cnn_4layer"), ("certified_crown", "mlp")])
def test_bounds_of_certifiably_trained_models_are_sound_at_pgd_points(loss, model):
    data = image_data()
    method = Method(loss=loss, model=model)
    specs = model_grid(method, {"lr": [3e-3]}, 1)
    eps = 0.05
    cfg = TrainConfig(epochs=2, batch_size=24, settings={"certified": {"schedule": "fixed", "eps": eps,
                                                                       "beta_final": 0.5}})
    res = train_grid(data, method, specs, cfg, log=None)
    m = MODELS[model]
    params = {n: v.to(DT) for n, v in res.params.items()}
    x, y = data.X_test[:1, :12].to(DT), data.y_test[:1, :12]
    layers = from_model(m, params, SHAPE, K)
    f = lambda xs: m.forward(params, xs)[0]  # noqa: E731
    x_adv = pgd(f, x, y, eps, 30, eps / 10, (0.0, 1.0), torch.Generator().manual_seed(0), restarts=2, loss="margin")
    assert float((x_adv - x).abs().max()) <= eps + 1e-12
    with torch.no_grad():
        reached = torch.minimum(margins(f(x_adv), y), margins(f(x), y))
    kinds = ["ibp", "crown-ibp", "crown-fast"] + (["crown"] if model == "mlp" else [])
    for bound in kinds:
        with torch.no_grad():
            lower = margin_lower_bounds(bound, layers, x, y, K, eps, (0.0, 1.0), 0.5)
        assert bool((lower <= reached + 1e-9).all()), bound


def test_train_certified_bound_replaces_every_entrys_bound():
    """``train.certified.bound`` (null: each entry's own) trains every certified loss through one
    bound: ``certified`` (CROWN-IBP's mixture; half CROWN-IBP at eps_t = eps_max / 2) through IBP
    gives IBP's losses, bit for bit."""
    own = {name: LOSSES[name].configured({}, (0.0, 1.0)).bound for name in ("certified", "certified_ibp",
                                                                            "certified_crown_fast")}
    assert own == {"certified": "crown-ibp", "certified_ibp": "ibp", "certified_crown_fast": "crown-fast"}
    assert LOSSES["certified"].configured({"certified": {"bound": None}}, None).bound == "crown-ibp"
    ibp = {"certified": {"bound": "ibp", "eps": 0.1}}
    assert {LOSSES[n].configured(ibp, (0.0, 1.0)).bound for n in own} == {"ibp"}
    model, params = net()
    x, y = points(1, 4)
    out = model.forward(params, x)
    hp = {"lr": torch.tensor([0.1]), "eps_t": torch.tensor([0.05], dtype=DT)}
    via = LOSSES["certified"].configured(ibp, (0.0, 1.0)).per_sample(model, params, x, y, hp, out)
    plain = LOSSES["certified_ibp"].configured({"certified": {"eps": 0.1}}, (0.0, 1.0))
    assert torch.equal(via, plain.per_sample(model, params, x, y, hp, out))
    assert not torch.equal(via, LOSSES["certified"].configured({"certified": ibp["certified"] | {"bound": None}},
                                                               (0.0, 1.0)).per_sample(model, params, x, y, hp, out))
