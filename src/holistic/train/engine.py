"""The grid trainer: every (configuration, split) model of one method, trained together.

The G models of a job are stacked along a leading axis (``holistic.models.mlp``) and
updated by one per-model Adam (``holistic.train.adam``); each model draws its
minibatches from its own split's training rows. Losses follow Table 1:

* nominal: eq. (3) cross-entropy;
* Robust: eq. (7), with the exact input Jacobian of the ReLU network;
* Stable: ``theta + (1/a) mean [L - theta]^+`` (Section 3.4), theta trained;
* Sparse: continuous sparsification rounds (Section 3.3, eq. 9) then a final round
  under the hard mask from weights rewound to ``rewind_epoch``.

Each model is kept at its best validation accuracy (of the final round).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field

import torch
from torch import Tensor

from ..data.stacked import SplitTensors
from ..objectives.robust import gradient_norms, gradient_norms_autograd, per_sample_loss, robust_loss
from ..objectives.stable import stable_loss
from ..models.mlp import forward, init_params, predict
from ..procedures import continuous_sparsification as cs
from .adam import StackedAdam
from .methods import METHODS, ModelSpec

HIDDEN = (128, 128)


@dataclass(frozen=True)
class TrainConfig:
    epochs: int
    batch_size: int
    rounds: int = 1          # sparse methods: soft-mask search rounds before the final round
    rewind_epoch: int = 1
    seed: int = 0
    hidden: tuple[int, ...] = HIDDEN
    device: str = "cpu"
    robust_gradient: str = "jacobian"  # or "autograd": K double-backprop passes (reference)


def epochs_per_round(epochs: int, n_train: int, batch_size: int, max_steps: int | None = None) -> int:
    """Epochs of one training round: ``train.epochs``, or, when ``train.max_steps_per_round``
    (``max_steps``) is set and a round of ``epochs`` epochs would take more optimizer steps
    than that, the most whole epochs that stay within it (at least one). A round has
    ``ceil(n_train / batch_size)`` steps per epoch; the cap only shortens rounds on large
    data sets (the ``uci`` profile caps skin-segmentation), small ones are unchanged."""
    if max_steps is None:
        return epochs
    steps_per_epoch = math.ceil(n_train / batch_size)
    return max(1, min(epochs, max_steps // steps_per_epoch))


@dataclass
class TrainResult:
    """Best-validation checkpoint of every model, stacked ``[G, ...]``."""

    W: list[Tensor]            # effective weights (hard mask applied for sparse methods)
    b: list[Tensor]
    theta: Tensor              # [G] stability threshold (0 for non-stable methods)
    best_epoch: Tensor         # [G] epoch (of the final round) of the kept checkpoint
    best_val_accuracy: Tensor  # [G] in [0, 1]
    val_curve: Tensor          # [epochs, G] validation accuracy per epoch of the final round
    steps: int                 # optimizer steps per model
    seconds: float             # wall time of the whole grid
    extra: dict = field(default_factory=dict)


def model_seed(seed: int, split: int) -> int:
    """Seed of a model's initialisation: shared by all configurations on one split."""
    return 1_000_003 * seed + 7919 * split + 17


def batch_order_seed(seed: int, split: int) -> int:
    return 1_000_003 * seed + 7919 * split + 29


def _hyper(specs: list[ModelSpec], name: str, default: float) -> Tensor:
    return torch.tensor([float(s.config.get(name, default)) for s in specs], dtype=torch.float32)


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def accuracy(W: list[Tensor], b: list[Tensor], X: Tensor, y: Tensor) -> Tensor:
    """Per-model accuracy in [0, 1]: X ``[G, N, M]``, y ``[G, N]``."""
    return (predict(W, b, X) == y).to(torch.float64).mean(dim=1)


def train_grid(data: SplitTensors, method: str, specs: list[ModelSpec], cfg: TrainConfig,
               log=sys.stderr) -> TrainResult:
    """Train every model of ``specs`` (one method) and return their best checkpoints."""
    comp = METHODS[method]
    device = resolve_device(cfg.device)
    data = data.to(device)
    G = len(specs)
    split = torch.tensor([s.split for s in specs], device=device)
    lr = _hyper(specs, "lr", 0.0).to(device)
    rho = _hyper(specs, "rho", 0.0).to(device)
    a = _hyper(specs, "a", 1.0).to(device)
    lam = _hyper(specs, "lambda", 0.0).to(device)
    beta_bar = _hyper(specs, "beta_bar", 1.0).to(device)

    sizes = [data.n_features, *cfg.hidden, data.k]
    W, b = init_params(sizes, [torch.Generator().manual_seed(model_seed(cfg.seed, s.split)) for s in specs])
    W = [w.to(device).requires_grad_() for w in W]
    b = [v.to(device).requires_grad_() for v in b]
    theta = torch.zeros(G, device=device, requires_grad=comp.stable)
    s = [torch.zeros_like(w, requires_grad=True) for w in W] if comp.sparse else []
    hard: list[Tensor] | None = None

    # one batch-order generator per split: models on the same split see the same order
    splits_used = sorted(set(int(x) for x in split.tolist()))
    order_gen = {sp: torch.Generator().manual_seed(batch_order_seed(cfg.seed, sp)) for sp in splits_used}
    n_train = data.X_train.shape[1]
    steps_per_epoch = math.ceil(n_train / cfg.batch_size)
    T = cfg.epochs * steps_per_epoch
    n_rounds = cfg.rounds + 1 if comp.sparse else 1

    best_val = torch.full((G,), -1.0, dtype=torch.float64, device=device)
    best_epoch = torch.zeros(G, dtype=torch.long, device=device)
    best_W = [w.detach().clone() for w in W]
    best_b = [v.detach().clone() for v in b]
    best_theta = theta.detach().clone()
    val_curve = []
    rewind = None
    steps = 0
    trace = {"round_start_weight_sums": [], "s_max_after_reset": []}  # for tests and logs
    start = time.perf_counter()

    def effective(round_final: bool, beta: Tensor | None):
        if not comp.sparse:
            return W, None
        if round_final:
            return [w * m for w, m in zip(W, hard)], None
        masks = [cs.soft_mask(si, beta) for si in s]
        return [w * m for w, m in zip(W, masks)], masks

    for r in range(n_rounds):
        final = r == n_rounds - 1
        if r > 0:
            with torch.no_grad():
                for p, saved in zip([*W, *b, theta], rewind):
                    p.copy_(saved)
        trace["round_start_weight_sums"].append(_weight_sums(W))
        trainable = [*W, *b] + ([theta] if comp.stable else []) + ([] if final else s)
        opt = StackedAdam(trainable, lr)
        if r == 0 and cfg.rewind_epoch == 0:
            rewind = [p.detach().clone() for p in [*W, *b, theta]]
        for epoch in range(cfg.epochs):
            perms = {sp: torch.randperm(n_train, generator=g).to(device) for sp, g in order_gen.items()}
            order = torch.stack([perms[int(sp)] for sp in split.tolist()])  # [G, n_train]
            for step in range(steps_per_epoch):
                idx = order[:, step * cfg.batch_size:(step + 1) * cfg.batch_size]
                x = data.X_train[split[:, None], idx]
                y = data.y_train[split[:, None], idx]
                beta = None
                if comp.sparse and not final:
                    beta = cs.beta_schedule(beta_bar, epoch * steps_per_epoch + step, T)
                We, masks = effective(final, beta)
                z, gates = forward(We, b, x)
                if comp.robust:
                    if cfg.robust_gradient == "jacobian":
                        norms = gradient_norms(We, gates, y)
                    else:
                        norms = gradient_norms_autograd(We, b, x, y)
                    L = robust_loss(z, norms, y, rho)
                else:
                    L = per_sample_loss(z, y)
                loss = stable_loss(L, theta, a) if comp.stable else L.mean(dim=1)
                if masks is not None:
                    loss = loss + cs.penalty(masks, lam)
                loss.sum().backward()
                opt.step()
                steps += 1
            if r == 0 and epoch + 1 == cfg.rewind_epoch:
                rewind = [p.detach().clone() for p in [*W, *b, theta]]
            if final:
                with torch.no_grad():
                    We, _ = effective(True, None)
                    acc = accuracy(We, b, data.X_val[split], data.y_val[split])
                    val_curve.append(acc)
                    better = acc > best_val
                    best_val = torch.where(better, acc, best_val)
                    best_epoch = torch.where(better, torch.full_like(best_epoch, epoch), best_epoch)
                    for dst, src in zip(best_W + best_b + [best_theta], list(We) + b + [theta]):
                        dst.copy_(torch.where(better.view(-1, *([1] * (dst.dim() - 1))), src, dst))
            if log is not None and (epoch + 1 == cfg.epochs or (epoch + 1) % max(1, cfg.epochs // 4) == 0):
                tail = f" mean val acc {float(val_curve[-1].mean()):.4f}" if final else ""
                print(f"[{method}] G={G} round {r + 1}/{n_rounds} epoch {epoch + 1}/{cfg.epochs}{tail}",
                      file=log, flush=True)
        if comp.sparse and not final:
            with torch.no_grad():
                if r == n_rounds - 2:
                    hard = [cs.hard_mask(si) for si in s]   # the ticket: H(s_T) of the last search round
                else:
                    for si in s:
                        si.copy_(cs.next_round_logits(si, beta_bar))
                    trace["s_max_after_reset"].append(max(float(si.max()) for si in s))
        if rewind is None:  # rewind_epoch beyond the first round: rewind to its end
            rewind = [p.detach().clone() for p in [*W, *b, theta]]

    seconds = time.perf_counter() - start
    return TrainResult(W=[w.cpu() for w in best_W], b=[v.cpu() for v in best_b], theta=best_theta.cpu(),
                       best_epoch=best_epoch.cpu(), best_val_accuracy=best_val.cpu(),
                       val_curve=torch.stack(val_curve).cpu(), steps=steps, seconds=seconds, extra=trace)


def model_bytes(n_features: int, k: int, n_val: int, cfg: TrainConfig) -> int:
    """A generous estimate of the memory one model of the grid needs while training."""
    sizes = [n_features, *cfg.hidden, k]
    n_params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    width = n_features + sum(cfg.hidden) + k
    floats = 8 * n_params                                # params, grads, Adam m and v, masks, best, rewind
    floats += 4 * cfg.batch_size * width                 # activations, gates and their gradients
    floats += 6 * cfg.batch_size * max(k - 1, 1) * width  # robust term: direction chain, forward and backward
    floats += min(n_val, 4096) * width                   # validation forward (evaluated in chunks of rows)
    return 4 * floats


def models_per_chunk(data: SplitTensors, cfg: TrainConfig, budget_mb: float) -> int:
    """How many models fit in ``budget_mb`` at once (at least one)."""
    per_model = model_bytes(data.n_features, data.k, data.X_val.shape[1], cfg)
    return max(1, int(budget_mb * 2**20) // per_model)


def train_in_chunks(data: SplitTensors, method: str, specs: list[ModelSpec], cfg: TrainConfig,
                    budget_mb: float, log=sys.stderr) -> TrainResult:
    """:func:`train_grid` over consecutive chunks of the grid sized to a memory budget.

    Models are independent, so the chunking never changes any model's result.
    """
    size = models_per_chunk(data, cfg, budget_mb)
    parts = [train_grid(data, method, specs[i:i + size], cfg, log=log) for i in range(0, len(specs), size)]
    if len(parts) == 1:
        return parts[0]
    cat = lambda xs, dim=0: torch.cat(xs, dim=dim)  # noqa: E731
    extra = {key: [sum((p.extra[key][r] for p in parts), []) for r in range(len(parts[0].extra[key]))]
             if key == "round_start_weight_sums" else parts[0].extra[key] for key in parts[0].extra}
    return TrainResult(
        W=[cat([p.W[l] for p in parts]) for l in range(len(parts[0].W))],
        b=[cat([p.b[l] for p in parts]) for l in range(len(parts[0].b))],
        theta=cat([p.theta for p in parts]), best_epoch=cat([p.best_epoch for p in parts]),
        best_val_accuracy=cat([p.best_val_accuracy for p in parts]),
        val_curve=cat([p.val_curve for p in parts], dim=1),
        steps=parts[0].steps, seconds=sum(p.seconds for p in parts), extra=extra)


def _weight_sums(W: list[Tensor]) -> list[float]:
    """Per-model sum of |W| (float64): a fingerprint of where a round starts."""
    with torch.no_grad():
        return sum(w.detach().double().abs().flatten(1).sum(1) for w in W).tolist()
