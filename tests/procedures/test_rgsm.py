"""RGSM (Dinh et al., Alg. 2, eqs. 5-6) and the channel sparsity metric: input-channel groups of
convolutions and dense layers, the group-l0 prox's threshold sqrt(2 lambda_1 / beta) (strict),
the group lasso, and channel pruning in the generic loop."""

import math

import numpy as np
import pytest
import torch

from conftest import blobs
from holistic.data.stacked import stack_splits
from holistic.evaluation.metrics import (channel_sparsity_percent, group_norms, input_axis,
                                         small_weights_percent)
from holistic.methods import Method, model_grid
from holistic.models import MODELS
from holistic.procedures import PROCEDURES, rgsm
from holistic.procedures.rvsm import threshold
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid


def test_input_groups_of_convolutions_and_dense_layers():
    conv = torch.zeros(1, 4, 3, 2, 2)  # [G, out, in, kh, kw]
    conv[0, :, 1] = 0.5                # input channel 1: 16 entries of 0.5 -> norm 2
    assert group_norms(conv, 2).tolist() == [[0.0, 2.0, 0.0]]
    dense = torch.tensor([[[3.0, 0.0], [4.0, 0.0]]])  # nn.Linear [G, out=2, in=2]: input unit 0 = (3, 4)
    assert group_norms(dense, 2).tolist() == [[5.0, 0.0]]
    mlp = dense.transpose(1, 2)                        # the MLP's W [G, in, out]: a row per input unit
    assert input_axis("W0") == 1 and input_axis("W12") == 1
    assert input_axis("0.weight") == 2 and input_axis("blocks.0.fc1.weight") == 2 and input_axis("Wx") == 2
    assert group_norms(mlp, input_axis("W0")).tolist() == [[5.0, 0.0]]


def test_channel_sparsity_counts_groups_of_norm_below_1e_15():
    a = torch.ones(2, 3, 4)  # [G, out, in]: 4 input groups
    a[0, :, 0] = 0.0
    a[0, :, 1] = 1e-16      # norm sqrt(3) 1e-16 < 1e-15: pruned
    a[1, :, 2] = 1e-15      # norm sqrt(3) 1e-15 > 1e-15: kept
    b = torch.ones(2, 2, 2, 1, 1)
    b[1, :, 0] = 0.0
    sp = channel_sparsity_percent([a, b], [2, 2])
    assert sp.tolist() == [100 * 2 / 6, 100 * 1 / 6]
    assert small_weights_percent([a], 1e-3).tolist() == [100 * 6 / 12, 100 * 3 / 12]


def test_group_l0_prox_keeps_a_group_iff_its_norm_exceeds_sqrt_2_lambda_over_beta():
    w = torch.zeros(1, 2, 3, 1, 1)     # conv [G, out=2, in=3]
    w[0, :, 0, 0, 0] = torch.tensor([3.0, 4.0])   # norm 5 exactly
    w[0, :, 1, 0, 0] = torch.tensor([3.0, 4.01])  # just above 5
    w[0, :, 2, 0, 0] = torch.tensor([0.1, 0.0])
    beta = torch.tensor([2.0])
    gamma = threshold(torch.tensor([25.0]), beta)  # sqrt(2 * 25 / 2) = 5 exactly
    assert gamma.tolist() == [5.0]
    u = rgsm.prox_group_l0(w, 2, gamma)
    assert torch.equal(u[0, :, 0], torch.zeros(2, 1, 1))  # ||w_g|| = gamma: pruned (strict >)
    assert torch.equal(u[0, :, 1], w[0, :, 1])            # above: kept untouched
    assert torch.equal(u[0, :, 2], torch.zeros(2, 1, 1))
    # the same with a dense layer in the MLP's layout, one gamma per model
    W = torch.tensor([[[3.0, 4.0], [0.3, 0.4]], [[3.0, 4.0], [0.3, 0.4]]])  # [G=2, in=2, out=2]
    U = rgsm.prox_group_l0(W, 1, torch.tensor([5.0, 0.4]))
    assert torch.equal(U, torch.tensor([[[0.0, 0.0], [0.0, 0.0]], [[3.0, 4.0], [0.3, 0.4]]]))


def test_the_training_path_keeps_whole_input_groups_by_l2_norm_strictly_above_gamma():
    """What training runs (``RGSM.end_epoch``: w <- u, ``RGSM.effective``: the penalty) on a dense
    layer in the MLP's layout ``[G, in, out]`` (a group = an input unit's row), beta = 2,
    lambda_1 = 25: gamma = sqrt(2 lambda_1 / beta) = 5. Rows (3, 4): norm exactly 5, cut (strict);
    (3, 4.5): norm 5.41, kept whole although both entries are below 5 (a per-weight threshold
    cuts it; so does the max norm, 4.5); (3, 3): L2 4.24, cut (its L1 norm, 6, would keep it);
    (6, 0.1): kept whole, 0.1 included. Grouping by output column would keep every entry."""
    w = torch.tensor([[[3.0, 4.0], [3.0, 4.5], [3.0, 3.0], [6.0, 0.1]]])
    params = {"W0": w.clone().requires_grad_(), "b0": torch.zeros(1, 2)}
    hp = {"rgsm_beta": torch.tensor([2.0]), "rgsm_lambda1": torch.tensor([25.0]), "rgsm_lambda2": torch.tensor([0.1])}
    proc = PROCEDURES["rgsm"]
    state = proc.init_state(params, ["W0"])
    _, penalty = proc.effective(params, state, hp, True, 0, 1)
    norms = [5.0, math.sqrt(29.25), math.sqrt(18.0), math.sqrt(36.01)]
    cut = 3.0**2 + 4.0**2 + 3.0**2 + 3.0**2  # ||w - u||^2 over the cut rows
    assert penalty.item() == pytest.approx(0.1 * sum(norms) + 2.0 / 2 * cut, rel=1e-6)
    with torch.no_grad():
        proc.end_epoch(params, state, hp, 0, True, {})
    assert torch.equal(params["W0"].detach(), torch.tensor([[[0.0, 0.0], [3.0, 4.5], [0.0, 0.0], [6.0, 0.1]]]))


def test_group_lasso_is_the_sum_of_group_norms():
    w = torch.tensor([[[3.0, 0.0], [4.0, 1.0]]])  # nn.Linear [G, out, in]: groups (3, 4), (0, 1)
    assert rgsm.group_lasso([w, w], [2, 2]).tolist() == [12.0]
    params = {"0.weight": w.clone().requires_grad_(), "0.bias": torch.zeros(1, 2)}
    hp = {"rgsm_beta": torch.tensor([1.0]), "rgsm_lambda1": torch.tensor([0.5]), "rgsm_lambda2": torch.tensor([0.1])}
    state = PROCEDURES["rgsm"].init_state(params, ["0.weight"])
    _, penalty = PROCEDURES["rgsm"].effective(params, state, hp, True, 0, 1)
    # gamma = 1: group (0, 1) of norm 1 is cut, so u differs from w there by (0, 1)
    assert torch.allclose(penalty, torch.tensor([0.1 * 6.0 + 1.0 / 2 * 1.0]))
    penalty.sum().backward()  # the exact norm's gradient is finite
    assert torch.isfinite(params["0.weight"].grad).all()


def test_rgsm_prunes_whole_input_units_in_training():
    X, y = blobs(240, 5, 3)
    idx = np.arange(240)
    data = stack_splits(X, y, {"test": idx[:40], "train": idx[40:200][None], "val": idx[200:][None]}, "minmax")
    method = Method(procedure="rgsm", model="mlp")
    grid = {"lr": [0.01], "rgsm_beta": [1.0], "rgsm_lambda1": [0.0, 0.02], "rgsm_lambda2": [1e-5]}
    res = train_grid(data, method, model_grid(method, grid, 1), TrainConfig(epochs=3, batch_size=16), log=None)
    names = MODELS["mlp"].prunable(res.params)
    sp = channel_sparsity_percent([res.params[n] for n in names], [input_axis(n) for n in names])
    assert sp[0] == 0 and sp[1] > 0
    assert float(res.best_val_accuracy.min()) > 0.8
    gamma = math.sqrt(2 * 0.02 / 1.0)
    for n in names:  # each input unit of the pruned model: exactly 0 or of norm above gamma
        norms = group_norms(res.params[n][1:], input_axis(n))
        assert bool(((norms == 0) | (norms > gamma)).all())


def test_the_initial_share_of_groups_below_the_threshold_is_what_the_prox_cuts():
    """Issue 32, RGSM: the share of input groups at or below sqrt(2 lambda_1 / beta) when drawn (the
    prox's strict threshold: a group of norm exactly gamma is cut), logged once per model."""
    w = torch.tensor([[[3.0, 4.0], [3.0, 4.5], [3.0, 3.0], [6.0, 0.1]]])  # [G=1, in=4, out=2]: norms 5, 5.41, 4.24, 6
    hp = {"rgsm_beta": torch.tensor([2.0]), "rgsm_lambda1": torch.tensor([25.0]), "rgsm_lambda2": torch.tensor([0.0])}
    params = {"W0": w.clone(), "b0": torch.zeros(1, 2)}
    state = PROCEDURES["rgsm"].init_state(params, ["W0"], hp)  # gamma 5: groups 0 (= 5) and 2 cut
    assert state["init_below_gamma"].tolist() == [50.0]
    trace = {}
    with torch.no_grad():
        PROCEDURES["rgsm"].end_epoch(params, state, hp, 0, True, trace)
    assert trace == {"sparse_init_below_gamma": [[50.0]]}
