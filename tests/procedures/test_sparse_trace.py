"""What sparse training logs: gradient flow, state changes, nonzero counts, magnitude histograms."""

import torch

from holistic.procedures.sparse_trace import EDGES, active, gradient_l1, log_epoch, magnitude_histogram, state_changes


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
