"""Resume checkpoints: a training interrupted after any round or chunk goes on to the same bits;
a checkpoint of another job is never resumed."""

import io

import pytest
import torch
from safetensors import safe_open

from conftest import hdl
from holistic.methods import model_grid
from holistic.models import MODELS
from holistic.train.chunks import model_bytes, train_in_chunks
from holistic.train.config import TrainConfig
from holistic.train.resume import Checkpoint
from test_loop import data  # noqa: F401  (the same small split, one fixture)

# HDL: robust loss, stable reduction (a trained theta), continuous sparsification (2 search
# rounds, then the final round): 3 rounds a chunk, 2 chunks of 2 models.
GRID = {"lr": [0.01], "rho": [0.1], "lambda": [1e-6], "beta_bar": [200.0], "a": [0.8, 0.9]}
CFG = TrainConfig(epochs=2, batch_size=16, rounds=2, rewind_epoch=1)


class Killed(Exception):
    """The process dying right after a checkpoint write."""


@pytest.fixture(scope="module")
def budget(data):
    """A memory budget of two models a chunk."""
    return 2.5 * model_bytes(MODELS["mlp"], data.input_shape, data.k, data.X_val.shape[1], CFG.batch_size) / 2**20


@pytest.fixture(scope="module")
def specs():
    return model_grid(hdl("HDL"), GRID, 2)


@pytest.fixture(scope="module")
def uninterrupted(data, budget, specs):
    torch.set_num_threads(1)  # as every test runs (a module fixture comes before conftest's)
    return train_in_chunks(data, hdl("HDL"), specs, CFG, budget, log=None)


def train(data, budget, specs, resume, log=None):
    return train_in_chunks(data, hdl("HDL"), specs, CFG, budget, log=log, resume=resume)


def killed_after(writes, monkeypatch, data, budget, specs, resume):
    """Train until the ``writes``-th checkpoint file is written, then die."""
    write, count = Checkpoint._write, [0]

    def dying(self, *args):
        write(self, *args)
        count[0] += 1
        if count[0] == writes:
            raise Killed

    with monkeypatch.context() as m:
        m.setattr(Checkpoint, "_write", dying)
        with pytest.raises(Killed):
            train(data, budget, specs, resume)


def assert_same(a, b):
    for n in a.params:
        assert torch.equal(a.params[n], b.params[n]), n
    assert list(a.params) == list(b.params) and list(a.state) == list(b.state) == ["theta"]
    assert all(torch.equal(a.state[n], b.state[n]) for n in a.state)
    for f in ("best_epoch", "best_val_accuracy", "val_curve"):
        assert torch.equal(getattr(a, f), getattr(b, f)), f
    assert a.steps == b.steps and a.extra == b.extra  # the trace: each round's starting weights, s resets


# Writes: chunk 1 after rounds 1 and 2, chunk 1 done, chunk 2 after rounds 1 and 2, chunk 2 done.
@pytest.mark.parametrize("writes, resumed", [
    (1, "0 of 2 chunks done; chunk 1 goes on at round 2/3"),      # inside the first chunk
    (3, "1 of 2 chunks done"),                                     # at a chunk's end
    (5, "1 of 2 chunks done; chunk 2 goes on at round 3/3"),      # inside a later chunk, before its final round
])
def test_a_training_killed_after_a_round_or_chunk_resumes_to_the_same_bits(
        writes, resumed, monkeypatch, tmp_path, data, budget, specs, uninterrupted):
    resume = Checkpoint(tmp_path / "HDL.resume", {"job": "blobs/HDL"})
    killed_after(writes, monkeypatch, data, budget, specs, resume)
    for f in resume.path.glob("*.safetensors"):  # tensors and JSON metadata, nothing to unpickle
        with safe_open(str(f), framework="pt") as st:
            assert "fingerprint" in st.metadata()
    log = io.StringIO()
    assert_same(train(data, budget, specs, resume, log), uninterrupted)
    assert f"resuming from {resume.path}: {resumed}\n" in log.getvalue()


def test_a_training_killed_twice_resumes_to_the_same_bits(monkeypatch, tmp_path, data, budget, specs, uninterrupted):
    resume = Checkpoint(tmp_path / "HDL.resume", {"job": "blobs/HDL"})
    killed_after(2, monkeypatch, data, budget, specs, resume)
    killed_after(2, monkeypatch, data, budget, specs, resume)  # then chunk 1 done, chunk 2 after round 1
    assert_same(train(data, budget, specs, resume), uninterrupted)


def test_a_checkpoint_of_another_job_is_ignored_and_replaced(monkeypatch, tmp_path, data, budget, specs, uninterrupted):
    path = tmp_path / "HDL.resume"
    killed_after(4, monkeypatch, data, budget, specs, Checkpoint(path, {"job": "blobs/HDL", "seed": 1}))
    (path / "junk.tmp").write_text("left by a kill")
    resume = Checkpoint(path, {"job": "blobs/HDL", "seed": 0})
    log = io.StringIO()
    assert_same(train(data, budget, specs, resume, log), uninterrupted)
    assert "resuming" not in log.getvalue()
    assert sorted(p.name for p in path.iterdir()) == ["chunk-0000.safetensors", "chunk-0001.safetensors"]
    # the rerun's own checkpoint is complete: a third run trains nothing
    log = io.StringIO()
    assert_same(train(data, budget, specs, resume, log), uninterrupted)
    assert "2 of 2 chunks done" in log.getvalue() and "round" not in log.getvalue()
    resume.discard()
    assert not path.exists()


def test_another_chunk_layout_or_setting_is_another_checkpoint(monkeypatch, tmp_path, data, budget, specs):
    resume = Checkpoint(tmp_path / "HDL.resume", {"job": "blobs/HDL"})
    killed_after(3, monkeypatch, data, budget, specs, resume)
    log = io.StringIO()
    train_in_chunks(data, hdl("HDL"), specs, CFG, 2 * budget, log=log, resume=resume)  # one chunk of 4
    assert "resuming" not in log.getvalue()


def test_a_corrupt_checkpoint_is_ignored(tmp_path, data, budget, specs, uninterrupted):
    resume = Checkpoint(tmp_path / "HDL.resume", {"job": "blobs/HDL"})
    resume.path.mkdir()
    (resume.path / "round.safetensors").write_bytes(b"half a file")
    log = io.StringIO()
    assert_same(train(data, budget, specs, resume, log), uninterrupted)
    assert "resuming" not in log.getvalue()
