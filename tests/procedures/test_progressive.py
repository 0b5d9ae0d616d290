"""Progressive pruning (Guo et al. Sec. 4.1): floor(n/3) of each layer's nonzero weights a round,
continued training; the binary linear model ends at 2 of 784 weights (99.745 %) after 16 rounds."""

import numpy as np
import torch

from conftest import blobs
from holistic.data.stacked import stack_splits
from holistic.methods import Method, model_grid
from holistic.procedures.layer_pruning import exact_rate
from holistic.procedures.progressive import pruned_count
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid


def remaining(n, rounds, rho=exact_rate("1/3")):
    out = [n]
    for _ in range(rounds):
        out.append(out[-1] - pruned_count(out[-1], rho))
    return out


def test_a_third_of_the_nonzero_weights_goes_each_round_rounded_down():
    assert remaining(784, 16)[:4] == [784, 523, 349, 233]
    assert remaining(784, 16)[-1] == 2              # 99.745 %, the paper's "99.74 %" ((2/3)^16 would be 99.85 %)
    assert remaining(7840, 16)[-1] == 13            # the 10-class model: 99.83 %
    assert exact_rate(1 / 3) != exact_rate("1/3")   # the float 1/3 is not a third: write "1/3"


def test_binary_linear_model_ends_at_2_of_784_weights_after_16_rounds():
    X, y = blobs(90, 784, 2)
    idx = np.arange(90)
    splits = {"test": idx[:10], "train": np.stack([idx[10:70]]), "val": np.stack([idx[70:]])}
    data = stack_splits(X, y, splits, "minmax")
    method = Method(model="linear", procedure="progressive")
    specs = model_grid(method, {"lr": [0.01]}, 1)
    res = train_grid(data, method, specs, TrainConfig(epochs=1, batch_size=30), log=None)  # train.progressive defaults
    assert len(res.rounds) == 17 and res.params["linear.weight"].shape == (1, 1, 784)
    nonzero = [int((rec["params"]["linear.weight"] != 0).sum()) for rec in res.rounds]
    assert nonzero == remaining(784, 16)
    w = res.params["linear.weight"]
    assert int((w != 0).sum()) == 2 and round(100 * float((w == 0).double().mean()), 3) == 99.745
    for before, after in zip(res.rounds, res.rounds[1:]):  # zeroed for good: never nonzero again
        assert ((before["params"]["linear.weight"] == 0) <= (after["params"]["linear.weight"] == 0)).all()
    assert torch.equal(res.rounds[-1]["stop_step"], torch.tensor([2]))  # the round's last weights (no early stopping)
