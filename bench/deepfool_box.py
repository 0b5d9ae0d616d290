"""Boxed DeepFool (issue 35) against ART's on four small MNIST models, on CPU in a few minutes.

    python bench/deepfool_box.py [--points 100] [--epochs 3]

Trains, deterministically (seed 0, one thread, plain torch, float32), the issue's four cases:

* ``linear10``: softmax regression 784-10 on the 60,000 training images;
* ``linear3v7``: a 2-logit linear model 784-2 on the training 3s and 7s;
* ``mlp``: MLP 784-128-128-10 (ReLU), natural cross-entropy;
* ``mlp-ibp``: the same MLP trained with interval bound propagation: one natural epoch, then
  the project's eq. (4) robust cross-entropy (:func:`holistic.objectives.certified.robust_ce` of
  :func:`~holistic.objectives.certified.margin_lower_bounds`, bound ``ibp``, L-inf ball ∩ [0, 1])
  mixed with the natural one, ``kappa CE + (1 - kappa) L_rob``, eps ramped linearly to 0.1 while
  kappa falls from 1 to 0.5 (CROWN-IBP's schedule shape, shortened);

then picks the first ``--points`` correctly classified official test points (3s and 7s only for
``linear3v7``) and attacks them with the project's DeepFool inside the box [0, 1] (the registered
defaults: 50 steps, overshoot 0.02) and with ART's (``max_iter=50, epsilon=0.02``, all class
gradients, ``clip_values=(0, 1)``). Prints per case the success rates (label flipped at the
returned point, which lies in the box), the mean L2 distances over the points where both succeed,
the largest and the smallest per-point relative excess over ART there, ``d_ours / d_ART - 1``
(``max exc``, ``min exc``: the target is ``max exc <= 0.02``; below 0 is this attack closer, a
tighter bound for a minimal attack), the median of ``d_ours / d_ART`` and the share of points with
``d_ours <= 1.02 d_ART``; for the linear models also the largest ratio of each attack's distance
to the exact boxed minimum (``o/ex``, ``A/ex``: :func:`exact_linear_minimum`; 1.02 is the
overshoot's allowance); and the seconds to train, to run this attack (both of its boxed
schedules) and ART's.

MNIST comes from the IDX files under ``/work/shared/data/mnist`` (``--mnist``), read by
:mod:`holistic.data.idx`. ART (``adversarial-robustness-toolbox``) is a test-only dependency:
without it the ART columns are skipped.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from holistic.attacks.deepfool import deepfool
from holistic.data.idx import FILES, IMAGES_MAGIC, LABELS_MAGIC, read_idx
from holistic.objectives.certified import margin_lower_bounds, robust_ce
from holistic.verify.layers import Linear, ReLU

BOX = (0.0, 1.0)


def load_mnist(root: Path) -> dict[str, torch.Tensor]:
    out = {}
    for split in ("train", "test"):
        img = read_idx((root / FILES[f"{split}_images"]).read_bytes(), FILES[f"{split}_images"], IMAGES_MAGIC)
        lab = read_idx((root / FILES[f"{split}_labels"]).read_bytes(), FILES[f"{split}_labels"], LABELS_MAGIC)
        out[f"x_{split}"] = torch.from_numpy(img.reshape(len(img), -1).astype(np.float32) / 255.0)
        out[f"y_{split}"] = torch.from_numpy(lab.astype(np.int64))
    return out


def mlp(k: int = 10) -> nn.Sequential:
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, k))


def ibp_loss(net: nn.Sequential, x: torch.Tensor, y: torch.Tensor, eps: float, kappa: float) -> torch.Tensor:
    """``kappa CE + (1 - kappa) L_rob`` with the project's IBP margin bounds (one model, G = 1)."""
    natural = nn.functional.cross_entropy(net(x), y)
    if eps == 0:
        return natural
    layers = [ReLU() if isinstance(m, nn.ReLU) else Linear(m.weight[None], m.bias[None]) for m in net]
    m = margin_lower_bounds("ibp", layers, x[None], y[None], 10, eps, BOX)
    return kappa * natural + (1 - kappa) * robust_ce(m).mean()


def train(net: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, ibp: bool = False,
          eps_max: float = 0.1, batch: int = 128) -> nn.Module:
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    steps_per_epoch = (len(x) + batch - 1) // batch
    ramp = max(1, (epochs - 1) * steps_per_epoch)  # IBP: the first epoch natural, then eps ramps up
    t = 0
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=g)
        for s in range(steps_per_epoch):
            idx = order[s * batch:(s + 1) * batch]
            if ibp:
                frac = min(1.0, max(0, t - steps_per_epoch) / (0.5 * ramp))
                loss = ibp_loss(net, x[idx], y[idx], eps_max * frac, 1.0 - 0.5 * frac)
            else:
                loss = nn.functional.cross_entropy(net(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            t += 1
    return net.eval()


def cases(data: dict, epochs: int):
    """``(name, net, x_test, y_test)`` for the four models (labels 0/1 for 3 vs 7)."""
    xtr, ytr, xte, yte = data["x_train"], data["y_train"], data["x_test"], data["y_test"]
    torch.manual_seed(0)
    yield "linear10", train(nn.Linear(784, 10), xtr, ytr, epochs), xte, yte
    pick, pick_te = (ytr == 3) | (ytr == 7), (yte == 3) | (yte == 7)
    torch.manual_seed(0)
    yield ("linear3v7", train(nn.Linear(784, 2), xtr[pick], (ytr[pick] == 7).long(), epochs),
           xte[pick_te], (yte[pick_te] == 7).long())
    torch.manual_seed(0)
    yield "mlp", train(mlp(), xtr, ytr, epochs), xte, yte
    torch.manual_seed(0)
    yield "mlp-ibp", train(mlp(), xtr, ytr, epochs + 2, ibp=True), xte, yte


def exact_linear_minimum(net: nn.Linear, x: torch.Tensor, y: torch.Tensor, iters: int = 100) -> torch.Tensor:
    """The exact L2-minimal misclassifying perturbation inside the box of a linear model ``[N]``
    (float64): the least over k != y of ``||clip(x + t a) - x||`` at the root of
    ``a^T clip(x + t a) + c = 0`` (``a = w_k - w_y``, ``c = b_k - b_y``; bisection on t, see
    ``tests/attacks/test_deepfool_box.py``), inf where no class is reachable."""
    W, b, x = net.weight.double(), net.bias.double(), x.double()
    a = W[None] - W[y][:, None]                        # [N, K, D]
    c = b[None] - b[y][:, None]                        # [N, K]
    x0 = x[:, None].expand_as(a)
    h = lambda t: ((x0 + t[..., None] * a).clamp(*BOX) * a).sum(-1) + c  # noqa: E731
    reach = (torch.where(a > 0, BOX[1], BOX[0]) * a).sum(-1) + c > 0
    lo, hi = torch.zeros_like(c), torch.ones_like(c)
    while (reach & (h(hi) < 0)).any():
        hi = torch.where(reach & (h(hi) < 0), 2 * hi, hi)
    for _ in range(iters):
        mid = (lo + hi) / 2
        up = h(mid) >= 0
        lo, hi = torch.where(up, lo, mid), torch.where(up, mid, hi)
    d = ((x0 + hi[..., None] * a).clamp(*BOX) - x0).norm(dim=-1)
    d = torch.where(reach, d, torch.full_like(d, float("inf")))
    d[torch.arange(len(y)), y] = float("inf")
    return d.min(-1).values


def correct_points(net: nn.Module, x: torch.Tensor, y: torch.Tensor, n: int):
    with torch.no_grad():
        ok = net(x).argmax(-1) == y
    acc = float(ok.float().mean())
    return x[ok][:n], y[ok][:n], acc


def ours(net: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 50, overshoot: float = 0.02):
    """The project's boxed DeepFool on one model (G = 1): ``(x_adv [N, D], success [N])``."""
    with torch.no_grad():
        x_adv, _ = deepfool(lambda v: net(v[0])[None], x[None], y[None], steps, overshoot, BOX)
        x_adv = x_adv[0]
        return x_adv, net(x_adv).argmax(-1) != y


def art_deepfool(net: nn.Module, x: torch.Tensor, y: torch.Tensor, k: int):
    try:
        from art.attacks.evasion import DeepFool
        from art.estimators.classification import PyTorchClassifier
    except ImportError:
        return None
    clf = PyTorchClassifier(net, loss=nn.CrossEntropyLoss(), input_shape=(784,), nb_classes=k,
                            clip_values=BOX, device_type="cpu")
    x_adv = torch.from_numpy(DeepFool(clf, max_iter=50, epsilon=0.02, nb_grads=k,
                                      verbose=False).generate(x.numpy())).to(x.dtype)
    with torch.no_grad():
        return x_adv, net(x_adv).argmax(-1) != y


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mnist", type=Path, default=Path("/work/shared/data/mnist"))
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    data = load_mnist(args.mnist)
    print(f"{'case':10s} {'acc':>6s} {'ours %':>7s} {'ART %':>6s} {'both':>5s} {'d ours':>7s} {'d ART':>7s} "
          f"{'max exc':>8s} {'min exc':>8s} {'med o/A':>7s} {'<=2%':>5s} {'o/ex max':>8s} {'A/ex max':>8s} "
          f"{'train s':>7s} {'ours s':>6s} {'ART s':>6s}")
    for name, net, xte, yte in _timed(cases(data, args.epochs)):
        t_train = time.perf_counter() - _timed.start
        for p in net.parameters():
            p.requires_grad_(False)
        x, y, acc = correct_points(net, xte, yte, args.points)
        k = net(x[:1]).shape[-1]
        t0 = time.perf_counter()
        x_ours, ok_ours = ours(net, x, y)
        t_ours = time.perf_counter() - t0
        assert x_ours.min() >= BOX[0] and x_ours.max() <= BOX[1]
        d_ours = (x_ours - x).norm(dim=-1)
        t0 = time.perf_counter()
        art = art_deepfool(net, x, y, k)
        t_art = time.perf_counter() - t0
        if art is None:
            print(f"{name:10s} {100 * acc:6.2f} {100 * ok_ours.float().mean():7.1f} {'-':>6s}")
            continue
        x_art, ok_art = art
        d_art = (x_art - x).norm(dim=-1)
        both = ok_ours & ok_art
        ratio = (d_ours / d_art)[both]
        excess = ratio - 1
        exact = ("", "")
        if isinstance(net, nn.Linear):  # ratios to the exact boxed minimum
            d_min = exact_linear_minimum(net, x, y).to(x.dtype)
            exact = tuple(f"{float((d / d_min)[ok].max()):.4f}" for d, ok in ((d_ours, ok_ours), (d_art, ok_art)))
        print(f"{name:10s} {100 * acc:6.2f} {100 * ok_ours.float().mean():7.1f} {100 * ok_art.float().mean():6.1f} "
              f"{int(both.sum()):5d} {d_ours[both].mean():7.4f} {d_art[both].mean():7.4f} "
              f"{float(excess.max()):+8.4f} {float(excess.min()):+8.4f} {float(ratio.median()):7.4f} "
              f"{100 * float((excess <= 0.02).float().mean()):5.1f} "
              f"{exact[0]:>8s} {exact[1]:>8s} {t_train:7.1f} {t_ours:6.1f} {t_art:6.1f}", flush=True)


def _timed(gen):
    """Yield from ``gen``, recording when each item's production started (``_timed.start``)."""
    while True:
        _timed.start = time.perf_counter()
        try:
            item = next(gen)
        except StopIteration:
            return
        yield item


if __name__ == "__main__":
    main()
