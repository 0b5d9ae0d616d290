"""Loss components of Table 1: robust term (eq. 7) and stable loss (Section 3.4)."""

import itertools

import torch

from holistic.objectives.ce import per_sample_loss
from holistic.objectives.robust import gradient_norms_autograd, logit_difference_gradient_norms, robust_loss
from holistic.objectives.stable import stable_loss, worst_subset_mean
from holistic.models.mlp import MLP, forward, gradient_norms, init_params, input_jacobian


def tiny_net(G=2, sizes=(4, 6, 5, 3), seed=0):
    W, b = init_params(list(sizes), [torch.Generator().manual_seed(seed + g) for g in range(G)])
    b = [v + 0.1 * torch.randn(v.shape, generator=torch.Generator().manual_seed(9)) for v in b]
    return W, b


def as_params(W, b):
    """The MLP's stacked params dict of ``(W, b)`` lists (the same tensors)."""
    return {**{f"W{l}": w for l, w in enumerate(W)}, **{f"b{l}": v for l, v in enumerate(b)}}


def test_robust_term_is_rho_times_l1_norm_of_autograd_input_gradients():
    W, b = tiny_net()
    G, B, M, K = 2, 7, 4, 3
    x = torch.rand(G, B, M, generator=torch.Generator().manual_seed(1))
    y = torch.randint(0, K, (G, B), generator=torch.Generator().manual_seed(2))
    rho = torch.tensor([0.3, 0.05])
    z, gates = forward(W, b, x)
    J = input_jacobian(W, gates)
    norms = gradient_norms(W, gates, y)
    assert torch.allclose(norms, logit_difference_gradient_norms(J, y), atol=1e-6)
    assert torch.allclose(norms, gradient_norms_autograd(MLP(), as_params(W, b), x, y), atol=1e-6)
    assert torch.all(norms.gather(2, y[..., None]) == 0)  # the k = y term vanishes

    # reference: autograd of each logit difference (e_k - e_y)^T z w.r.t. each sample's input
    for g, n, k in itertools.product(range(G), range(B), range(K)):
        xi = x[g:g + 1, n:n + 1].clone().requires_grad_(True)
        zi, _ = forward([w[g:g + 1] for w in W], [v[g:g + 1] for v in b], xi)
        diff = zi[0, 0, k] - zi[0, 0, y[g, n]]
        (grad,) = torch.autograd.grad(diff, xi)
        assert torch.allclose(norms[g, n, k], grad.abs().sum(), atol=1e-5)

    # eq. (7): log sum_k exp(z_k - z_y + rho ||grad||_1)
    expected = torch.logsumexp(z - z.gather(2, y[..., None]) + rho[:, None, None] * norms, dim=-1)
    assert torch.allclose(robust_loss(z, norms, y, rho), expected, atol=1e-5)


def test_jacobian_matches_autograd_jacobian():
    W, b = tiny_net(G=1)
    x = torch.rand(1, 3, 4, generator=torch.Generator().manual_seed(5))
    z, gates = forward(W, b, x)
    J = input_jacobian(W, gates)
    for n in range(3):
        jac = torch.autograd.functional.jacobian(lambda v: forward(W, b, v.view(1, 1, -1))[0].view(-1), x[0, n])
        assert torch.allclose(J[0, n], jac.T, atol=1e-6)


def test_robust_loss_with_rho_zero_is_cross_entropy():
    W, b = tiny_net()
    x = torch.rand(2, 9, 4, generator=torch.Generator().manual_seed(3))
    y = torch.randint(0, 3, (2, 9), generator=torch.Generator().manual_seed(4))
    z, gates = forward(W, b, x)
    got = robust_loss(z, gradient_norms(W, gates, y), y, torch.zeros(2))
    ce = torch.nn.functional.cross_entropy(z.reshape(-1, 3), y.reshape(-1), reduction="none").view(2, 9)
    assert torch.allclose(got, ce, atol=1e-6)
    assert torch.allclose(per_sample_loss(z, y), ce, atol=1e-6)


def test_robust_loss_grows_with_rho():
    W, b = tiny_net()
    x = torch.rand(2, 9, 4, generator=torch.Generator().manual_seed(3))
    y = torch.randint(0, 3, (2, 9), generator=torch.Generator().manual_seed(4))
    z, gates = forward(W, b, x)
    norms = gradient_norms(W, gates, y)
    small = robust_loss(z, norms, y, torch.full((2,), 0.01))
    large = robust_loss(z, norms, y, torch.full((2,), 0.1))
    assert (large >= small).all() and (large > small).any()


def test_stable_loss_minimised_over_theta_is_mean_of_largest_losses():
    """Dual of eq. (10): min_theta theta + 1/(aN) sum [L - theta]^+ = mean of the aN largest."""
    gen = torch.Generator().manual_seed(0)
    for N, a in [(10, 0.7), (10, 0.8), (20, 0.9), (8, 1.0), (5, 0.6)]:
        L = torch.rand(1, N, generator=gen, dtype=torch.float64) * 3
        # the piecewise-linear objective in theta attains its minimum at one of the losses
        candidates = [stable_loss(L, L[0, i:i + 1], torch.tensor([a], dtype=torch.float64)) for i in range(N)]
        dual = min(float(c) for c in candidates)
        # brute force over all subsets of size aN: the worst mean
        n = round(a * N)
        brute = max(float(L[0, list(c)].mean()) for c in itertools.combinations(range(N), n))
        assert abs(dual - brute) < 1e-12
        assert abs(float(worst_subset_mean(L, a)) - brute) < 1e-12
        # and theta off the optimum is never better
        for theta in torch.linspace(-1, 4, 51, dtype=torch.float64):
            assert float(stable_loss(L, theta.view(1), torch.tensor([a], dtype=torch.float64))) >= dual - 1e-12


def test_jacobian_and_autograd_paths_have_the_same_parameter_gradients():
    """The one-pass Jacobian path and double backprop give the same loss gradients in W."""
    for K in (2, 3, 5):
        W, b = tiny_net(G=2, sizes=(4, 6, 5, K), seed=K)
        W = [w.requires_grad_() for w in W]
        x = torch.rand(2, 11, 4, generator=torch.Generator().manual_seed(7))
        y = torch.randint(0, K, (2, 11), generator=torch.Generator().manual_seed(8))
        rho = torch.tensor([0.1, 0.02])
        z, gates = forward(W, b, x)
        g1 = torch.autograd.grad(robust_loss(z, gradient_norms(W, gates, y), y, rho).sum(), W)
        z, gates = forward(W, b, x)
        g2 = torch.autograd.grad(robust_loss(z, gradient_norms_autograd(MLP(), as_params(W, b), x, y), y, rho).sum(), W)
        assert all(torch.allclose(a, c, atol=1e-5) for a, c in zip(g1, g2))
