"""The evaluation side of the recipe yardstick (issue 31, item 3): the engine's PGD attack
(``holistic.attacks.pgd.pgd`` on the stacked models) and CROWN bounds (``holistic.verify.bounds``)
against the same attack and bound written per model with plain torch ops and vmapped over the
models (used by ``bench/recipe_yardstick.py``).

* PGD: :func:`recipe.pgd_points` (one model's functional attack: a random start, ``steps``
  signed-gradient steps of the cross-entropy by ``torch.func.grad``, projection on the ball and the
  box, the strongest point seen kept per sample), ``vmap``-ed over the models. Both sides draw the
  random starts from the same per-model generators (the engine's ``noise``: one ``torch.rand`` of
  ``[N, ...]`` per model), inside the timed region.
* CROWN: :func:`crown_point`, full CROWN for one model and one point (intermediate bounds by CROWN
  itself, ReLU relaxation with the adaptive lower slope ``u >= -l``, as ``holistic.verify.crown``),
  written with plain torch ops (``@`` for Linear, ``conv_transpose2d`` for Conv2d), ``vmap``-ed over
  the points and then over the models.

The outputs are checked equal within a tolerance. CROWN: the margin lower bounds ``allclose``
(rtol 1e-3, atol 1e-4 of the largest bound), and whether each point is verified. PGD: at least 90 %
of the adversarial points equal within 1e-5 and at least 95 % of the misclassification decisions
the same. PGD cannot be held to more: the engine runs a CNN model by model, ``vmap`` one grouped
convolution, so the input gradients differ in the last bits, and where that flips the sign of a
coordinate near 0 the point's trajectory goes elsewhere (in the tiny runs: 1 point in 32 to 64 on
cnn_4layer; on the MLP the points came out bitwise equal). The models are the engine's
initialisation (the seeds of the training side), the points each model's own validation rows.
"""

from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.func import functional_call, vmap

from recipe import N_SPLITS, init_stacked, layers_of, pgd_points, specification, structure, to_recipe
from holistic.attacks.pgd import pgd
from holistic.models import MODELS
from holistic.objectives.adversarial import logits as engine_logits
from holistic.verify import bounds
from holistic.verify.layers import from_model

#: (what, model, data shape) of the evaluation cases; CROWN on cnn_4layer takes at most
#: :data:`CNN_CROWN_POINTS` points a model (its rows are [S, D] = [1568, 784] per point).
CASES = (("pgd", "mlp", "iris-sized"), ("pgd", "mlp", "spambase-sized"), ("pgd", "cnn_4layer", "mnist-sized"),
         ("crown", "mlp", "iris-sized"), ("crown", "mlp", "spambase-sized"), ("crown", "cnn_4layer", "mnist-sized"))
CNN_CROWN_POINTS = 4
EPS, PGD_STEPS = 0.1, 10
BOX = (0.0, 1.0)


def relax(lo: Tensor, hi: Tensor):
    """``a_l z <= relu(z) <= a_u z + b_u`` on ``[lo, hi]`` (adaptive lower slope)."""
    active, unstable = (lo >= 0).to(lo.dtype), (lo < 0) & (hi > 0)
    a_u = torch.where(unstable, hi / torch.where(unstable, hi - lo, torch.ones_like(hi)), active)
    b_u = torch.where(unstable, -lo * a_u, torch.zeros_like(hi))
    a_l = torch.where(unstable, (hi >= -lo).to(lo.dtype), active)
    return a_l, a_u, b_u


def crown_point(base, params, x: Tensor, y: Tensor, eps: float, box) -> Tensor:
    """Full CROWN lower bounds ``[K-1]`` of ``z_y - z_i`` over the ball ∩ box, one model, one point."""
    lo, hi = (x - eps).clamp(min=box[0]), (x + eps).clamp(max=box[1])
    layers = layers_of(base, params)
    shapes, h = [], x[None]
    for kind, m, w, b in layers:
        shapes.append(tuple(h.shape[1:]))
        h = (F.linear(h, w, b) if kind == "Linear" else F.conv2d(h, w, b, m.stride, m.padding)
             if kind == "Conv2d" else torch.relu(h) if kind == "ReLU" else h.flatten(1))
    relaxed = {}

    def back(A: Tensor, j: int) -> Tensor:
        """min over the box of ``A f_{<j}(x')`` for rows ``A [S, *shape entering layer j]``."""
        const = A.new_zeros(A.shape[0])
        for i in range(j - 1, -1, -1):
            kind, m, w, b = layers[i]
            if kind == "Linear":
                const, A = const + A @ b, A @ w
            elif kind == "Conv2d":
                (C, H, W), (Ho, Wo) = shapes[i], A.shape[-2:]
                kh, kw = w.shape[-2:]
                (sh, sw), (ph, pw) = m.stride, m.padding
                extra = (H - ((Ho - 1) * sh - 2 * ph + kh), W - ((Wo - 1) * sw - 2 * pw + kw))
                const = const + A.sum((-1, -2)) @ b
                A = F.conv_transpose2d(A, w, None, m.stride, m.padding, extra)
            elif kind == "ReLU":
                a_l, a_u, b_u = relaxed[i]
                const = const + A.clamp(max=0).flatten(1) @ b_u.flatten()
                A = A * torch.where(A > 0, a_l, a_u)
            else:  # Flatten
                A = A.view(A.shape[0], *shapes[i])
        A = A.flatten(1)
        return A @ ((hi + lo) / 2).flatten() - A.abs() @ ((hi - lo) / 2).flatten() + const

    for j, (kind, *_rest) in enumerate(layers):
        if kind == "ReLU":
            S = math.prod(shapes[j])
            I = torch.eye(S, dtype=x.dtype).view(S, *shapes[j])
            relaxed[j] = relax(back(I, j).view(shapes[j]), -back(-I, j).view(shapes[j]))
    _, _, w, b = layers[-1]
    return back(specification(y[None], w.shape[0], x.dtype)[0], len(layers))


def models(model: str, data, G: int):
    """G initialised models (the engine's ``[G, ...]`` params and the recipe's, the same numbers)."""
    splits = [g % N_SPLITS for g in range(G)]
    engine = init_stacked(model, data, splits)
    return splits, engine, to_recipe(model, engine)


def gens(G: int) -> list[torch.Generator]:
    return [torch.Generator().manual_seed(1000 + g) for g in range(G)]


def run_engine(what: str, model: str, data, params, x, y) -> tuple[Tensor, float]:
    m = MODELS[model]
    t = time.perf_counter()
    if what == "pgd":
        out = pgd(lambda v: engine_logits(m, params, v), x, y, EPS, PGD_STEPS, 2.5 * EPS / PGD_STEPS, BOX,
                  gens(x.shape[0]))
    else:
        out = bounds("crown", from_model(m, params, data.input_shape, data.k), x, y, EPS, BOX)
    return out, time.perf_counter() - t


def run_recipe(what: str, model: str, data, params, x, y) -> tuple[Tensor, float]:
    base = structure(model, data.input_shape, data.k)
    t = time.perf_counter()
    with torch.no_grad() if what == "crown" else torch.enable_grad():
        if what == "pgd":
            start = torch.stack([torch.rand(x.shape[1:], generator=g, dtype=x.dtype) for g in gens(x.shape[0])])
            out = vmap(lambda p, v, t_, s: pgd_points(base, p, v, t_, s, EPS, PGD_STEPS, 2.5 * EPS / PGD_STEPS,
                                                       BOX))(params, x, y, start)
        else:
            per_point = vmap(lambda p, v, t_: crown_point(base, p, v, t_, EPS, BOX), in_dims=(None, 0, 0))
            out = vmap(per_point)(params, x, y)
    return out, time.perf_counter() - t


def points(what: str, model: str, n: int) -> int:
    return min(n, CNN_CROWN_POINTS) if (what, model) == ("crown", "cnn_4layer") else n


def memory_mb(what: str, model: str, data, G: int, n: int) -> float:
    """A rough peak of one side: CROWN's rows ``[G, N, S, D]`` (a few copies), PGD's inputs."""
    D = data.n_features
    if what == "pgd":
        return 64 * G * n * D * 4 / 2**20
    widest = {"mlp": 128, "cnn_4layer": 1568}.get(model, 300)
    return 4 * G * points(what, model, n) * widest * D * 4 / 2**20


def agreement(what: str, model: str, data, params_e, params_r, a: Tensor, b: Tensor, y: Tensor) -> dict:
    """How far the two sides' outputs are apart, and whether they decide the same."""
    diff = (a - b).abs()
    out = {"max_abs_diff": float(diff.max()), "scale": float(a.abs().max())}
    if what == "pgd":
        m = MODELS[model]
        with torch.no_grad():
            wrong_e = engine_logits(m, params_e, a).argmax(-1) != y
            wrong_r = engine_logits(m, params_e, b).argmax(-1) != y
        out["points_equal"] = float((diff.flatten(2).amax(-1) <= 1e-5).double().mean())
        out["decisions_agree"] = float((wrong_e == wrong_r).double().mean())
        out["ok"] = out["decisions_agree"] >= 0.95 and out["points_equal"] >= 0.9
    else:
        ok_e, ok_r = (a > 0).all(-1), (b > 0).all(-1)
        out["decisions_agree"] = float((ok_e == ok_r).double().mean())
        out["ok"] = bool(torch.allclose(a, b, rtol=1e-3, atol=1e-4 * max(1.0, out["scale"])))
    return out


def run_eval(datasets: dict, Gs: list[int], n_points: int, repeats: int, mem_mb: float, log=print) -> list[dict]:
    """Every case of :data:`CASES` at every G (capped by ``mem_mb``): model-points per second of
    both sides (fastest of ``repeats``, in turn), their ratio and agreement."""
    rows = []
    for what, model, shape in CASES:
        data = datasets[shape]
        n = points(what, model, n_points)
        splits, pe, pr = models(model, data, 1)  # warm-up (the first vmap of a function is slow)
        for fn, prm in ((run_engine, pe), (run_recipe, pr)):
            fn(what, model, data, prm, data.X_val[splits][:, :2].contiguous(), data.y_val[splits][:, :2].contiguous())
        for G in Gs:
            if memory_mb(what, model, data, G, n) > mem_mb:
                rows.append({"eval": what, "model": model, "data": shape, "G": G, "skipped": f"over --mem-mb {mem_mb}"})
                log(f"eval {what:5s} {model:10s} {shape:15s} G={G:4d} skipped: over --mem-mb {mem_mb:.0f}")
                continue
            splits, pe, pr = models(model, data, G)
            x, y = data.X_val[splits][:, :n].contiguous(), data.y_val[splits][:, :n].contiguous()
            best = {}
            for _ in range(repeats):
                for side, fn, prm in (("engine", run_engine, pe), ("recipe", run_recipe, pr)):
                    out, s = fn(what, model, data, prm, x, y)
                    if side not in best or s < best[side][1]:
                        best[side] = (out, s)
            agree = agreement(what, model, data, pe, pr, best["engine"][0], best["recipe"][0], y)
            e, r = G * n / best["engine"][1], G * n / best["recipe"][1]
            rows.append({"eval": what, "model": model, "data": shape, "G": G, "points": n, "engine_rate": e,
                         "recipe_rate": r, "engine_vs_recipe": e / r, **agree})
            log(f"eval {what:5s} {model:10s} {shape:15s} G={G:4d} engine {e:9.1f} recipe {r:9.1f} model-points/s "
                f"({e / r:5.2f}x) max |diff| {agree['max_abs_diff']:.2e} agree {agree['decisions_agree']:.3f}"
                f"{'' if agree['ok'] else '  NOT WITHIN TOLERANCE'}")
    return rows
