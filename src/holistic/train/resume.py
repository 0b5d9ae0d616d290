"""Resume checkpoints of a train job: a killed job goes on where it stopped, bit for bit.

A grid is trained in chunks (``holistic.train.chunks``), each in rounds of its procedure
(``holistic.train.loop``). Every round starts with a fresh Adam, so the end of a round holds
everything the rest of the training reads (:class:`RoundState`): the parameters, the
reduction's and the procedure's state, the rewind point (and the starting values, where a
procedure's rounds start there), the kept checkpoint (best weights, accuracy and epoch), the
validation curve, the finished rounds' records (procedures with per-round results), the step
count and trace, the batch-order (and a noisy model's noise) generators' states. A
:class:`Checkpoint` is a directory of safetensors files (tensors, with the rest as JSON
metadata; never pickle), each written atomically:

    chunk-0000.safetensors ...   a finished chunk's result (written once)
    round.safetensors            the chunk in progress after its last finished round

Every file carries the checkpoint's fingerprint: a SHA-256 over what determines the result
(:attr:`Checkpoint.key`: the caller's description of the job, e.g. its params and input files'
hashes, with the method, the grid, the training settings and the chunk layout). A directory
holding a file of another fingerprint is stale: it is deleted, never resumed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

from safetensors import safe_open
from safetensors.torch import save_file
from torch import Tensor

from ..io import atomic_path

ROUND = "round.safetensors"


@dataclass
class RoundState:
    """A chunk's training after round ``round - 1``: what rounds ``round, ...`` start from."""

    round: int                        # the next round to run
    params: dict[str, Tensor]         # the weights (``[G, ...]``, requires_grad)
    state: dict[str, Tensor]          # the reduction's trained state
    pstate: dict                      # the procedure's state (nested dicts of tensors)
    rewind: list[Tensor] | None       # the rewind point (params then state, in order)
    best: dict[str, Tensor]           # the kept checkpoint
    best_val: Tensor                  # [G] float64
    best_epoch: Tensor                # [G] long
    val_curve: list[Tensor]           # [G] per epoch of the final round so far
    steps: int
    trace: dict
    generators: dict[int, Tensor]     # split -> its batch-order generator's state
    seconds: float                    # training time of the chunk so far (every process)
    initial: list[Tensor] | None = None  # the starting values (params then state), where a round starts there
    rounds: list[dict] = field(default_factory=list)  # the finished rounds' records (TrainResult.rounds)
    noise: list[Tensor] | None = None  # a noisy model's noise generators' states, one per model (holistic.models.noise)


def file_sha256(path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    """The resume directory ``path`` of a job whose result ``key`` (JSON) determines."""

    path: Path
    key: dict = field(default_factory=dict)

    def keyed(self, **more) -> "Checkpoint":
        """The same directory, with ``more`` in the key."""
        return replace(self, key={**self.key, **more})

    @property
    def fingerprint(self) -> str:
        text = json.dumps(self.key, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    # ------------------------------------------------------------------ reading

    def load(self) -> tuple[list[dict], tuple[int, RoundState] | None]:
        """The finished chunks ``0, 1, ...`` (each its result's fields, as :meth:`save_chunk`
        took them) and ``(chunk, state)`` of the next chunk after its last finished round, if
        any; a stale directory (another fingerprint, an unreadable file) is deleted and nothing
        is resumed."""
        if not Path(self.path).is_dir():
            return [], None
        try:
            files = {p.name: _read(p) for p in sorted(Path(self.path).glob("*.safetensors"))}
        except Exception:  # noqa: BLE001 - a corrupt file: the checkpoint is not resumable
            files = None
        if not files or any((md or {}).get("fingerprint") != self.fingerprint for md, _ in files.values()):
            self.discard()
            return [], None
        chunks = []
        while (name := _chunk_name(len(chunks))) in files:
            chunks.append(_unflatten(*files[name]))
        current = None
        if ROUND in files and json.loads(files[ROUND][0]["chunk"]) == len(chunks):
            current = (len(chunks), RoundState(**_unflatten(*files[ROUND])))
        return chunks, current

    # ------------------------------------------------------------------ writing

    def save_round(self, chunk: int, st: RoundState) -> None:
        """The chunk in progress after a round."""
        self._write(ROUND, chunk, vars(st))

    def save_chunk(self, chunk: int, fields: dict) -> None:
        """A finished chunk (its result's fields); the round file it supersedes goes."""
        self._write(_chunk_name(chunk), chunk, fields)
        (Path(self.path) / ROUND).unlink(missing_ok=True)

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def _write(self, name: str, chunk: int, fields: dict) -> None:
        tensors: dict[str, Tensor] = {}
        tree = _flatten(fields, "", tensors)
        metadata = {"fingerprint": self.fingerprint, "chunk": json.dumps(chunk), "tree": json.dumps(tree)}
        path = Path(self.path) / name
        with atomic_path(path) as tmp:
            save_file(tensors, str(tmp), metadata=metadata)


def _chunk_name(i: int) -> str:
    return f"chunk-{i:04d}.safetensors"


def _read(path: Path) -> tuple[dict, dict[str, Tensor]]:
    with safe_open(str(path), framework="pt") as f:
        return f.metadata(), {n: f.get_tensor(n) for n in f.keys()}


def _flatten(tree, name: str, tensors: dict[str, Tensor]):
    """A JSON description of ``tree`` (dicts with string keys, lists, tensors, JSON values);
    its tensors go to ``tensors`` under their path (copies: a saved tensor never shares memory)."""
    if isinstance(tree, Tensor):
        tensors[name] = tree.detach().cpu().clone().contiguous()
        return {"tensor": name, "grad": tree.requires_grad}
    if isinstance(tree, dict):
        if not all(isinstance(k, (str, int)) for k in tree):
            raise TypeError(f"resume state {name or '/'}: keys must be strings or ints")
        return {"dict": [[k, _flatten(v, f"{name}/{k}", tensors)] for k, v in tree.items()]}
    if isinstance(tree, (list, tuple)):
        return {"list": [_flatten(v, f"{name}/{i}", tensors) for i, v in enumerate(tree)]}
    return {"value": tree}


def _unflatten(md: dict, tensors: dict[str, Tensor], tree=None):
    """The fields :func:`_flatten` wrote (tensors on the CPU, ``requires_grad`` as saved)."""
    tree = json.loads(md["tree"]) if tree is None else tree
    if "tensor" in tree:
        return tensors[tree["tensor"]].requires_grad_(tree["grad"])
    if "dict" in tree:
        return {k: _unflatten(md, tensors, v) for k, v in tree["dict"]}
    if "list" in tree:
        return [_unflatten(md, tensors, v) for v in tree["list"]]
    return tree["value"]


def to_device(tree, device):
    """``tree`` (as :func:`_flatten` takes it) with its tensors on ``device`` (``requires_grad`` kept)."""
    if isinstance(tree, Tensor):
        return tree.detach().to(device).requires_grad_(tree.requires_grad)
    if isinstance(tree, dict):
        return {k: to_device(v, device) for k, v in tree.items()}
    if isinstance(tree, list):
        return [to_device(v, device) for v in tree]
    return tree
