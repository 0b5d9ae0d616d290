"""Issue 32, item 1: SGD (momentum, Nesterov, weight decay) over stacked models, against
``torch.optim.SGD`` on one ``nn.Module`` bit for bit, and a model of a stack = the model alone."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from conftest import blobs
from holistic.data.stacked import stack_splits
from holistic.methods import Method, model_grid
from holistic.models.initialisers import TorchDefault
from holistic.models.module import StackedModule
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid
from holistic.train.optimizers import OPTIMIZERS
from holistic.train.optimizers.sgd import StackedSGD

SHAPE, K, STEPS = (1, 6, 6), 4, 6


def net(input_shape=SHAPE, k=K):
    """A convolution and two dense layers: every kind of layer the stacks hold."""
    return nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 8), nn.ReLU(),
                         nn.Linear(8, k))


def batches():
    g = torch.Generator().manual_seed(3)
    return [(torch.rand(5, *SHAPE, generator=g), torch.randint(0, K, (5,), generator=g)) for _ in range(STEPS)]


def torch_trajectory(seed, lr, momentum=0.0, weight_decay=0.0, nesterov=False, dampening=0.0, milestones=None):
    """``torch.optim.SGD`` (and ``MultiStepLR`` stepped after every step) on ``net()`` built under
    ``torch.manual_seed(seed)``: its parameters after each step."""
    torch.manual_seed(seed)
    m = net()
    opt = torch.optim.SGD(m.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov,
                          dampening=dampening)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones, gamma=0.1) if milestones else None
    out = []
    for x, y in batches():
        opt.zero_grad()
        F.cross_entropy(m(x), y).backward()
        opt.step()
        if sched is not None:
            sched.step()
        out.append({n: p.detach().clone() for n, p in m.named_parameters()})
    return out


def stacked_trajectory(seeds, lr, momentum, weight_decay, nesterov=False, dampening=0.0, milestones=None):
    """:class:`StackedSGD` on G stacked copies of ``net()`` (``torch-default``: the same draws as
    ``torch.manual_seed(seed); net()``), every model on the same batches; lr etc. per model."""
    from holistic.train.optimizers.schedules import MultiStep, Rates

    stack = StackedModule(net)
    params = {n: v.requires_grad_() for n, v in
              stack.init(SHAPE, K, [torch.Generator().manual_seed(s) for s in seeds], TorchDefault()).items()}
    G = len(seeds)
    t = lambda v: torch.tensor(v, dtype=torch.float32)  # noqa: E731
    opt = StackedSGD(list(params.values()), t(lr), t(momentum), t(weight_decay), nesterov, dampening)
    rates = None
    if milestones:
        sched = MultiStep().configured({"lr_schedule": {"per": "step", "milestones": milestones}}, None)
        rates = Rates(torch.tensor(lr, dtype=torch.float64), t(lr), sched, None, STEPS, 1)
    out = []
    for step, (x, y) in enumerate(batches()):
        if rates is not None and (new := rates.at(0, step)) is not None:
            opt.set_lr(new)
        z, _ = stack.forward(params, x.expand(G, *x.shape))
        sum(F.cross_entropy(z[g], y) for g in range(G)).backward()
        opt.step()
        out.append({n: p.detach().clone() for n, p in params.items()})
    return out


def bits(t):
    """The float32 bits (``torch.equal`` takes -0 for +0)."""
    return t.contiguous().view(torch.int32)


def assert_model_equal(stacked, g, alone):
    for s, a in zip(stacked, alone):
        for n in a:
            assert torch.equal(bits(s[n][g]), bits(a[n])), n


@pytest.mark.parametrize("hp", [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.1, momentum=0.9, weight_decay=5e-3),
    dict(lr=0.05, momentum=0.8, weight_decay=1e-2, nesterov=True),
    dict(lr=0.1, momentum=0.5, dampening=0.3, weight_decay=1e-3),
    dict(lr=0.1, weight_decay=1e-2),
])
def test_one_model_follows_torch_sgd_bit_for_bit(hp):
    ref = torch_trajectory(7, **hp)
    got = stacked_trajectory([7], [hp["lr"]], [hp.get("momentum", 0.0)], [hp.get("weight_decay", 0.0)],
                             hp.get("nesterov", False), hp.get("dampening", 0.0))
    assert_model_equal(got, 0, ref)
    assert not torch.equal(ref[-1]["0.weight"], ref[0]["0.weight"])  # it moved


@pytest.mark.parametrize("nesterov", [False, True])
def test_a_model_in_a_stack_with_other_hyperparameters_is_the_model_alone(nesterov):
    """G = 3 with different lr, momentum (one 0 without Nesterov) and weight decay (one 0): each
    model is bit for bit its own run alone and torch's."""
    seeds, lr = [1, 2, 3], [0.1, 0.05, 0.2]
    momentum = [0.9, 0.5, 0.7] if nesterov else [0.9, 0.0, 0.7]
    wd = [1e-2, 0.0, 5e-3]
    stack = stacked_trajectory(seeds, lr, momentum, wd, nesterov)
    for g in range(3):
        alone = stacked_trajectory([seeds[g]], [lr[g]], [momentum[g]], [wd[g]], nesterov)
        assert_model_equal(stack, g, [{n: v[0] for n, v in step.items()} for step in alone])
        assert_model_equal(stack, g, torch_trajectory(seeds[g], lr[g], momentum[g], wd[g], nesterov))


def test_signed_zeros_of_a_model_without_momentum_are_its_own():
    """A model with momentum 0 beside one with momentum takes its gradient as it is: ``0 * buf + g``
    would turn its -0 into +0, and then a weight at -0 into +0."""
    G = lambda *v: torch.tensor(v, dtype=torch.float32).view(2, 1)  # noqa: E731
    p = G(0.5, -0.0).requires_grad_()
    opt = StackedSGD([p], torch.tensor([0.1, 0.1]), torch.tensor([0.9, 0.0]), torch.tensor([0.0, 0.0]))
    q = torch.tensor([-0.0], requires_grad=True)
    ref = torch.optim.SGD([q], lr=0.1)
    for grad in (G(1.0, 0.0), G(1.0, -0.0)):
        p.grad, q.grad = grad.clone(), grad[1].clone()
        opt.step()
        ref.step()
        assert torch.equal(bits(p[1].detach()), bits(q.detach()))


def test_multistep_rates_follow_torch_sgd_with_multisteplr():
    ref = torch_trajectory(4, 0.1, 0.9, 1e-3, milestones=[2, 4])
    got = stacked_trajectory([4], [0.1], [0.9], [1e-3], milestones=[2, 4])
    assert_model_equal(got, 0, ref)


def test_bad_hyperparameters_are_refused():
    p = [torch.zeros(2, 3, requires_grad=True)]
    t = torch.tensor
    with pytest.raises(ValueError, match="Nesterov"):
        StackedSGD(p, t([0.1, 0.1]), t([0.9, 0.0]), t([0.0, 0.0]), nesterov=True)
    with pytest.raises(ValueError, match="Nesterov"):
        StackedSGD(p, t([0.1, 0.1]), t([0.9, 0.9]), t([0.0, 0.0]), nesterov=True, dampening=0.1)
    with pytest.raises(ValueError, match=">= 0"):
        StackedSGD(p, t([0.1, 0.1]), t([-0.9, 0.9]), t([0.0, 0.0]))


def test_weight_decay_spares_the_state_that_is_not_the_models():
    """``decayed`` False: no weight decay (a reduction's or a procedure's state)."""
    w, s = torch.ones(1, 3, requires_grad=True), torch.ones(1, 3, requires_grad=True)
    opt = StackedSGD([w, s], torch.tensor([0.1]), torch.tensor([0.0]), torch.tensor([0.5]), decayed=[True, False])
    w.grad, s.grad = torch.zeros(1, 3), torch.zeros(1, 3)
    opt.step()
    assert torch.equal(s, torch.ones(1, 3)) and torch.allclose(w, torch.full((1, 3), 0.95))


# -- through the trainer

@pytest.fixture(scope="module")
def data():
    X, y = blobs(120, 5, 3, seed=4)
    splits = {"test": torch.arange(100, 120).numpy(),
              "train": torch.stack([torch.arange(0, 60), torch.arange(30, 90)]).numpy(),
              "val": torch.stack([torch.arange(60, 100), torch.arange(0, 40)]).numpy()}
    return stack_splits(X, y, splits, "minmax")


@pytest.mark.parametrize("optimizer", ["sgd", "sgd-nesterov"])
def test_trainer_grid_model_equals_the_model_trained_alone(data, optimizer):
    """An SGD method's grid (momentum x weight decay x 2 splits, G = 8) through the trainer, with a
    multistep schedule: each model bit for bit the same model trained alone."""
    method = Method(optimizer=optimizer, lr_schedule="multistep", initialiser="torch-default")
    assert method.axes() == ["lr", "momentum", "weight_decay"]
    grid = {"lr": [0.05], "momentum": [0.5, 0.9], "weight_decay": [0.0, 1e-3]}
    cfg = TrainConfig(epochs=3, batch_size=16, settings={"lr_schedule": {"milestones": [1, 2], "gamma": 0.5}})
    specs = model_grid(method, grid, 2)
    full = train_grid(data, method, specs, cfg, log=None)
    for i in (0, 5):
        alone = train_grid(data, method, [specs[i]], cfg, log=None)
        for n in full.params:
            assert torch.equal(full.params[n][i], alone.params[n][0]), n


def test_the_optimizer_pieces_are_registered():
    assert set(OPTIMIZERS) == {"adam", "sgd", "sgd-nesterov"}
    assert OPTIMIZERS["sgd"].axes == ("momentum", "weight_decay") and OPTIMIZERS["adam"].axes == ()
    assert OPTIMIZERS["sgd-nesterov"].check({"grid": {"momentum": [0.0, 0.9]}})[0] == "train.grid.momentum"
    assert OPTIMIZERS["sgd"].check({"grid": {"momentum": [0.0, 0.9]}}) is None
    with pytest.raises(ValueError, match="Method.optimizer 'adamw': not registered; known: adam, sgd"):
        Method(optimizer="adamw").axes()
