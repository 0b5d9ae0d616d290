"""Issue 32, item 1: the learning-rate schedules against ``torch.optim.lr_scheduler`` (closed forms
bit for bit, the recursive steps within 1e-6 relative), stepped per epoch or per step, and the
trainer applying them only where the rate changes."""

import math

import pytest
import torch
from torch.optim import lr_scheduler as S

from holistic.train.optimizers import LR_SCHEDULES
from holistic.train.optimizers.schedules import Rates

LR = [0.1, 0.03]
EPOCHS = 9


def configured(name, **settings):
    return LR_SCHEDULES[name].configured({"lr_schedule": settings}, None)


def torch_rates(make, base=0.1, n=EPOCHS):
    """The rate of each epoch (0..n-1) of a torch scheduler stepped after every epoch; and its closed
    form at each epoch where it has one."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base)
    sched = make(opt)
    stepped, closed = [], []
    for _ in range(n):
        stepped.append(opt.param_groups[0]["lr"])
        closed.append(sched._get_closed_form_lr()[0] if hasattr(sched, "_get_closed_form_lr") else None)
        opt.step()
        sched.step()
    return stepped, closed


def ours(schedule, n=EPOCHS, total=EPOCHS):
    lr0 = torch.tensor(LR, dtype=torch.float64)
    return [schedule.rate(lr0, t, total).tolist() for t in range(n)]


CASES = [
    ("multistep", dict(milestones=[2, 5, 7], gamma=0.1), lambda o: S.MultiStepLR(o, [2, 5, 7], gamma=0.1)),
    ("multistep", dict(milestones=[3], gamma=0.5), lambda o: S.MultiStepLR(o, [3], gamma=0.5)),
    ("cosine", dict(), lambda o: S.CosineAnnealingLR(o, T_max=EPOCHS)),
    ("cosine", dict(T_max=4, eta_min=0.001), lambda o: S.CosineAnnealingLR(o, T_max=4, eta_min=0.001)),
    ("warmup", dict(warmup=3, warmup_start=0.25), lambda o: S.LinearLR(o, start_factor=0.25, total_iters=3)),
    ("warmup", dict(warmup=4), lambda o: S.LinearLR(o, total_iters=4)),
]


@pytest.mark.parametrize("name, settings, make", CASES)
def test_each_schedule_is_torchs(name, settings, make):
    got = ours(configured(name, **settings))
    for g, base in enumerate(LR):
        stepped, closed = torch_rates(make, base)
        mine = [r[g] for r in got]
        assert mine == pytest.approx(stepped, rel=1e-6, abs=0)       # torch's recursive steps
        for t, (a, b) in enumerate(zip(mine, closed)):
            if t and name == "multistep":  # gamma^k of the closed form against k multiplications
                assert a == pytest.approx(b, rel=1e-15)
            elif b is not None:
                assert a == b, (t, a, b)                            # the closed form, bit for bit
        if name == "multistep":  # the rates the optimizer is given, float32: torch's exactly
            assert torch.equal(torch.tensor(mine).float(), torch.tensor(stepped).float())


@pytest.mark.parametrize("name, settings, main", [
    ("multistep", dict(milestones=[4, 6]), lambda o: S.MultiStepLR(o, [4, 6], gamma=0.1)),
    ("cosine", dict(), lambda o: S.CosineAnnealingLR(o, T_max=EPOCHS)),
])
def test_a_warmup_multiplies_the_schedule_as_torchs_chained_scheduler(name, settings, main):
    got = ours(configured(name, warmup=3, warmup_start=0.2, **settings))
    for g, base in enumerate(LR):
        stepped, _ = torch_rates(lambda o: S.ChainedScheduler([S.LinearLR(o, start_factor=0.2, total_iters=3),
                                                               main(o)]), base)
        assert [r[g] for r in got] == pytest.approx(stepped, rel=1e-6, abs=0)


def test_constant_is_the_grid_rate_and_never_set():
    c = LR_SCHEDULES["constant"]
    assert not c.varies and c.param_keys == () and c.configured({}, None) is c
    lr = torch.tensor(LR)
    rates = Rates(torch.tensor(LR, dtype=torch.float64), lr, c, None, 5, 3)
    assert all(rates.at(e, s) is None for e in range(3) for s in range(5))


def test_rates_are_set_only_where_they_change_per_epoch_or_per_step():
    lr = torch.tensor(LR)
    per_epoch = Rates(torch.tensor(LR, dtype=torch.float64), lr, configured("multistep", milestones=[1, 2]), None, 4, 3)
    set_at = [(e, s) for e in range(3) for s in range(4) if per_epoch.at(e, s) is not None]
    assert set_at == [(1, 0), (2, 0)]
    per_step = Rates(torch.tensor(LR, dtype=torch.float64), lr, configured("cosine", per="step"), None, 4, 3)
    rates = {(e, s): per_step.at(e, s) for e in range(3) for s in range(4)}
    assert rates[(0, 0)] is None  # cos(0) = 1: the optimizer's own rate
    for (e, s), r in rates.items():
        if (e, s) != (0, 0):
            t = 4 * e + s
            want = torch.tensor([0.0 + b * (1 + math.cos(math.pi * t / 12)) / 2 for b in LR]).float()
            assert torch.equal(r, want)


def test_the_losss_factor_multiplies_the_schedule_and_alone_is_as_before():
    """A loss's ``lr_factor`` (SparseVLR's decay) alone: ``hp["lr"] * factor`` as the trainer always
    set it; with a schedule, the product; a new round starts over."""
    lr = torch.tensor(LR)
    factor = lambda epoch, spe: 0.5 ** epoch  # noqa: E731
    alone = Rates(torch.tensor(LR, dtype=torch.float64), lr, LR_SCHEDULES["constant"], factor, 2, 3)
    assert alone.at(0, 0) is None and alone.at(0, 1) is None
    assert torch.equal(alone.at(1, 0), lr * 0.5) and torch.equal(alone.at(2, 0), lr * 0.25)
    alone.start_round()
    assert alone.at(0, 0) is None
    multistep = configured("multistep", milestones=[2], gamma=0.1)
    both = Rates(torch.tensor(LR, dtype=torch.float64), lr, multistep, factor, 2, 3)
    assert both.at(0, 0) is None
    assert torch.equal(both.at(2, 0), (torch.tensor(LR, dtype=torch.float64) * 0.1 * 0.25).float())


@pytest.mark.parametrize("name, settings, field", [
    ("multistep", {}, "train.lr_schedule.milestones"),
    ("warmup", {"warmup": 0}, "train.lr_schedule.warmup"),
    ("cosine", {"per": "batch"}, "train.lr_schedule.per"),
    ("cosine", {"T_min": 3}, "train.lr_schedule"),
])
def test_bad_settings_are_named(name, settings, field):
    bad = LR_SCHEDULES[name].check({"lr_schedule": settings})
    assert bad is not None and bad[0] == field
    with pytest.raises(ValueError):
        LR_SCHEDULES[name].configured({"lr_schedule": settings}, None)
    assert LR_SCHEDULES["constant"].check({"lr_schedule": settings}) is None


def test_the_trainer_sets_the_schedules_rates_where_they_change(monkeypatch):
    """Through ``train_grid``: an SGD method with ``multistep`` (milestones 1, 2; gamma 0.5) gets its
    rates set at the start of epochs 1 and 2 of every round, and nowhere else."""
    import numpy as np

    from conftest import blobs
    from holistic.data.stacked import stack_splits
    from holistic.methods import Method, model_grid
    from holistic.train.config import TrainConfig
    from holistic.train.loop import train_grid
    from holistic.train.optimizers.sgd import StackedSGD

    X, y = blobs(60, 4, 3, seed=2)
    idx = np.arange(60)
    data = stack_splits(X, y, {"test": idx[:10], "train": idx[10:40][None], "val": idx[40:][None]}, "minmax")
    seen, set_lr = [], StackedSGD.set_lr
    monkeypatch.setattr(StackedSGD, "set_lr", lambda self, lr: (seen.append(lr.tolist()), set_lr(self, lr)))
    method = Method(optimizer="sgd", lr_schedule="multistep")
    specs = model_grid(method, {"lr": [0.1, 0.02], "momentum": [0.9], "weight_decay": [0.0]}, 1)
    cfg = TrainConfig(epochs=3, batch_size=10, settings={"lr_schedule": {"milestones": [1, 2], "gamma": 0.5}})
    seen.clear()
    train_grid(data, method, specs, cfg, log=None)
    first = [torch.tensor([0.1, 0.02]).tolist()]  # the optimizer's own, at its construction
    assert seen == first + [pytest.approx([0.05, 0.01]), pytest.approx([0.025, 0.005])]
