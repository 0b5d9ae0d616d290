"""Any torch.nn.Module as a stack of G models: vmap(functional_call) agrees with the modules
one by one and with the MLP's fast path, and trains through the generic loop."""

import numpy as np
import pytest
import torch
from torch import nn

from conftest import blobs
from holistic import models as model_registry
from holistic.data.stacked import stack_splits
from holistic.methods import Method, model_grid
from holistic.models import MODELS
from holistic.models.module import StackedModule
from holistic.objectives.robust import gradient_norms_autograd
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid


def mlp_module(input_shape=(5,), k=3):
    return nn.Sequential(nn.Linear(input_shape[0], 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, k))


def test_stacked_forward_equals_each_module_alone():
    stacked = StackedModule(mlp_module)
    gens = [torch.Generator().manual_seed(s) for s in (1, 2, 3)]
    params = stacked.init((5,), 3, gens)
    assert params["0.weight"].shape == (3, 16, 5)
    assert stacked.prunable(params) == ["0.weight", "2.weight", "4.weight"]
    x = torch.rand(3, 7, 5)
    z, _ = stacked.forward(params, x)
    for g in range(3):
        m = mlp_module()
        m.load_state_dict({k: v[g] for k, v in params.items()})
        assert torch.allclose(z[g], m(x[g]), atol=1e-6)
    # a model's initialisation depends only on its own generator
    again = stacked.init((5,), 3, [torch.Generator().manual_seed(2)])
    assert torch.equal(again["0.weight"][0], params["0.weight"][1])


def test_autograd_robust_norms_of_a_module_equal_the_mlp_jacobian_chain():
    mlp = MODELS["mlp"].__class__(hidden=(16, 16))
    params = mlp.init((5,), 3, [torch.Generator().manual_seed(s) for s in (0, 1)])
    as_module = {f"{2 * l}.weight": params[f"W{l}"].transpose(1, 2) for l in range(3)}
    as_module |= {f"{2 * l}.bias": params[f"b{l}"] for l in range(3)}
    x, y = torch.rand(2, 9, 5), torch.randint(0, 3, (2, 9))
    z, gates = mlp.forward(params, x)
    fast = mlp.logit_difference_gradient_norms(params, gates, y)
    general = gradient_norms_autograd(StackedModule(mlp_module), as_module, x, y)
    assert torch.allclose(fast, general, atol=1e-5)


@pytest.fixture
def registered_module(monkeypatch):
    """A module registered under a new name, as a registry line would."""
    monkeypatch.setitem(model_registry.MODELS, "seq", StackedModule(mlp_module))
    return "seq"


@pytest.mark.parametrize("loss,procedure", [("ce", "single"), ("robust_linear", "continuous_sparsification")])
def test_a_registered_module_trains_through_the_generic_loop(registered_module, loss, procedure):
    X, y = blobs(150, 5, 3, seed=4)
    idx = np.random.default_rng(0).permutation(150)
    splits = {"test": idx[:30], "train": idx[None, 30:110], "val": idx[None, 110:]}
    data = stack_splits(X, y, splits, "minmax")
    method = Method(loss=loss, procedure=procedure, model=registered_module)
    grid = {"lr": [0.01], "rho": [0.01], "lambda": [1e-6], "beta_bar": [200.0]}
    specs = model_grid(method, grid, 1)
    res = train_grid(data, method, specs, TrainConfig(epochs=8, batch_size=16, rounds=1), log=None)
    assert set(res.params) == {"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"}
    assert float(res.best_val_accuracy[0]) > 0.6  # three separable blobs: far above chance (1/3)
    if procedure == "continuous_sparsification":
        assert any(bool((res.params[n] == 0).any()) for n in ("0.weight", "2.weight", "4.weight"))
