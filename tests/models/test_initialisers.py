"""Issue 32, item 1: initialisers as pieces. ``torch-default`` is, for each model of a stack, bit
for bit what PyTorch's own layers draw (``torch.manual_seed(seed); make(...)``), within its closed
form's bounds; ``glorot`` is the models' own initialisation, unchanged."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from conftest import blobs
from holistic.data.stacked import stack_splits
from holistic.methods import Method, model_grid
from holistic.models import INITIALISERS, MODELS, cnn
from holistic.models.initialisers import init_models
from holistic.train.config import TrainConfig
from holistic.train.grid import Grid
from holistic.train.seeds import model_seed

TORCH = INITIALISERS["torch-default"]
SEEDS = (11, 12, 13)
#: Every registered stacked nn.Module on a small input (the ResNets' CPU-sized stand-ins included).
MODULES = [("alex", (1, 8, 8)), ("lenet5", (1, 28, 28)), ("lenet300", (1, 6, 6)), ("lenet300-nobias", (1, 6, 6)),
           ("linear", (1, 6, 6)), ("resmlp", (1, 6, 6)), ("en2-resmlp", (1, 6, 6)), ("resmlp-deep", (1, 4, 4)),
           ("preact-resnet20", (3, 8, 8)), ("en2-preact-resnet20", (3, 8, 8)), ("cnn_4layer", (1, 8, 8)),
           ("cnn_7layer", (1, 4, 4))]


def own(seed, make, shape, k):
    torch.manual_seed(seed)
    return {n: p.detach() for n, p in make(shape, k).named_parameters()}


@pytest.mark.parametrize("name, shape", MODULES)
def test_torch_default_is_what_the_layers_draw_when_built(name, shape):
    stack = MODELS[name]
    params = stack.init(shape, 10, [torch.Generator().manual_seed(s) for s in SEEDS], TORCH)
    for g, seed in enumerate(SEEDS):
        ref = own(seed, stack.make, shape, 10)
        assert list(ref) == list(params)
        for n in ref:
            assert torch.equal(params[n][g], ref[n]), (name, n)


def test_torch_default_mlp_is_the_same_linear_layers_transposed():
    params = MODELS["mlp"].init((5,), 3, [torch.Generator().manual_seed(s) for s in SEEDS], TORCH)
    for g, seed in enumerate(SEEDS):
        torch.manual_seed(seed)
        layers = [m for m in cnn.mlp((5,), 3) if isinstance(m, nn.Linear)]
        for l, layer in enumerate(layers):
            assert torch.equal(params[f"W{l}"][g], layer.weight.detach().t())
            assert torch.equal(params[f"b{l}"][g], layer.bias.detach())


def test_a_model_of_the_stack_is_the_model_initialised_alone():
    for name, shape in (("mlp", (4,)), ("lenet5", (1, 28, 28)), ("en2-resmlp", (1, 6, 6))):
        stack = MODELS[name].init(shape, 3, [torch.Generator().manual_seed(s) for s in SEEDS], TORCH)
        alone = MODELS[name].init(shape, 3, [torch.Generator().manual_seed(SEEDS[1])], TORCH)
        assert all(torch.equal(stack[n][1], alone[n][0]) for n in alone)


def test_torch_default_bounds_and_spread_are_the_closed_form():
    """kaiming_uniform(a = sqrt(5)): gain sqrt(2 / (1 + 5)), bound gain sqrt(3 / fan_in) = 1/sqrt(fan_in);
    the bias U(+-1/sqrt(fan_in)); a uniform's variance bound^2 / 3."""
    params = MODELS["lenet5"].init((1, 28, 28), 10, [torch.Generator().manual_seed(0)], TORCH)
    for name, fan_in in (("0.weight", 1 * 25), ("2.weight", 20 * 25), ("5.weight", 800), ("7.weight", 500)):
        bound = 1 / math.sqrt(fan_in)
        assert math.isclose(math.sqrt(2 / 6) * math.sqrt(3 / fan_in), bound)
        w, b = params[name][0], params[name.replace("weight", "bias")][0]
        assert w.abs().max() <= bound and b.abs().max() <= bound
        assert w.abs().max() > 0.9 * bound
        if w.numel() > 10_000:
            assert float(w.var()) == pytest.approx(bound**2 / 3, rel=0.03)
            assert abs(float(w.mean())) < 0.02 * bound


def test_glorot_is_each_models_own_initialisation():
    glorot = INITIALISERS["glorot"]
    gens = lambda: [torch.Generator().manual_seed(s) for s in SEEDS]  # noqa: E731
    for name, shape in (("mlp", (4,)), ("cnn_4layer", (1, 8, 8)), ("preact-resnet20", (3, 8, 8))):
        a, b = MODELS[name].init(shape, 3, gens()), init_models(MODELS[name], shape, 3, gens(), glorot)
        assert all(torch.equal(a[n], b[n]) for n in a)
    with pytest.raises(ValueError, match="no PyTorch default known for layer Bilinear"):
        TORCH.module(nn.Sequential(nn.Bilinear(2, 2, 2)), torch.Generator())


def test_the_trainer_initialises_with_the_methods_initialiser():
    X, y = blobs(60, 4, 3, seed=1)
    idx = np.arange(60)
    data = stack_splits(X, y, {"test": idx[:10], "train": np.stack([idx[10:40], idx[20:50]]),
                               "val": np.stack([idx[40:], idx[10:30]])}, "minmax")
    method = Method(initialiser="torch-default")
    specs = model_grid(method, {"lr": [0.01]}, 2)
    g = Grid(data, method, specs, TrainConfig(epochs=1, batch_size=10, seed=3))
    g.start(None)
    for i, s in enumerate(specs):
        torch.manual_seed(model_seed(3, s.split))
        layers = [m for m in cnn.mlp((4,), 3) if isinstance(m, nn.Linear)]
        assert torch.equal(g.params["W0"][i].detach(), layers[0].weight.detach().t())
    default = Grid(data, Method(), specs, TrainConfig(epochs=1, batch_size=10, seed=3))
    default.start(None)
    assert torch.equal(default.params["W0"].detach(), MODELS["mlp"].init(
        (4,), 3, [torch.Generator().manual_seed(model_seed(3, s.split)) for s in specs])["W0"])
