"""What the two paper slices for a lent GPU share (``bench/gpu_lth.py``, ``bench/gpu_guo.py``; the
driver ``bench/gpu_slices.sh``): the paper profile's params, MNIST from a mirror (or MNIST-shaped
synthetic data for a smoke run without one), the timing probe and the time-budget rule, and the
result file.

The budget rule. Before the real run, a few hundred optimizer steps are timed (:func:`probe`):
one round (no prune) on the first ``s`` and ``2 s`` batches of the training rows, once with one
epoch and once with two, after a warm-up call. The differences give the seconds of one step and
of one epoch's end (the engine's validation, with the method's own loss) and the fixed cost of a
training call. :func:`plan` extrapolates ``rounds x epochs x (steps_per_epoch x step +
epoch_end) + fixed`` and, where that exceeds the budget, cuts the epochs a round to the most that
fit (at least one), saying so in the output and the JSON (``scaled``, ``scale_note``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from holistic.config import deep_merge  # noqa: E402
from holistic.data.fetch import fetch, load_dataset  # noqa: E402
from holistic.data.registry import get  # noqa: E402
from holistic.data.splits import make_splits, split_params  # noqa: E402
from holistic.data.stacked import SplitTensors, stack_splits  # noqa: E402
from holistic.io import write_json  # noqa: E402
from holistic.train.loop import train_grid  # noqa: E402
from holistic.train.schedule import steps_per_epoch  # noqa: E402

#: Where bench/gpu_slices.sh puts the MNIST files (carried to the device machine), then the
#: shared copy beside the project.
MIRRORS = (ROOT / "data" / "mirror" / "mnist", ROOT.parent / "shared" / "data" / "mnist")


def default_out(name: str) -> Path:
    """``$OUT/<name>`` on the device machine, else ``results/bench/<name>``."""
    return Path(os.environ["OUT"]) / name if os.environ.get("OUT") else ROOT / "results" / "bench" / name


def default_mirror() -> Path | None:
    """The first MNIST mirror of :data:`MIRRORS` that holds the files (None: none does)."""
    return next((m for m in MIRRORS if (m / "train-images-idx3-ubyte.gz").is_file()), None)


def parser(doc: str, name: str) -> argparse.ArgumentParser:
    """The options both slices take (each script adds its own)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--budget-s", type=float, default=420.0, help="seconds of training the run may take (default 420)")
    ap.add_argument("--steps", type=int, default=None, help="target optimizer steps a round (default: the paper's)")
    ap.add_argument("--trials", type=int, default=None, help="models stacked in the grid, one per split")
    ap.add_argument("--probe-steps", type=int, default=None, help="steps of the timing probe's unit (default 200)")
    ap.add_argument("--mirror", default=None,
                    help="MNIST mirror directory (default: data/mirror/mnist, then ../shared/data/mnist)")
    ap.add_argument("--synthetic", action="store_true",
                    help="MNIST-shaped synthetic data (smoke runs without a mirror)")
    ap.add_argument("--smoke", action="store_true", help="tiny: a few hundred rows, tens of steps, 2 prunes, G = 2")
    ap.add_argument("--memory-mb", type=float, default=None,
                    help="evaluation memory budget (default 8192 on cuda, 1024 else)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help=f"result JSON (default $OUT/{name} or results/bench/{name})")
    return ap


def profile_params(profile: str) -> dict:
    """params.yaml with ``workflow/profiles/<profile>/params.yaml`` merged over it (not
    schema-checked: the device image has no jsonschema; the test suite checks every profile)."""
    import yaml

    merged: dict = {}
    for f in (ROOT / "params.yaml", ROOT / "workflow" / "profiles" / profile / "params.yaml"):
        merged = deep_merge(merged, yaml.safe_load(f.read_text()) or {})
    return merged


def synthetic_images(n_trainval: int, n_test: int, n_splits: int, val_fraction: float, seed: int = 0) -> SplitTensors:
    """MNIST-shaped data in [0, 1] (0.6 x a class prototype + 0.4 x uniform noise: learnable),
    for smoke runs where no mirror is present; the test set shared by every split."""
    g = torch.Generator().manual_seed(seed)
    proto = torch.rand(10, 1, 28, 28, generator=g)

    def draw(*shape):
        y = torch.randint(0, 10, shape, generator=g)
        return 0.6 * proto[y] + 0.4 * torch.rand(*shape, 1, 28, 28, generator=g), y

    n_val = max(1, math.ceil(val_fraction * n_trainval))
    (X, y), (Xv, yv), (Xt, yt) = draw(n_splits, n_trainval - n_val), draw(n_splits, n_val), draw(n_test)
    return SplitTensors(X, y, Xv, yv, Xt.expand(n_splits, *Xt.shape), yt.expand(n_splits, -1), 10, (0.0, 1.0))


def load_mnist(params: dict, mirror: Path | None, synthetic: bool) -> tuple[SplitTensors, str]:
    """MNIST as the split stage makes it from ``params["split"]`` (``per_dataset.mnist``: the
    official test rows, stratified train/validation splits, pixels / 255), and where it came from."""
    s = split_params(params, "mnist")
    if synthetic or mirror is None:
        if not synthetic:
            print("no MNIST mirror found: synthetic MNIST-shaped data", flush=True)
        n = s.get("max_trainval_rows") or 60_000
        return synthetic_images(n, s.get("max_test_rows") or 10_000, s["n_splits"], s["val_fraction"]), "synthetic"
    info = get("mnist")
    with tempfile.TemporaryDirectory() as tmp:
        fetch(info, {"mirror": str(mirror), "url": None}, Path(tmp) / "mnist.npz")
        X, y, test_start = load_dataset(Path(tmp) / "mnist.npz")
    splits = make_splits(y, s["n_splits"], s["test_fraction"], s["val_fraction"], params["seed"], test_start=test_start,
                         mode=s.get("mode", "auto"), max_trainval_rows=s.get("max_trainval_rows"),
                         max_test_rows=s.get("max_test_rows"))
    return stack_splits(X, y, splits, s["preprocessing"]), str(mirror)


def rows(data: SplitTensors) -> dict:
    return {"train": data.X_train.shape[1], "val": data.X_val.shape[1], "test": data.X_test.shape[1]}


def first_rows(data: SplitTensors, n: int) -> SplitTensors:
    """``data`` with only the first ``n`` training rows of every split (the probe's)."""
    return SplitTensors(data.X_train[:, :n], data.y_train[:, :n], data.X_val, data.y_val, data.X_test, data.y_test,
                        data.k, data.box)


def sync(device: str) -> None:
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def fit(data: SplitTensors, method, specs, cfg, label: str, log=sys.stdout):
    """``train_grid`` of the stacked ``specs`` and its wall seconds (the device synchronised)."""
    sync(cfg.device)
    t0 = time.perf_counter()
    result = train_grid(data, method, specs, cfg, log=log, label=label)
    sync(cfg.device)
    return result, time.perf_counter() - t0


def probe(data: SplitTensors, method, specs, one_round_cfg, batch_size: int, steps: int, label: str) -> dict:
    """Seconds of one optimizer step, of one epoch's end and of a training call's fixed cost,
    from one-round trainings (``one_round_cfg(epochs)``: no prune) on the first ``s`` and ``2 s``
    batches (module doc); ``s`` = ``steps``, at most half an epoch of ``data``."""
    spe = steps_per_epoch(data.X_train.shape[1], batch_size)
    s = max(1, min(steps, spe // 2))
    one, two = first_rows(data, s * batch_size), first_rows(data, 2 * s * batch_size)
    t0 = time.perf_counter()
    fit(one, method, specs, one_round_cfg(1), f"{label} probe warm-up", log=None)
    _, d = fit(one, method, specs, one_round_cfg(1), f"{label} probe", log=None)      # o + s t + v
    _, b = fit(one, method, specs, one_round_cfg(2), f"{label} probe", log=None)      # o + 2 (s t + v)
    _, c = fit(two, method, specs, one_round_cfg(1), f"{label} probe", log=None)      # o + 2 s t + v
    step = max(c - d, 1e-9) / s
    end = max(b - c, 0.0)
    out = {"probe_steps": s, "step_s": step, "epoch_end_s": end, "fixed_s": max(d - s * step - end, 0.0),
           "probe_s": time.perf_counter() - t0, "calls_s": {"one_epoch": d, "two_epochs": b, "double_rows": c}}
    print(f"probe: {s} steps a unit; {1e3 * step:.2f} ms a step (G = {len(specs)}), epoch end {end:.3f} s, "
          f"fixed {out['fixed_s']:.2f} s (probe {out['probe_s']:.1f} s)", flush=True)
    return out


def plan(timing: dict, rounds: int, target_steps: int, spe: int, budget_s: float) -> dict:
    """The epochs a round: the whole epochs nearest ``target_steps`` steps, cut to the most that
    fit ``budget_s`` seconds of training by the probe's extrapolation (at least one)."""
    target_epochs = max(1, round(target_steps / spe))
    per_epoch = spe * timing["step_s"] + timing["epoch_end_s"]
    estimate = rounds * target_epochs * per_epoch + timing["fixed_s"]
    epochs = target_epochs
    if estimate > budget_s:
        epochs = max(1, int((budget_s - timing["fixed_s"]) // (rounds * per_epoch)))
    out = {"target_steps_per_round": target_steps, "target_epochs_per_round": target_epochs,
           "steps_per_epoch": spe, "rounds": rounds, "epochs_per_round": epochs, "steps_per_round": epochs * spe,
           "estimate_target_s": estimate, "estimate_s": rounds * epochs * per_epoch + timing["fixed_s"],
           "budget_s": budget_s, "scaled": epochs < target_epochs}
    out["scale_note"] = (f"SCALED DOWN: the target ({target_epochs} epochs = {target_epochs * spe:,} steps a round, "
                         f"{rounds} rounds) extrapolates to {estimate:.0f} s > budget {budget_s:.0f} s; ran "
                         f"{epochs} epochs = {epochs * spe:,} steps a round ({epochs / target_epochs:.0%})"
                         if out["scaled"] else
                         f"as targeted: {epochs} epochs = {epochs * spe:,} steps a round, {rounds} rounds, "
                         f"extrapolated {estimate:.0f} s <= budget {budget_s:.0f} s")
    print(out["scale_note"], flush=True)
    return out


def device_info(device: str) -> dict:
    cuda = str(device).startswith("cuda")
    name = torch.cuda.get_device_name() if cuda else platform.processor() or "cpu"
    return {"device": str(device), "device_name": name,
            "torch": torch.__version__, "threads": torch.get_num_threads(), "machine": platform.platform()}


def finite(x) -> float | None:
    """A float for JSON (None for NaN / None)."""
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def write(out: Path, payload: dict) -> None:
    write_json(out, payload)
    print(f"wrote {out}", flush=True)


def read(out: Path) -> dict:
    return json.loads(Path(out).read_text())


def run_slice(out: Path, eval_path: Path, info: dict, data: SplitTensors, method, specs, config, batch_size: int,
              probe_steps: int, target_steps: int, spe: int, budget_s: float, measure, level_rows, table,
              start: float) -> dict:
    """The slice itself, as both scripts run it: time a few steps (:func:`probe`), fit the steps a round
    to the budget (:func:`plan`), train (:func:`fit`), measure every round model (``measure``, then
    ``level_rows`` and ``table`` of the script), writing ``out`` after each phase (a run stopped by its
    time limit still leaves what it reached). ``config(epochs, one_round=False)`` is the script's
    training configuration."""
    label = info["method"]
    timing = probe(data, method, specs, lambda e: config(e, one_round=True), batch_size, probe_steps, label)
    run = plan(timing, info["rounds"], target_steps, spe, budget_s)
    payload = {**info, "timing": {"probe": timing}, **run, "status": "training"}
    write(out, payload)
    result, train_s = fit(data, method, specs, config(run["epochs_per_round"]), label)
    payload["timing"]["train_s"] = train_s
    payload["status"] = "measuring"
    write(out, payload)
    t0 = time.perf_counter()
    per_model, summary = measure(result, eval_path)
    payload["timing"]["eval_s"] = time.perf_counter() - t0
    payload["levels"] = level_rows(per_model, summary)
    payload["timing"]["total_s"] = time.perf_counter() - start
    payload["status"] = "done"
    payload["eval_file"] = eval_path.name
    write(out, payload)
    print(table(payload["levels"], run["steps_per_round"]))
    print(f"train {train_s:.1f} s (extrapolated {run['estimate_s']:.1f} s), eval {payload['timing']['eval_s']:.1f} s, "
          f"total {payload['timing']['total_s']:.1f} s", flush=True)
    return payload


def finish_pair(out: Path, combined: dict, table, start: float) -> dict:
    """A two-method slice's end (gpu_sparsevlr, gpu_rvsm): every method's levels in one list, the
    total time, ``status: done``, written to ``out`` and printed as ``table``."""
    combined["levels"] = [lv for p in combined["methods"].values() for lv in p["levels"]]
    combined["timing"] = {"total_s": time.perf_counter() - start}
    combined["status"] = "done"
    write(out, combined)
    print(table(combined["levels"], max(p["steps_per_round"] for p in combined["methods"].values())))
    print(f"total {combined['timing']['total_s']:.1f} s", flush=True)
    return combined
