"""Which weights layer-wise magnitude pruning removes, on every path that prunes (the procedures
``imp`` and ``progressive``, and the studies' methods built on them: lth's and guo's, with their
profiles' settings through the train job's configuration): after each round, each layer's mask
loses exactly the prescribed count of the weights it kept, and those are the ones of smallest
|theta| among the round's trained weights (its last values); and ``reset: init`` starts every
later round from the surviving weights' initial values theta_0, bit for bit.

Each check fails on a mutant: pruning the largest |theta| (``prune_smallest`` with the order
reversed), pruning by the weights a round started from, or another reset (``trained``, ``fresh``,
the rewind point after the first epoch)."""

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import blobs
from holistic.config import deep_merge, load_params
from holistic.data.stacked import stack_splits
from holistic.jobs import train as job
from holistic.methods import Method, model_grid
from holistic.procedures import PROCEDURES
from holistic.procedures.imp import IterativeMagnitudePruning
from holistic.procedures.progressive import ProgressivePruning
from holistic.studies import STUDIES
from holistic.train.loop import train_grid

ROOT = Path(__file__).resolve().parents[2]
SHAPE = (1, 6, 6)
SMALL = {"train": {"epochs": 2, "batch_size": 16, "grid": {"lr": [0.01]}, "max_steps_per_round": None,
                   "min_steps_per_round": None, "select_every_steps": None,
                   "imp": {"prunes": 3, "paper_prunes": [1, 3, 4]}, "progressive": {"prunes": 3}}}


def images(n=120, k=3):
    X, y = blobs(n, math.prod(SHAPE), k)
    idx = np.arange(n)
    pixels = np.round(255 * np.clip(X, 0, 1)).astype(np.uint8).reshape(n, *SHAPE)
    return stack_splits(pixels, y, {"test": idx[:24], "train": np.stack([idx[24:88], idx[56:120]]),
                                    "val": np.stack([idx[88:], idx[24:56]])}, "minmax")


def params_of(profile: str | None) -> dict:
    files = [ROOT / "params.yaml"] + ([ROOT / f"workflow/profiles/{profile}/params.yaml"] if profile else [])
    return deep_merge(load_params(files), SMALL)


def prune_rounds(method: Method, params: dict, data):
    """Train ``method`` (the train job's configuration of ``params``) and return, per pruning, the
    round's trained weights and the masks before and after it: ``[(theta, before, after)]``."""
    seen = []
    record = lambda st: seen.append(({n: p.detach().clone() for n, p in st.params.items()},  # noqa: E731
                                     {n: m.clone() for n, m in st.pstate["masks"].items()}))
    specs = model_grid(method, params["train"]["grid"], data.X_train.shape[0])
    cfg = job.train_config(params, data.X_train.shape[1], method=method)
    train_grid(data, method, specs, cfg, log=None, on_round=record)
    out, before = [], None
    for theta, after in seen:
        before = before or {n: torch.ones_like(m) for n, m in after.items()}
        out.append((theta, before, after))
        before = after
    return out


def expected_count(procedure, candidates: int, output: bool, r: int) -> int:
    """How many of a layer's candidates (one model's) the procedure's rule removes after round r:
    progressive ``floor(rho n)`` of the n nonzero kept weights, imp ``round(s n)`` of the n kept
    (s: the output layer's rate for the output layer), applied once for each of the paper's prunes
    between the round's level and the next (``train.imp.paper_prunes``; one without it)."""
    if isinstance(procedure, ProgressivePruning):
        return math.floor(Fraction(procedure.rate) * candidates)
    s, n = Fraction(procedure.output_rate if output else procedure.rate), candidates
    for _ in range(procedure.levels[r + 1] - procedure.levels[r]):
        n -= round(s * n)
    return candidates - n


def check_smallest_removed(method: Method, params: dict, rounds) -> None:
    procedure = PROCEDURES[method.procedure].configured(job.piece_sections(params, method))
    progressive = isinstance(procedure, ProgressivePruning)
    assert rounds, "no pruning happened"
    for r, (theta, before, after) in enumerate(rounds):
        names = list(after)
        for i, n in enumerate(names):
            for g in range(after[n].shape[0]):
                w, b, a = theta[n][g].abs().flatten(), before[n][g].flatten(), after[n][g].flatten()
                assert not (a & ~b).any()                                   # a removed weight never returns
                candidates = b & (w != 0) if progressive else b             # progressive: the nonzero ones
                if progressive:  # a kept weight trained to exactly 0 counts as pruned
                    assert not (b & (w == 0) & a).any()
                removed = b & ~a & candidates
                count = expected_count(procedure, int(candidates.sum()), i == len(names) - 1, r)
                assert int(removed.sum()) == count > 0, (n, g)
                # the removed ones are the smallest |theta| of the trained weights the layer kept
                assert w[removed].max() <= w[a].min(), (n, g)


PATHS = [
    ("procedure imp", None, Method(model="lenet300-nobias", procedure="imp")),
    ("procedure progressive", None, Method(model="lenet300", procedure="progressive")),
    ("study lth natural-init", "lth", "natural-init"),
    ("study lth natural-continue", "lth", "natural-continue"),
    ("study guo linear", "guo", "linear"),
    ("study guo lenet300", "guo", "lenet300"),
]


@pytest.mark.parametrize("label, profile, method", PATHS, ids=[p[0] for p in PATHS])
def test_each_prune_removes_exactly_the_smallest_trained_weights(label, profile, method):
    params = params_of(profile)
    if isinstance(method, str):
        method = STUDIES[profile].method(method, params)
    check_smallest_removed(method, params, prune_rounds(method, params, images()))


class Recording(IterativeMagnitudePruning):
    """``imp`` that keeps what the network uses at the first training step of every round."""

    starts: list = []

    def configured(self, settings, box=None):
        base = super().configured(settings, box)
        out = Recording.__new__(Recording)
        out.__dict__.update(base.__dict__)
        return out

    def effective(self, params, state, hp, final, t, T):
        eff, penalty = super().effective(params, state, hp, final, t, T)
        if t == 0 and torch.is_grad_enabled():  # a training step, not a validation
            self.starts.append(({n: e.detach().clone() for n, e in eff.items()},
                                {n: m.clone() for n, m in state["masks"].items()}))
        return eff, penalty


def test_lth_init_methods_restart_every_round_from_theta_0_bit_for_bit(monkeypatch):
    """Study lth's ``*-init`` methods (``reset: init``, with the lth profile's settings and the
    params' rewind epoch 1, which a rewind-point mutant would use): round r > 0 starts from
    ``m_r ⊙ theta_0``, theta_0 being what round 0 started from."""
    Recording.starts = []
    monkeypatch.setitem(PROCEDURES, "imp", Recording())
    params = params_of("lth")
    method = STUDIES["lth"].method("natural-init", params)
    assert job.piece_sections(params, method)["imp"]["reset"] == "init"
    data = images()
    specs = model_grid(method, params["train"]["grid"], data.X_train.shape[0])
    train_grid(data, method, specs, job.train_config(params, data.X_train.shape[1], method=method), log=None)
    (theta0, first_masks), *later = Recording.starts
    assert len(later) == 3 and all(m.all() for m in first_masks.values())
    for eff, masks in later:
        assert any(not m.all() for m in masks.values())  # pruned by then
        for n, w in theta0.items():
            assert torch.equal(eff[n], torch.where(masks[n], w, 0.0)) if n in masks else torch.equal(eff[n], w)
