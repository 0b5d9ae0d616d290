"""ADMM pruning (Dinh et al.'s Table 4 baseline): the exact top-k projection (not the public
code's signed percentile), channel projection, the auxiliary-variable updates, and both endings
in the generic loop (W counted as is; final projection + masked retraining)."""

import numpy as np
import pytest
import torch

from conftest import blobs
from holistic.data.stacked import stack_splits
from holistic.evaluation.metrics import channel_sparsity_percent, group_norms, input_axis, sparsity_percent
from holistic.methods import Method, model_grid
from holistic.models import MODELS
from holistic.procedures import PROCEDURES, admm
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid


def test_projection_prunes_exactly_the_requested_share_of_each_model():
    g = torch.Generator().manual_seed(0)
    w = torch.randn(3, 40, 25, generator=g)  # 1000 weights per model
    s = torch.tensor([0.8, 0.5, 0.0])
    z = admm.project(w, s, channel=False, axis=2)
    assert (z == 0).flatten(1).sum(1).tolist() == [800, 500, 0]
    for k in range(3):  # the kept ones are the largest by magnitude, unchanged
        kept = z[k] != 0
        assert torch.equal(z[k][kept], w[k][kept])
        if kept.any() and (~kept).any():
            assert float(w[k][kept].abs().min()) >= float(w[k][~kept].abs().max())


def brute_force_kept(values: list[float], s: float) -> list[bool]:
    """The reference of Pi_S: sort every |w| (ties: the earlier position first), prune the first
    round(s n), keep the rest."""
    order = sorted(range(len(values)), key=lambda i: (abs(values[i]), i))
    dropped = set(order[:round(s * len(values))])
    return [i not in dropped for i in range(len(values))]


def test_projection_keeps_the_largest_magnitudes_as_a_brute_force_sort_does():
    """``project`` and the training path's projection (``ADMM.end_epoch``'s ``Z = Pi_S(W)``)
    against the sorted reference, with ties of |w| and signs mixed."""
    w = torch.randn(3, 7, 9, generator=torch.Generator().manual_seed(3))  # 63 weights per model
    w[0, 0, :4], w[0, 1, :3], w[2, 3, :5] = 0.5, -0.5, -0.25
    s = torch.tensor([0.8, 0.3, 0.55])
    z = admm.project(w, s, channel=False, axis=2)
    for k in range(3):
        kept = brute_force_kept(w[k].flatten().tolist(), float(s[k]))
        assert (z[k].flatten() != 0).tolist() == kept
        assert torch.equal(z[k].flatten()[torch.tensor(kept)], w[k].flatten()[torch.tensor(kept)])
    params = {"W0": w.clone()}
    state = PROCEDURES["admm"].init_state(params, ["W0"])
    PROCEDURES["admm"].end_epoch(params, state, {"admm_rho": torch.ones(3), "admm_sparsity": s}, 0, True, {})
    assert torch.equal(state["Z"]["W0"], z) and torch.equal(state["U"]["W0"], w - z)


def test_projection_is_exact_with_ties_and_a_share_that_is_not_a_whole_count():
    w = torch.tensor([[[0.5, -0.5, 0.5, 0.5, 1.0, -2.0, 0.0]]])  # ties of |w| = 0.5
    z = admm.project(w, torch.tensor([0.5]), channel=False, axis=2)  # round(3.5) = 4 pruned
    # the zero goes first, then the ties of 0.5 in order of position, until exactly 4 are pruned
    assert z.tolist() == [[[0.0, 0.0, 0.0, 0.5, 1.0, -2.0, 0.0]]]
    assert int((z == 0).sum()) == 4


def test_regression_the_signed_percentile_of_the_public_code_prunes_far_less():
    """tdinh15/rvsm-rgsm-admm ``projection``: ``pcen = np.percentile(w, 80)`` of the *signed*
    weights, then ``|w| < pcen`` is cut; for weights symmetric about 0 that is ~60 %, not 80 %."""
    w = torch.randn(1, 100, 100, generator=torch.Generator().manual_seed(1))
    public = float((w.abs() < float(np.percentile(w.numpy(), 80))).double().mean())
    assert 0.55 < public < 0.65
    ours = admm.project(w, torch.tensor([0.8]), channel=False, axis=2)
    assert float((ours == 0).double().mean()) == 0.8


def test_channel_projection_keeps_the_input_channels_of_largest_norm():
    g = torch.Generator().manual_seed(2)
    w = torch.randn(2, 6, 10, 3, 3, generator=g)  # conv [G, out, in=10, kh, kw]
    z = admm.project(w, torch.tensor([0.8, 0.3]), channel=True, axis=2)
    zero = group_norms(z, 2) == 0
    assert zero.sum(1).tolist() == [8, 3]
    norms = group_norms(w, 2)
    for k in range(2):
        assert float(norms[k][~zero[k]].min()) >= float(norms[k][zero[k]].max())
        assert torch.equal(z[k][:, ~zero[k]], w[k][:, ~zero[k]])
    assert channel_sparsity_percent([z], [2]).tolist() == [80.0, 30.0]


def test_admm_update_and_pull():
    W = torch.tensor([[[1.0, -0.1, 0.3, -2.0]]])
    U = torch.tensor([[[0.0, 0.0, -0.2, 0.5]]])
    Z, U2 = admm.admm_update(W, U, torch.tensor([0.5]), channel=False, axis=2)
    assert torch.equal(Z, torch.tensor([[[1.0, 0.0, 0.0, -1.5]]]))  # Pi_S(W + U): two largest of (1, -.1, .1, -1.5)
    assert torch.allclose(U2, U + W - Z)
    rho = torch.tensor([0.2])
    assert torch.allclose(admm.pull([W], [Z], [U2], rho), rho / 2 * (W - Z + U2).pow(2).sum())


def blob_data():
    X, y = blobs(240, 5, 3)
    idx = np.arange(240)
    return stack_splits(X, y, {"test": idx[:40], "train": idx[40:200][None], "val": idx[200:][None]}, "minmax")


@pytest.mark.parametrize("channel,share", [(False, 0.8), (True, 0.5)])
def test_admm_as_counted_vs_final_projection_and_masked_retraining(channel, share):
    data = blob_data()
    grid = {"lr": [0.01], "admm_rho": [0.01], "admm_sparsity": [share]}
    suffix = "_channel" if channel else ""
    counted, projected = Method(procedure=f"admm{suffix}"), Method(procedure=f"admm{suffix}_project")
    cfg = TrainConfig(epochs=2, batch_size=16, rewind_epoch=2)
    res_counted = train_grid(data, counted, model_grid(counted, grid, 1), cfg, log=None)
    res_projected = train_grid(data, projected, model_grid(projected, grid, 1), cfg, log=None)
    names = MODELS["mlp"].prunable(res_projected.params)
    axes = [input_axis(n) for n in names]
    for res in (res_counted, res_projected):
        assert float(res.best_val_accuracy.min()) > 0.8
    # as the paper counted it: W itself, which ADMM pulls towards Z but never onto it
    W = [res_counted.params[n] for n in names]
    assert float(sparsity_percent(W)) < 1 and float(channel_sparsity_percent(W, axes)) < 1
    # with the final projection: exactly the requested share of every layer
    for n in names:
        w = res_projected.params[n]
        if channel:
            zero, total = int((group_norms(w, input_axis(n)) == 0).sum()), w.shape[input_axis(n)]
        else:
            zero, total = int((w == 0).sum()), w[0].numel()
        assert zero == round(share * total), n


def test_masked_retraining_must_start_from_the_admm_weights():
    with pytest.raises(ValueError, match="rewind_epoch"):
        PROCEDURES["admm_project"].n_rounds(TrainConfig(epochs=3, batch_size=16, rewind_epoch=1))
    assert PROCEDURES["admm_project"].n_rounds(TrainConfig(epochs=3, batch_size=16, rewind_epoch=3)) == 2
    assert PROCEDURES["admm"].n_rounds(TrainConfig(epochs=3, batch_size=16, rewind_epoch=1)) == 1
    assert PROCEDURES["admm_project"].param_keys == ("train.sparsity",) and PROCEDURES["admm"].param_keys == ()


def test_the_matched_target_is_the_sparsity_the_source_model_reached():
    """Issue 32: ADMM at matched sparsity takes each source model's share of exactly-zero prunable
    weights (of input groups of norm < 1e-15, by channel) as its target, as the evaluation counts."""
    W0 = torch.tensor([[[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]])  # [G=2, in=2, out=2]
    W1 = torch.tensor([[[0.0, 0.0, 0.0, 0.0, 0.0, 0.0]], [[2.0, 0.0, 0.0, 0.0, 0.0, 0.0]]])  # [G, 1, 6]
    source = {"W0": W0, "W1": W1, "b0": torch.ones(2, 2)}
    assert admm.matched_target(source, ["W0", "W1"], channel=False).tolist() == [9 / 10, 6 / 10]
    assert admm.matched_target(source, ["W0", "W1"], channel=True).tolist() == pytest.approx([2 / 3, 0.0], abs=1e-15)
    proc = PROCEDURES["admm_project_matched"]
    assert proc.needs_source and proc.axes == ("admm_rho", "rvsm_beta", "rvsm_lambda")
    assert PROCEDURES["admm_channel_project_matched"].axes == ("admm_rho", "rgsm_beta", "rgsm_lambda1", "rgsm_lambda2")
    state = proc.init_state({"W0": W0.clone(), "W1": W1.clone()}, ["W0", "W1"], source=source)
    assert proc.target(state, {}).tolist() == [0.9, 0.6]


def test_admm_at_matched_sparsity_ends_at_the_source_models_sparsity():
    """In the generic loop, from source models of 30 % and 70 % zero weights: the final projection
    leaves exactly round(s n) of each prunable layer's n weights at zero, s the source's sparsity."""
    X, y = blobs(240, 5, 3)
    idx = np.arange(240)
    data = stack_splits(X, y, {"test": idx[:40], "train": idx[40:200][None], "val": idx[200:][None]}, "minmax")
    method = Method(procedure="admm_project_matched", model="mlp")
    grid = {"lr": [0.01], "admm_rho": [0.01], "rvsm_beta": [0.1, 0.5], "rvsm_lambda": [1e-6]}
    specs = model_grid(method, grid, 1)
    shapes = {n: v.shape[1:] for n, v in MODELS["mlp"].init(data.input_shape, data.k, [torch.Generator()]).items()}
    names = MODELS["mlp"].prunable({n: torch.zeros(1, *s) for n, s in shapes.items()})
    source = {n: torch.ones(2, *s) for n, s in shapes.items()}
    total = sum(source[n][0].numel() for n in names)
    for g, share in enumerate((0.3, 0.7)):  # the first round(share * total) prunable weights zeroed
        flat = torch.cat([source[n][g].flatten() for n in names])
        flat[:round(share * total)] = 0
        parts = flat.split([source[n][g].numel() for n in names])
        for n, part in zip(names, parts):
            source[n][g] = part.view_as(source[n][g])
    target = admm.matched_target(source, names, channel=False)
    res = train_grid(data, method, specs, TrainConfig(epochs=2, batch_size=16, rewind_epoch=2), log=None,
                     source=source)
    W = [res.params[n] for n in names]
    for g in range(2):
        assert sum(int((w[g] == 0).sum()) for w in W) == sum(round(float(target[g]) * w[0].numel()) for w in W)
    assert sparsity_percent(W).tolist() == pytest.approx([30.0, 70.0], abs=0.1)
