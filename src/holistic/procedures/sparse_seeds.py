"""Seed networks of sparse training (SparseVLR Alg. 1 lines 1-2, §5 and Table 3), and the
round logic shared by the procedures that train from one.

A seed is a mask over the prunable weights at the model's target sparsity p (grid axis
``target_sparsity``, percent) and the weights it starts from:

* ``rsm`` (random sparse model, SparseVLR proper): the random initialisation, pruned by global
  magnitude (:mod:`holistic.procedures.magnitude_pruning`);
* ``pm`` (pruned model): a converged dense model (``source``), pruned by global magnitude,
  biases included as they are;
* ``ripm`` (randomly initialised pruned model): PM's mask on the random initialisation
  (biases from the initialisation too).

The dense model comes in as ``source``: a stacked params dict ``{name: [G, ...]}`` with the
model's own names and shapes, entry g the dense model that grid model g starts from (e.g. the
dense job's model of the same split), given to ``init_state(params, prunable, hp=..., source=...)``.
The seed is written into the parameters in place. The target sparsity is a grid axis, read
from ``hp``: a trainer that does not pass ``hp`` to ``init_state`` gets the seed made at the
first ``effective`` call instead (before the first step; the same weights).
"""

from __future__ import annotations

import torch
from torch import Tensor

from .magnitude_pruning import global_magnitude_masks, prune_
from .sparse_trace import gradient_l1, log_epoch, magnitude_histogram

SEEDS = ("rsm", "pm", "ripm")


def check_source(params: dict[str, Tensor], source: dict[str, Tensor] | None, kind: str) -> dict[str, Tensor]:
    """``source`` when it fits ``params`` (the same names and shapes); ValueError otherwise."""
    if source is None:
        raise ValueError(f"seed {kind!r} prunes a converged dense model: give init_state its params as source=")
    if set(source) != set(params):
        raise ValueError(f"source params {sorted(source)} differ from the model's {sorted(params)}")
    for name, v in params.items():
        if tuple(source[name].shape) != tuple(v.shape):
            raise ValueError(f"source {name!r} is {tuple(source[name].shape)}, the model's {tuple(v.shape)}")
    return source


@torch.no_grad()
def seed_(kind: str, params: dict[str, Tensor], prunable: list[str], p: list[float],
          source: dict[str, Tensor] | None = None) -> dict[str, Tensor]:
    """Write the seed network ``kind`` (:data:`SEEDS`) into ``params`` in place; its masks."""
    if kind == "rsm":
        masks = global_magnitude_masks({n: params[n] for n in prunable}, p)
    else:
        source = check_source(params, source, kind)
        masks = global_magnitude_masks({n: source[n] for n in prunable}, p)
        if kind == "pm":
            for name, v in params.items():
                v.copy_(source[name].to(v.device, v.dtype))
    prune_(params, masks)
    return masks


class SeededSparse:
    """Shared round logic: one round from a seed (:data:`SEEDS`) at each model's target
    sparsity, gradient flow accumulated before every optimizer step, per-epoch logging.
    Subclasses define ``effective`` and ``end_epoch``."""

    axes: tuple[str, ...] = ("target_sparsity",)
    axis_bounds = {"target_sparsity": {"minimum": 0, "exclusiveMaximum": 100}}
    param_keys: tuple[str, ...] = ()

    def __init__(self, seed: str = "rsm"):
        if seed not in SEEDS:
            raise ValueError(f"unknown seed {seed!r}; known: {', '.join(SEEDS)}")
        self.seed = seed
        self.needs_source = seed != "rsm"  # PM, RIPM: init_state needs the dense model (source=)

    def n_rounds(self, cfg) -> int:
        return 1

    def init_state(self, params: dict[str, Tensor], prunable: list[str], hp: dict | None = None,
                   source: dict[str, Tensor] | None = None) -> dict:
        """The seed (now when ``hp`` is given, else at the first ``effective``) and the
        accumulators of the gradient flow."""
        if self.seed != "rsm":
            check_source(params, source, self.seed)
        G = next(iter(params.values())).shape[0]
        device = next(iter(params.values())).device
        state = {"prunable": list(prunable), "masks": None, "source": source, "seed_histogram": None,
                 "grad_l1": torch.zeros(G, dtype=torch.float64, device=device), "grad_steps": 0}
        if hp is not None:
            self.make_seed(params, state, hp)
        return state

    def make_seed(self, params: dict[str, Tensor], state: dict, hp: dict) -> None:
        p = hp["target_sparsity"].tolist()
        state["masks"] = seed_(self.seed, params, state["prunable"], p, state["source"])
        state["source"] = None  # read once; not kept in the (resumable) state
        state["seed_histogram"] = magnitude_histogram({n: params[n] for n in state["prunable"]})

    def ensure_seed(self, params: dict[str, Tensor], state: dict, hp: dict) -> None:
        if state["masks"] is None:
            with torch.no_grad():
                self.make_seed(params, state, hp)

    def trainable(self, state: dict, final: bool) -> list[Tensor]:
        return []

    def before_step(self, params: dict[str, Tensor], state: dict, hp: dict, final: bool) -> None:
        """After the backward, before the optimizer step: add this step's gradient flow."""
        state["grad_l1"] += gradient_l1([p.grad for p in params.values() if p.grad is not None])
        state["grad_steps"] += 1

    def log(self, params: dict[str, Tensor], state: dict, trace: dict) -> None:
        """The epoch's gradient flow (when the trainer ran ``before_step``) and weight histogram;
        the seed's histogram once, at the first epoch."""
        if "sparse_seed_histogram" not in trace:
            trace["sparse_seed_histogram"] = state["seed_histogram"].tolist()
        if state["grad_steps"]:
            log_epoch(trace, "sparse_gradient_flow", state["grad_l1"] / state["grad_steps"])
            state["grad_l1"].zero_()
            state["grad_steps"] = 0
        log_epoch(trace, "sparse_weight_histogram", magnitude_histogram({n: params[n] for n in state["prunable"]}))

    def end_round(self, state: dict, r: int, n_rounds: int, hp: dict, trace: dict) -> None:
        return None
