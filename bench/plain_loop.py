"""The baseline of the throughput benchmark: what a user would write instead of the engine.

One ``torch.nn.Module`` (``Linear -> ReLU -> Linear -> ReLU -> Linear``, HDL's 2 x 128 network)
and one ``torch.optim.Adam`` per model, trained one model after another with minibatches of a
shuffled epoch, the best validation accuracy kept at every epoch's end (as the engine does).

* DL: cross-entropy, eq. (3).
* Robust: eq. (7) by double backprop: for each class k, ``grad_x (z_k - z_y)`` with
  ``create_graph=True``, then cross-entropy of ``z_k + rho * ||grad_x (z_k - z_y)||_1``.

``adam`` picks ``torch.optim.Adam``'s implementation: ``"default"`` (what a user writes; on
CPU PyTorch's for-loop over the parameters), ``"foreach"`` or ``"fused"`` (one C++ kernel per
parameter, the fastest on CPU: the benchmark's yardstick, so that the engine is compared with
the best a plain loop gets out of PyTorch).

Used by ``bench/train_throughput.py`` only (it is the yardstick, not a code path of the project).
"""

from __future__ import annotations

import copy
import time

import torch
from torch import nn
from torch.nn import functional as F


def network(p: int, k: int, hidden=(128, 128), seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    sizes = [p, *hidden]
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], k))


def robust_loss(net: nn.Module, x, y, rho: float):
    """Eq. (7) by double backprop: K autograd passes through the input, each kept in the graph."""
    x = x.detach().requires_grad_(True)
    z = net(x)
    z_y = z.gather(1, y[:, None]).squeeze(1)
    norms = []
    for k in range(z.shape[1]):
        (g,) = torch.autograd.grad((z[:, k] - z_y).sum(), x, create_graph=True)
        norms.append(g.abs().sum(dim=1))
    return F.cross_entropy(z + rho * torch.stack(norms, dim=1), y)


ADAM = {"default": {}, "foreach": {"foreach": True}, "fused": {"fused": True}}


def train_one(X, y, Xv, yv, method: str, epochs: int, batch_size: int = 32, lr: float = 0.01,
              rho: float = 0.01, seed: int = 0, adam: str = "fused") -> tuple[float, int]:
    """Train one model; returns (seconds, optimizer steps). X ``[n, p]``, y ``[n]``."""
    net = network(X.shape[1], int(max(int(y.max()), int(yv.max()))) + 1, seed=seed)
    opt = torch.optim.Adam(net.parameters(), lr=lr, **ADAM[adam])
    gen = torch.Generator().manual_seed(seed)
    best, best_state, steps = -1.0, None, 0
    start = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(len(X), generator=gen)
        for s in range(0, len(X), batch_size):
            idx = perm[s:s + batch_size]
            xb, yb = X[idx], y[idx]
            loss = F.cross_entropy(net(xb), yb) if method == "DL" else robust_loss(net, xb, yb, rho)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            steps += 1
        with torch.no_grad():
            acc = float((net(Xv).argmax(1) == yv).float().mean())
        if acc > best:
            best, best_state = acc, copy.deepcopy(net.state_dict())
    return time.perf_counter() - start, steps
