"""RVSM (Dinh et al., Alg. 1, eq. 4): the hard threshold at gamma = sqrt(2 lambda / beta), strict,
on the path training runs (``RVSM.effective``'s penalty and gradient, ``end_epoch``'s w <- u);
Theorem 1's descent on a smooth toy problem, stepping through that same penalty; and the procedure
in the generic loop (sparsity falls as beta grows; w <- u at epoch ends)."""

import math

import numpy as np
import torch

from conftest import blobs
from holistic.data.stacked import stack_splits
from holistic.evaluation.metrics import sparsity_percent
from holistic.methods import Method, all_axes, model_grid
from holistic.models import MODELS
from holistic.procedures import PROCEDURES
from holistic.procedures import rvsm
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid


def blob_data():
    X, y = blobs(240, 5, 3)
    idx = np.arange(240)
    return stack_splits(X, y, {"test": idx[:40], "train": idx[40:200][None], "val": idx[200:][None]}, "minmax")


def test_hard_threshold_keeps_exactly_the_entries_above_gamma():
    w = torch.tensor([[0.5, -0.5, 0.49, -0.51, 0.0, 2.0], [0.5, -0.5, 0.49, -0.51, 0.0, 2.0]])
    gamma = torch.tensor([0.5, 0.25])
    u = rvsm.hard_threshold(w, gamma)
    assert torch.equal(u, torch.tensor([[0.0, 0.0, 0.0, -0.51, 0.0, 2.0], [0.5, -0.5, 0.49, -0.51, 0.0, 2.0]]))
    # gamma = sqrt(2 lambda / beta), and H is the exact argmin of lambda 1[u != 0] + beta/2 (w - u)^2
    lam, beta = torch.tensor([0.125]), torch.tensor([1.0])
    assert rvsm.threshold(lam, beta).tolist() == [0.5]
    for x in (0.25, 0.5, 0.75, -1.0):  # exact in binary
        keep, drop = 0.125, 0.5 * x * x  # cost of u = w, of u = 0
        expected = x if keep < drop else 0.0
        assert float(rvsm.hard_threshold(torch.tensor([[x]]), torch.tensor([0.5]))) == expected


def quadratic(seed=0, d=12, G=1):
    """An L-smooth f(w) = 1/2 (w - c)^T A (w - c) per model, and L."""
    g = torch.Generator().manual_seed(seed)
    M = torch.randn(d, d, generator=g, dtype=torch.float64)
    A = M.T @ M / d + 0.1 * torch.eye(d, dtype=torch.float64)
    c = torch.randn(G, d, generator=g, dtype=torch.float64)
    L = float(torch.linalg.eigvalsh(A).max())
    f = lambda w: 0.5 * torch.einsum("gi,ij,gj->g", w - c, A, w - c)  # noqa: E731
    return f, L, c


def lagrangian_trajectory(eta_factor, steps=150):
    """Alg. 1 on the path training runs: each w-step is a plain gradient step (eta) on f(w) plus
    the procedure's own penalty (``RVSM.effective``: beta/2 ||w - H_gamma(w)||^2, u detached), i.e.
    ``w - eta grad f(w) - eta beta (w - u)``, u the exact argmin at the current w. The Lagrangian
    of eq. (4) is computed here from its definition, ``f(w) + lambda #{|w_i| > gamma} + beta/2
    sum_{|w_i| <= gamma} w_i^2``."""
    f, L, c = quadratic()
    lam, beta = 0.02, 1.0
    hp = {"rvsm_lambda": torch.tensor([lam], dtype=torch.float64),
          "rvsm_beta": torch.tensor([beta], dtype=torch.float64)}
    eta = eta_factor * 2 / (beta + L)
    gamma = math.sqrt(2 * lam / beta)
    proc = PROCEDURES["rvsm"]
    w = 0.05 * torch.randn(c.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    values, supports = [], set()
    for _ in range(steps):
        kept = w.abs() > gamma
        values.append(float(f(w) + lam * kept.sum() + beta / 2 * w[~kept].pow(2).sum()))
        supports.add(tuple(kept.flatten().tolist()))
        params = {"W0": w.clone().requires_grad_()}
        eff, penalty = proc.effective(params, proc.init_state(params, ["W0"]), hp, True, 0, 1)
        (f(eff["W0"]) + penalty).sum().backward()
        w = (w - eta * params["W0"].grad).detach()
    return np.array(values), supports


def test_theorem_1_the_relaxed_lagrangian_never_increases_below_the_step_bound():
    values, supports = lagrangian_trajectory(0.95)
    assert np.all(np.diff(values) <= 1e-12)
    assert len(supports) > 1  # the threshold did act: u's support changed along the way
    assert values[-1] < values[0]


def test_above_the_step_bound_the_lagrangian_can_grow():
    values, _ = lagrangian_trajectory(1.3, steps=60)
    assert np.any(np.diff(values) > 0)


def test_the_training_path_thresholds_strictly_at_gamma_sqrt_2_lambda_over_beta():
    """What training runs, ``RVSM.effective`` (the penalty and its gradient ``beta (w - u)``) and
    ``end_epoch`` (w <- u), with lambda = 0.25, beta = 2: gamma = sqrt(2 lambda / beta) = 0.5
    exactly (sqrt(lambda / beta) = 0.35, 2 lambda / beta = 0.25, sqrt(2 lambda beta) = 1 would
    differ); the entries at exactly |w| = gamma are cut (strict >)."""
    w = torch.tensor([[[0.5, -0.5, 0.49, -0.51], [0.0, 2.0, 0.75, -0.3]]])  # [G=1, 2, 4]
    hp = {"rvsm_beta": torch.tensor([2.0]), "rvsm_lambda": torch.tensor([0.25])}
    proc = PROCEDURES["rvsm"]
    params = {"W0": w.clone().requires_grad_(), "b0": torch.zeros(1, 4)}
    state = proc.init_state(params, ["W0"])
    _, penalty = proc.effective(params, state, hp, True, 0, 1)
    cut = (0.5, -0.5, 0.49, 0.0, -0.3)  # u = 0 there: beta/2 (w - u)^2 = w^2
    assert torch.allclose(penalty, torch.tensor([2.0 / 2 * sum(x * x for x in cut)]), rtol=1e-6, atol=0)
    penalty.sum().backward()
    assert torch.equal(params["W0"].grad, torch.tensor([[[1.0, -1.0, 0.98, 0.0], [0.0, 0.0, 0.0, -0.6]]]))
    with torch.no_grad():
        proc.end_epoch(params, state, hp, 0, True, {})
    assert torch.equal(params["W0"].detach(), torch.tensor([[[0.0, 0.0, 0.0, -0.51], [0.0, 2.0, 0.75, 0.0]]]))
    assert torch.equal(params["b0"], torch.zeros(1, 4))  # only the prunable weights


def test_sparsity_falls_as_beta_grows_and_weights_are_u_at_epoch_ends():
    data = blob_data()
    method = Method(procedure="rvsm", model="mlp")
    betas, lam = [0.01, 0.1, 0.5], 1e-5
    specs = model_grid(method, {"lr": [0.01], "rvsm_beta": betas, "rvsm_lambda": [lam]}, 1)
    res = train_grid(data, method, specs, TrainConfig(epochs=3, batch_size=16), log=None)
    W = [res.params[n] for n in MODELS["mlp"].prunable(res.params)]
    sp = sparsity_percent(W)
    assert sp[0] > sp[1] > sp[2] > 0
    assert float(res.best_val_accuracy.min()) > 0.8
    # the kept weights are u = H_gamma(w) of an epoch's end: every weight is 0 or above gamma
    gamma = rvsm.threshold(torch.tensor([lam] * 3), torch.tensor(betas))
    for w in W:
        assert torch.equal(rvsm.hard_threshold(w, gamma), w)


def test_penalty_is_the_coupling_of_the_sub_threshold_weights():
    params = {"W0": torch.tensor([[[0.1, -0.3], [0.02, 1.0]]]), "b0": torch.zeros(1, 2)}
    state = PROCEDURES["rvsm"].init_state(params, ["W0"])
    hp = {"rvsm_beta": torch.tensor([2.0]), "rvsm_lambda": torch.tensor([0.04])}  # gamma = 0.2
    eff, penalty = PROCEDURES["rvsm"].effective(params, state, hp, True, 0, 1)
    assert eff is params
    assert torch.allclose(penalty, torch.tensor([2.0 / 2 * (0.1**2 + 0.02**2)]))


def test_the_axes_of_dinh_et_al_reach_the_grid_schema_with_their_bounds():
    axes = all_axes()
    assert axes["rvsm_beta"] == {"exclusiveMinimum": 0} and axes["rvsm_lambda"] == {"minimum": 0}
    assert {"rgsm_beta", "rgsm_lambda1", "rgsm_lambda2", "admm_rho", "admm_sparsity"} <= set(axes)
    assert axes["admm_sparsity"] == {"minimum": 0, "maximum": 1}
    assert Method(procedure="rvsm", model="resmlp").axes() == ["lr", "rvsm_beta", "rvsm_lambda"]


def test_the_initial_share_below_gamma_is_what_the_training_threshold_cuts():
    """Issue 32: the share of a model's prunable weights already at or below gamma when drawn, with
    the training path's own threshold: lambda = 0.25, beta = 2 give gamma = 0.5 (sqrt(lambda /
    beta) = 0.35 would cut 3 of 8, not 5), |w| = gamma cut (a >= threshold would cut 3), per model."""
    w = torch.tensor([[[0.5, -0.5, 0.49, -0.51], [0.0, 2.0, 0.75, -0.3]],
                      [[0.5, -0.5, 0.49, -0.51], [0.0, 2.0, 0.75, -0.3]]])  # [G=2, 2, 4]
    hp = {"rvsm_beta": torch.tensor([2.0, 2.0]), "rvsm_lambda": torch.tensor([0.25, 0.0])}  # gamma 0.5 and 0
    params = {"W0": w.clone(), "W1": torch.zeros(2, 4, 2), "b0": torch.zeros(2, 4)}
    state = PROCEDURES["rvsm"].init_state(params, ["W0", "W1"], hp)
    assert state["init_below_gamma"].tolist() == [100 * (5 + 8) / 16, 100 * (1 + 8) / 16]  # zeros are cut too
    trace = {}
    with torch.no_grad():
        PROCEDURES["rvsm"].end_epoch(params, state, hp, 0, True, trace)
        PROCEDURES["rvsm"].end_epoch(params, state, hp, 1, True, trace)
    assert trace == {rvsm.INIT_KEY: [[100 * 13 / 16, 100 * 9 / 16]]}  # logged once, per model


def test_training_logs_each_models_initial_share_below_gamma():
    """The trainer gives the procedure its initial weights and grid: the trace holds, per model, the
    share of the initialisation (the same seed drawn again) that H_gamma zeroes."""
    data = blob_data()
    method = Method(procedure="rvsm", model="mlp", initialiser="torch-default")
    betas, lam = [0.01, 0.5], 1e-4
    specs = model_grid(method, {"lr": [0.01], "rvsm_beta": betas, "rvsm_lambda": [lam]}, 1)
    res = train_grid(data, method, specs, TrainConfig(epochs=2, batch_size=16), log=None)
    from holistic.models.initialisers import init_models
    from holistic.models import INITIALISERS
    from holistic.train.seeds import model_seed

    init = init_models(MODELS["mlp"], data.input_shape, data.k,
                       [torch.Generator().manual_seed(model_seed(0, s.split)) for s in specs],
                       INITIALISERS["torch-default"])
    W = [init[n] for n in MODELS["mlp"].prunable(init)]
    gamma = [math.sqrt(2 * lam / b) for b in betas]  # sqrt(2 lambda / beta), written out
    expected = [100 * float(sum((w[g].abs() <= gamma[g]).sum() for w in W)) / sum(w[0].numel() for w in W)
                for g in range(2)]
    assert res.extra[rvsm.INIT_KEY] == [expected]
    assert expected[0] > expected[1] > 0
