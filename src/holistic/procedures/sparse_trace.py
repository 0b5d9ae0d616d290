"""What sparse training logs per epoch (SparseVLR §5.1, Figs. 4, 5, 7; App. D), per model.

* **Gradient flow** (Fig. 4b, 7a): the L1 norm of the gradients of all parameters at a step,
  ``sum_j |dL/dtheta_j|`` ``[G]``, averaged over the epoch's steps (as the author's
  VeriCompress logs it: the sum per batch, averaged over an epoch). Read before the
  optimizer step (the trainer's ``before_step`` hook).
* **State changes** (Fig. 5): the weights that switch between active and dormant at a prune,
  ``|M_old xor M_new|`` (both directions counted; with both masks of the same size, half of
  it grew and half was dropped).
* **Weight histogram** (Fig. 4a, App. D): counts of the prunable weights in fixed bins of
  magnitude: bin 0 the exact zeros, then ``(0, 1e-8]``, ``(10^(-8 + (i-1)/4), 10^(-8 + i/4)]``
  for i = 1..36 (four bins a decade up to 10), and ``(10, inf)``: :data:`EDGES`.

Values go to the trainer's ``trace`` as lists (per epoch, then per model), JSON-friendly.
:class:`WeightTrace` (registry entry ``single_traced``) logs the histogram of a dense training
(App. D: the weights of a certified against a naturally trained model, :func:`share_at_most`).
"""

from __future__ import annotations

import torch
from torch import Tensor

from .single import Single

#: Upper edges of the magnitude bins after the zero bin: 1e-8 ... 10, four a decade.
EDGES = [10.0 ** (-8 + i / 4) for i in range(37)]


def gradient_l1(grads: list[Tensor]) -> Tensor:
    """Gradient flow of one step: ``sum |grad|`` over all tensors ``[G, ...]``, per model ``[G]`` (float64)."""
    return sum(g.detach().abs().flatten(1).sum(dim=1, dtype=torch.float64) for g in grads)


def state_changes(old: dict[str, Tensor], new: dict[str, Tensor]) -> Tensor:
    """Weights whose state (active/dormant) differs between two masks, per model ``[G]``."""
    return sum((old[n] ^ new[n]).flatten(1).sum(dim=1) for n in new)


def active(W: dict[str, Tensor]) -> Tensor:
    """Nonzero weights per model ``[G]`` (after thickening: the auxiliary network's size)."""
    return sum((w != 0).flatten(1).sum(dim=1) for w in W.values())


def magnitude_histogram(W: dict[str, Tensor]) -> Tensor:
    """Counts ``[G, len(EDGES) + 2]`` of the weights in the bins of :data:`EDGES` (module docstring)."""
    G = next(iter(W.values())).shape[0]
    edges = None
    counts = None
    for w in W.values():
        a = w.detach().abs().flatten(1)
        if edges is None:
            edges = torch.tensor(EDGES, dtype=a.dtype, device=a.device)
            counts = torch.zeros(G, len(EDGES) + 2, dtype=torch.long, device=a.device)
        idx = torch.where(a == 0, 0, torch.bucketize(a, edges) + 1)
        counts.scatter_add_(1, idx, torch.ones_like(idx))
    return counts


def log_epoch(trace: dict, key: str, values: Tensor) -> None:
    """Append one epoch's per-model values ``[G]`` (or ``[G, bins]``) to ``trace[key]``."""
    trace.setdefault(key, []).append(values.tolist())


def share_at_most(counts: list[int], edge: float) -> float:
    """Percent of one model's weights with ``|w| <= edge`` (an upper edge of :data:`EDGES`, e.g.
    1e-3: App. D's "close to zero"), from its histogram counts (:func:`magnitude_histogram`)."""
    i = EDGES.index(edge)  # ValueError for an edge the bins do not have
    return 100.0 * sum(counts[:i + 2]) / sum(counts)


class WeightTrace(Single):
    """Registry entry ``single_traced``: one round as ``single`` (the same weights, bit for bit),
    the prunable weights' magnitude histogram logged after every epoch (``sparse_weight_histogram``),
    and the trained model kept (``selection = "last"``, its last epoch, as SparseVLR reports it:
    a certified loss's rule already, a natural one's too)."""

    selection = "last"

    def init_state(self, params: dict[str, Tensor], prunable: list[str]) -> dict:
        return {"prunable": list(prunable)}

    def end_epoch(self, params: dict[str, Tensor], state: dict, hp: dict, epoch: int, final: bool,
                  trace: dict) -> None:
        log_epoch(trace, "sparse_weight_histogram", magnitude_histogram({n: params[n] for n in state["prunable"]}))
