"""The generic loop's optional hooks: per-step hyperparameters (the certified loss's eps_t),
learning-rate decay, gradient clipping, the ``last`` selection, chunked traces, procedures that
start from a source model, noise-injected models (deterministic, grid == alone, resumable)."""

from functools import partial

import numpy as np
import pytest
import torch

from conftest import blobs
from holistic.data.stacked import stack_splits
from holistic.methods import Method, model_grid
from holistic.models import MODELS
from holistic.models.residual import ResidualStack
from holistic.models.resmlp import en_resmlp
from holistic.objectives.certified import Certified
from holistic.objectives.eps_schedule import EpsSchedule
from holistic.procedures.single import Single
from holistic.train.adam import StackedAdam
from holistic.train.chunks import train_in_chunks
from holistic.train.clip import grad_norms
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid
from holistic.train.resume import Checkpoint

SMALL_MLP = MODELS["mlp"].__class__(hidden=(8, 8))


@pytest.fixture(scope="module")
def data():
    X, y = blobs(100, 4, 3, seed=3)
    idx = np.random.default_rng(0).permutation(100)
    splits = {"test": idx[:20], "train": np.stack([idx[20:60], idx[40:80]]), "val": np.stack([idx[60:], idx[:40]])}
    return stack_splits(X, y, splits, "minmax")


@pytest.fixture
def small_mlp(monkeypatch):
    monkeypatch.setitem(MODELS, "mlp", SMALL_MLP)


def certified(settings, epochs=3):
    return TrainConfig(epochs=epochs, batch_size=20, settings={"certified": settings})


def test_eps_follows_the_smoothed_schedule_during_training(monkeypatch, data, small_mlp):
    seen, per_sample = [], Certified.per_sample

    def recording(self, model, params, x, y, hp, out, reference=False):
        if params["W0"].requires_grad:  # a training step, not the validation
            seen.append(self.eps_t(hp, x.shape[0]))
        return per_sample(self, model, params, x, y, hp, out, reference)

    monkeypatch.setattr(Certified, "per_sample", recording)
    method = Method(loss="certified_ibp")
    specs = model_grid(method, {"lr": [0.01, 0.003]}, 1)
    settings = {"eps": 0.1, "schedule": "smoothed", "start": 1, "length": 2, "mid": 0.5}
    res = train_grid(data, method, specs, certified(settings), log=None)
    schedule, spe = EpsSchedule(0.1, "smoothed", 1, 2, 0.5), 2
    expected = [[schedule.eps(e, s, spe)] * 2 for e in range(3) for s in range(spe)]
    assert seen == expected and len(set(e[0] for e in seen)) == 5  # 0, the ramp, eps_max
    assert res.steps == 6 and torch.isfinite(res.params["W0"]).all()
    assert (res.best_epoch == 2).all()  # the certified loss keeps the last epoch


@pytest.mark.parametrize("n", [8, 50_000])  # the flat path and the _foreach path
def test_set_lr_changes_the_step_size_and_the_same_rate_no_bit(n):
    def run(lr_after):
        p = torch.linspace(-1, 1, 2 * n).view(2, n).clone()
        opt = StackedAdam([p], torch.tensor([0.1, 0.01]))
        for t in range(3):
            if t == 1 and lr_after is not None:
                opt.set_lr(lr_after)
            p.grad = torch.cos(p * (t + 1))
            opt.step()
        return p

    same, plain = run(torch.tensor([0.1, 0.01])), run(None)
    assert torch.equal(same, plain)
    halved = run(torch.tensor([0.05, 0.01]))
    assert not torch.equal(halved[0], plain[0]) and torch.equal(halved[1], plain[1])


def test_lr_decay_sets_the_factor_per_epoch_and_a_factor_of_one_changes_nothing(monkeypatch, data, small_mlp):
    factors, set_lr = [], StackedAdam.set_lr
    monkeypatch.setattr(StackedAdam, "set_lr",
                        lambda self, lr: (factors.append((lr / self.base).tolist()), set_lr(self, lr)))
    init = StackedAdam.__init__
    monkeypatch.setattr(StackedAdam, "__init__", lambda self, params, lr, **kw: (setattr(self, "base", lr),
                                                                               init(self, params, lr, **kw))[1])
    method = Method(loss="certified_ibp")
    specs = model_grid(method, {"lr": [0.01]}, 2)
    base = {"eps": 0.05, "schedule": "fixed"}
    decayed = train_grid(data, method, specs, certified({**base, "lr_decay": {"step_size": 1, "gamma": 0.5}}), log=None)
    assert factors == [pytest.approx([0.5, 0.5]), pytest.approx([0.25, 0.25]), pytest.approx([0.125, 0.125])]
    factors.clear()
    never = train_grid(data, method, specs, certified({**base, "lr_decay": {"step_size": 100, "gamma": 0.5}}), log=None)
    off = train_grid(data, method, specs, certified({**base, "lr_decay": None}), log=None)
    assert factors == []
    for n, p in off.params.items():
        assert torch.equal(p, never.params[n]) and not torch.equal(p, decayed.params[n])


def test_clipping_bounds_every_models_gradient_norm(monkeypatch, data, small_mlp):
    norms, step = [], StackedAdam.step
    monkeypatch.setattr(StackedAdam, "step", lambda self: (norms.append(grad_norms([p.grad for p in self.params])),
                                                           step(self)))
    method = Method(loss="certified_ibp")
    specs = model_grid(method, {"lr": [0.01, 0.001]}, 2)
    base = {"eps": 0.05, "schedule": "fixed"}
    train_grid(data, method, specs, certified(base, epochs=1), log=None)
    assert max(float(n.max()) for n in norms) > 0.01  # unclipped: above the bound below
    norms.clear()
    clipped = train_grid(data, method, specs, certified({**base, "clip_grad_norm": 0.01}, epochs=1), log=None)
    assert len(norms) == 2 and all(float(n.max()) <= 0.01 * (1 + 1e-5) for n in norms)
    alone = train_grid(data, method, specs[1:2], certified({**base, "clip_grad_norm": 0.01}, epochs=1), log=None)
    assert all(torch.equal(p[1], alone.params[n][0]) for n, p in clipped.params.items())  # per model


def test_selection_last_keeps_the_final_weights(monkeypatch, data):
    final = {}
    monkeypatch.setattr(Single, "end_epoch", lambda self, params, state, hp, epoch, f, trace: final.update(
        {n: p.detach().clone() for n, p in params.items()}), raising=False)
    method = Method()
    specs = model_grid(method, {"lr": [0.05, 0.001]}, 2)
    cfg = TrainConfig(epochs=4, batch_size=20)
    best = train_grid(data, method, specs, cfg, log=None)
    monkeypatch.setattr(Single, "selection", "last", raising=False)
    last = train_grid(data, method, specs, cfg, log=None)
    assert (last.best_epoch == 3).all() and torch.equal(last.best_val_accuracy, last.val_curve[-1])
    assert all(torch.equal(last.params[n], final[n]) for n in final)
    assert torch.equal(last.val_curve, best.val_curve)  # the same training, another checkpoint


def dense_source(data, specs):
    """A dense model per spec (the DL model of the spec's split), stacked in the specs' order."""
    dl = Method()
    dense_specs = model_grid(dl, {"lr": [0.01]}, 2)
    res = train_grid(data, dl, dense_specs, TrainConfig(epochs=2, batch_size=20), log=None)
    return {n: torch.stack([v[s.split] for s in specs]) for n, v in res.params.items()}


def test_chunked_traces_equal_the_unchunked(data, small_mlp):
    method = Method(procedure="dynamic_sparse")
    specs = model_grid(method, {"lr": [0.01, 0.003], "target_sparsity": [50.0, 80.0]}, 2)
    cfg = TrainConfig(epochs=2, batch_size=20)
    whole = train_grid(data, method, specs, cfg, log=None)
    chunked = train_in_chunks(data, method, specs, cfg, budget_mb=0.003, log=None)  # one model a chunk
    assert {k for k in whole.extra if k.startswith("sparse_")} >= {"sparse_gradient_flow", "sparse_seed_histogram",
                                                                     "sparse_weight_histogram"}
    assert chunked.extra == whole.extra and len(whole.extra["sparse_gradient_flow"][0]) == len(specs)
    assert all(torch.equal(p, chunked.params[n]) for n, p in whole.params.items())


def test_pm_seeded_dynamic_sparse_trains_from_its_source(data, small_mlp):
    method = Method(procedure="dynamic_sparse_pm")
    specs = model_grid(method, {"lr": [0.01], "target_sparsity": [50.0, 80.0]}, 2)
    cfg = TrainConfig(epochs=2, batch_size=20)
    with pytest.raises(ValueError, match="source model"):
        train_grid(data, method, specs, cfg, log=None)
    source = dense_source(data, specs)
    res = train_grid(data, method, specs, cfg, log=None, source=source)
    prunable = SMALL_MLP.prunable(source)
    pm_l1 = [sum(float(source[n][g].double().abs().sum()) for n in prunable) for g in range(len(specs))]
    assert res.extra["round_start_weight_sums"][0] != pytest.approx(pm_l1)  # pruned: less than the dense L1
    kept = torch.tensor([sum(int((source[n][g] != 0).sum()) for n in prunable) for g in range(len(specs))])
    zeros = torch.tensor([sum(int((res.params[n][g] == 0).sum()) for n in prunable) for g in range(len(specs))])
    assert (zeros > 0).all() and (zeros < kept).all()
    alone = train_grid(data, method, specs[3:], cfg, log=None, source={n: v[3:] for n, v in source.items()})
    assert all(torch.equal(p[3], alone.params[n][0]) for n, p in res.params.items())
    chunked = train_in_chunks(data, method, specs, cfg, budget_mb=0.003, log=None, source=source)
    assert all(torch.equal(p, chunked.params[n]) for n, p in res.params.items())
    with pytest.raises(ValueError, match="takes no source"):
        train_grid(data, Method(), model_grid(Method(), {"lr": [0.01]}, 1), cfg, log=None, source=source)


@pytest.fixture
def tiny_en2(monkeypatch):
    monkeypatch.setitem(MODELS, "en2-resmlp", ResidualStack(partial(en_resmlp, n=2, blocks=1, width=8)))


def test_a_noisy_ensemble_trains_deterministically_alone_as_in_the_grid_and_resumes(tmp_path, data, tiny_en2):
    method = Method(procedure="continuous_sparsification", model="en2-resmlp")
    specs = model_grid(method, {"lr": [0.01, 0.003], "lambda": [1e-6], "beta_bar": [200.0]}, 2)
    cfg = TrainConfig(epochs=2, batch_size=20, rounds=2)
    assert MODELS["en2-resmlp"].noisy((4,), 3) and not MODELS["resmlp"].noisy((4,), 3)
    ckpt = Checkpoint(tmp_path / "en2.resume")  # the state after round 1, written as a killed job would
    first = train_grid(data, method, specs, cfg, log=None, on_round=lambda st: ckpt.save_round(0, st))
    second = train_grid(data, method, specs, cfg, log=None)
    alone = train_grid(data, method, specs[2:3], cfg, log=None)
    for n, p in first.params.items():
        assert torch.equal(p, second.params[n]) and torch.equal(p[2], alone.params[n][0]), n
    assert torch.equal(first.val_curve, second.val_curve)
    # the noise goes on from the saved generators: through the checkpoint file, to the same bits
    _, (chunk, state) = ckpt.load()
    assert chunk == 0 and len(state.noise) == len(specs)
    resumed = train_grid(data, method, specs, cfg, log=None, resume=state)
    for n, p in first.params.items():
        assert torch.equal(p, resumed.params[n]), n
    assert torch.equal(first.val_curve, resumed.val_curve)
