"""``train.imp.paper_prunes``: iterative magnitude pruning straight to the paper's levels, one
prune a level (issue 33). Each layer goes in one magnitude prune from its count after k_{j-1} of
the paper's single prunes to its count after k_j, the count rule ``round(s n)`` iterated
k_j - k_{j-1} times; the weights removed are the smallest |theta| of the round's trained kept
weights; ``reset: init`` still rewinds the survivors to theta_0; with ``paper_prunes`` null the
masks are those of the procedure before the setting existed; bad lists are refused naming the field.

Mutants each test fails on: one single prune per listed level, the closed form ``round(n (1 -
s)^k)`` instead of the iterated rule, the largest |theta| pruned, a reset to the trained weights,
the number of rounds read from ``prunes``, a validation that lets a repeated entry through."""

import math
from fractions import Fraction

import numpy as np
import pytest
import torch

from conftest import blobs
from holistic.data.stacked import stack_splits
from holistic.methods import Method, model_grid
from holistic.models import MODELS
from holistic.procedures import PROCEDURES
from holistic.procedures.imp import DEFAULTS, RESETS, IterativeMagnitudePruning, n_prunes, paper_levels
from holistic.procedures.layer_pruning import LayerwisePruning, exact_rate, kept_percent, prune_smallest
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid
from holistic.train.pieces import piece_settings

NET = "lenet300-nobias"
SHAPE = (1, 6, 6)  # LeNet-300-100 36-300-100-3: trains in milliseconds
RATES = (Fraction(1, 5), Fraction(1, 5), Fraction(1, 10))  # hidden, hidden, output (Sec. 4.2)
#: k -> P_m (%) to two decimals after k of the paper's prunes (the closed form; imp's docstring)
PAPER = {3: 51.28, 8: 16.88, 11: 8.68, 15: 3.58, 18: 1.85}


def brute_kept(n: int, s: Fraction, k: int) -> int:
    """A layer's count after k single prunes of the paper: n loses round(s n), k times."""
    for _ in range(k):
        n = n - round(s * n)
    return n


def images(n=120, k=3):
    X, y = blobs(n, math.prod(SHAPE), k)
    idx = np.arange(n)
    pixels = np.round(255 * np.clip(X, 0, 1)).astype(np.uint8).reshape(n, *SHAPE)
    return stack_splits(pixels, y, {"test": idx[:24], "train": np.stack([idx[24:88], idx[56:120]]),
                                    "val": np.stack([idx[88:], idx[24:56]])}, "minmax")


def train(imp: dict, procedure="imp", epochs=1):
    """Train LeNet-300-100 (no biases) on two splits with ``train.imp`` = ``imp``; per prune the
    round's trained weights and the masks before and after it, and the result."""
    seen = []
    method = Method(model=NET, procedure=procedure)
    specs = model_grid(method, {"lr": [0.01]}, 2)
    cfg = TrainConfig(epochs=epochs, batch_size=16, settings={"imp": imp})
    res = train_grid(images(), method, specs, cfg, log=None, on_round=lambda st: seen.append(
        ({n: p.detach().clone() for n, p in st.params.items()}, {n: m.clone() for n, m in st.pstate["masks"].items()})))
    prunes, before = [], None
    for theta, after in seen:
        before = before or {n: torch.ones_like(m) for n, m in after.items()}
        prunes.append((theta, before, after))
        before = after
    return prunes, res


@pytest.mark.parametrize("ks", [[3, 8], [3, 8, 11], [2, 5, 11, 18]])
def test_layer_counts_and_p_m_are_those_of_the_papers_single_prunes(ks):
    """LeNet-300-100 without biases on MNIST's 28 x 28: after the j-th prune each layer has its
    count after k_j single prunes (brute force), and P_m is the paper's closed form to the weight."""
    imp = IterativeMagnitudePruning(paper_prunes=ks)
    assert imp.levels == (0, *ks) and imp.prunes == len(ks) == n_prunes({"imp": {"paper_prunes": ks}})
    gen = torch.Generator().manual_seed(1)
    params = MODELS[NET].init((1, 28, 28), 10, [gen])
    state = imp.init_state(params, MODELS[NET].prunable(params))
    dense = [int(m.sum()) for m in state["masks"].values()]
    assert dense == [784 * 300, 300 * 100, 100 * 10]
    for j, k in enumerate(ks):
        params = MODELS[NET].init((1, 28, 28), 10, [gen])  # other weights every round, as training gives
        imp.after_round(params, state, {}, j, False, {})
        counts = [int(m.sum()) for m in state["masks"].values()]
        assert counts == [brute_kept(n, s, k) for n, s in zip(dense, RATES)], k
        for c, n, s in zip(counts, dense, RATES):  # the closed form n (1 - s)^k, to a weight a layer
            assert abs(c - n * (1 - float(s)) ** k) < 1
        p_m = kept_percent(list(state["masks"].values())).item()
        assert p_m == 100 * sum(counts) / 266_200
        closed = 100 * (265_200 * 0.8 ** k + 1_000 * 0.9 ** k) / 266_200
        assert abs(p_m - closed) < 100 * 3 / 266_200
        assert round(p_m, 2) == PAPER.get(k, round(p_m, 2))


def test_each_prune_removes_exactly_the_smallest_trained_weights_at_once():
    """Trained LeNet-300-100, paper_prunes [3, 8]: three rounds; each prune removes, of the weights
    the layer kept, exactly the (count after k_{j-1}) - (count after k_j) of smallest |theta| of
    the round's trained weights (a brute-force stable sort)."""
    prunes, res = train({"paper_prunes": [3, 8], "reset": "init"})
    assert len(prunes) == 2 and len(res.rounds) == 3
    for (theta, before, after), steps in zip(prunes, (3, 5)):
        for i, n in enumerate(after):
            for g in range(after[n].shape[0]):
                w = theta[n][g].abs().flatten().numpy()
                b, a = before[n][g].flatten().numpy(), after[n][g].flatten().numpy()
                kept = np.flatnonzero(b)
                count = len(kept) - brute_kept(len(kept), RATES[i], steps)
                order = kept[np.argsort(w[kept], kind="stable")]
                expected = b.copy()
                expected[order[:count]] = False
                assert count > 0 and np.array_equal(a, expected), (n, g)
    shape = {n: m.shape[1:] for n, m in prunes[0][2].items()}
    dense = [math.prod(s) for s in shape.values()]
    for r, k in ((1, 3), (2, 8)):
        masks = prunes[r - 1][2]
        for (n, m), d, s in zip(masks.items(), dense, RATES):
            assert m.flatten(1).sum(1).tolist() == [brute_kept(d, s, k)] * 2
        # the round's P_m (100 - sparsity of its weights): the masks' share, to float rounding
        assert torch.allclose(res.rounds[r]["kept_percent"], kept_percent(list(masks.values())), rtol=0, atol=1e-9)


class Recording(IterativeMagnitudePruning):
    """``imp`` that keeps what the network uses at the first training step of every round."""

    starts: list = []

    def configured(self, settings, box=None):
        out = Recording.__new__(Recording)
        out.__dict__.update(super().configured(settings, box).__dict__)
        return out

    def effective(self, params, state, hp, final, t, T):
        eff, penalty = super().effective(params, state, hp, final, t, T)
        if t == 0 and torch.is_grad_enabled():  # a training step, not a validation
            self.starts.append(({n: e.detach().clone() for n, e in eff.items()},
                                {n: m.clone() for n, m in state["masks"].items()}))
        return eff, penalty


def test_init_reset_after_a_multi_level_prune_rewinds_the_survivors_to_theta_0_bit_for_bit(monkeypatch):
    Recording.starts = []
    monkeypatch.setitem(PROCEDURES, "imp-recording", Recording())
    train({"paper_prunes": [3, 8], "reset": "init"}, procedure="imp-recording")
    (theta0, dense), *later = Recording.starts
    assert len(later) == 2 and all(m.all() for m in dense.values())
    for (eff, masks), k in zip(later, (3, 8)):
        for i, (n, m) in enumerate(masks.items()):
            assert m.flatten(1).sum(1).tolist() == [brute_kept(m[0].numel(), RATES[i], k)] * 2
        for n, w in theta0.items():
            assert torch.equal(eff[n], torch.where(masks[n], w, 0.0)) if n in masks else torch.equal(eff[n], w)


class Legacy(LayerwisePruning):
    """``imp`` as it was before ``paper_prunes`` (commit 730e8fd): ``prunes`` single prunes of
    ``round(s n)``, ``prunes + 1`` rounds."""

    param_keys = ("train.imp",)

    def __init__(self, prunes=20, rate=0.2, output_rate=0.1, reset="init", early_stopping="val_loss"):
        super().__init__(prunes, early_stopping)
        self.rate, self.output_rate, self.reset = exact_rate(rate), exact_rate(output_rate), reset

    def configured(self, settings, box=None):
        return Legacy(**piece_settings(settings, "imp", {k: v for k, v in DEFAULTS.items() if k != "paper_prunes"}))

    def start_from(self, r):
        return RESETS[self.reset]

    def prune(self, theta, m, output):
        s = self.output_rate if output else self.rate
        return prune_smallest(theta, m, [round(s * n) for n in m.flatten(1).sum(dim=1).tolist()])


def test_without_paper_prunes_the_masks_are_todays():
    """paper_prunes null (or absent): 18 prunes of LeNet-300-100 at 28 x 28 give the masks of the
    procedure before the setting, step for step; so does paper_prunes [1, 2, ..., 18]."""
    gen = torch.Generator().manual_seed(2)
    params = MODELS[NET].init((1, 28, 28), 10, [gen, gen])
    procs = [IterativeMagnitudePruning(), IterativeMagnitudePruning(prunes=18, paper_prunes=None),
             IterativeMagnitudePruning(paper_prunes=list(range(1, 19)))]
    old = Legacy()
    states = [p.init_state(params, MODELS[NET].prunable(params)) for p in procs]
    ref = old.init_state(params, MODELS[NET].prunable(params))
    for r in range(18):
        params = MODELS[NET].init((1, 28, 28), 10, [gen, gen])
        old.after_round(params, ref, {}, r, False, {})
        for p, st in zip(procs, states):
            p.after_round(params, st, {}, r, False, {})
            assert all(torch.equal(st["masks"][n], ref["masks"][n]) for n in ref["masks"]), r
    assert [n_prunes({"imp": {"prunes": 18}}), n_prunes({"imp": {"prunes": 18, "paper_prunes": None}}), n_prunes({})] \
        == [18, 18, 20]
    assert paper_levels({"imp": {"prunes": 2}}) == (0, 1, 2)


def test_without_paper_prunes_training_is_todays_bit_for_bit(monkeypatch):
    monkeypatch.setitem(PROCEDURES, "imp-legacy", Legacy())
    old, old_res = train({"prunes": 2, "reset": "random"}, procedure="imp-legacy")
    new, new_res = train({"prunes": 2, "reset": "random", "paper_prunes": None})
    assert len(old_res.rounds) == len(new_res.rounds) == 3
    for (t0, b0, a0), (t1, b1, a1) in zip(old, new, strict=True):
        assert all(torch.equal(a0[n], a1[n]) and torch.equal(t0[n], t1[n]) for n in a0)
    for a, b in zip(old_res.rounds, new_res.rounds, strict=True):
        assert all(torch.equal(a["params"][n], b["params"][n]) for n in a["params"])
        assert all(torch.equal(a[k], b[k]) for k in a if k not in ("params", "state"))


@pytest.mark.parametrize("value, reason", [
    ([], "non-empty list"), ("3", "non-empty list"), (3, "non-empty list"),
    ([3, 3], "strictly increasing"), ([8, 3], "strictly increasing"), ([3, 8, 8, 11], "strictly increasing"),
    ([0, 3], "integers >= 1"), ([-2, 3], "integers >= 1"), ([2.5], "integers >= 1"), ([3.0, 8], "integers >= 1"),
    ([True, 3], "integers >= 1"),
])
def test_bad_lists_are_refused_naming_the_field(value, reason):
    with pytest.raises(ValueError, match=rf"^train\.imp\.paper_prunes: .*{reason}"):
        IterativeMagnitudePruning(paper_prunes=value)
    with pytest.raises(ValueError, match=r"^train\.imp\.paper_prunes: "):
        n_prunes({"imp": {"prunes": 5, "paper_prunes": value}})
    field, why = PROCEDURES["imp"].check({"imp": {"paper_prunes": value}})
    assert field == "train.imp.paper_prunes" and reason in why
    assert PROCEDURES["imp"].check({"imp": {"paper_prunes": [3, 8]}}) is None
    assert PROCEDURES["imp"].check({}) is None
