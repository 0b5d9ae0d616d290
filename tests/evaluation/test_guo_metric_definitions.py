"""Guo et al. (2018)'s robustness metrics as the evaluation computes them, against eq. (1)'s
closed forms on binary linear models ``sign(w^T x + b)`` (the registered ``linear`` model):

* r_2 = E[1{correct} d(x, x~)] over **all** test points: with ``failed: returned`` a point the
  attack failed on stays in the mean (at the distance of the point returned) and in the
  denominator; DeepFool's distance read without its overshoot (``distance: boundary``) is
  ``|w^T x + b| / ||w||_2``;
* r_inf at eq. (1)'s FGS points ``x - eps y sign(w)``, without the input box (``fgsm-nobox``): a
  correctly classified point survives iff its l_inf distance ``|w^T x + b| / ||w||_1`` exceeds
  eps; the clipped ``fgsm`` is another number on points with pixels at the box faces;
* rFGS without the box is Tramer et al.'s step unclipped; FGSM steps up the loss; an unboxed
  attack's points are never held against a bound's certificate.

Each fails on the wrong version: r_2 leaving failures out, the overshoot in the distance, the
unboxed FGS clipped, FGSM stepping down the loss, an unboxed attack counted in ``unsound``."""

import math

import pytest
import torch

from holistic.attacks import ATTACKS, lookup
from holistic.attacks.common import loss_and_grad
from holistic.attacks.cw import CW
from holistic.attacks.deepfool import DeepFool
from holistic.data.stacked import SplitTensors
from holistic.evaluation.run import evaluate_models, r2
from holistic.fidelity.invariants import in_box
from holistic.models import MODELS

BOX = (0.0, 1.0)
P = 16


def binary_problem(N=60, seed=0, faces=True):
    """One binary linear model (float64) and N test points in the box; with ``faces`` half the
    pixels sit on a face of the box (0 or 1), where clipping binds. Returns the model's params,
    the data (S = 1 split; val = test) and ``(w, b, X, y)``."""
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(P, generator=g, dtype=torch.float64)
    X = torch.rand(N, P, generator=g, dtype=torch.float64)
    if faces:
        on = torch.rand(N, P, generator=g, dtype=torch.float64) < 0.5
        X = torch.where(on, (X > 0.5).double(), X)
    b = -(X @ w).median() + 0.0123  # no point on the boundary
    margin = X @ w + b
    y = torch.where(torch.rand(N, generator=g, dtype=torch.float64) < 0.85, (margin > 0).long(), (margin <= 0).long())
    params = {"linear.weight": w.view(1, 1, P).clone(), "linear.bias": b.view(1, 1).clone()}
    assert set(params) == set(MODELS["linear"].init((P,), 2, [torch.Generator().manual_seed(0)]))
    data = SplitTensors(X[None], y[None], X[None], y[None], X[None], y[None], 2, BOX)
    return params, data, (w, b, X, y)


def rows_of(params, data, suite, eps=(0.1,)):
    (rows,) = evaluate_models(MODELS["linear"], params, data, torch.tensor([0]), suite, list(eps), seed=0)
    return {(r["metric"], r["attack"], r["eps"], r["part"]): r["value"] for r in rows}


class FailsOn(DeepFool):
    """DeepFool with its success flag cleared on the points ``index`` (a known failure: the point
    returned, and so its distance, is DeepFool's own)."""

    def __init__(self, index, **settings):
        super().__init__(**settings)
        self.index = index

    def __call__(self, f, x, y, eps, box, generator):
        x_adv, ok = super().__call__(f, x, y, eps, box, generator)
        ok = ok.clone()
        ok[:, self.index] = False
        return x_adv, ok


def test_r2_is_the_mean_over_all_points_with_a_failure_at_its_returned_distance():
    params, data, (w, b, X, y) = binary_problem(faces=False)
    margin = X @ w + b
    correct = (margin > 0).long() == y
    d = margin.abs() / w.norm()                                  # eq. (1): d(x, x~) = |w^T x + b| / ||w||_2
    failed = int(correct.nonzero()[0])                           # a correctly classified point
    assert 0 < int(correct.sum()) < len(y)                      # some points count 0
    attack = FailsOn([failed], box=False, distance="boundary", failed="returned")
    got = rows_of(params, data, [("deepfool", attack, ("test",))])
    closed = float((d * correct).sum()) / len(y)                # over all N points
    assert got[("failures", "deepfool", None, "test")] == 1.0
    assert got[("r2", "deepfool", None, "test")] == pytest.approx(closed, rel=1e-9)
    # the overshot distance is 1.02 times as far: read as eq. (1)'s only without it
    overshot = rows_of(params, data, [("deepfool", FailsOn([failed], box=False, failed="returned"), ("test",))])
    assert overshot[("r2", "deepfool", None, "test")] == pytest.approx(1.02 * closed, rel=1e-9)
    # ``exclude`` (the default, other studies' r_2): the failed point out of the mean and of its denominator
    kept = correct.clone()
    kept[failed] = False
    out = rows_of(params, data, [("deepfool", FailsOn([failed], box=False, distance="boundary"), ("test",))])
    assert out[("r2", "deepfool", None, "test")] == pytest.approx(float((d * kept).sum()) / (len(y) - 1), rel=1e-9)


def test_r2_of_an_attack_that_never_flips_is_defined_over_all_points():
    """DeepFool with no steps fails on every correctly classified point and returns it unmoved:
    r_2 over all points is 0 with every correct point a failure."""
    params, data, (w, b, X, y) = binary_problem(faces=False)
    n_correct = float(((X @ w + b > 0).long() == y).sum())
    got = rows_of(params, data, [("deepfool", DeepFool(steps=0, box=False, failed="returned"), ("test",))])
    assert got[("r2", "deepfool", None, "test")] == 0.0 and got[("failures", "deepfool", None, "test")] == n_correct
    dist, success = torch.rand(2, 5, dtype=torch.float64), torch.tensor([[True, False, True, True, False]] * 2)
    correct = torch.tensor([[True, True, False, True, False]] * 2)
    value, fails = r2(dist, success, correct, "returned")
    torch.testing.assert_close(value, (dist * correct).sum(1) / 5)
    assert fails.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("eps", [0.02, 0.05, 0.1])
def test_unclipped_rinf_of_a_linear_model_is_the_closed_form_of_eq_1(eps):
    """FGS without the box at eps flips exactly the correctly classified points of l_inf distance
    ``|w^T x + b| / ||w||_1 <= eps`` (eq. 1: ``x - eps y sign(w)``); clipping the points to the box
    (``fgsm``) spares some of them here (pixels on the faces), so the two numbers differ."""
    params, data, (w, b, X, y) = binary_problem(N=400)
    margin = X @ w + b
    correct = (margin > 0).long() == y
    linf = margin.abs() / w.abs().sum()
    assert (linf - eps).abs().min() > 1e-9                       # no point on the threshold
    closed = 100.0 * float((correct & (linf > eps)).double().mean())
    got = rows_of(params, data, [("fgsm-nobox", lookup("fgsm-nobox")(), ("test",)),
                                 ("fgsm", lookup("fgsm")(), ("test",))], eps=(eps,))
    assert got[("accuracy", "fgsm-nobox", eps, "test")] == pytest.approx(closed, abs=1e-9)
    assert got[("accuracy", "fgsm", eps, "test")] > closed      # the clipped variant is another number


def test_unclipped_rfgs_is_tramers_step_without_the_box():
    """rFGS without the box (``rfgsm-nobox``) on a binary linear model: ``x + alpha s - (eps - alpha)
    y~ sign(w)`` with s the model's signed Gaussian draws and y~ = 2y - 1 (the CE gradient's sign is
    -y~ sign(w) everywhere), never clipped, although half the pixels sit on the faces."""
    params, data, (w, b, X, y) = binary_problem(N=100)
    f = lambda x: MODELS["linear"].forward(params, x)[0]  # noqa: E731
    eps, gens = 0.1, lambda: [torch.Generator().manual_seed(7)]  # noqa: E731
    x_adv = lookup("rfgsm-nobox").from_params({})(f, X[None], y[None], eps, BOX, gens())
    s = torch.randn(X[None].shape[1:], generator=gens()[0], dtype=torch.float64).sign()
    expected = X + eps / 2 * s - eps / 2 * (2 * y - 1)[:, None].double() * w.sign()
    torch.testing.assert_close(x_adv[0], expected, rtol=0, atol=1e-12)
    assert x_adv.min() < 0 and x_adv.max() > 1


@pytest.mark.parametrize("name", ["fgsm", "fgsm-nobox"])
@pytest.mark.parametrize("k", [2, 3])
def test_fgsm_steps_up_the_loss(name, k):
    """On a linear model CE is convex in x and FGSM moves along sign(grad): every point's loss rises
    (the points are inside the box and eps is small, so clipping never stops a step)."""
    g = torch.Generator().manual_seed(k)
    params = MODELS["linear"].init((P,), k, [torch.Generator().manual_seed(1), torch.Generator().manual_seed(2)])
    params = {n: (v + 0.3 * torch.randn(v.shape, generator=g)).double() for n, v in params.items()}
    f = lambda x: MODELS["linear"].forward(params, x)[0]  # noqa: E731
    x = 0.2 + 0.6 * torch.rand(2, 50, P, generator=g, dtype=torch.float64)
    y = torch.randint(0, k, (2, 50), generator=g)
    loss, _, _ = loss_and_grad(f, x, y)
    x_adv = ATTACKS[name]()(f, x, y, 0.05, BOX, None)
    after, _, _ = loss_and_grad(f, x_adv, y)
    assert (after > loss).all()


def test_an_unboxed_attack_is_not_held_against_a_bounds_certificate():
    """IBP certifies a (3-class) linear model over the eps-ball ∩ box; FGS without the box breaks
    certified points whose pixels sit on the faces: never counted as unsound (nor by the invariants)."""
    g = torch.Generator().manual_seed(0)
    params = {n: 3 * v.double() for n, v in MODELS["linear"].init((P,), 3, [torch.Generator().manual_seed(0)]).items()}
    X = torch.rand(400, P, generator=g, dtype=torch.float64)
    X = torch.where(torch.rand(400, P, generator=g, dtype=torch.float64) < 0.5, (X > 0.5).double(), X)
    y = MODELS["linear"].predict(params, X[None])[0]
    data = SplitTensors(X[None], y[None], X[None], y[None], X[None], y[None], 3, BOX)
    (rows,) = evaluate_models(MODELS["linear"], params, data, torch.tensor([0]),
                              [("fgsm-nobox", lookup("fgsm-nobox")(), ("test",))], [0.1], seed=0, bounds=("ibp",))
    got = {(r["metric"], r["attack"]): r["value"] for r in rows if r["part"] == "test"}
    assert got[("verified_accuracy", "ibp")] > got[("accuracy", "fgsm-nobox")]  # the attack leaves the box
    assert got[("unsound", "ibp")] == 0.0
    assert not in_box("fgsm-nobox") and not in_box("rfgsm-nobox") and in_box("fgsm") and in_box("ensemble:apgd-ce")


def test_settings_record_the_definitions_and_leave_the_defaults_as_they_were():
    assert lookup("fgsm")().settings() == {} and lookup("fgsm-nobox")().settings() == {"box": False}
    assert lookup("rfgsm-nobox").from_params({}).settings() == {"ratio": 0.5, "box": False}
    assert DeepFool.from_params({}).settings() == {"steps": 50, "overshoot": 0.02, "box": True}
    set_ = DeepFool.from_params({"deepfool": {"box": False, "distance": "boundary", "failed": "returned"}})
    assert set_.settings() == {"steps": 50, "overshoot": 0.02, "box": False, "distance": "boundary",
                               "failed": "returned"}
    assert math.isclose(set_.distance_scale, 1 / 1.02) and DeepFool().distance_scale == 1.0
    assert "failed" not in CW.from_params({}).settings()
    assert CW.from_params({"cw": {"failed": "returned"}}).settings()["failed"] == "returned"
    with pytest.raises(ValueError, match="box: false"):
        DeepFool(distance="boundary")
    for bad in ({"deepfool": {"failed": "zero"}}, {"deepfool": {"distance": "far"}}):
        with pytest.raises(ValueError):
            DeepFool.from_params(bad)
    with pytest.raises(ValueError, match="attack.cw.failed"):
        CW.from_params({"cw": {"failed": "zero"}})
