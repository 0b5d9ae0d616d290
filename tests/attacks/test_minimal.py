"""DeepFool and C&W (minimal L2 attacks): exact on a linear model, C&W never below the closed
form and close to it, box and failures honoured, each model independent of the stack, C&W
at least as strong as DeepFool on an MLP."""

import pytest
import torch

from holistic.attacks.cw import CW, cw, margin
from holistic.attacks.deepfool import DeepFool, deepfool
from holistic.models import MODELS

BOX = (0.0, 1.0)


def linear(W, b, shift=0.0):
    """Stacked binary linear models ``z = [0, w.x + b] + shift``: W ``[G, p]``, b ``[G]``."""
    def f(x):
        m = (x * W[:, None]).sum(-1) + b[:, None]
        return torch.stack([torch.zeros_like(m), m], -1) + shift
    return f


def linear_problem(G=2, N=200, p=5, scale=10.0, seed=0):
    """G different (w, b) with the boundary through the cube, points in [0.2, 0.8]^p labelled by
    the model; the closed-form distance ``|w.x + b| / ||w||`` ``[G, N]`` and the boundary projection."""
    g = torch.Generator().manual_seed(seed)
    W = scale * torch.randn(G, p, generator=g, dtype=torch.float64)
    b = -(W * 0.5).sum(-1) + 0.05 * scale * torch.randn(G, generator=g, dtype=torch.float64)
    x = 0.2 + 0.6 * torch.rand(G, N, p, generator=g, dtype=torch.float64)
    m = (x * W[:, None]).sum(-1) + b[:, None]
    norm = W.norm(dim=-1, keepdim=True)
    proj = x - (m / norm**2)[..., None] * W[:, None]
    return W, b, x, (m > 0).long(), m.abs() / norm, proj


def dist(x_adv, x):
    return (x_adv - x).flatten(2).norm(dim=-1)


def mlp(G=2, p=20, K=5, N=40, seed=0):
    """Randomly initialised 2 x 128 MLPs (float64) and points in [0, 1]^p labelled by each model."""
    model = MODELS["mlp"]
    params = model.init((p,), K, [torch.Generator().manual_seed(seed + g) for g in range(G)])
    params = {n: v.double() for n, v in params.items()}
    x = torch.rand(G, N, p, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    f = lambda x: model.forward(params, x)[0]  # noqa: E731
    return model, params, x, f(x).argmax(-1)


def test_deepfool_is_the_exact_projection_on_a_linear_binary_model():
    W, b, x, y, exact, _ = linear_problem()
    f = linear(W, b)
    x_adv, success = deepfool(f, x, y, steps=50, overshoot=0.0, box=None)
    torch.testing.assert_close(dist(x_adv, x), exact, rtol=1e-9, atol=0)
    on_boundary = f(x_adv)[..., 1].abs() / W.norm(dim=-1, keepdim=True)
    assert on_boundary.max() < 1e-12
    x_adv, success = deepfool(f, x, y, steps=50, overshoot=0.02, box=None)
    assert success.all() and (f(x_adv).argmax(-1) != y).all()
    torch.testing.assert_close(dist(x_adv, x), 1.02 * exact, rtol=1e-9, atol=0)


def test_cw_never_beats_the_closed_form_and_nearly_reaches_it():
    W, b, x, y, exact, proj = linear_problem()
    x_adv, success = cw(linear(W, b), x, y, BOX, steps=300)
    d = dist(x_adv, x)
    assert success.all()
    assert (d[success] >= exact[success] * (1 - 1e-9)).all()
    inside = ((proj >= 0) & (proj <= 1)).all(-1)
    assert inside.float().mean() > 0.9
    assert (d[inside] <= 1.02 * exact[inside]).float().mean() >= 0.95


def test_cw_best_other_logit_with_all_logits_negative():
    z = torch.tensor([[[-5.0, -1.0, -3.0], [-2.0, -4.0, -0.5]]], dtype=torch.float64)
    y = torch.tensor([[1, 0]])
    torch.testing.assert_close(margin(z, y), torch.tensor([[2.0, -1.5]], dtype=torch.float64))
    # All logits negative in the box: the same attack as on the unshifted model.
    W, b, x, y, exact, _ = linear_problem(N=40, seed=1)
    ref, ok_ref = cw(linear(W, b), x, y, BOX, steps=100)
    shifted, ok = cw(linear(W, b, shift=-100.0), x, y, BOX, steps=100)
    assert ok.all() and ok_ref.all()
    torch.testing.assert_close(dist(shifted, x), dist(ref, x), rtol=1e-6, atol=1e-9)


def test_a_point_misclassified_at_the_start_keeps_delta_zero_and_succeeds():
    W, b, x, y, _, _ = linear_problem(N=30, seed=2)
    f = linear(W, b)
    for x_adv, success in (deepfool(f, x, 1 - y, box=BOX), cw(f, x, 1 - y, BOX, steps=5, search_steps=2)):
        assert success.all() and torch.equal(x_adv, x)


@pytest.mark.parametrize("case", ["constant", "unreachable"])
def test_failures_are_flagged_and_both_attacks_stay_in_the_box(case):
    W, b, x, y, _, _ = linear_problem(N=30, seed=3)
    if case == "constant":  # logits favouring the true class, whatever the input
        logits = torch.nn.functional.one_hot(y, 3).double()

        def f(xx):
            return logits + 0.0 * xx.sum(-1, keepdim=True)
    else:  # class 1 needs w.x >= 2 sum(w) > max over the box
        W = W.abs()
        f, y = linear(W, -2 * W.sum(-1)), torch.zeros_like(y)
    for x_adv, success in (deepfool(f, x, y, box=BOX), cw(f, x, y, BOX, steps=50, search_steps=9)):
        assert not success.any()
        assert torch.isfinite(x_adv).all() and x_adv.min() >= 0 and x_adv.max() <= 1
        assert (f(x_adv).argmax(-1) == y).all()


def test_both_attacks_stay_in_the_box_where_the_boundary_leaves_it():
    W, b, x, _, _, _ = linear_problem(N=50, seed=4)
    f = linear(W, b)
    x = (x - 0.2) / 0.6  # points on the whole cube: many boundary projections leave it
    y = f(x).argmax(-1)
    for x_adv, success in (deepfool(f, x, y, box=BOX), cw(f, x, y, BOX, steps=200)):
        assert x_adv.min() >= 0 and x_adv.max() <= 1
        assert (f(x_adv).argmax(-1)[success] != y[success]).all()
        assert success.float().mean() >= 0.9


def test_a_models_result_does_not_depend_on_the_other_models():
    model, params, x, y = mlp(G=3, N=20)
    f = lambda p: (lambda xx: model.forward(p, xx)[0])  # noqa: E731
    for attack in (lambda f, x, y: deepfool(f, x, y, box=BOX),
                   lambda f, x, y: cw(f, x, y, BOX, steps=20, search_steps=4)):
        x_all, s_all = attack(f(params), x, y)
        for g in range(3):
            one = {n: v[g:g + 1] for n, v in params.items()}
            x_one, s_one = attack(f(one), x[g:g + 1], y[g:g + 1])
            assert torch.equal(x_one, x_all[g:g + 1]) and torch.equal(s_one, s_all[g:g + 1])


def test_a_points_result_does_not_depend_on_the_points_attacked_with_it():
    """The evaluation attacks the points in chunks sized by their memory (``attack_rows``):
    every chunk size gives each point the same distance up to float rounding, and the same
    success flag except where the attacked point sits on the decision boundary (a logit tie to
    rounding: DeepFool stopped by the box face; these random-weight MLPs have many)."""
    from holistic.evaluation.run import ATTACK_FLOATS, ROWS_PER_CALL, attack_rows, minimal_distances

    model, params, x, y = mlp(G=3, N=37)
    f = lambda xx: model.forward(params, xx)[0]  # noqa: E731
    for attack in (DeepFool.from_params({}), CW.from_params({"cw": {"steps": 10, "search_steps": 2}})):
        d_all, s_all = minimal_distances(f, x, y, attack, BOX, None, chunk=ROWS_PER_CALL)
        x_all, _ = attack(f, x, y, None, BOX, None)
        tie = margin(f(x_all), y).abs() < 1e-12
        for rows in (1, 5, 16):
            d, s = minimal_distances(f, x, y, attack, BOX, None, chunk=rows)
            assert torch.allclose(d, d_all, rtol=0, atol=1e-12)
            assert ((s == s_all) | tie).all()
    big = torch.empty(26, 500, 784, device="meta")  # guo's 51 round models in two chunks, MNIST points
    rows = attack_rows(big)
    assert 16 <= rows < 500 and 26 * rows * 784 <= ATTACK_FLOATS
    assert attack_rows(torch.empty(4, 100, 4, device="meta")) == ROWS_PER_CALL  # small inputs: one call


def test_cw_is_at_least_as_strong_as_deepfool_on_an_mlp():
    model, params, x, y = mlp()
    f = lambda xx: model.forward(params, xx)[0]  # noqa: E731
    x_df, s_df = DeepFool.from_params({})(f, x, y, None, BOX, None)
    x_cw, s_cw = CW.from_params({"cw": {"steps": 100}})(f, x, y, None, BOX, None)
    assert s_df.float().mean() >= 0.8 and s_cw.float().mean() >= 0.9
    both = s_df & s_cw
    assert dist(x_cw, x)[both].mean() <= 1.05 * dist(x_df, x)[both].mean()
    for x_adv, s in ((x_df, s_df), (x_cw, s_cw)):
        assert x_adv.min() >= 0 and x_adv.max() <= 1
        assert (f(x_adv).argmax(-1)[s] != y[s]).all()


def test_registry_protocol_and_params():
    for cls, key, defaults in ((DeepFool, "deepfool", {"steps": 50, "overshoot": 0.02, "box": True}),
                               (CW, "cw", {"steps": 1000, "search_steps": 9, "c0": 1e-3, "lr": 0.01, "kappa": 0.0})):
        assert cls.norm == "2" and cls.budgeted is False and cls.param_keys == (f"attack.{key}",)
        assert cls.from_params({"pgd_steps": 40}).settings() == defaults
        assert cls.from_params({key: {"steps": 7}}).settings() == {**defaults, "steps": 7}
        with pytest.raises(ValueError, match="unknown"):
            cls.from_params({key: {"step": 7}})


def test_deepfool_without_the_box_is_the_closed_form_distance_of_a_binary_linear_model():
    """Guo et al. Sec. 3.1: on ``sign(w^T x + b)`` the unboxed DeepFool (``box: false``) reaches the
    hyperplane in one step, at distance ``|w^T x + b| / ||w||_2`` (times 1 + overshoot), where the
    boxed attack is clipped; the registered attack honours ``attack.deepfool.box``."""
    g = torch.Generator().manual_seed(0)
    w, b = torch.randn(16, generator=g), torch.tensor(0.1)
    x = torch.rand(1, 40, 16, generator=g)
    f = lambda v: torch.stack([torch.zeros(v.shape[:2]), v @ w + b], dim=-1)  # noqa: E731
    y = f(x).argmax(-1)
    attack = DeepFool.from_params({"deepfool": {"box": False}})
    x_adv, ok = attack(f, x, y, None, (0.0, 1.0), None)
    dist = (x_adv - x).norm(dim=-1)
    expected = 1.02 * (x @ w + b).abs() / w.norm()
    assert ok.all() and torch.allclose(dist, expected, rtol=1e-4)
    assert x_adv.min() < 0 or x_adv.max() > 1  # not clipped to the box
