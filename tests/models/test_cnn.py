"""Image networks through the stacked-model protocol: the published sizes, the robust term of
eq. (7) by autograd against finite differences, a CNN trained in a grid equal to the same
CNN trained alone, and continuous sparsification masking convolution kernels."""

import numpy as np
import pytest
import torch

from holistic.data.stacked import stack_splits
from holistic.evaluation.metrics import sparsity_percent
from holistic.methods import Method, model_grid
from holistic.models import MODELS, cnn
from holistic.models.module import StackedModule
from holistic.objectives.robust import gradient_norms_autograd
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid


def n_params(make, shape, k=10):
    return sum(p.numel() for p in make(shape, k).parameters())


@pytest.mark.parametrize("make,shape,count", [
    (cnn.alex, (1, 28, 28), 3_274_634),          # the published code's ALEX on MNIST
    (cnn.alex, (3, 32, 32), 4_259_274),          # ... on RGB CIFAR-10
    (cnn.lenet5, (1, 28, 28), 431_080),          # Caffe LeNet-5
    (cnn.lenet300_100, (1, 28, 28), 266_610),
    (cnn.lenet300_100_nobias, (1, 28, 28), 266_200),  # the lottery-ticket paper's variant
    (cnn.cnn_4layer, (1, 28, 28), 205_730),      # SparseVLR's 4-layer CNN (auto_LiRPA cnn_4layer)
    (cnn.cnn_7layer, (1, 28, 28), 13_257_290),   # SparseVLR's 7-layer CNN (auto_LiRPA cnn_7layer)
])
def test_architectures_have_the_published_sizes(make, shape, count):
    assert n_params(make, shape) == count
    n, _ = StackedModule(make).memory_floats(shape, 10, 64)
    assert n == count


def test_registered_cnns_give_logits_for_image_batches_and_prune_every_kernel():
    model = MODELS["alex"]
    params = model.init((1, 28, 28), 10, [torch.Generator().manual_seed(s) for s in (0, 1)])
    assert params["0.weight"].shape == (2, 32, 1, 5, 5)
    assert model.prunable(params) == ["0.weight", "3.weight", "7.weight", "9.weight"]  # conv kernels included
    assert float(params["0.bias"].abs().sum()) == 0.0  # zero biases, Glorot-uniform weights
    bound = (6 / ((1 + 32) * 25)) ** 0.5
    assert float(params["0.weight"].abs().max()) <= bound
    z, _ = model.forward(params, torch.rand(2, 3, 1, 28, 28))
    assert z.shape == (2, 3, 10)


def test_the_mlp_reads_images_as_their_pixels():
    mlp = MODELS["mlp"]
    params = mlp.init((1, 4, 4), 3, [torch.Generator().manual_seed(0)])
    assert params["W0"].shape == (1, 16, 128)
    x = torch.rand(1, 5, 1, 4, 4)
    assert torch.equal(mlp.forward(params, x)[0], mlp.forward(params, x.flatten(2))[0])


def test_robust_term_of_a_cnn_equals_finite_differences():
    """||grad_x (z_k - z_y)||_1 by double backprop through vmap(functional_call), float64."""
    make = lambda shape, k: torch.nn.Sequential(  # noqa: E731
        torch.nn.Conv2d(1, 3, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(3 * 3 * 3, k))
    model = StackedModule(make)
    params = {n: p.double() for n, p in model.init((1, 6, 6), 4, [torch.Generator().manual_seed(3)]).items()}
    x = torch.rand(1, 2, 1, 6, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    y = torch.tensor([[1, 3]])
    norms = gradient_norms_autograd(model, params, x, y)  # [1, 2, 4]
    h = 1e-6
    for b in range(2):
        for k in range(4):
            fd = torch.zeros_like(x[0, b])
            for i in range(x[0, b].numel()):
                e = torch.zeros(x[0, b].numel(), dtype=torch.float64)
                e[i] = h
                xp, xm = x.clone(), x.clone()
                xp[0, b] += e.view_as(fd)
                xm[0, b] -= e.view_as(fd)
                zp, zm = model.forward(params, xp)[0][0, b], model.forward(params, xm)[0][0, b]
                fd.view(-1)[i] = ((zp[k] - zp[y[0, b]]) - (zm[k] - zm[y[0, b]])) / (2 * h)
            assert float(norms[0, b, k]) == pytest.approx(float(fd.abs().sum()), rel=1e-5, abs=1e-8)
    assert torch.all(norms[0, torch.arange(2), y[0]] == 0)  # the k = y term vanishes


def image_data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = np.tile(np.arange(3), n // 3)
    X = (rng.random((n, 1, 16, 16)) * 60).astype(np.uint8)
    for c in range(3):  # a bright bar per class: learnable in a few epochs
        X[y == c, 0, 4 * c + 2:4 * c + 5, :] = 250
    splits = {"test": np.arange(90, 120), "train": np.arange(0, 72)[None], "val": np.arange(72, 90)[None]}
    return stack_splits(X, y, splits, "minmax")


def test_image_splits_are_pixels_in_the_unit_box():
    data = image_data()
    assert data.X_train.shape == (1, 72, 1, 16, 16) and data.input_shape == (1, 16, 16)
    assert data.box == (0.0, 1.0) and float(data.X_train.max()) == pytest.approx(250 / 255)


@pytest.mark.parametrize("loss,procedure", [("robust_linear", "continuous_sparsification")])
def test_a_cnn_trained_in_a_grid_equals_the_same_cnn_trained_alone(loss, procedure):
    data = image_data()
    method = Method(loss=loss, procedure=procedure, model="lenet5")
    grid = {"lr": [0.01], "rho": [0.01, 0.1], "lambda": [1e-6], "beta_bar": [200.0]}
    specs = model_grid(method, grid, 1)
    cfg = TrainConfig(epochs=3, batch_size=16, rounds=1)
    together = train_grid(data, method, specs, cfg, log=None)
    for g, spec in enumerate(specs):
        alone = train_grid(data, method, [spec], cfg, log=None)
        for name, p in together.params.items():
            assert torch.equal(p[g], alone.params[name][0]), (g, name)
    assert float(together.best_val_accuracy.max()) > 0.6  # far above chance (1/3)
    kernels = [together.params[n] for n in MODELS["lenet5"].prunable(together.params)]
    assert kernels[0].dim() == 5 and bool((kernels[0] == 0).any())  # conv kernels are masked too
    assert float(sparsity_percent(kernels).max()) > 0


@pytest.mark.parametrize("name", ["cnn_4layer", "cnn_7layer"])
def test_sparsevlr_cnns_are_bounded_soundly_by_every_verifier(name):
    """The verified bounds read both networks (Conv2d, ReLU, Flatten, Linear) and stay below
    the margins at sampled points of the ball (small 8x8 inputs and width to keep it fast)."""
    from holistic.verify import BOUNDS, bounds
    from holistic.verify.layers import from_model
    from holistic.verify.spec import input_set, other_classes

    small = {"cnn_4layer": cnn.cnn_4layer, "cnn_7layer": lambda s, k: cnn.cnn_7layer(s, k, width=4, linear_size=16)}
    model = StackedModule(small[name])
    init = model.init((1, 8, 8), 3, [torch.Generator().manual_seed(s) for s in (0, 1)])
    params = {n: p.double() for n, p in init.items()}
    x = torch.rand(2, 3, 1, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    y = torch.tensor([[0, 1, 2], [2, 1, 0]])
    layers = from_model(model, params, (1, 8, 8), 3)
    lo, hi = input_set(x, 0.05, (0.0, 1.0))
    u = torch.rand(2, 3, 64, 1, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    xs = (lo.unsqueeze(2) + (hi - lo).unsqueeze(2) * u).view(2, 3 * 64, 1, 8, 8)
    z = model.forward(params, xs)[0].view(2, 3, 64, 3)
    yy = y.unsqueeze(2).expand(2, 3, 64)
    sampled = (z.gather(-1, yy.unsqueeze(-1)) - z.gather(-1, other_classes(yy, 3))).amin(2)
    for method in BOUNDS:
        lower = bounds(method, layers, x, y, 0.05, (0.0, 1.0))
        assert bool((lower <= sampled + 1e-9).all()), method
