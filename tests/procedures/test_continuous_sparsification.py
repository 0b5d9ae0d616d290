"""Continuous sparsification (Section 3.3): schedule, round logic, hard mask, rewind, zero counting."""

import numpy as np
import torch

from conftest import Wb, blobs, hdl
from holistic.data.stacked import stack_splits
from holistic.evaluation.metrics import sparsity_percent
from holistic.methods import model_grid
from holistic.models.mlp import init_params
from holistic.procedures import continuous_sparsification as cs
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid
from holistic.train.seeds import model_seed


def tiny_data(n=120, p=4, k=2):
    X, y = blobs(n, p, k)
    idx = np.arange(n)
    test, rest = idx[:24], idx[24:]
    splits = {"test": test, "train": np.stack([rest[:72], rest[24:]]),
              "val": np.stack([rest[72:], rest[:24]])}
    return stack_splits(X, y, splits, "minmax")


def test_beta_grows_geometrically_from_1_to_beta_bar():
    bb = torch.tensor([200.0, 1000.0])
    assert torch.allclose(cs.beta_schedule(bb, 0, 10), torch.ones(2))
    assert torch.allclose(cs.beta_schedule(bb, 10, 10), bb)
    mid = cs.beta_schedule(bb, 5, 10)
    assert torch.allclose(mid, bb.sqrt())  # geometric: the midpoint is the geometric mean


def test_round_reset_keeps_suppressed_and_resets_the_rest():
    s = torch.tensor([[[-0.02, 0.5], [0.0, -1.0]]])
    new = cs.next_round_logits(s, torch.tensor([200.0]))
    assert torch.equal(new, torch.tensor([[[-4.0, 0.0], [0.0, -200.0]]]))


def test_hard_mask_and_sparsity_count_exact_zeros():
    s = [torch.tensor([[[1.0, -1.0], [0.0, 2.0]]]), torch.tensor([[[-3.0], [0.5]]])]
    masks = [cs.hard_mask(x) for x in s]
    assert masks[0].tolist() == [[[1.0, 0.0], [0.0, 1.0]]]
    W = [torch.ones(1, 2, 2) * m for m in masks[:1]] + [torch.ones(1, 2, 1) * masks[1]]
    assert torch.allclose(sparsity_percent(W), torch.tensor([100.0 * 3 / 6], dtype=torch.float64))
    lam = torch.tensor([0.5])
    soft = [cs.soft_mask(x, torch.tensor([1.0])) for x in s]
    expected = 0.5 * sum(torch.sigmoid(x).sum() for x in s)
    assert torch.allclose(cs.penalty(soft, lam), expected.view(1))


def test_sparse_training_rounds_rewind_and_hard_mask():
    data = tiny_data()
    grid = {"lr": [0.01], "lambda": [1e-6], "beta_bar": [200.0]}
    specs = model_grid(hdl("Sparse"), grid, 2)
    res = train_grid(data, hdl("Sparse"), specs, TrainConfig(epochs=4, batch_size=16, rounds=2, rewind_epoch=1),
                     log=None)
    starts = res.extra["round_start_weight_sums"]
    assert len(starts) == 3  # two soft-mask search rounds, then the final hard-mask round
    init_W, _ = init_params([4, 128, 128, 2], [torch.Generator().manual_seed(model_seed(0, s.split)) for s in specs])
    init_sum = sum(w.double().abs().flatten(1).sum(1) for w in init_W).tolist()
    assert starts[0] == init_sum                      # round 1 starts from the Glorot init
    assert starts[1] == starts[2] != init_sum         # later rounds start from the epoch-1 rewind point
    assert all(m <= 0 for m in res.extra["s_max_after_reset"])  # s <- min(beta_bar s, 0)
    sp = sparsity_percent(Wb(res.params)[0])
    assert (sp > 0).all() and (sp < 100).all()
    # the kept weights are exactly zero where masked, and the percentage counts exactly those
    zeros = sum((w == 0).sum(dim=(1, 2)) for w in Wb(res.params)[0]).double()
    total = sum(w[0].numel() for w in Wb(res.params)[0])
    assert torch.allclose(sp, 100 * zeros / total)


def test_rewind_epoch_zero_restarts_every_round_from_init():
    data = tiny_data()
    specs = model_grid(hdl("Sparse"), {"lr": [0.01], "lambda": [1e-6], "beta_bar": [200.0]}, 1)
    res = train_grid(data, hdl("Sparse"), specs, TrainConfig(epochs=2, batch_size=16, rounds=1, rewind_epoch=0), log=None)
    starts = res.extra["round_start_weight_sums"]
    assert starts[0] == starts[1]


def test_dense_methods_are_not_sparse():
    data = tiny_data()
    specs = model_grid(hdl("DL"), {"lr": [0.01]}, 2)
    res = train_grid(data, hdl("DL"), specs, TrainConfig(epochs=2, batch_size=16), log=None)
    assert (sparsity_percent(Wb(res.params)[0]) == 0).all()
