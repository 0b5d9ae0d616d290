"""The linear model of Guo et al.: binary sign(w^T x + b) with one weight vector, or one per class."""

import torch

from holistic.models import MODELS
from holistic.objectives.ce import per_sample_loss


def test_binary_linear_model_is_one_weight_vector_with_the_softplus_loss():
    model = MODELS["linear"]
    params = model.init((1, 28, 28), 2, [torch.Generator().manual_seed(0), torch.Generator().manual_seed(1)])
    params["linear.bias"] = torch.tensor([[0.3], [-0.2]])
    assert model.prunable(params) == ["linear.weight"] and params["linear.weight"].shape == (2, 1, 784)
    x = torch.rand(2, 5, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    y = torch.tensor([[0, 1, 1, 0, 1], [1, 1, 0, 0, 0]])
    z, _ = model.forward(params, x)
    s = torch.einsum("gbm,gm->gb", x.flatten(2), params["linear.weight"][:, 0]) + params["linear.bias"]
    assert torch.equal(z[..., 0], torch.zeros(2, 5)) and torch.allclose(z[..., 1], s, atol=1e-5)
    sign = 2.0 * y - 1  # y in {-1, +1}: the softplus loss log(1 + exp(-y (w^T x + b)))
    assert torch.allclose(per_sample_loss(z, y), torch.nn.functional.softplus(-sign * s), atol=1e-5)
    assert torch.equal(model.predict(params, x), (z[..., 1] > 0).long())


def test_multiclass_linear_model_has_a_weight_vector_per_class():
    params = MODELS["linear"].init((784,), 10, [torch.Generator().manual_seed(0)])
    assert {n: tuple(p.shape) for n, p in params.items()} == {"1.weight": (1, 10, 784), "1.bias": (1, 10)}
