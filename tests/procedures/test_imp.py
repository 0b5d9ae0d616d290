"""Iterative magnitude pruning (Cosentino et al. Sec. 4.1-4.2): per-layer rates, P_m of the paper,
masks that never regrow, exact zeros, the three resets, one checkpoint per round, resume."""

import numpy as np
import pytest
import torch

from conftest import blobs
from holistic.data.stacked import stack_splits
from holistic.methods import Method, model_grid
from holistic.models import MODELS
from holistic.procedures import PROCEDURES
from holistic.procedures.imp import DEFAULTS, IterativeMagnitudePruning
from holistic.procedures.layer_pruning import kept_percent, masked
from holistic.train.chunks import model_bytes, train_in_chunks
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid
from holistic.train.pieces import piece_settings
from holistic.train.seeds import round_seed
from holistic.train.resume import Checkpoint

NET = "lenet300-nobias"
SHAPE = (1, 6, 6)  # a small image: LeNet-300-100 (36-300-100-3) trains in milliseconds


def images(n=120, k=3):
    X, y = blobs(n, 36, k)
    idx = np.arange(n)
    pixels = np.round(255 * np.clip(X, 0, 1)).astype(np.uint8).reshape(n, *SHAPE)
    return stack_splits(pixels, y, {"test": idx[:24], "train": np.stack([idx[24:88], idx[56:120]]),
                                    "val": np.stack([idx[88:], idx[24:56]])}, "minmax")


class Recording(IterativeMagnitudePruning):
    """``imp`` that keeps what the network uses at the first step of every round (its masks too)."""

    starts: list = []

    def configured(self, settings, box=None):
        return Recording(**piece_settings(settings, "imp", DEFAULTS))

    def effective(self, params, state, hp, final, t, T):
        eff, penalty = super().effective(params, state, hp, final, t, T)
        if t == 0 and torch.is_grad_enabled():  # a training step, not a validation
            self.starts.append(({n: e.detach().clone() for n, e in eff.items()},
                                {n: m.clone() for n, m in state["masks"].items()}))
        return eff, penalty


@pytest.fixture
def recorded(monkeypatch):
    Recording.starts = []
    monkeypatch.setitem(PROCEDURES, "imp-recording", Recording())
    return Recording.starts


def run(reset, prunes=3, on_round=None, resume=None, procedure="imp-recording", data=None):
    method = Method(model=NET, procedure=procedure)
    specs = model_grid(method, {"lr": [0.01]}, 2)
    cfg = TrainConfig(epochs=2, batch_size=16, settings={"imp": {"prunes": prunes, "reset": reset}})
    return train_grid(data or images(), method, specs, cfg, log=None, on_round=on_round, resume=resume), specs


def theta0(specs, r=0):
    """The initial weights of round r's fresh draw (round 0: the training's own initialisation)."""
    return MODELS[NET].init(SHAPE, 3, [torch.Generator().manual_seed(round_seed(0, s.split, r)) for s in specs])


def test_kept_share_of_lenet300_without_biases_is_the_papers():
    """P_m after k prunes at 20 / 20 / 10 % (784*300 + 300*100 + 100*10 weights): round(s n) per layer."""
    imp = IterativeMagnitudePruning()
    params = MODELS[NET].init((1, 28, 28), 10, [torch.Generator().manual_seed(0)])
    state = imp.init_state(params, MODELS[NET].prunable(params))
    assert [m.sum().item() for m in state["masks"].values()] == [784 * 300, 300 * 100, 100 * 10]
    shares = {}
    for k in range(1, 19):
        imp.after_round(params, state, {}, k - 1, False, {})
        shares[k] = round(kept_percent(list(state["masks"].values())).item(), 2)
        if k == 1:  # each layer at its own rate, the output layer at 10 %
            assert [m.sum().item() for m in state["masks"].values()] == [188_160, 24_000, 900]
    assert [shares[k] for k in (3, 8, 11, 15, 18)] == [51.28, 16.88, 8.68, 3.58, 1.85]


def test_init_reset_rewinds_the_survivors_to_their_initial_values_bit_for_bit(recorded):
    res, specs = run("init")
    init = theta0(specs)
    assert len(recorded) == 4 and len(res.rounds) == 4  # the dense training, then one round per prune
    previous = None
    for r, (eff, masks) in enumerate(recorded):
        for n, w in init.items():
            assert torch.equal(eff[n], torch.where(masks[n], w, 0.0))     # theta_0 where kept, exactly 0 elsewhere
            if previous is not None:
                assert not (masks[n] & ~previous[n]).any()                # never regrows
                assert (masks[n] != previous[n]).any()                    # every prune prunes
        assert torch.equal(res.rounds[r]["kept_percent"], kept_percent(list(masks.values())))
        for n in masks:  # the round's model: pruned weights exactly zero
            assert (res.rounds[r]["params"][n][~masks[n]] == 0).all()
        previous = masks
    assert all(torch.equal(res.params[n], res.rounds[-1]["params"][n]) for n in res.params)
    assert torch.allclose(res.rounds[-1]["kept_percent"], torch.tensor(2 * [51.36], dtype=torch.float64), atol=0.01)


def test_random_reset_draws_anew_and_continue_goes_on_from_the_trained_weights(recorded):
    _, specs = run("random")
    for r, (eff, masks) in enumerate(recorded):
        fresh = theta0(specs, r)
        assert all(torch.equal(eff[n], masked(w, masks[n])) for n, w in fresh.items())
    assert not torch.equal(recorded[1][0]["1.weight"], masked(theta0(specs)["1.weight"], recorded[1][1]["1.weight"]))

    recorded.clear()
    trained = []
    run("continue", on_round=lambda st: trained.append({n: p.detach().clone() for n, p in st.params.items()}))
    for (eff, masks), before in zip(recorded[1:], trained):
        assert all(torch.equal(eff[n], masked(before[n], masks[n])) for n in before)


def test_each_round_keeps_its_checkpoint_of_lowest_validation_loss():
    res, specs = run("init", procedure="imp")
    data = images()
    split = torch.tensor([s.split for s in specs])
    for rec in res.rounds:
        assert torch.equal(rec["val_loss"], rec["val_loss_curve"].min(dim=0).values)
        assert torch.equal(rec["best_epoch"], rec["val_loss_curve"].argmin(dim=0))
        assert torch.equal(rec["stop_step"], (rec["best_epoch"] + 1) * 4)  # 64 rows, batch 16: 4 steps an epoch
        z = MODELS[NET].forward(rec["params"], data.X_val[split])[0]    # the loss of the kept weights
        ce = torch.logsumexp(z, -1) - z.gather(2, data.y_val[split].unsqueeze(-1)).squeeze(-1)
        assert torch.allclose(ce.double().mean(1), rec["val_loss"])
    assert torch.equal(res.best_val_accuracy, res.rounds[-1]["val_accuracy"])
    assert torch.equal(res.val_curve, res.rounds[-1]["val_accuracy_curve"])


class Killed(Exception):
    pass


def test_a_training_stopped_after_a_round_resumes_to_the_same_bits(tmp_path):
    whole, _ = run("init", procedure="imp")
    ckpt = Checkpoint(tmp_path / "imp.resume", {"job": "imp"})

    def save_and_die(st):
        ckpt.save_round(0, st)
        if st.round == 2:
            raise Killed

    with pytest.raises(Killed):
        run("init", procedure="imp", on_round=save_and_die)
    _, (chunk, state) = ckpt.load()
    assert state.round == 2 and len(state.rounds) == 2 and state.initial is not None
    resumed, _ = run("init", procedure="imp", resume=state)
    assert all(torch.equal(whole.params[n], resumed.params[n]) for n in whole.params)
    for a, b in zip(whole.rounds, resumed.rounds, strict=True):
        assert all(torch.equal(a[k], b[k]) for k in a if k not in ("params", "state"))
        assert all(torch.equal(a["params"][n], b["params"][n]) for n in a["params"])


def test_chunks_never_change_the_rounds():
    method, data = Method(model=NET, procedure="imp"), images()
    specs = model_grid(method, {"lr": [0.01, 0.001]}, 1)
    cfg = TrainConfig(epochs=1, batch_size=16, settings={"imp": {"prunes": 2, "reset": "random"}})
    one = model_bytes(MODELS[NET], data.input_shape, data.k, data.X_val.shape[1], cfg.batch_size) / 2**20
    whole = train_in_chunks(data, method, specs, cfg, budget_mb=1e6, log=None)
    chunked = train_in_chunks(data, method, specs, cfg, budget_mb=1.5 * one, log=None)  # one model a chunk
    assert len(whole.rounds) == len(chunked.rounds) == 3
    assert whole.rounds[0]["val_loss_curve"].shape == (1, 2)  # [epochs, G]
    for a, b in zip(whole.rounds, chunked.rounds):
        assert a.keys() == b.keys()
        for k in a:
            pairs = [(a[k][n], b[k][n]) for n in a[k]] if isinstance(a[k], dict) else [(a[k], b[k])]
            assert all(torch.equal(x, y) for x, y in pairs), k


def test_rounds_are_selected_at_epoch_ends_or_every_k_steps():
    """select_every_steps = 3, 4 steps a round: after steps 3 and 4 (the round's last; more in
    tests/train/test_round_checkpoint_steps.py)."""
    method = Method(model=NET, procedure="imp")
    cfg = TrainConfig(epochs=1, batch_size=16, select_every_steps=3, settings={"imp": {"prunes": 1}})
    res = train_grid(images(), method, model_grid(method, {"lr": [0.01]}, 1), cfg, log=None)
    assert [tuple(r["val_loss_curve"].shape) for r in res.rounds] == [(2, 1), (2, 1)]
