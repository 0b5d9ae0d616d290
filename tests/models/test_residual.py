"""Dinh et al.'s residual nets as stacks: sizes, what is prunable, the initialisation, and the
noise of the En_n ensembles (on/off, deterministic per generator, independent of the grid, the
predict flag, no silent default), trained through the generic loop."""

import math
from functools import partial

import numpy as np
import pytest
import torch

from conftest import blobs
from holistic.data.stacked import stack_splits
from holistic.methods import Method, model_grid
from holistic.models import MODELS, noise
from holistic.models.preact_resnet import PreActResNet
from holistic.models.residual import ResidualStack
from holistic.models.resmlp import en_resmlp, resmlp
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid
from holistic.train.seeds import model_seed


@pytest.mark.parametrize("name,shape,count", [
    ("resmlp", (1, 28, 28), 466_698),
    ("en2-resmlp", (1, 28, 28), 933_396),
    ("resmlp-deep", (1, 28, 28), 993_034),           # about En_2's size (ResNet38's role)
    ("preact-resnet20", (3, 32, 32), 272_282),       # ResNet20 (~0.27M)
    ("en2-preact-resnet20", (3, 32, 32), 544_564),   # the paper's ~0.54M
    ("preact-resnet38", (3, 32, 32), 563_930),       # the paper's ~0.56M
    ("en5-preact-resnet20", (3, 32, 32), 1_361_410),
])
def test_sizes(name, shape, count):
    assert MODELS[name].memory_floats(shape, 10, 64)[0] == count


def gens(*seeds):
    return [torch.Generator().manual_seed(s) for s in seeds]


def test_prunable_weights_exclude_the_classifier_and_batch_norm():
    params = MODELS["en2-resmlp"].init((1, 6, 6), 3, gens(0))
    prunable = MODELS["en2-resmlp"].prunable(params)
    assert prunable[:3] == ["nets.0.stem.weight", "nets.0.blocks.0.fc1.weight", "nets.0.blocks.0.fc2.weight"]
    assert len(prunable) == 2 * 5 and not any("head" in n for n in prunable)
    model = ResidualStack(lambda shape, k: PreActResNet(shape[0], k, depth=8))
    params = model.init((1, 8, 8), 3, gens(0))
    prunable = model.prunable(params)
    assert all(params[n].dim() == 5 for n in prunable)  # the convolution kernels only (the code's 4-D weights)
    assert len(prunable) == 1 + 2 * 3 + 2  # conv1, two per block, two 1x1 shortcuts


def test_preact_resnet_initialisation_follows_the_enresnet_code_and_depends_on_its_generator_only():
    model = ResidualStack(lambda shape, k: PreActResNet(shape[0], k, depth=20))
    params = model.init((3, 8, 8), 10, gens(0, 1))
    assert torch.equal(params["blocks.0.bn1.weight"], torch.ones(2, 16))
    assert torch.equal(params["blocks.0.bn1.bias"], torch.zeros(2, 16))
    w = params["blocks.8.conv2.weight"]  # 64 x 64 x 3 x 3, He-normal std sqrt(2 / (9 * 64))
    assert float(w.std()) == pytest.approx(math.sqrt(2 / (9 * 64)), rel=0.05)
    assert float(params["head.weight"].abs().max()) <= 1 / 8  # U(-1/sqrt(64), 1/sqrt(64))
    again = model.init((3, 8, 8), 10, gens(1))
    assert all(torch.equal(again[n][0], params[n][1]) for n in params)
    z, _ = model.forward(params, torch.rand(2, 4, 3, 8, 8))
    assert z.shape == (2, 4, 10)


def small_en2():
    return ResidualStack(partial(en_resmlp, n=2, blocks=2, width=8))


def test_noise_is_on_only_where_asked_and_deterministic_per_generator():
    model = small_en2()
    params = model.init((5,), 3, gens(0, 1))
    x = torch.rand(2, 6, 5, generator=torch.Generator().manual_seed(9))
    with pytest.raises(RuntimeError, match="noise.sampling"):
        model.forward(params, x)
    with noise.off():
        clean, _ = model.forward(params, x)
    plain = ResidualStack(partial(en_resmlp, n=2, blocks=2, width=8, noise=0.0))  # the same nets, no noise layers
    assert torch.equal(clean, plain.forward(params, x)[0])
    with noise.sampling(gens(5, 6)):
        a, _ = model.forward(params, x)
        a2, _ = model.forward(params, x)  # the generators went on: new noise
    with noise.sampling(gens(5, 6)):
        b, _ = model.forward(params, x)
    assert torch.equal(a, b) and not torch.equal(a, clean) and not torch.equal(a, a2)
    assert float((a - clean).abs().max()) < 1.0  # 0.1 std(out) N(0, 1): a perturbation, not a new net
    # model g draws from generator g only: alone it draws the same noise as in the grid
    alone = {n: p[1:] for n, p in params.items()}
    with noise.sampling(gens(6)):
        c, _ = model.forward(alone, x[1:])
    assert torch.equal(c[0], a[1])
    with noise.sampling(gens(5)), pytest.raises(ValueError, match="2 models"):
        model.forward(params, x)


def test_predict_can_run_without_noise_while_the_forward_draws_it():
    model = small_en2()
    params = model.init((5,), 3, gens(0))
    x = torch.rand(1, 50, 5, generator=torch.Generator().manual_seed(3))
    with noise.off():
        clean = model.predict(params, x)
    with noise.sampling(gens(1), at_predict=False):
        assert torch.equal(model.predict(params, x), clean)
        noisy, _ = model.forward(params, x)
    with noise.off():
        assert not torch.equal(noisy, model.forward(params, x)[0])


def test_a_single_resmlp_has_no_noise_layers():
    model = MODELS["resmlp"]
    params = model.init((1, 4, 4), 3, gens(0))
    z, _ = model.forward(params, torch.rand(1, 2, 1, 4, 4))  # no context needed
    assert z.shape == (1, 2, 3)
    assert set(params) == {"stem.weight", "stem.bias", *(f"blocks.{i}.fc{j}.{p}" for i in range(2) for j in (1, 2)
                                                        for p in ("weight", "bias")), "head.weight", "head.bias"}
    assert resmlp((1, 28, 28), 10).stem.in_features == 784


def test_en2_trains_in_the_generic_loop_deterministically_and_alone_as_in_the_grid():
    X, y = blobs(120, 5, 3)
    idx = np.arange(120)
    data = stack_splits(X, y, {"test": idx[:24], "train": idx[24:96][None], "val": idx[96:][None]}, "minmax")
    method = Method(procedure="rvsm", model="en2-resmlp")
    specs = model_grid(method, {"lr": [0.01], "rvsm_beta": [0.01, 0.5], "rvsm_lambda": [1e-6]}, 1)
    cfg = TrainConfig(epochs=2, batch_size=24)
    seeds = lambda sp: [model_seed(cfg.seed, s.split) + 1 for s in sp]  # noqa: E731

    def train(sp):
        with noise.sampling(gens(*seeds(sp)), at_predict=False):
            return train_grid(data, method, sp, cfg, log=None)

    first, second, alone = train(specs), train(specs), train(specs[1:])
    for n, p in first.params.items():
        assert torch.equal(p, second.params[n]), n
        assert torch.equal(p[1], alone.params[n][0]), n
    assert float(first.best_val_accuracy.min()) > 0.5
