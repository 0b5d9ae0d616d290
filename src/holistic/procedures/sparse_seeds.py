"""Seed networks of sparse training (SparseVLR Alg. 1 lines 1-2, §5 and Table 3), and the
round logic shared by the procedures that train from one.

A seed is a mask over the prunable weights at the model's target sparsity p (grid axis
``target_sparsity``, percent) and the weights it starts from:

* ``rsm`` (random sparse model, SparseVLR proper; Alg. 1 lines 1-2, §4.2 "Seed Network"): the
  random initialisation, its top (100 - p) % of |theta| kept by global magnitude over every
  prunable weight (:mod:`holistic.procedures.magnitude_pruning`), or, with ``seed_scope``
  ``layerwise`` (not the paper's rule; :class:`SeededSparse`), each layer's own top (100 - p) % (``erk``: at
  its Erdős–Rényi-Kernel density);
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

**A dead seed is refused** (``rsm`` only; :func:`check_seed`, ValueError before any training
step): a seed in which a prunable layer keeps no weight, or (given the ``network``, as the
trainer gives it) in which no path of kept weights leads from an input to an output
(:func:`reaches_output`: exact, unit by unit, so finer than the channel-level rule a
convolution would allow). Under cross-entropy such a network's gradients vanish but for the
output bias's (issue 32: at p = 99 % the global rule keeps no weight of the default run's MLP
784-128-128-10's first layer, nor of ``cnn_4layer``'s 784 -> 256 layer). PM and RIPM inherit a
converged model's mask, known only once the dense model is trained, and are not refused (PM's
collapse is measured: Table 2).
"""

from __future__ import annotations

import torch
from torch import Tensor

from .magnitude_pruning import SCOPES, global_magnitude_masks, magnitude_masks, prune_
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
          source: dict[str, Tensor] | None = None, scope: str = "global") -> dict[str, Tensor]:
    """Write the seed network ``kind`` (:data:`SEEDS`) into ``params`` in place; its masks. ``scope``
    (``global``: Alg. 1 line 2; ``layerwise``) is the ``rsm`` seed's; PM's mask is global always."""
    if kind == "rsm":
        masks = magnitude_masks({n: params[n] for n in prunable}, p, scope)
    else:
        source = check_source(params, source, kind)
        masks = global_magnitude_masks({n: source[n] for n in prunable}, p)
        if kind == "pm":
            for name, v in params.items():
                v.copy_(source[name].to(v.device, v.dtype))
    prune_(params, masks)
    return masks


@torch.no_grad()
def reaches_output(model, params: dict[str, Tensor], prunable: list[str], input_shape: tuple[int, ...]) -> Tensor:
    """``[G]`` bool: whether a path of kept (nonzero) prunable weights leads from some input to some
    output of each model. The model's own forward (float64) with every prunable weight replaced
    by its indicator ``1[w != 0]``, every other stacked weight (``[G, ...]`` of 3 or more
    dimensions) likewise and every bias (``[G, n]``) 0, on an input of ones: with nonnegative
    weights and zero biases a ReLU passes its input, so each unit holds the number of paths of
    kept weights from the inputs to it (through linear, convolution, flatten, pooling and
    residual sums alike), and a logit is > 0 iff a path reaches it."""
    ones = {n: (v != 0).to(torch.float64) if n in prunable or v.dim() >= 3 else torch.zeros_like(v, dtype=torch.float64)
            for n, v in params.items()}
    G = next(iter(params.values())).shape[0]
    x = torch.ones(G, 1, *input_shape, dtype=torch.float64, device=next(iter(params.values())).device)
    return (model.forward(ones, x)[0] > 0).flatten(1).any(dim=1)


def check_seed(params: dict[str, Tensor], masks: dict[str, Tensor], p: list[float], network=None) -> None:
    """ValueError unless every model's seed keeps a weight of every layer of ``masks`` ``{name: [G,
    ...]}`` (at sparsities ``p``, percent) and, with ``network`` = ``(model, input_shape)``, a path
    of kept weights from an input to an output (:func:`reaches_output`); the message names the
    layer (or the counts of every layer), p and the kept counts."""
    counts = {n: m.flatten(1).sum(dim=1).tolist() for n, m in masks.items()}
    reach = None if network is None else reaches_output(network[0], params, list(masks), tuple(network[1])).tolist()
    for g, pg in enumerate(p):
        kept = ", ".join(f"{n} {c[g]:,} of {masks[n][g].numel():,}" for n, c in counts.items())
        where = f"the seed network of model {g} at p = {pg:g} % (kept: {kept})"
        dead = [n for n, c in counts.items() if c[g] == 0]
        if dead:
            raise ValueError(f"{where} keeps no weight of layer {dead[0]!r}: a dead network, refused (its gradients "
                             "vanish but for the output bias's); train.dynamic_sparse.seed_scope: layerwise or "
                             "erk keeps weights of every layer")
        if reach is not None and not reach[g]:
            raise ValueError(f"{where}: no path of kept weights leads from an input to an output: a dead network, "
                             "refused (train.dynamic_sparse.seed_scope: erk keeps small layers denser)")


class SeededSparse:
    """Shared round logic: one round from a seed (:data:`SEEDS`) at each model's target
    sparsity, gradient flow accumulated before every optimizer step, per-epoch logging.
    Subclasses define ``effective`` and ``end_epoch``. ``seed_scope``: the ``rsm`` seed's rule,
    ``global`` (Alg. 1 line 2), ``layerwise`` (each layer's own top (100 - p) %) or ``erk`` (each
    layer's own top at its Erdős–Rényi-Kernel density)."""

    axes: tuple[str, ...] = ("target_sparsity",)
    axis_bounds = {"target_sparsity": {"minimum": 0, "exclusiveMaximum": 100}}
    param_keys: tuple[str, ...] = ()

    def __init__(self, seed: str = "rsm", seed_scope: str = "global"):
        if seed not in SEEDS:
            raise ValueError(f"unknown seed {seed!r}; known: {', '.join(SEEDS)}")
        if seed_scope not in SCOPES:
            raise ValueError(f"train.dynamic_sparse.seed_scope: {seed_scope!r} is not one of {', '.join(SCOPES)}")
        self.seed, self.seed_scope = seed, seed_scope
        self.needs_source = seed != "rsm"  # PM, RIPM: init_state needs the dense model (source=)
        #: the params checks initialise it before any job (:func:`check_seed`'s refusals then come first)
        self.checks_init = seed == "rsm"

    def n_rounds(self, cfg) -> int:
        return 1

    def init_state(self, params: dict[str, Tensor], prunable: list[str], hp: dict | None = None,
                   source: dict[str, Tensor] | None = None, network=None) -> dict:
        """The seed (now when ``hp`` is given, else at the first ``effective``; an ``rsm`` seed
        refused by :func:`check_seed`, its path checked where ``network`` = ``(model,
        input_shape)`` is given) and the accumulators of the gradient flow."""
        if self.seed != "rsm":
            check_source(params, source, self.seed)
        G = next(iter(params.values())).shape[0]
        device = next(iter(params.values())).device
        state = {"prunable": list(prunable), "masks": None, "source": source, "seed_histogram": None,
                 "grad_l1": torch.zeros(G, dtype=torch.float64, device=device), "grad_steps": 0}
        if hp is not None:
            self.make_seed(params, state, hp, network)
        return state

    def make_seed(self, params: dict[str, Tensor], state: dict, hp: dict, network=None) -> None:
        p = hp["target_sparsity"].tolist()
        state["masks"] = seed_(self.seed, params, state["prunable"], p, state["source"], self.seed_scope)
        if self.seed == "rsm":
            check_seed(params, state["masks"], p, network)
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
