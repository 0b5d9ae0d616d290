"""Progress of a job with the time elapsed and left: plain lines in a log file, every 15 s
and at the end, whose fraction only grows and ends at 100 %; training and evaluation count
their whole work."""

import io
import re

import numpy as np
import pytest
import torch

from conftest import ROOT, blobs, hdl
from holistic import progress as P
from holistic.config import load_params
from holistic.data.stacked import stack_splits
from holistic.jobs import attack as attack_job
from holistic.methods import model_grid
from holistic.models import MODELS
from holistic.train.chunks import model_bytes, train_in_chunks
from holistic.train.config import TrainConfig

LINE = re.compile(r"^\[(?P<label>[^\]]+)\] (?P<what>\w+) (?P<pct>\d+)% (?P<elapsed>\S+) elapsed, "
                  r"(?:~(?P<left>\S+) left|done)$")


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def progress_lines(text: str, what: str) -> list[re.Match]:
    lines = [LINE.match(line) for line in text.splitlines() if f"] {what} " in line]
    assert lines and all(lines), text
    return lines


def test_log_lines_come_every_15_seconds_with_a_growing_fraction_and_an_estimate():
    clock, out = Clock(), io.StringIO()
    p = P.Progress(1000, "hdl/DL", "train", stream=out, clock=clock)
    for _ in range(100):        # 10 units every second for 100 s
        clock.t += 1
        p.update(10)
    p.close()
    lines = progress_lines(out.getvalue(), "train")
    assert [m["elapsed"] for m in lines] == ["15s", "30s", "45s", "1m00s", "1m15s", "1m30s", "1m40s"]
    pct = [int(m["pct"]) for m in lines]
    assert pct == sorted(pct) and pct[-1] == 100 and lines[-1]["left"] is None
    assert out.getvalue().splitlines()[0] == "[hdl/DL] train 15% 15s elapsed, ~1m25s left"  # 850 units at 10/s
    assert all(m["left"] for m in lines[:-1])


def test_the_estimate_of_a_resumed_job_counts_only_this_run_s_rate():
    clock, out = Clock(), io.StringIO()
    p = P.Progress(100, "hdl/HDL", "train", stream=out, done=50, every=10, clock=clock)
    clock.t += 10
    p.update(10)                # 10 units in 10 s: the other 40 take 40 s
    assert out.getvalue() == "[hdl/HDL] train 60% 10s elapsed, ~40s left\n"


def test_a_silent_progress_writes_nothing_and_a_terminal_gets_a_bar():
    p = P.Progress(10, "x", "train", stream=None)
    p.update(10)
    p.write("a log line")
    p.close()

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    term = Terminal()
    bar = P.Progress(10, "hdl/DL", "eval", stream=term)
    bar.update(4)
    bar.write("[hdl/DL] a log line")
    bar.update(6)
    bar.close()
    text = term.getvalue()
    assert "[hdl/DL] a log line\n" in text and "[hdl/DL] eval: 100%" in text and "elapsed" not in text


def test_durations():
    assert [P.duration(s) for s in (0, 9.4, 75, 3599, 3725)] == ["0s", "9s", "1m15s", "59m59s", "1h02m"]


@pytest.fixture(scope="module")
def data():
    X, y = blobs(150, 4, 3, seed=3)
    idx = np.random.default_rng(0).permutation(150)
    splits = {"test": idx[:30], "train": np.stack([idx[30:110], idx[70:150]]),
              "val": np.stack([idx[110:150], idx[30:70]])}
    return stack_splits(X, y, splits, "minmax")


def test_training_reports_every_model_step_of_every_chunk_and_round(monkeypatch, data):
    monkeypatch.setattr(P, "EVERY", 0.0)  # a line at every step
    cfg = TrainConfig(epochs=1, batch_size=40, rounds=1)
    specs = model_grid(hdl("Sparse"), {"lr": [0.01], "lambda": [1e-6], "beta_bar": [200.0]}, 2)
    budget = 1.5 * model_bytes(MODELS["mlp"], data.input_shape, data.k, 40, cfg.batch_size) / 2**20  # chunks of 1
    out = io.StringIO()
    train_in_chunks(data, hdl("Sparse"), specs, cfg, budget, log=out, label="t/Sparse")
    lines = progress_lines(out.getvalue(), "train")
    pct = [int(m["pct"]) for m in lines]
    # 2 chunks x 2 rounds x 2 steps: a line per step (12 % each) and the final one
    assert pct == [12, 25, 37, 50, 62, 75, 87, 100, 100] and lines[-1]["left"] is None


def test_evaluation_reports_every_measurement(monkeypatch, data):
    monkeypatch.setattr(P, "EVERY", 0.0)
    params = load_params([ROOT / "params.yaml"])
    params["attack"].update(eps=[0.05, 0.1], pgd_steps=2, verify=["ibp"], adversarial="pgd",
                            suite={"pgd": ["val", "test"], "fgsm": ["test"], "deepfool": ["test"],
                                   "ensemble": ["test"]},
                            ensemble={"members": ["pgd"]}, deepfool={"steps": 2})
    specs = model_grid(hdl("DL"), {"lr": [0.01]}, 2)
    model = MODELS["mlp"]
    weights = model.init(data.input_shape, data.k, [torch.Generator().manual_seed(s.split) for s in specs])
    out = io.StringIO()
    attack_job.measure(params, "mlp", weights, specs, data, log=out, label="t/DL")
    lines = progress_lines(out.getvalue(), "eval")
    pct = [int(m["pct"]) for m in lines]
    # per model: deepfool; per radius: pgd (val, test), fgsm, the val and test bound passes, the ensemble
    assert len(lines) == 1 + 2 * 6 + 1 and pct == sorted(pct) and pct[-2:] == [100, 100]
