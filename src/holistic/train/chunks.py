"""Training a grid in chunks of models (results unchanged): sized to the CPU's cache and a
measured cap, within a memory budget.

Models are independent (``holistic.train.loop``), so how a grid is cut into chunks never
changes a model's bits; it only changes the speed. One optimizer step of a chunk of G models
streams through every model's working set W (weights, gradients, Adam's m and v and the
step's denominators, the batch's activations and their gradients; :func:`step_bytes`). Small
chunks pay PyTorch's fixed cost per operation G times over; large ones stream from memory.

Measured (``python bench/train_throughput.py --sweep --threads 1``, 2026-12-04, 2 CPU cores:
AMD EPYC, 512 KiB L2 per core, 8 MiB L3 shared by both, the other core busy with another
job; the MLP 2 x 128, batch 32), model-steps per second against G (fastest of 3, in turn):

    G                  1    4    8   16   32   48   64   96  128  192  256  384  512   W (KiB)
    iris DL          543 1269 1590 1961 2059 2231 2300 2359 2352 2434 2350 2007 2048     408
    iris Robust      276  662  775  988 1010 1087  918 1114 1123  989  978 1002  967     540
    spambase DL      593 1193 1580 1792 1909 1985 2060 2121 2074 2116 2034 2032 1843     551
    spambase Robust  277  695  864  965 1058 1090 1058 1126 1106 1053 1032 1052  951     630

Every curve rises to about G = 50, is flat (within the machine's noise of about 5 %) up to
about 250 and peaks at G = 96 to 192, where a chunk's working set G W is 10 to 20 times the
job's share of the last-level cache (here 4 MiB: 8 MiB over two cores, one job each, as the
pipeline runs them); it falls beyond G = 256 (G W about 40 times the share at 384), 13 to
16 % below the peak at G = 512. The chunk size is therefore

    G = round(CACHE_MULTIPLE * share / W),   CACHE_MULTIPLE = 12,

capped by the memory budget (:func:`models_per_chunk`): here 120 (iris DL), 91 (iris Robust),
89 (spambase DL) and 78 (spambase Robust) models, each within 5 % of its curve's peak. The
cache is read from sysfs (:func:`last_level_cache`; 8 MiB shared by one CPU where it cannot
be read); the share scales with the job's torch threads (an assumption: with 2 threads the
curve could not be measured on the shared machine, see ``bench/train_throughput.py``).

The rule did not carry over to another machine. Measured 2026-12-06 on this project's next
machine (``--sweep``, 2 torch threads, 2 idle cores: AMD EPYC, 1 MiB L2 per core, 32 MiB L3
reported for both), model-steps per second:

    G                  1    4    8   16   32   48   64   96  128  192  256  384  512
    iris DL         3461 9476 12520 15704 16803 15851 15463 14938 14553 13108 12103 8159 7270
    iris Robust     1611 3747 4336 4928 4755 4878 4956 5078 4903 4456 4033 3819 3448
    spambase DL     3715 9656 11733 14155 14034 12467 11541 11592 11975 11815 11685 8336 8591
    spambase Robust 1702 4518 5273 6202 5957 5808 5639 5550 5459 5161 4836 4605 3853

The peaks are at G = 16 to 96, but with a share of 32 MiB the cache rule picks 624 to 963
models, which ran a 256-model grid as one chunk at 51 to 80 % of the peaks: the L3 a virtual
machine reports (shared with other tenants) does not predict where the curve falls. On both
machines G = 48 is within 12 % of every peak (88-97 % here, 92-97 % on the first), so a CPU
chunk is also capped at :data:`CPU_MAX_MODELS`.

A grid of 1024 iris-sized models, which the memory budget alone (2048 MB) runs as one chunk:
1742 (DL) and 818 (Robust) model-steps/s in one chunk, 2187 and 1049 in chunks of at most 120
and 91 (+26 % and +28 %; CPU time, fastest of 2, the same day). On CUDA the memory budget
alone decides: there a larger batch of models only fills the device better.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from pathlib import Path

import torch

from ..data.stacked import SplitTensors
from ..methods import Method, ModelSpec
from ..progress import Progress
from .config import TrainConfig, resolve_device
from .loop import train_grid
from .result import TrainResult, concat_rounds
from .resume import Checkpoint
from .schedule import steps_per_epoch

#: The last-level cache assumed where sysfs does not tell (bytes).
DEFAULT_CACHE_BYTES = 8 * 2**20

#: A chunk's working set, in multiples of the job's share of the last-level cache: the middle
#: of the measured plateau (module docstring).
CACHE_MULTIPLE = 12.0

#: The most models of a CPU chunk: within 12 % of the measured peak on both machines (module
#: docstring), where the cache rule alone went to 600-960 models on the second.
CPU_MAX_MODELS = 48


def model_bytes(model, input_shape: tuple[int, ...], k: int, n_val: int, batch_size: int) -> int:
    """A generous estimate of the memory one model of the grid needs while training."""
    n_params, width = model.memory_floats(input_shape, k, batch_size)
    floats = 8 * n_params                                # params, grads, Adam m and v, masks, best, rewind
    floats += 4 * batch_size * width                     # activations, gates and their gradients
    floats += 6 * batch_size * max(k - 1, 1) * width     # robust term: direction chain, forward and backward
    floats += min(n_val, 4096) * width                   # validation forward (evaluated in chunks of rows)
    return 4 * floats


def models_per_chunk(data: SplitTensors, model, cfg: TrainConfig, budget_mb: float) -> int:
    """How many models fit in ``budget_mb`` at once (at least one). Unchanged since before the
    cache rule: on CUDA it alone decides, so the chunks there stay what they were (a batched
    matmul on CUDA may choose its algorithm by the number of models; not checked here)."""
    per_model = model_bytes(model, data.input_shape, data.k, data.X_val.shape[1], cfg.batch_size)
    return max(1, int(budget_mb * 2**20) // per_model)


def step_bytes(model, loss, input_shape: tuple[int, ...], k: int, batch_size: int) -> int:
    """The bytes one optimizer step of one model reads and writes (its working set):

        4 * (5 P + 2 B R (1 + C))

    P parameters (weights, gradients, Adam m and v, the step's denominators), B samples of
    R activations (forward and gradient), and C = K - 1 more such chains when the loss
    propagates logit-difference directions to the input (``loss.input_gradients``, eq. 7)."""
    n_params, width = model.memory_floats(input_shape, k, batch_size)
    chains = 1 + (max(k - 1, 1) if getattr(loss, "input_gradients", False) else 0)
    return 4 * (5 * n_params + 2 * batch_size * width * chains)


def _size_bytes(text: str) -> int:
    """sysfs cache sizes: ``"512K"``, ``"8192K"``, ``"32M"``."""
    text = text.strip()
    unit = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:].upper(), 1)
    return int(text.rstrip("KMGkmg")) * unit


def _cpu_count(cpu_list: str) -> int:
    """``"0-1"``, ``"0,2,4-7"`` -> the number of CPUs listed."""
    n = 0
    for part in cpu_list.strip().split(","):
        lo, _, hi = part.partition("-")
        n += int(hi or lo) - int(lo) + 1
    return n


def last_level_cache(root: str = "/sys/devices/system/cpu/cpu0/cache") -> tuple[int, int]:
    """(bytes, CPUs sharing it) of the CPU's last-level cache, read from sysfs
    (``index*/{level,type,size,shared_cpu_list}``); ``(DEFAULT_CACHE_BYTES, 1)`` where it
    cannot be read (another OS, a container hiding sysfs)."""
    best = None
    try:
        for index in sorted(Path(root).glob("index*")):
            if (index / "type").read_text().strip() == "Instruction":
                continue
            level = int((index / "level").read_text())
            size = _size_bytes((index / "size").read_text())
            shared = _cpu_count((index / "shared_cpu_list").read_text())
            if best is None or level > best[0]:
                best = (level, size, shared)
    except (OSError, ValueError):
        best = None
    return (best[1], best[2]) if best else (DEFAULT_CACHE_BYTES, 1)


def cache_share(threads: int | None = None) -> int:
    """The job's share of the last-level cache (bytes): the cache over the CPUs sharing it,
    times the torch threads the job runs (each core running one job, as the pipeline does)."""
    size, shared = last_level_cache()
    threads = threads or torch.get_num_threads()
    return size * min(threads, shared) // shared


def models_per_cache(data: SplitTensors, method: Method, cfg: TrainConfig, threads: int | None = None) -> int:
    """The chunk whose working set is :data:`CACHE_MULTIPLE` times the job's cache share:
    ``G = round(CACHE_MULTIPLE * share / step_bytes)`` (at least one)."""
    model, loss = method.pieces()[:2]
    per_model = step_bytes(model, loss, data.input_shape, data.k, cfg.batch_size)
    return max(1, round(CACHE_MULTIPLE * cache_share(threads) / per_model))


def chunk_size(data: SplitTensors, method: Method, cfg: TrainConfig, budget_mb: float) -> int:
    """Models per chunk: on CPU the cache rule (:func:`models_per_cache`) within the memory
    budget (:func:`models_per_chunk`), at most :data:`CPU_MAX_MODELS`; on CUDA the memory
    budget alone."""
    memory = models_per_chunk(data, method.pieces()[0], cfg, budget_mb)
    if resolve_device(cfg.device).type != "cpu":
        return memory
    return min(memory, models_per_cache(data, method, cfg), CPU_MAX_MODELS)


def balanced(n: int, size: int) -> list[int]:
    """Cut ``n`` models into the fewest chunks of at most ``size``, as even as possible
    (e.g. 300 at most 128 -> 100, 100, 100 rather than 128, 128, 44): the last chunk is
    not left far below the best size."""
    parts = -(-n // size)
    return [n // parts + (i < n % parts) for i in range(parts)]


def train_in_chunks(data: SplitTensors, method: Method, specs: list[ModelSpec], cfg: TrainConfig,
                    budget_mb: float, log=sys.stderr, label: str = "", resume: Checkpoint | None = None,
                    source: dict[str, torch.Tensor] | None = None) -> TrainResult:
    """:func:`train_grid` over consecutive chunks of the grid (:func:`chunk_size`, cut evenly).

    Models are independent, so the chunking never changes any model's result. With ``resume``
    (``holistic.train.resume``) every finished round and chunk is saved there, and a run finds
    the chunks and rounds an earlier run of the same job finished: it goes on from them, to
    the same bits. Progress (model-steps of every chunk and round) is reported on ``log``.
    ``source``: the stacked params a procedure starts from (``train_grid``), cut with the grid.
    The chunks' traces are joined by :func:`concat_traces`.
    """
    bounds = [0]
    for n in balanced(len(specs), chunk_size(data, method, cfg, budget_mb)):
        bounds.append(bounds[-1] + n)
    n_rounds = method.pieces()[3].n_rounds(cfg)
    parts, current = [], None
    if resume is not None:
        resume = resume.keyed(**training_key(method, specs, cfg, bounds))
        parts, current = resumed(resume, len(bounds) - 1, n_rounds, log, label)
    per_round = cfg.epochs * steps_per_epoch(data.X_train.shape[1], cfg.batch_size)  # one model's steps
    done = bounds[len(parts)] * n_rounds * per_round
    if current is not None:
        i, st = current
        done += (bounds[i + 1] - bounds[i]) * st.round * per_round
    progress = Progress(len(specs) * n_rounds * per_round, label, "train", stream=log, done=done, unit="model-step")
    for i, (a, b) in enumerate(zip(bounds, bounds[1:])):
        if i < len(parts):
            continue
        on_round = None if resume is None else functools.partial(resume.save_round, i)
        part = train_grid(data, method, specs[a:b], cfg, log=log, label=label, on_round=on_round, progress=progress,
                          resume=current[1] if current is not None and current[0] == i else None,
                          source=None if source is None else {n: v[a:b] for n, v in source.items()})
        if resume is not None:
            resume.save_chunk(i, vars(part))
        parts.append(part)
    progress.close()
    if len(parts) == 1:
        return parts[0]
    cat = lambda xs, dim=0: torch.cat(xs, dim=dim)  # noqa: E731
    extra = concat_traces([p.extra for p in parts], [b - a for a, b in zip(bounds, bounds[1:])])
    return TrainResult(
        params={n: cat([p.params[n] for p in parts]) for n in parts[0].params},
        state={n: cat([p.state[n] for p in parts]) for n in parts[0].state},
        best_epoch=cat([p.best_epoch for p in parts]),
        best_val_accuracy=cat([p.best_val_accuracy for p in parts]),
        val_curve=cat([p.val_curve for p in parts], dim=1),
        steps=parts[0].steps, seconds=sum(p.seconds for p in parts), extra=extra,
        rounds=concat_rounds([p.rounds for p in parts]))


def _model_first(values: list, sizes: list[int]) -> bool:
    """``values`` (one per chunk) are lists of one entry per model (``[g][...]``)."""
    return all(isinstance(v, list) and len(v) == n for v, n in zip(values, sizes))


def _time_first(values: list, sizes: list[int]) -> bool:
    """``values`` are lists of the same length in every chunk (per epoch or round), each entry a
    list of one entry per model (``[t][g][...]``)."""
    return (all(isinstance(v, list) for v in values) and len({len(v) for v in values}) == 1
            and all(_model_first(list(entries), sizes) for entries in zip(*values)))


def concat_traces(traces: list[dict], sizes: list[int]) -> dict:
    """One trace of consecutive chunks of ``sizes`` models: a per-model entry is joined in the
    chunks' (the specs') order, anything else is the first chunk's.

    Per model is recognised by its shape (``trace`` values are JSON-like lists): ``[t][g][...]``
    (per epoch or round, then per model: ``round_start_weight_sums``, the ``sparse_*`` logs of
    :func:`holistic.procedures.sparse_trace.log_epoch`), a time axis being as long in every
    chunk, is joined per entry of t; otherwise ``[g][...]`` (per model at the top, e.g.
    ``sparse_seed_histogram``) is joined at the top, where its entries are lists or the chunks
    differ in size (a list of scalars as long as every chunk is not taken for per-model
    values). Where both shapes fit (every chunk as many models as the time axis has entries),
    ``[t][g]`` is taken."""
    out = {}
    for key, first in traces[0].items():
        values = [t.get(key) for t in traces]
        if _time_first(values, sizes):
            out[key] = [sum((list(v[i]) for v in values), []) for i in range(len(first))]
        elif _model_first(values, sizes) and (len(set(sizes)) > 1 or all(isinstance(e, list) for e in first)):
            out[key] = sum((list(v) for v in values), [])
        else:
            out[key] = first
    return out


def resumed(resume: Checkpoint, n_chunks: int, n_rounds: int, log, label: str):
    """The finished chunks' results and ``(chunk, state)`` of a chunk stopped after a round, as
    ``resume`` holds them for this training (none where it holds another's); said on ``log``."""
    fields, current = resume.load()
    parts = [TrainResult(**f) for f in fields]
    if (parts or current) and log is not None:
        where = f"; chunk {current[0] + 1} goes on at round {current[1].round + 1}/{n_rounds}" if current else ""
        print(f"[{label}] resuming from {resume.path}: {len(parts)} of {n_chunks} chunks done{where}",
              file=log, flush=True)
    return parts, current


def training_key(method: Method, specs: list[ModelSpec], cfg: TrainConfig, bounds: list[int]) -> dict:
    """What determines a chunked training's result beside its data and code: the method, the
    grid, the training settings (the device resolved), the chunk layout and torch's version."""
    return {"method": dataclasses.asdict(method), "specs": [[s.config_id, s.config, s.split] for s in specs],
            "config": {**dataclasses.asdict(cfg), "device": str(resolve_device(cfg.device))},
            "layout": bounds, "torch": torch.__version__}
