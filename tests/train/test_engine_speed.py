"""The engine's speed-ups change no bit: Adam's three paths, the logits-only forward, the
batch gathering, and chunk sizes from the cache (read from sysfs, capped by the memory budget)."""

import math

import pytest
import torch

from conftest import hdl
from holistic.methods import model_grid
from holistic.models import MODELS
from holistic.train import adam as adam_module
from holistic.train import chunks
from holistic.train.adam import StackedAdam, segments
from holistic.train.batches import Batches
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid
from test_loop import data  # noqa: F401  (the same small split, one fixture)

GRID = {"lr": [0.01, 0.001], "rho": [0.1], "lambda": [1e-6], "beta_bar": [200.0], "a": [0.8, 0.9]}


def adam_run(path: str, monkeypatch, steps: int = 5) -> list[torch.Tensor]:
    """Parameters after ``steps`` Adam steps on fixed random gradients, through one path."""
    g = torch.Generator().manual_seed(0)
    shapes = [(3, 5, 7), (3, 7), (3, 7, 2), (3, 2), (3,)]
    params = [torch.randn(*s, generator=g).requires_grad_() for s in shapes]
    grads = [[torch.randn(*s, generator=g) * 10.0 ** -t for s in shapes] for t in range(steps)]
    monkeypatch.setattr(adam_module, "FLAT_MAX_FLOATS", 2**17 if path == "flat" else 0)
    opt = StackedAdam(params, torch.tensor([0.01, 0.001, 0.1]))
    assert opt.flat == (path == "flat")
    if path == "loop":  # the CUDA path, run on CPU
        opt.foreach = False
    for gs in grads:
        for p, gr in zip(params, gs):
            p.grad = gr.clone()
        opt.step()
        assert all(p.grad is None for p in params)
    return [p.detach().clone() for p in params]


def test_adam_paths_agree_bitwise(monkeypatch):
    """One flat buffer, ``_foreach_*`` calls and the per-parameter loop: the same bits."""
    flat, foreach, loop = (adam_run(path, monkeypatch) for path in ("flat", "foreach", "loop"))
    for a, b, c in zip(flat, foreach, loop):
        assert torch.equal(a, b) and torch.equal(b, c)


def test_floored_second_moment_changes_no_bit_of_the_denominator():
    """sqrt(max(v, 2^-126)) + eps sqrt(c2) == sqrt(v) + eps sqrt(c2) for v = 0, every subnormal
    float32 and normal values, at Adam's eps term of step 1, of a late step and at the smallest
    term the floor is used for (2^-38); and for the largest subnormals (the ones nearest to
    changing a sum) at the terms of Adam's first 500 steps."""
    below = torch.arange(0, 2**23, dtype=torch.int32).view(torch.float32)  # 0 and every subnormal
    normal = torch.rand(10_000, generator=torch.Generator().manual_seed(0)) * 10.0 ** torch.arange(-37, 3).repeat(250)
    term = lambda t: 1e-8 * math.sqrt(1 - 0.999**t)  # noqa: E731  (eps sqrt(c2) at step t)

    def same(v: torch.Tensor, eps_term: float) -> bool:
        plain = adam_module.denominator(v, eps_term, floor=False)
        return torch.equal(plain.view(torch.int32), adam_module.denominator(v, eps_term, floor=True).view(torch.int32))

    for eps_term in (term(1), term(10**5), adam_module.MIN_EPS_TERM):
        assert same(below, eps_term) and same(normal, eps_term)
    top = torch.cat([below[:1], below[-2**12:]])
    assert all(same(top, term(t)) for t in range(1, 501))


@pytest.mark.parametrize("path", ["flat", "foreach", "loop"])
def test_adam_with_zero_gradients_is_the_same_with_and_without_the_floor(path, monkeypatch):
    """Parameters whose gradients are 0 (a dead unit) or tiny (second moments 0 and subnormal):
    the floored square root leaves every bit of the trajectory as the plain one; an ``eps`` too
    small for the floor's argument turns it off."""
    def run(floor: bool) -> list[torch.Tensor]:
        monkeypatch.setattr(adam_module, "MIN_EPS_TERM", adam_module.MIN_EPS_TERM if floor else math.inf)
        monkeypatch.setattr(adam_module, "floor_pays", lambda: True)  # the floor in every numerics mode
        g = torch.Generator().manual_seed(1)
        params = [torch.randn(3, 6, 4, generator=g).requires_grad_(), torch.randn(3, 4, generator=g).requires_grad_()]
        opt = StackedAdam(params, torch.tensor([0.01, 0.001, 0.1]))
        assert opt.floor == floor
        if path == "loop":
            opt.foreach = False
        for t in range(6):
            grads = [torch.randn(p.shape, generator=g) for p in params]
            grads[0][:, :3] = 0.0                    # a dead unit: v stays exactly 0
            grads[1][0] *= 1e-22 * 10.0 ** -t        # v = (1 - b2) g^2 subnormal
            for p, gr in zip(params, grads):
                p.grad = gr
            opt.step()
        return [p.detach().clone() for p in params]

    monkeypatch.setattr(adam_module, "FLAT_MAX_FLOATS", 2**17 if path == "flat" else 0)
    for a, b in zip(run(True), run(False)):
        assert torch.equal(a, b)
    assert not StackedAdam([torch.zeros(2, 3).requires_grad_()], torch.full((2,), 0.1), eps=1e-30).floor


@pytest.mark.parametrize("mode, floored", [("native", True), ("portable", False), ("intel", False)])
def test_the_floor_is_taken_only_where_it_makes_the_square_root_faster(mode, floored, monkeypatch):
    """The floor (the same bits either way, above) only under native numerics: under MKL's pinned
    branches the square root is slow at 2^-126 itself (``FLOOR_MODES``)."""
    monkeypatch.setenv("HOLISTIC_NUMERICS", mode)
    assert StackedAdam([torch.zeros(2, 3).requires_grad_()], torch.full((2,), 0.1)).floor == floored


def test_flat_adam_keeps_each_parameter_in_an_aligned_segment():
    offsets, total = segments([35, 7, 14, 2, 1])
    assert offsets == [0, 48, 64, 80, 96] and total == 112
    params = [torch.rand(3, 5, 7).requires_grad_(), torch.rand(3, 7).requires_grad_()]
    before = [p.detach().clone() for p in params]
    opt = StackedAdam(params, torch.full((3,), 0.01))
    assert opt.flat
    for p, b in zip(params, before):
        assert torch.equal(p.detach(), b) and p.is_contiguous() and p.data_ptr() % 64 == 0
        assert p.untyped_storage().data_ptr() == opt.P.untyped_storage().data_ptr()


def test_logits_only_forward_equals_the_full_forward():
    mlp = MODELS["mlp"]
    params = mlp.init((5,), 3, [torch.Generator().manual_seed(s) for s in (0, 1)])
    x = torch.rand(2, 9, 5)
    z, gates = mlp.forward(params, x)
    assert len(gates) == 2 and torch.equal(mlp.logits(params, x), z)


def test_batches_equal_indexing_each_models_split(data):
    split = torch.tensor([1, 0, 1])
    b = Batches(data, split, seed=0, batch_size=16)
    b.new_epoch()
    order = b.rows - split[:, None] * b.n_train
    x, y = b.batch(2)
    idx = order[:, 32:48]
    assert torch.equal(x, data.X_train[split[:, None], idx]) and torch.equal(y, data.y_train[split[:, None], idx])
    assert torch.equal(order[0], order[2])  # models of one split draw the same order


def test_last_level_cache_is_read_from_sysfs(tmp_path):
    for i, (level, kind, size, shared) in enumerate([(1, "Data", "32K", "0"), (1, "Instruction", "64K", "0"),
                                                     (2, "Unified", "512K", "0"), (3, "Unified", "8192K", "0-1")]):
        d = tmp_path / f"index{i}"
        d.mkdir()
        for name, text in (("level", str(level)), ("type", kind), ("size", size), ("shared_cpu_list", shared)):
            (d / name).write_text(text + "\n")
    assert chunks.last_level_cache(str(tmp_path)) == (8 * 2**20, 2)
    assert chunks.last_level_cache(str(tmp_path / "missing")) == (chunks.DEFAULT_CACHE_BYTES, 1)
    assert chunks._cpu_count("0,2,4-7") == 6 and chunks._size_bytes("32M") == 32 * 2**20


def test_chunk_size_follows_the_cache_within_the_memory_budget(data, monkeypatch):
    cfg = TrainConfig(epochs=1, batch_size=16)
    method = hdl("Robust")
    monkeypatch.setattr(chunks, "last_level_cache", lambda: (8 * 2**20, 2))
    model, loss = method.pieces()[:2]
    per_model = chunks.step_bytes(model, loss, data.input_shape, data.k, cfg.batch_size)
    assert per_model > chunks.step_bytes(model, hdl("DL").pieces()[1], data.input_shape, data.k, cfg.batch_size)
    share = 8 * 2**20 * min(torch.get_num_threads(), 2) // 2
    G = round(chunks.CACHE_MULTIPLE * share / per_model)
    assert chunks.chunk_size(data, method, cfg, budget_mb=1e6) == min(G, chunks.CPU_MAX_MODELS)
    monkeypatch.setattr(chunks, "last_level_cache", lambda: (2**20, 2))  # a small cache: its rule decides
    small = round(chunks.CACHE_MULTIPLE * 2**20 * min(torch.get_num_threads(), 2) // 2 / per_model)
    assert small < chunks.CPU_MAX_MODELS and chunks.chunk_size(data, method, cfg, budget_mb=1e6) == max(1, small)
    monkeypatch.setattr(chunks, "last_level_cache", lambda: (8 * 2**20, 2))
    one_mb = chunks.model_bytes(model, data.input_shape, data.k, data.X_val.shape[1], cfg.batch_size) / 2**20
    assert chunks.chunk_size(data, method, cfg, budget_mb=2.5 * one_mb) == 2  # the budget caps it
    assert chunks.balanced(300, 128) == [100, 100, 100] and chunks.balanced(7, 3) == [3, 2, 2]
    assert chunks.balanced(5, 8) == [5]


@pytest.mark.parametrize("method", ["DL", "HDL"])
def test_cache_sized_chunks_never_change_results(data, method, monkeypatch):
    cfg = TrainConfig(epochs=2, batch_size=16, rounds=1)
    specs = model_grid(hdl(method), GRID, 2)  # 8 models
    whole = train_grid(data, hdl(method), specs, cfg, log=None)
    monkeypatch.setattr(chunks, "models_per_cache", lambda *a, **k: 3)  # chunks of 3, 3, 2
    chunked = chunks.train_in_chunks(data, hdl(method), specs, cfg, budget_mb=1e6, log=None)
    for n in whole.params:
        assert torch.equal(whole.params[n], chunked.params[n])
    assert torch.equal(whole.best_epoch, chunked.best_epoch)
    assert torch.equal(whole.val_curve, chunked.val_curve)
