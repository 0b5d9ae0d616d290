"""The second yardstick: PyTorch's ``torch.func`` model-ensembling recipe, as an expert user writes it
to train many small models at once (used by ``bench/recipe_yardstick.py`` only; not a code path of
the project).

The G models' parameters are stacked (``[G, ...]``, as ``torch.func.stack_module_state`` makes
them) and run by one structure module on the meta device through ``functional_call``. One training
step of all G models is::

    x, y = X[rows[:, s:s + B]], Y[rows[:, s:s + B]]       # [G, B, ...]: model g's own minibatch
    grads = vmap(grad(loss))(params, x, y, ...)            # per-model loss of functional_call
    for p, g in zip(params, grads): p.grad = g
    opt.step()                                            # ONE torch.optim.Adam (or SGD) over the stack

with ``torch.optim.Adam(fused=True)`` (``SGD(momentum=0.9, fused=True)``): on this CPU the fastest of
fused, foreach and the default (Adam 1.3 / 5.2 / 9.9 ms a step over G = 48 spambase-sized MLPs, one
thread, 2 busy cores, 2026-12-07). One optimizer over the stack has one learning rate, which is all the
benchmark's grids use (the engine's grids may give every model its own).

So that both sides train the same models, the recipe starts from the engine's initial weights
(:func:`init_stacked`, :func:`to_recipe`; a user would stack G fresh modules with
``stack_module_state``: the same layout, other numbers), draws each epoch's minibatch order from
one generator per split and PGD's random starts from one per model, seeded as the engine seeds
them (``holistic.train.seeds``). Its clock runs from the optimizer's creation to the last epoch's
selection (the initialisation and the data outside, as the engine's ``TrainResult.seconds``).

Every epoch ends with the selection the engine does (``holistic.train.validation.Kept``): a vmapped
validation forward of all G models on their own validation rows, the accuracy per model, and, where
it beats the model's best so far (every epoch where the method keeps its last epoch: the certified
loss), a ``torch.where`` copy of the parameters into the kept checkpoint.

The per-model losses (one model: ``params`` of one network, ``x`` ``[B, ...]``, ``y`` ``[B]``):

* ``dl``, ``sgd``: cross-entropy of the logits;
* ``robust`` (HDL eq. 7): the input Jacobian of the logits by ``jacrev`` of the batch-summed logits
  (samples are independent, so ``d sum_b z_bk / d x_b`` is sample b's gradient: K vector-Jacobian
  products, vmapped by ``jacrev``), ``||J_k - J_y||_1`` per class, cross-entropy of
  ``z + rho * norms``; ``grad`` of it differentiates through ``jacrev`` (double backward);
* ``pgd`` (Cosentino et al.'s adversarial training): ``0.5 CE(x) + 0.5 CE(x_adv)``, ``x_adv`` from
  :func:`pgd_points` (a per-model functional PGD, vmapped over the models, on the detached weights);
* ``ibp`` (SparseVLR's certified training, IBP): eq. (4), ``log(1 + sum_i exp(-m_i))`` of the margin
  lower bounds from :func:`ibp_margins` (IBP written with plain torch ops, the specification folded
  into the last layer as ``holistic.verify`` does).

:func:`train_plain` is the same losses, one ``nn.Module`` and one ``torch.optim`` a model, one
model after another (the plain loop for the kinds ``bench/plain_loop.py`` does not have).
"""

from __future__ import annotations

import copy
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call, grad, jacrev, vmap

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from holistic.models import MODELS, cnn  # noqa: E402  the same architectures, as nn.Modules
from holistic.train.seeds import batch_order_seed, draw_seed, model_seed  # noqa: E402  the same draws

#: Splits of the benchmark data (as ``bench/train_throughput.py``): model g is on split g % N_SPLITS.
N_SPLITS = 8
MAKERS = {"mlp": cnn.mlp, "lenet300": cnn.lenet300_100, "cnn_4layer": cnn.cnn_4layer}


@dataclass(frozen=True)
class Setup:
    """One training kind: its model, loss and optimizer settings (the engine's, see the yardstick)."""

    kind: str                       # dl, robust, pgd, ibp, sgd
    model: str                      # a key of MAKERS
    lr: float = 0.01
    rho: float = 0.01               # robust: eq. 7's radius
    eps: float = 0.3                # pgd: the attack's radius; ibp: the certified radius
    steps: int = 10                 # pgd: attack steps
    alpha: float = 0.05             # pgd: absolute step
    weight: float = 0.5             # pgd: the adversarial term's weight
    momentum: float = 0.9           # sgd
    box: tuple[float, float] | None = (0.0, 1.0)

    @property
    def keep_last(self) -> bool:
        """The certified loss keeps the last epoch (the engine's ``selection = "last"``)."""
        return self.kind == "ibp"


def structure(model: str, input_shape: tuple[int, ...], k: int) -> nn.Module:
    return MAKERS[model](tuple(input_shape), k).to("meta")


def init_stacked(model: str, data, splits: list[int], seed: int = 0) -> dict:
    """The engine's initialisation of the models on ``splits`` (its names and layouts)."""
    gens = [torch.Generator().manual_seed(model_seed(seed, s)) for s in splits]
    return MODELS[model].init(data.input_shape, data.k, gens)


def to_recipe(model: str, params: dict) -> dict:
    """Engine params as the recipe's module's: the MLP's ``W{l}`` ``[G, in, out]`` become
    ``holistic.models.cnn.mlp``'s ``{2l+1}.weight`` ``[G, out, in]``; modules keep their names."""
    if model != "mlp":
        return dict(params)
    n = sum(1 for k in params if k.startswith("W"))
    return {**{f"{2 * l + 1}.weight": params[f"W{l}"].transpose(1, 2).contiguous() for l in range(n)},
            **{f"{2 * l + 1}.bias": params[f"b{l}"] for l in range(n)}}


# -- per-model losses: one network's params, x [B, ...], y [B]

def ce(z: Tensor, y: Tensor) -> Tensor:
    """Per-sample cross-entropy ``[B]`` (vmappable: no one_hot)."""
    return torch.logsumexp(z, -1) - z.gather(-1, y[..., None]).squeeze(-1)


def ce_loss(base, params, x, y):
    return F.cross_entropy(functional_call(base, params, (x,)), y)


def robust_loss(base, params, x, y, rho: float):
    z = functional_call(base, params, (x,))
    J = jacrev(lambda v: functional_call(base, params, (v,)).sum(0))(x).flatten(2)  # [K, B, M]
    J_y = J.gather(0, y[None, :, None].expand(1, *J.shape[1:]))
    return F.cross_entropy(z + rho * (J - J_y).abs().sum(-1).T, y)


def project(v: Tensor, x: Tensor, eps: float, box) -> Tensor:
    v = torch.maximum(torch.minimum(v, x + eps), x - eps)
    return v if box is None else v.clamp(box[0], box[1])


def pgd_points(base, params, x, y, start, eps: float, steps: int, alpha: float, box) -> Tensor:
    """L-inf PGD on one model: from ``x + (2 start - 1) eps`` (``start`` uniform draws of x's shape),
    ``steps`` signed-gradient steps of ``alpha`` on the cross-entropy, each projected on the ball and
    the box; per sample the strongest point seen (misclassified first, then the highest loss), as
    ``holistic.attacks.pgd`` keeps it. ``params`` carry no gradient to the weights."""
    def loss(v):
        z = functional_call(base, params, (v,))
        L = ce(z, y)
        return L.sum(), (L, z)

    shape = (-1, *([1] * (x.dim() - 1)))
    v = project(x + (start * 2 - 1) * eps, x, eps, box)
    best, best_loss = x, torch.full_like(y, -float("inf"), dtype=x.dtype)
    best_wrong = torch.zeros_like(y, dtype=torch.bool)
    for s in range(steps + 1):
        g, (L, z) = grad(loss, has_aux=True)(v)
        wrong = z.argmax(-1) != y
        better = (wrong & ~best_wrong) | ((wrong == best_wrong) & (L > best_loss))
        best = torch.where(better.view(shape), v, best)
        best_loss, best_wrong = torch.where(better, L, best_loss), best_wrong | wrong
        if s < steps:
            v = project(v + alpha * g.sign(), x, eps, box)
    return best


def adversarial_loss(base, params, x, x_adv, y, w: float):
    return ((1 - w) * ce(functional_call(base, params, (x,)), y)
            + w * ce(functional_call(base, params, (x_adv,)), y)).mean()


def specification(y: Tensor, K: int, dtype) -> Tensor:
    """``C`` ``[B, K-1, K]``: row i (the classes i != y, increasing) is ``e_y - e_i``."""
    i = torch.arange(K - 1, device=y.device)
    others = i + (i >= y[..., None]).long()                        # [B, K-1]
    classes = torch.arange(K, device=y.device)
    e_y = (classes == y[..., None]).to(dtype)[..., None, :]          # [B, 1, K]
    return e_y - (classes == others[..., None]).to(dtype)


def layers_of(base: nn.Sequential, params) -> list[tuple[str, nn.Module, Tensor | None, Tensor | None]]:
    out = []
    for name, m in base.named_children():
        w, b = params.get(f"{name}.weight"), params.get(f"{name}.bias")
        out.append((type(m).__name__, m, w, b))
    return out


def affine(kind: str, m: nn.Module, w: Tensor, b: Tensor | None, h: Tensor) -> Tensor:
    if kind == "Linear":
        return F.linear(h, w, b)
    return F.conv2d(h, w, b, m.stride, m.padding)


def ibp_margins(base, params, x, y, eps: float, box) -> Tensor:
    """IBP lower bounds ``[B, K-1]`` of ``z_y - z_i`` over the ball ∩ box: intervals as centre and
    radius through the hidden layers (``W m + b``, ``|W| r``; ReLU on the ends), the
    specification folded into the last Linear (``C W`` per point, bounded exactly)."""
    lo, hi = x - eps, x + eps
    if box is not None:
        lo, hi = lo.clamp(min=box[0]), hi.clamp(max=box[1])
    layers = layers_of(base, params)
    for kind, m, w, b in layers[:-1]:
        if kind in ("Linear", "Conv2d"):
            mid, rad = affine(kind, m, w, b, (hi + lo) / 2), affine(kind, m, w.abs(), None, (hi - lo) / 2)
            lo, hi = mid - rad, mid + rad
        elif kind == "ReLU":
            lo, hi = lo.clamp(min=0), hi.clamp(min=0)
        elif kind == "Flatten":
            lo, hi = lo.flatten(1), hi.flatten(1)
        else:
            raise ValueError(f"IBP recipe: layer {kind} not supported")
    _, _, w, b = layers[-1]
    C = specification(y, w.shape[0], x.dtype)
    A = C @ w                                                        # [B, K-1, r]
    mid, rad = ((hi + lo) / 2)[..., None], ((hi - lo) / 2)[..., None]
    return (A @ mid - A.abs() @ rad).squeeze(-1) + C @ b


def ibp_loss(base, params, x, y, eps: float, box):
    m = ibp_margins(base, params, x, y, eps, box)
    return torch.logsumexp(F.pad(-m, (1, 0)), -1).mean()              # eq. (4): CE([0, -m], 0)


def loss_of(setup: Setup, base):
    """``loss(params, x, y, *extra)`` of one model for the kind."""
    if setup.kind in ("dl", "sgd"):
        return lambda p, x, y: ce_loss(base, p, x, y)
    if setup.kind == "robust":
        return lambda p, x, y: robust_loss(base, p, x, y, setup.rho)
    if setup.kind == "pgd":
        return lambda p, x, y, x_adv: adversarial_loss(base, p, x, x_adv, y, setup.weight)
    if setup.kind == "ibp":
        return lambda p, x, y: ibp_loss(base, p, x, y, setup.eps, setup.box)
    raise ValueError(f"unknown kind {setup.kind!r}")


def optimizer(setup: Setup, tensors: list[Tensor]) -> torch.optim.Optimizer:
    """One fused ``torch.optim`` over the tensors (foreach where fused is not available)."""
    make = ((lambda **kw: torch.optim.SGD(tensors, lr=setup.lr, momentum=setup.momentum, **kw))
            if setup.kind == "sgd" else (lambda **kw: torch.optim.Adam(tensors, lr=setup.lr, **kw)))
    try:
        return make(fused=True)
    except (RuntimeError, ValueError):
        return make(foreach=True)


def starts(x: Tensor, splits: list[int], seed: int, step: int) -> Tensor:
    """PGD's uniform random starts ``[G, B, ...]``, one generator per model seeded as the engine
    seeds it (``draw_seed``), so both draw the same starts."""
    gens = [torch.Generator().manual_seed(draw_seed(seed, s, step, "train")) for s in splits]
    return torch.stack([torch.rand(x.shape[1:], generator=g, dtype=x.dtype) for g in gens])


@dataclass
class Trained:
    params: dict[str, Tensor]   # the kept checkpoints [G, ...]
    val: Tensor                 # their validation accuracy [G]
    seconds: float
    steps: int                  # optimizer steps of one model


def orders(n: int, splits: list[int], seed: int):
    """Per split one generator (``batch_order_seed``: the engine's), a permutation per epoch."""
    gens = {s: torch.Generator().manual_seed(batch_order_seed(seed, s)) for s in sorted(set(splits))}

    def epoch() -> Tensor:
        perms = {s: torch.randperm(n, generator=g) for s, g in gens.items()}
        return torch.stack([perms[s] for s in splits])
    return epoch


def train_recipe(setup: Setup, data, splits: list[int], init: dict[str, Tensor], epochs: int,
                 batch_size: int = 32, seed: int = 0) -> Trained:
    """The recipe on G = len(splits) models (model g on split ``splits[g]``) from ``init`` ``[G, ...]``."""
    G, n = len(splits), data.X_train.shape[1]
    base = structure(setup.model, data.input_shape, data.k)
    params = {k: v.detach().clone() for k, v in init.items()}
    best = {k: v.clone() for k, v in params.items()}
    best_val = torch.full((G,), -1.0, dtype=torch.float64)
    X, Y = data.X_train.flatten(0, 1), data.y_train.flatten()
    offset = torch.tensor(splits)[:, None] * n
    Xv, yv = data.X_val[splits], data.y_val[splits]
    step_grad = vmap(grad(loss_of(setup, base)))
    attack = vmap(lambda p, x, y, s: pgd_points(base, p, x, y, s, setup.eps, setup.steps, setup.alpha, setup.box))
    forward = vmap(lambda p, x: functional_call(base, p, (x,)))
    epoch_order = orders(n, splits, seed)
    spe, steps = -(-n // batch_size), 0
    start = time.perf_counter()
    opt = optimizer(setup, list(params.values()))
    for _ in range(epochs):
        rows = offset + epoch_order()
        for s in range(spe):
            idx = rows[:, s * batch_size:(s + 1) * batch_size]
            x, y = X[idx], Y[idx]
            extra = (attack(params, x, y, starts(x, splits, seed, steps)),) if setup.kind == "pgd" else ()
            grads = step_grad(params, x, y, *extra)
            for k, p in params.items():
                p.grad = grads[k]
            opt.step()
            steps += 1
        with torch.no_grad():
            acc = (forward(params, Xv).argmax(-1) == yv).to(torch.float64).mean(1)
            better = torch.ones(G, dtype=torch.bool) if setup.keep_last else acc > best_val
            best_val = torch.where(better, acc, best_val)
            if bool(better.any()):
                for k, v in best.items():
                    torch.where(better.view(-1, *([1] * (v.dim() - 1))), params[k], v, out=v)
    return Trained(best, best_val, time.perf_counter() - start, steps)


def train_plain(setup: Setup, data, split: int, init: dict[str, Tensor], epochs: int,
                batch_size: int = 32, seed: int = 0) -> Trained:
    """One model (on ``split``, from ``init``, unstacked) as a plain loop: an ``nn.Module``, a fused
    ``torch.optim``, ``loss.backward()``, a deep copy of the state where validation improves."""
    net = MAKERS[setup.model](data.input_shape, data.k)
    net.load_state_dict(init)
    params = dict(net.named_parameters())
    opt = optimizer(setup, list(params.values()))
    loss = loss_of(setup, net)
    X, Y, Xv, yv = data.X_train[split], data.y_train[split], data.X_val[split], data.y_val[split]
    epoch_order = orders(X.shape[0], [split], seed)
    best_val, best, steps = -1.0, None, 0
    start = time.perf_counter()
    for _ in range(epochs):
        perm = epoch_order()[0]
        for s in range(0, X.shape[0], batch_size):
            x, y = X[perm[s:s + batch_size]], Y[perm[s:s + batch_size]]
            extra = ()
            if setup.kind == "pgd":
                fixed = {k: p.detach() for k, p in params.items()}
                extra = (pgd_points(net, fixed, x, y, starts(x[None], [split], seed, steps)[0], setup.eps,
                                    setup.steps, setup.alpha, setup.box),)
            opt.zero_grad(set_to_none=True)
            loss(params, x, y, *extra).backward()
            opt.step()
            steps += 1
        with torch.no_grad():
            acc = float((net(Xv).argmax(-1) == yv).double().mean())
        if setup.keep_last or acc > best_val:
            best_val, best = acc, copy.deepcopy(net.state_dict())
    return Trained(best, torch.tensor([best_val]), time.perf_counter() - start, steps)
