"""What sparse training logs: gradient flow, state changes, nonzero counts, magnitude histograms."""

import numpy as np
import pytest
import torch

from holistic.procedures.sparse_trace import (EDGES, active, gradient_l1, log_epoch, magnitude_histogram, share_at_most,
                                              state_changes)


def test_gradient_flow_is_the_l1_norm_of_all_gradients_per_model():
    grads = [torch.tensor([[1.0, -2.0], [0.5, 0.0]]), torch.tensor([[[-1.0]], [[3.0]]])]
    assert gradient_l1(grads).tolist() == [4.0, 3.5]


def test_state_changes_count_both_directions():
    old = {"a": torch.tensor([[True, False, True, False]]), "b": torch.tensor([[[False, True]]])}
    new = {"a": torch.tensor([[True, True, False, False]]), "b": torch.tensor([[[False, True]]])}
    assert state_changes(old, new).tolist() == [2]
    assert active({"a": torch.tensor([[0.0, 1.0, -2.0]]), "b": torch.tensor([[[0.0]]])}).tolist() == [2]


def test_histogram_bins_zeros_then_quarter_decades_of_magnitude():
    assert len(EDGES) == 37 and EDGES[0] == 1e-8 and EDGES[-1] == 10.0
    w = {"a": torch.tensor([[0.0, 1e-9, -0.5, 0.5, 20.0, 1.0, 1.0001]])}
    h = magnitude_histogram(w)
    assert h.shape == (1, 39) and int(h.sum()) == 7
    assert h[0, 0] == 1 and h[0, 1] == 1 and h[0, 38] == 1   # zero, (0, 1e-8], (10, inf)
    assert h[0, 1 + 31] == 2                                   # 0.5 in (10^-0.5, 10^-0.25]
    assert h[0, 1 + 32] == 1 and h[0, 1 + 33] == 1             # 1.0 in (10^-0.25, 1]; 1.0001 above


def test_log_epoch_appends_per_model_lists():
    trace = {}
    log_epoch(trace, "x", torch.tensor([1, 2]))
    log_epoch(trace, "x", torch.tensor([3, 4]))
    assert trace == {"x": [[1, 2], [3, 4]]}


def test_share_at_most_an_edge_counts_the_zero_bin_and_every_bin_up_to_it():
    """App. D's "close to 0": the percent of weights with |w| <= 1e-3 (an upper edge of the bins),
    zeros included, 1.001e-3 not."""
    w = {"a": torch.tensor([[0.0, 1e-9, 1e-3, -5e-4, 1.001e-3, 0.5, -2.0, 20.0]])}
    counts = magnitude_histogram(w)[0].tolist()
    assert share_at_most(counts, 1e-3) == 100.0 * 4 / 8
    assert share_at_most(counts, 1e-8) == 100.0 * 2 / 8
    with pytest.raises(ValueError):
        share_at_most(counts, 2e-3)  # not an edge of the bins


def test_single_traced_trains_as_single_and_logs_the_histogram_every_epoch():
    """Registry entry ``single_traced``: the weights of ``single`` bit for bit (the last epoch kept, as
    SparseVLR reports), one histogram of the prunable weights per epoch, per model."""
    from conftest import blobs
    from holistic.data.stacked import stack_splits
    from holistic.methods import Method, model_grid
    from holistic.procedures import PROCEDURES
    from holistic.train.config import TrainConfig
    from holistic.train.loop import train_grid

    X, y = blobs(120, 5, 3)
    idx = np.arange(120)
    data = stack_splits(X, y, {"test": idx[:24], "train": np.stack([idx[24:96], idx[48:120]]),
                               "val": np.stack([idx[96:], idx[24:48]])}, "minmax")
    runs = {}
    for proc in ("single", "single_traced"):
        method = Method(procedure=proc, model="mlp")
        runs[proc] = train_grid(data, method, model_grid(method, {"lr": [0.01]}, 2),
                                TrainConfig(epochs=3, batch_size=16), log=None)
    assert PROCEDURES["single_traced"].selection == "last" and runs["single_traced"].best_epoch.tolist() == [2, 2]
    hist = runs["single_traced"].extra["sparse_weight_histogram"]
    assert len(hist) == 3 and len(hist[0]) == 2 and sum(hist[-1][1]) == 5 * 128 + 128 * 128 + 128 * 3
    assert "sparse_weight_histogram" not in runs["single"].extra
    assert torch.equal(runs["single"].val_curve, runs["single_traced"].val_curve)  # the same training
    kept = runs["single_traced"].params
    assert hist[-1] == magnitude_histogram({n: kept[n] for n in ("W0", "W1", "W2")}).tolist()  # the final weights'
