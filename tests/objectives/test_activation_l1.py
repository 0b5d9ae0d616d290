"""Activation-L1 loss (Guo et al. Sec. 4.2, Table 1): CE + lambda sum_j ||a_j||_1 over the ReLU
outputs; lambda 0 is the cross-entropy to the bit; a strong penalty makes the activations sparser."""

import pytest
import torch

from holistic.data.stacked import SplitTensors
from holistic.evaluation.run import activation_sparsity
from holistic.methods import Method, model_grid
from holistic.models import MODELS
from holistic.objectives import LOSSES
from holistic.objectives.activation_l1 import ActivationL1
from holistic.objectives.ce import per_sample_loss
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid
from holistic.verify.layers import from_model


def images(n=96, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    X = (0.3 * torch.rand(n, 1, 28, 28, generator=g) + 0.5 * y.view(n, 1, 1, 1) * (torch.arange(28) < 14)).clamp(0, 1)
    return SplitTensors(X[None, :64], y[None, :64], X[None, 64:], y[None, 64:], X[None, 64:], y[None, 64:], 2, (0.0, 1.0))


def test_penalty_is_the_l1_norm_of_every_relu_output_per_sample():
    model = MODELS["lenet300"]
    params = model.init((1, 28, 28), 2, [torch.Generator().manual_seed(g) for g in (1, 2)])
    x, y = images().X_train[:, :5].expand(2, -1, -1, -1, -1), torch.zeros(2, 5, dtype=torch.long)
    out = model.forward(params, x)
    loss = LOSSES["activation_l1"].configured({"activation_l1": {"strength": 0.5}})
    h1 = torch.relu(torch.einsum("gbi,goi->gbo", x.flatten(2), params["1.weight"]) + params["1.bias"][:, None])
    h2 = torch.relu(torch.einsum("gbi,goi->gbo", h1, params["3.weight"]) + params["3.bias"][:, None])
    expected = per_sample_loss(out[0], y) + 0.5 * (h1.sum(-1) + h2.sum(-1))
    assert torch.allclose(loss.per_sample(model, params, x, y, {}, out), expected, rtol=1e-5)
    zero = LOSSES["activation_l1"].configured({})
    assert torch.equal(zero.per_sample(model, params, x, y, {}, out), per_sample_loss(out[0], y))
    with pytest.raises(ValueError, match="strength"):
        ActivationL1(-1.0)
    with pytest.raises(ValueError, match="unknown train.activation_l1 keys"):
        LOSSES["activation_l1"].configured({"activation_l1": {"lambda": 1.0}})


def test_strength_zero_trains_like_ce_and_a_strong_penalty_sparsifies_the_last_relu():
    data = images()

    def train(loss, strength):
        method = Method(model="lenet300", loss=loss)
        specs = model_grid(method, {"lr": [0.003]}, 1)
        cfg = TrainConfig(epochs=2, batch_size=16, settings={"activation_l1": {"strength": strength}})
        return train_grid(data, method, specs, cfg, log=None).params

    ce, zero, strong = train("ce", 0.0), train("activation_l1", 0.0), train("activation_l1", 0.05)
    assert all(torch.equal(ce[n], zero[n]) for n in ce)
    sparsity = {name: float(activation_sparsity(from_model(MODELS["lenet300"], p, (1, 28, 28), 2), data.X_test,
                                                last=True)[0]) for name, p in (("zero", zero), ("strong", strong))}
    assert sparsity["strong"] > sparsity["zero"] + 10
