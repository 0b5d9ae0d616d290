"""Global magnitude pruning (SparseVLR Alg. 1 lines 2 and 8): exactly p percent, by global
magnitude across tensors, per model, exact zeros, ties by position."""

import torch

from holistic.procedures.magnitude_pruning import global_magnitude_masks, magnitude_pruned, n_pruned, prune_


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
