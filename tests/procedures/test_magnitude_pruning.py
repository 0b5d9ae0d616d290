"""Global magnitude pruning (SparseVLR Alg. 1 lines 2 and 8): exactly p percent, by global
magnitude across tensors, per model, exact zeros, ties by position."""

import pytest
import torch

from holistic.procedures.magnitude_pruning import (global_magnitude_masks, layerwise_magnitude_masks, magnitude_masks,
                                                   magnitude_pruned, n_pruned, prune_)


def weights(G=3, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return {"a": torch.randn(G, 4, 5, generator=gen), "b": torch.randn(G, 3, 2, 2, 2, generator=gen) * 3}


def test_n_pruned_rounds_as_torch_prune_does():
    assert n_pruned(44, 90.0) == 40 and n_pruned(205_730, 99.0) == 203_673 and n_pruned(10, 25.0) == 2


def test_masks_keep_exactly_the_largest_magnitudes_over_all_tensors():
    W = weights()
    p = [50.0, 90.0, 0.0]
    masks = global_magnitude_masks(W, p)
    n = 20 + 24
    for g, pg in enumerate(p):
        kept = torch.cat([masks[k][g].flatten() for k in W])
        assert int(kept.sum()) == n - n_pruned(n, pg)
        mags = torch.cat([W[k][g].abs().flatten() for k in W])
        if pg > 0:
            assert float(mags[kept].min()) > float(mags[~kept].max())  # global, not per tensor
    # the second tensor is 3x larger: global pruning keeps more of it
    assert int(masks["b"][1].sum()) > int(masks["a"][1].sum())


def test_each_models_mask_depends_only_on_its_own_weights():
    W = weights()
    together = global_magnitude_masks(W, [50.0, 90.0, 75.0])
    alone = global_magnitude_masks({k: v[1:2] for k, v in W.items()}, [90.0])
    assert all(torch.equal(together[k][1], alone[k][0]) for k in W)


def test_ties_are_broken_by_position():
    W = {"a": torch.tensor([[[1.0, -1.0, 1.0, 0.5]]])}
    assert global_magnitude_masks(W, [50.0])["a"].tolist() == [[[False, True, True, False]]]


def test_prune_writes_exact_positive_zeros_and_the_pruned_copy_keeps_biases():
    W = weights()
    params = {**{k: v.clone() for k, v in W.items()}, "bias": torch.ones(3, 4)}
    pruned = magnitude_pruned(params, ["a", "b"], [90.0, 90.0, 90.0])
    assert torch.equal(pruned["bias"], params["bias"]) and torch.equal(params["a"], W["a"])  # a copy
    zeros = sum(int((pruned[k] == 0).sum()) for k in W)
    assert zeros == 3 * n_pruned(44, 90.0)
    assert all(not bool(torch.signbit(pruned[k][pruned[k] == 0]).any()) for k in W)  # +0.0, not -0.0
    masks = global_magnitude_masks(W, [90.0] * 3)
    prune_(params, masks)
    assert all(torch.equal(params[k], pruned[k]) for k in W)


def test_layerwise_masks_keep_each_tensors_own_top_share():
    """``scope = "layerwise"``: each tensor prunes round(p n_l / 100) of its own n_l weights, its
    smallest; the global rule keeps another set (the second tensor is 3x larger)."""
    W = weights()
    p = [50.0, 90.0, 0.0]
    masks = magnitude_masks(W, p, "layerwise")
    for g, pg in enumerate(p):
        for k, w in W.items():
            kept, n = masks[k][g], w[g].numel()
            assert int(kept.sum()) == n - n_pruned(n, pg)
            if pg > 0:
                assert float(w[g].abs()[kept].min()) > float(w[g].abs()[~kept].max())
    assert any(not torch.equal(masks[k], m) for k, m in magnitude_masks(W, p, "global").items())
    assert all(torch.equal(masks[k], m) for k, m in layerwise_magnitude_masks(W, p).items())
    with pytest.raises(ValueError, match="unknown magnitude scope"):
        magnitude_masks(W, p, "channel")


def test_erk_densities_follow_the_closed_form_and_keep_the_share():
    """ERK (Evci et al. 2020): d_l = e (sum of dims) / (product of dims), e solving the kept share;
    a layer over density 1 is kept dense and e solved again over the rest."""
    from holistic.procedures.magnitude_pruning import erk_densities

    shapes = {"a": (4, 2), "b": (8, 4), "c": (2, 8)}  # r = 6/8, 12/32, 10/16; n = 8, 32, 16
    d = erk_densities(shapes, 0.25)  # 14 of 56 weights: e (6 + 12 + 10) = 14, e = 0.5
    assert d == pytest.approx({"a": 0.375, "b": 0.1875, "c": 0.3125})
    # at keep 0.9 e r_a > 1: a dense (8), then e (12 + 10) = 50.4 - 8: b 0.7227, c 1.2045 > 1 -> c dense too
    d = erk_densities(shapes, 0.9)
    assert d["a"] == 1.0 and d["c"] == 1.0 and d["b"] == pytest.approx((0.9 * 56 - 24) / 32)
    # the inverse rule (large layers denser) would put b above a: pinned
    assert erk_densities(shapes, 0.1)["b"] < erk_densities(shapes, 0.1)["a"]


def test_erk_masks_keep_each_layers_own_largest_at_its_density():
    from holistic.procedures.magnitude_pruning import erk_densities, magnitude_masks

    g = torch.Generator().manual_seed(0)
    W = {"a": torch.randn(2, 4, 2, generator=g), "b": torch.randn(2, 8, 4, generator=g)}
    masks = magnitude_masks(W, [75.0, 50.0], "erk")
    for gi, p in enumerate([75.0, 50.0]):
        d = erk_densities({"a": (4, 2), "b": (8, 4)}, 1 - p / 100)
        for name, w in W.items():
            k = int(masks[name][gi].sum())
            n = w[gi].numel()
            assert k == n - round((1 - d[name]) * n)
            kept = w[gi].abs()[masks[name][gi]]
            dropped = w[gi].abs()[~masks[name][gi]]
            assert dropped.numel() == 0 or kept.min() >= dropped.max()  # the largest |w| are kept
