"""The grid trainer: checkpoint selection, determinism, per-model independence, model files."""

import numpy as np
import pytest
import torch

from conftest import blobs, hdl
from holistic.checkpoint import load_models, save_models
from holistic.data.stacked import stack_splits
from holistic.errors import DataError
from holistic.methods import Method, model_grid
from holistic.models import MODELS
from holistic.studies.hdl.methods import METHODS
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid
from holistic.train.schedule import epochs_per_round
from holistic.train.validation import accuracy

GRID = {"lr": [0.01, 0.001], "rho": [0.1], "lambda": [1e-6], "beta_bar": [200.0], "a": [0.8]}


@pytest.fixture(scope="module")
def data():
    X, y = blobs(200, 5, 3, seed=2)
    idx = np.random.default_rng(1).permutation(200)
    test, rest = idx[:40], idx[40:]
    splits = {"test": test, "train": np.stack([rest[:120], rest[40:]]), "val": np.stack([rest[120:], rest[:40]])}
    return stack_splits(X, y, splits, "minmax")


def test_grid_axes_are_derived_from_the_pieces():
    assert hdl("DL").axes() == ["lr"]
    assert hdl("HDL").axes() == ["lr", "rho", "a", "lambda", "beta_bar"]
    assert Method(loss="robust_linear").axes() == ["lr", "rho"]
    paper = {"lr": [1e-2, 1e-3], "rho": [1e-1, 1e-2, 1e-3, 1e-4, 1e-5], "lambda": [1e-6, 1e-8, 1e-10],
             "beta_bar": [200, 1000], "a": [0.7, 0.8, 0.9, 1]}
    assert len(hdl("HDL").expand_grid(paper)) == 240  # the paper's largest grid
    assert len(hdl("Stable+Robust").expand_grid(paper)) == 40
    assert len(model_grid(hdl("Sparse"), paper, 10)) == 12 * 10


def test_params_keys_of_a_method_are_derived_from_its_pieces():
    keys = hdl("Robust+Sparse").param_keys()
    assert "train.grid.rho" in keys and "train.grid.lambda" in keys and "train.sparsity" in keys
    assert "train.grid.a" not in keys
    assert "train.sparsity" not in hdl("Stable+Robust").param_keys()
    assert "train.memory_budget_mb" not in keys  # chunking never changes a result


def test_step_cap_shortens_only_rounds_that_would_exceed_it():
    # skin-segmentation under the uci profile: 156,836 training rows, batch 32 -> 4,901 steps an epoch
    assert epochs_per_round(10, 156_836, 32, 10_000) == 2
    assert epochs_per_round(10, 16_006, 32, 10_000) == 10   # poker-hand: 5,010 steps in 10 epochs
    assert epochs_per_round(10, 156_836, 32, None) == 10     # no cap: train.epochs as given
    assert epochs_per_round(10, 1_000_000, 32, 10) == 1       # never below one whole epoch


def test_published_step_floor_lengthens_only_short_rounds():
    # iris under the published split: 96 training rows, batch 64 -> 2 steps an epoch
    assert epochs_per_round(150, 96, 64, None, 3000) == 1500
    assert epochs_per_round(150, 96, 64, None, None) == 150
    assert epochs_per_round(150, 10_000, 64, None, 3000) == 150    # 157 steps an epoch: already above
    assert epochs_per_round(150, 96, 64, 1000, 3000) == 500        # the cap, applied last, wins


def test_published_checkpoint_selection_sees_only_every_kth_step(data):
    """select_every_steps = 16 with 8 steps an epoch: only the weights before steps 0, 16 and 32
    (after 0, 2 and 4 epochs) are candidates, never those of epochs 1, 3, 5 or the last step."""
    specs = model_grid(hdl("DL"), GRID, 2)
    res = train_grid(data, hdl("DL"), specs, TrainConfig(epochs=6, batch_size=16, select_every_steps=16), log=None)
    assert res.val_curve.shape[0] == 6                         # the curve is still recorded per epoch
    assert set(res.best_epoch.tolist()) <= {-1, 1, 3}          # -1: the initial weights
    for g, e in enumerate(res.best_epoch.tolist()):
        seen = res.val_curve[[1, 3], g].max()
        assert res.best_val_accuracy[g] == (res.val_curve[e, g] if e >= 0 else res.best_val_accuracy[g])
        assert res.best_val_accuracy[g] >= seen and (e >= 0 or res.best_val_accuracy[g] > seen)
    split = torch.tensor([s.split for s in specs])
    assert torch.allclose(accuracy(MODELS["mlp"], res.params, data.X_val[split], data.y_val[split]),
                          res.best_val_accuracy)
    # the training itself is unchanged: the same steps as selection at every epoch
    every_epoch = train_grid(data, hdl("DL"), specs, TrainConfig(epochs=6, batch_size=16), log=None)
    assert torch.equal(every_epoch.val_curve, res.val_curve)


def test_training_steps_follow_the_capped_epochs(data):
    specs = model_grid(hdl("DL"), GRID, 2)
    n_train = data.X_train.shape[1]                          # 120 rows: 8 steps an epoch at batch 16
    epochs = epochs_per_round(6, n_train, 16, 20)
    res = train_grid(data, hdl("DL"), specs, TrainConfig(epochs=epochs, batch_size=16), log=None)
    assert epochs == 2 and res.steps == 16 and res.val_curve.shape[0] == 2


def test_each_model_is_kept_at_its_best_validation_accuracy(data):
    specs = model_grid(hdl("DL"), GRID, 2)
    res = train_grid(data, hdl("DL"), specs, TrainConfig(epochs=6, batch_size=16), log=None)
    assert torch.equal(res.best_val_accuracy, res.val_curve.max(dim=0).values)
    first_best = res.val_curve.argmax(dim=0)  # first epoch reaching the maximum
    assert torch.equal(res.best_epoch, first_best)
    split = torch.tensor([s.split for s in specs])
    assert torch.allclose(accuracy(MODELS["mlp"], res.params, data.X_val[split], data.y_val[split]), res.best_val_accuracy)


@pytest.mark.parametrize("method", list(METHODS))
def test_training_is_deterministic_and_models_are_independent(data, method):
    cfg = TrainConfig(epochs=2, batch_size=16, rounds=1)
    specs = model_grid(hdl(method), GRID, 2)
    a = train_grid(data, hdl(method), specs, cfg, log=None)
    b = train_grid(data, hdl(method), specs, cfg, log=None)
    assert all(torch.equal(x, y) for x, y in zip(a.params.values(), b.params.values()))  # bitwise on rerun
    # the last model trained alone equals the same model trained in the grid
    alone = train_grid(data, hdl(method), specs[-1:], cfg, log=None)
    for w_grid, w_alone in zip(a.params.values(), alone.params.values()):
        assert torch.allclose(w_grid[-1], w_alone[0], atol=1e-5)


def test_model_file_round_trip_and_bad_file(data, tmp_path):
    specs = model_grid(hdl("Robust"), GRID, 2)
    res = train_grid(data, hdl("Robust"), specs, TrainConfig(epochs=1, batch_size=32), log=None)
    path = tmp_path / "m.safetensors"
    save_models(path, res.params, res.state, {"best_epoch": res.best_epoch}, specs,
                {"dataset": "blobs", "method": "Robust"})
    params, specs2, meta = load_models(path)
    assert specs2 == specs and meta == {"dataset": "blobs", "method": "Robust"}
    assert list(params) == list(res.params)
    assert all(torch.equal(params[n], res.params[n]) for n in params)
    assert list(tmp_path.iterdir()) == [path]  # no temporary left behind
    with pytest.raises(DataError, match="missing.safetensors"):
        load_models(tmp_path / "missing.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"not a model")
    with pytest.raises(DataError, match="junk.safetensors"):
        load_models(tmp_path / "junk.safetensors")


@pytest.mark.parametrize("method", ["Robust", "HDL"])
def test_jacobian_and_autograd_robust_paths_train_the_same_models(data, method):
    specs = model_grid(hdl(method), GRID, 1)
    cfg = TrainConfig(epochs=2, batch_size=16, rounds=1)
    fast = train_grid(data, hdl(method), specs, cfg, log=None)
    ref = train_grid(data, hdl(method), specs, TrainConfig(**{**cfg.__dict__, "robust_gradient": "autograd"}), log=None)
    assert all(torch.allclose(a, c, atol=1e-4) for a, c in zip(fast.params.values(), ref.params.values()))


@pytest.mark.parametrize("method", ["DL", "HDL"])
def test_chunking_by_memory_budget_never_changes_results(data, method):
    from holistic.train.chunks import model_bytes, models_per_chunk, train_in_chunks
    cfg = TrainConfig(epochs=2, batch_size=16, rounds=1)
    specs = model_grid(hdl(method), {**GRID, "a": [0.8, 0.9]}, 2)
    mlp = MODELS["mlp"]
    one_mb = model_bytes(mlp, data.input_shape, data.k, data.X_val.shape[1], cfg.batch_size) / 2**20
    assert models_per_chunk(data, mlp, cfg, 1.5 * one_mb) == 1
    whole = train_in_chunks(data, hdl(method), specs, cfg, budget_mb=1e6, log=None)
    chunked = train_in_chunks(data, hdl(method), specs, cfg, budget_mb=3.5 * one_mb, log=None)  # chunks of 3
    for n in whole.params:
        assert torch.equal(whole.params[n], chunked.params[n])
    assert torch.equal(whole.best_epoch, chunked.best_epoch)
