"""EOT-IFGSM: IFGSM on a deterministic model, the mean of the draws' gradients on a noisy one
(deterministic given the noise generators), and the params protocol."""

from functools import partial

import pytest
import torch

from holistic.attacks import ATTACKS, lookup
from holistic.attacks.common import loss_and_grad
from holistic.attacks.eot import EOTIFGSM, eot_ifgsm, expected_gradient
from holistic.attacks.ifgsm import ifgsm
from holistic.models import noise
from holistic.models.residual import ResidualStack
from holistic.models.resmlp import en_resmlp

BOX = (0.0, 1.0)


def gens(*seeds):
    return [torch.Generator().manual_seed(s) for s in seeds]


def noisy_model():
    model = ResidualStack(partial(en_resmlp, n=2, blocks=2, width=16, noise=0.5))
    params = model.init((6,), 3, gens(0, 1))
    x = torch.rand(2, 8, 6, generator=torch.Generator().manual_seed(2))
    y = torch.randint(0, 3, (2, 8), generator=torch.Generator().manual_seed(3))
    return (lambda v: model.forward(params, v)[0]), x, y


def test_on_a_deterministic_model_eot_is_ifgsm():
    f, x, y = noisy_model()
    with noise.off():
        assert torch.equal(eot_ifgsm(f, x, y, 0.1, 5, 0.025, BOX, draws=4), ifgsm(f, x, y, 0.1, 5, 0.025, BOX))


def test_the_gradient_is_the_mean_over_noise_draws_and_deterministic_given_the_generators():
    f, x, y = noisy_model()
    with noise.sampling(gens(7, 8)):
        g = expected_gradient(f, x, y, draws=10)
    with noise.sampling(gens(7, 8)):
        draws = [loss_and_grad(f, x, y)[1] for _ in range(10)]
    assert torch.allclose(g, torch.stack(draws).mean(0), rtol=1e-5, atol=1e-8)
    assert not torch.equal(draws[0], draws[1])  # the noise does change the gradient
    with noise.sampling(gens(7, 8)):
        a = ATTACKS["eot-ifgsm"].from_params({"eot_ifgsm": {"steps": 2, "draws": 4}})(f, x, y, 0.1, BOX, None)
    with noise.sampling(gens(7, 8)):
        b = eot_ifgsm(f, x, y, 0.1, 2, 0.025, BOX, draws=4)
    assert torch.equal(a, b)
    assert float((a - x).abs().max()) <= 0.1 + 1e-7 and float(a.min()) >= 0 and float(a.max()) <= 1


def test_params_protocol():
    cls = lookup("eot-ifgsm")
    assert cls is EOTIFGSM and cls.norm == "inf" and cls.budgeted is True
    assert cls.param_keys == ("attack.eot_ifgsm",)
    assert cls.from_params({}).settings() == {"steps": 20, "step_size": 0.25, "draws": 10}
    assert cls.from_params({"eot_ifgsm": {"draws": 30}}).settings()["draws"] == 30
    with pytest.raises(ValueError, match="unknown"):
        cls.from_params({"eot_ifgsm": {"samples": 3}})
    with pytest.raises(ValueError, match="draws"):
        EOTIFGSM(draws=0)
