"""Per-round checkpoints every K optimizer steps (``train.select_every_steps`` with a procedure of
``round_results``, issue 33): the validation runs after the round's steps K, 2K, ... and its
last step, the kept checkpoint is the weights after its recorded step, exactly, and a model is
the same alone as in a stack."""

import io
import math

import numpy as np
import pytest
import torch

from conftest import blobs
from holistic.data.stacked import stack_splits
from holistic.jobs.train import saved_models
from holistic.methods import Method, model_grid
from holistic.models import MODELS
from holistic.procedures import PROCEDURES
from holistic.procedures.imp import DEFAULTS, IterativeMagnitudePruning
from holistic.train import loop
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid
from holistic.train.pieces import Hooks, piece_settings
from holistic.train.resume import Checkpoint
from holistic.train.validation import candidate_steps

NET = "lenet300-nobias"
SHAPE = (1, 6, 6)
SPE, EPOCHS = 4, 3  # 64 training rows at batch 16: 4 steps an epoch, 12 a round
T = SPE * EPOCHS


def images(n=120, k=3):
    X, y = blobs(n, 36, k)
    idx = np.arange(n)
    pixels = np.round(255 * np.clip(X, 0, 1)).astype(np.uint8).reshape(n, *SHAPE)
    return stack_splits(pixels, y, {"test": idx[:24], "train": np.stack([idx[24:88], idx[56:120]]),
                                    "val": np.stack([idx[88:], idx[24:56]])}, "minmax")


class Snapshots(IterativeMagnitudePruning):
    """``imp`` that copies the weights the network uses after every optimizer step."""

    snaps: list = []

    def configured(self, settings, box=None):
        return Snapshots(**piece_settings(settings, "imp", DEFAULTS))

    def after_step(self, params, state, hp, final):
        self.snaps.append({n: e.clone() for n, e in self.effective(params, state, hp, final, 0, 0)[0].items()})


@pytest.fixture
def snapshots(monkeypatch):
    Snapshots.snaps = []
    monkeypatch.setitem(PROCEDURES, "imp-snapshots", Snapshots())
    return Snapshots.snaps


def config(every, prunes=2, early_stopping="val_loss"):
    return TrainConfig(epochs=EPOCHS, batch_size=16, select_every_steps=every,
                       settings={"imp": {"prunes": prunes, "early_stopping": early_stopping}})


def run(every, procedure="imp", prunes=2, lrs=(0.01,), splits=2, early_stopping="val_loss", specs=None):
    method = Method(model=NET, procedure=procedure)
    specs = specs or model_grid(method, {"lr": list(lrs)}, splits)
    return train_grid(images(), method, specs, config(every, prunes, early_stopping), log=None), specs


def val_loss(params, specs):
    """Mean cross-entropy [G] (float64) of ``params`` on each model's validation rows."""
    data = images()
    split = torch.tensor([s.split for s in specs])
    z = MODELS[NET].forward(params, data.X_val[split])[0]
    ce = torch.logsumexp(z, -1) - z.gather(2, data.y_val[split].unsqueeze(-1)).squeeze(-1)
    return ce.double().mean(1)


@pytest.mark.parametrize("every, steps", [(3, [3, 6, 9, 12]), (5, [5, 10, 12]), (8, [8, 12]), (20, [12])])
def test_the_round_is_validated_after_every_kth_step_and_after_its_last(monkeypatch, every, steps):
    """K dividing the round (3) or not (5, 8: the round's end is one more candidate; 20 > the round)."""
    assert candidate_steps(T, SPE, every) == steps and len(steps) == math.ceil(T / every)
    seen, validate_round = [], loop.validate_round

    def counted(g, step, eff, hp):
        seen.append((g.steps, step))  # g.steps: the optimizer steps taken so far, all rounds
        validate_round(g, step, eff, hp)

    monkeypatch.setattr(loop, "validate_round", counted)
    res, _ = run(every)
    assert seen == [(r * T + s, s) for r in range(3) for s in steps]  # after the step, never before
    for rec in res.rounds:
        assert rec["val_loss_curve"].shape == rec["val_accuracy_curve"].shape == (len(steps), 2)
        assert torch.equal(rec["stop_step"], torch.tensor(steps)[rec["val_loss_curve"].argmin(dim=0)])
        assert torch.equal(rec["best_epoch"], (rec["stop_step"] - 1) // SPE)
    assert res.val_curve.shape == (EPOCHS, 2)  # the final round's curve: still one point an epoch


@pytest.mark.parametrize("every, steps", [(1, list(range(1, T + 1))), (5, [5, 10, 12])])
def test_the_kept_checkpoint_is_the_weights_after_its_recorded_step(snapshots, every, steps):
    """Brute force: every candidate step's weights (copied after each step) re-evaluated; the
    round's curve is their losses, its checkpoint the weights after the step of the lowest."""
    res, specs = run(every, procedure="imp-snapshots", lrs=(0.1, 0.2), splits=1)  # fast: stops before the end
    assert len(snapshots) == 3 * T
    for r, rec in enumerate(res.rounds):
        after = snapshots[r * T:(r + 1) * T]  # after[s - 1]: the weights after the round's step s
        losses = torch.stack([val_loss(after[s - 1], specs) for s in steps])
        assert torch.allclose(losses, rec["val_loss_curve"], rtol=1e-12, atol=1e-12)
        for g in range(len(specs)):
            stop = int(rec["stop_step"][g])
            assert stop == steps[int(losses[:, g].argmin())]
            assert all(torch.equal(rec["params"][n][g], after[stop - 1][n][g]) for n in rec["params"])
    stops = torch.cat([rec["stop_step"] for rec in res.rounds]).tolist()
    assert any(s % SPE for s in stops)  # some checkpoint within an epoch: (best_epoch + 1) * 4 would miss it
    ticket = saved_models(res, specs)[3]  # the round models' specs: what the lth study reads
    assert [s.stop_step for s in ticket] == stops


def test_the_final_rounds_epoch_curve_is_the_accuracy_at_each_epochs_end(snapshots):
    res, specs = run(5, procedure="imp-snapshots", lrs=(0.1, 0.2), splits=1)  # accuracy still moving
    data = images()
    split = torch.tensor([s.split for s in specs])
    final = snapshots[2 * T:]
    for e in range(EPOCHS):
        acc = (MODELS[NET].predict(final[(e + 1) * SPE - 1], data.X_val[split]) == data.y_val[split]).double().mean(1)
        assert torch.equal(res.val_curve[e], acc)
    assert torch.equal(res.val_curve[-1], res.rounds[-1]["val_accuracy_curve"][-1])  # step 12: both


def test_k_of_one_epoch_is_selection_at_epoch_ends_bit_for_bit():
    by_steps, _ = run(SPE, splits=1)
    by_epochs, _ = run(None, splits=1)
    assert torch.equal(by_steps.val_curve, by_epochs.val_curve)
    for a, b in zip(by_steps.rounds, by_epochs.rounds, strict=True):
        assert a.keys() == b.keys()
        for k in a:
            pairs = [(a[k][n], b[k][n]) for n in a[k]] if isinstance(a[k], dict) else [(a[k], b[k])]
            assert all(torch.equal(x, y) for x, y in pairs), k


@pytest.mark.parametrize("early_stopping", ["val_loss", "last"])
def test_a_model_alone_is_the_same_as_in_a_stack_of_three(early_stopping):
    stack, specs = run(5, lrs=(0.01, 0.1, 0.2), splits=1, early_stopping=early_stopping)
    assert len(specs) == 3
    for g, spec in enumerate(specs):
        alone, _ = run(5, specs=[spec], early_stopping=early_stopping)
        for a, b in zip(stack.rounds, alone.rounds, strict=True):
            for k in a:
                if isinstance(a[k], dict):
                    assert all(torch.equal(a[k][n][g], b[k][n][0]) for n in a[k]), k
                else:
                    assert torch.equal(a[k][..., g], b[k][..., 0]), k
        if early_stopping == "last":
            assert all(int(r["stop_step"][0]) == T for r in alone.rounds)  # the round's last step


def test_steps_are_refused_only_for_selection_last_without_round_results():
    Hooks(round_results=True, selection="val_loss").check_selection(5)
    Hooks(round_results=True, selection="last").check_selection(5)
    Hooks().check_selection(5)
    with pytest.raises(ValueError, match="select_every_steps"):
        Hooks(selection="last").check_selection(5)


class Killed(Exception):
    pass


def test_a_training_stopped_after_a_round_resumes_to_the_same_bits(tmp_path):
    whole, specs = run(5)
    ckpt = Checkpoint(tmp_path / "imp.resume", {"job": "imp"})

    def save_and_die(st):
        ckpt.save_round(0, st)
        raise Killed

    with pytest.raises(Killed):
        train_grid(images(), Method(model=NET, procedure="imp"), specs, config(5), log=None, on_round=save_and_die)
    resumed = train_grid(images(), Method(model=NET, procedure="imp"), specs, config(5), log=None,
                         resume=ckpt.load()[1][1])
    for a, b in zip(whole.rounds, resumed.rounds, strict=True):
        assert all(torch.equal(a[k], b[k]) for k in a if k not in ("params", "state"))
        assert all(torch.equal(a["params"][n], b["params"][n]) for n in a["params"])


def test_the_log_reports_epochs_before_the_rounds_first_candidate():
    log = io.StringIO()
    method = Method(model=NET, procedure="imp")
    train_grid(images(), method, model_grid(method, {"lr": [0.01]}, 1), config(20), log=log)
    assert "round 1/3 epoch 1/3" in log.getvalue() and "round 3/3 epoch 3/3 mean val loss" in log.getvalue()
