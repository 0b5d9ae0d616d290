"""Which PGD iterate adversarial training uses (``train.adversarial.iterate``, issue 33): ``last``
is the final iterate, as the papers' attacks (CleverHans' ProjectedGradientDescent, Madry et al.'s
code) return it, ``strongest`` (the default, every result before the key) each sample's strongest of
its ``steps + 1`` iterates; each checked against a brute-force PGD, a model alone against a stack of
three, and on a loss that makes the two differ. Other values are refused naming the field."""

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from holistic.attacks.pgd import pgd
from holistic.config import load_params
from holistic.errors import ParamsError
from holistic.models import MODELS
from holistic.objectives.adversarial import Adversarial

ROOT = Path(__file__).resolve().parents[2]
EPS, STEPS, ALPHA = 0.3, 10, 0.05
SEEDS = (11, 12, 13)


def loss_for(iterate: str | None, **kw) -> Adversarial:
    settings = {"attack": "pgd", "eps": EPS, "steps": STEPS, "step_size": ALPHA, **kw}
    if iterate is not None:
        settings["iterate"] = iterate
    return Adversarial().configured({"adversarial": settings})


def gens(seeds=SEEDS):
    return [torch.Generator().manual_seed(s) for s in seeds]


def mlp_case(g=3, n=64, p=4, k=5):
    """A tiny MLP stack ``[g]`` in float64 (no sign of a gradient near a rounding), inputs and labels."""
    model = MODELS["mlp"]
    params = {n_: v.double() for n_, v in model.init((p,), k, gens(range(1, g + 1))).items()}
    x = torch.rand(g, n, p, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    y = torch.randint(0, k, (g, n), generator=torch.Generator().manual_seed(6))
    return model, params, x, y


def brute_iterates(f, x, y, seeds=SEEDS, eps=EPS, steps=STEPS, alpha=ALPHA):
    """Every iterate ``[steps + 1, G, N, ...]`` of L-inf PGD written out: the start ``x + (2u - 1)
    eps`` (u of model g from a fresh generator of seed ``seeds[g]``, drawn for its ``[N, ...]``)
    clamped to the ball and [0, 1], then ``x <- clamp(x + alpha sign(grad CE))`` ``steps`` times."""
    u = torch.stack([torch.rand(x.shape[1:], generator=torch.Generator().manual_seed(s), dtype=x.dtype)
                     for s in seeds])
    lo, hi = x - eps, x + eps
    cur = torch.clamp(x + (u * 2 - 1) * eps, lo, hi).clamp(0.0, 1.0)
    out = [cur]
    for _ in range(steps):
        v = cur.clone().requires_grad_(True)
        z = f(v)
        ce = F.cross_entropy(z.reshape(-1, z.shape[-1]), y.reshape(-1), reduction="sum")
        (grad,) = torch.autograd.grad(ce, v)
        cur = torch.clamp(cur + alpha * grad.sign(), lo, hi).clamp(0.0, 1.0)
        out.append(cur)
    return torch.stack(out)


def brute_strongest(f, iterates, y):
    """Per sample the iterate that a misclassified one beats any correct one and, within either,
    the highest cross-entropy wins, the first of equals: ``[G, N, ...]`` and its index ``[G, N]``."""
    G, N = y.shape
    z = [f(it) for it in iterates]   # [G, N, K] per iterate
    out, index = torch.empty_like(iterates[0]), torch.empty(G, N, dtype=torch.long)
    for g in range(G):
        for i in range(N):
            keys = [(bool(zt[g, i].argmax() != y[g, i]), float(F.cross_entropy(zt[g, i][None], y[g, i:i + 1])))
                    for zt in z]
            best = max(range(len(keys)), key=lambda t: (keys[t], -t))
            out[g, i], index[g, i] = iterates[best, g, i], best
    return out, index


def detached(model, params):
    fixed = {n: v.detach() for n, v in params.items()}
    return lambda v: model.logits(fixed, v)


def test_last_is_the_final_iterate_of_pgd_written_out_to_the_bit():
    model, params, x, y = mlp_case()
    got = loss_for("last").examples(model, params, x, y, gens())
    want = brute_iterates(detached(model, params), x, y)
    assert torch.equal(got, want[-1])
    assert not torch.equal(got, want[0])   # not the start (steps were taken)


def test_strongest_is_each_samples_strongest_iterate_to_the_bit():
    model, params, x, y = mlp_case()
    f = detached(model, params)
    want, index = brute_strongest(f, brute_iterates(f, x, y), y)
    for loss in (loss_for("strongest"), loss_for(None)):   # the default is today's rule
        assert torch.equal(loss.examples(model, params, x, y, gens()), want)
    assert len(set(index.flatten().tolist())) > 1           # the case picks several iterates
    iterates = brute_iterates(f, x, y)
    ce = torch.stack([F.cross_entropy(f(v).transpose(1, 2), y, reduction="none") for v in iterates])
    assert (ce.argmax(0) != index).any()   # and a misclassified iterate over a correct one of higher loss


@pytest.mark.parametrize("iterate", ["strongest", "last"])
def test_a_model_alone_attacks_as_in_a_stack_of_three(iterate):
    model, params, x, y = mlp_case()
    stacked = loss_for(iterate).examples(model, params, x, y, gens())
    for g in range(3):
        one = {n: v[g:g + 1] for n, v in params.items()}
        alone = loss_for(iterate).examples(model, one, x[g:g + 1], y[g:g + 1], gens(SEEDS[g:g + 1]))
        assert torch.equal(alone[0], stacked[g])


class Wave:
    """Two logits ``(0, a sin(k x_0))`` per model (label 0: the cross-entropy peaks where sin does):
    signed steps of 0.05 toward a peak inside the ball overshoot it and then bounce around it, so
    the last iterate is often not the strongest."""

    def logits(self, params, x):
        z1 = params["a"][:, None] * torch.sin(params["k"][:, None] * x[..., 0])
        return torch.stack([torch.zeros_like(z1), z1], -1)


def test_last_and_strongest_differ_where_pgd_oscillates():
    model = Wave()
    params = {"a": torch.tensor([3.0, 2.0, 4.0], dtype=torch.float64),
              "k": torch.tensor([10.0, 7.0, 13.0], dtype=torch.float64)}
    x = 0.35 + 0.3 * torch.rand(3, 32, 1, generator=torch.Generator().manual_seed(8), dtype=torch.float64)
    y = torch.zeros(3, 32, dtype=torch.long)
    f = detached(model, params)
    iterates = brute_iterates(f, x, y)
    last = loss_for("last").examples(model, params, x, y, gens())
    strongest = loss_for("strongest").examples(model, params, x, y, gens())
    assert torch.equal(last, iterates[-1]) and torch.equal(strongest, brute_strongest(f, iterates, y)[0])
    ce = lambda v: F.cross_entropy(f(v).reshape(-1, 2), y.reshape(-1), reduction="none").view(3, 32)  # noqa: E731
    differ = (last != strongest).flatten(2).any(-1)
    assert differ.any(1).all()                               # on some sample of every model
    # two classes: misclassified iff CE > log 2, so the strongest has the highest CE (a point as far
    # past the peak as the last is before it ties)
    assert (ce(strongest) >= ce(last)).all() and (ce(strongest)[differ] > ce(last)[differ]).any()


def test_fgsm_is_its_one_step_under_either_rule():
    model, params, x, y = mlp_case()
    a = loss_for("last", attack="fgsm").examples(model, params, x, y, None)
    b = loss_for("strongest", attack="fgsm").examples(model, params, x, y, None)
    assert torch.equal(a, b)


@pytest.mark.parametrize("bad", ["first", "best", "Last", ""])
def test_another_rule_is_refused_naming_the_field(bad, tmp_path):
    with pytest.raises(ValueError, match=r"^train\.adversarial\.iterate: .* is not one of strongest, last$"):
        loss_for(bad)
    with pytest.raises(ValueError, match="unknown PGD iterate rule"):
        pgd(lambda v: v, torch.zeros(1, 1, 2), torch.zeros(1, 1, dtype=torch.long), EPS, 1, ALPHA, None, gens((1,)),
            iterate=bad)
    f = tmp_path / "bad.yaml"
    f.write_text(f"train:\n  adversarial: {{iterate: '{bad}'}}\n")
    with pytest.raises(ParamsError, match=rf"{f.name}: field 'train\.adversarial\.iterate'"):
        load_params([ROOT / "params.yaml", f])


def test_the_last_iterate_is_one_runs():
    x, y = torch.zeros(1, 1, 2), torch.zeros(1, 1, dtype=torch.long)
    with pytest.raises(ValueError, match="restarts"):
        pgd(lambda v: v, x, y, EPS, 1, ALPHA, None, gens((1,)), restarts=2, iterate="last")
    assert math.isclose(loss_for("last").eps, EPS) and loss_for("last").iterate == "last"
