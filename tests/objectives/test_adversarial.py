"""Adversarial training (Cosentino et al. Sec. 4.2): (1 - w) CE(x) + w CE(x_adv), x_adv an attack on
the detached weights; w = 0 is natural training to the bit; seeded random starts; robustness gained."""

import pytest
import torch

from holistic.attacks.pgd import pgd
from holistic.data.stacked import SplitTensors
from holistic.methods import Method, model_grid
from holistic.models import MODELS
from holistic.objectives.adversarial import Adversarial
from holistic.objectives.ce import per_sample_loss
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid

EPS = 0.1
PGD = {"attack": "pgd", "eps": EPS, "steps": 5, "step_size": 0.04}


def toy(n=200, p=20, seed=0):
    """Two classes: one robust feature (margin 0.2 > eps) and p weak ones (mean shift 0.08, noise 0.1)
    whose sum predicts well but which an L-inf attack of radius eps shifts all at once."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    s = 2.0 * y - 1
    robust = 0.5 + s * (0.2 + 0.25 * torch.rand(n, generator=g))
    weak = (0.5 + s[:, None] * 0.08 + 0.1 * torch.randn(n, p, generator=g)).clamp(0, 1)
    X = torch.cat([robust[:, None], weak], 1)
    tr, va = slice(0, 120), slice(120, n)
    return SplitTensors(X[tr][None], y[tr][None], X[va][None], y[va][None], X[va][None], y[va][None], 2, (0.0, 1.0))


def train(loss, settings, lrs=(0.01, 0.003), data=None, specs=None):
    method = Method(model="mlp", loss=loss)
    specs = specs or model_grid(method, {"lr": list(lrs)}, 1)
    return train_grid(data or toy(), method, specs, TrainConfig(epochs=1, batch_size=4, settings=settings), log=None)


def test_loss_is_the_weighted_sum_on_an_attack_of_the_detached_weights():
    model = MODELS["mlp"]
    init = model.init((3,), 2, [torch.Generator().manual_seed(g) for g in (1, 2)])
    params = {n: p.requires_grad_() for n, p in init.items()}
    x = torch.rand(2, 6, 3, generator=torch.Generator().manual_seed(3))
    y = torch.randint(0, 2, (2, 6), generator=torch.Generator().manual_seed(4))
    loss = Adversarial().configured({"adversarial": {**PGD, "weight": 0.3}})
    gens = lambda: [torch.Generator().manual_seed(9), torch.Generator().manual_seed(10)]  # noqa: E731
    L = loss.per_sample(model, params, x, y, {}, (model.logits(params, x), None), generators=gens())
    f = lambda v: model.logits({n: p.detach() for n, p in params.items()}, v)  # noqa: E731
    x_adv = pgd(f, x, y, EPS, 5, 0.04, (0.0, 1.0), gens())  # the same draws: the same examples
    assert (x_adv - x).abs().max() <= EPS + 1e-7 and x_adv.min() >= 0 and x_adv.max() <= 1
    expected = 0.7 * per_sample_loss(model.logits(params, x), y) + 0.3 * per_sample_loss(model.logits(params, x_adv), y)
    assert torch.allclose(L, expected)
    # the gradient flows through the loss on x_adv, never through the attack that made it
    got = torch.autograd.grad(L.sum(), list(params.values()))
    want = torch.autograd.grad(expected.sum(), list(params.values()))
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(got, want))


def test_settings_are_read_from_train_adversarial_and_checked():
    loss = Adversarial().configured({"adversarial": {"attack": "fgsm", "eps": 0.2}}, box=None)
    assert (loss.attack, loss.eps, loss.weight, loss.box) == ("fgsm", 0.2, 0.5, None)  # paper's 50/50 by default
    with pytest.raises(ValueError, match="unknown train.adversarial keys"):
        Adversarial().configured({"adversarial": {"epsilon": 0.2}})
    with pytest.raises(ValueError, match="does not train"):
        Adversarial(attack="deepfool")


@pytest.mark.parametrize("attack", ["pgd", "fgsm"])
def test_weight_zero_is_natural_training_to_the_bit(attack):
    natural = train("ce", {})
    zero = train("adversarial", {"adversarial": {**PGD, "attack": attack, "weight": 0.0}})
    assert all(torch.equal(natural.params[n], zero.params[n]) for n in natural.params)
    assert torch.equal(natural.val_curve, zero.val_curve)


def test_adversarial_training_is_deterministic_and_a_model_draws_the_same_alone():
    settings = {"adversarial": PGD}
    a, b = train("adversarial", settings), train("adversarial", settings)
    assert all(torch.equal(a.params[n], b.params[n]) for n in a.params)  # bitwise on rerun
    method = Method(model="mlp", loss="adversarial")
    alone = train("adversarial", settings, specs=model_grid(method, {"lr": [0.01, 0.003]}, 1)[-1:])
    assert all(torch.allclose(a.params[n][-1], alone.params[n][0], atol=1e-5) for n in a.params)


def test_adversarial_training_raises_pgd_accuracy():
    data = toy()
    accs = {}
    for loss, settings in (("ce", {}), ("adversarial", {"adversarial": PGD})):
        res = train(loss, settings, data=data)
        model = MODELS["mlp"]
        X, y = data.X_val.expand(2, -1, -1), data.y_val.expand(2, -1)
        x_adv = pgd(lambda v: model.logits(res.params, v), X, y, EPS, 20, 2.5 * EPS / 20, (0.0, 1.0),
                    torch.Generator().manual_seed(1))
        accs[loss] = (model.predict(res.params, x_adv) == y).double().mean(1)
    assert (accs["ce"] <= 0.6).all()                          # natural training leans on the weak features
    assert (accs["adversarial"] >= accs["ce"] + 0.2).all()    # (measured: 0.50 / 0.53 -> 0.80 / 0.88)
