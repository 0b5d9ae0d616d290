"""The paper-style weak C&W (Dinh et al.'s A4, registry key ``cw-scaled``): Adam on the input,
then the perturbation scaled by eps; so weak that it stays within eps * steps * lr of x."""

import pytest
import torch

from holistic.attacks import lookup
from holistic.attacks.cw_scaled import ScaledCW, cw_scaled
from holistic.attacks.fgsm import fgsm

BOX = (0.0, 1.0)


def linear():
    g = torch.Generator().manual_seed(0)
    W = torch.randn(2, 10, 3, generator=g)
    x = torch.rand(2, 16, 10, generator=g)
    f = lambda v: torch.einsum("gnp,gpk->gnk", v, W)  # noqa: E731
    y = f(x).argmax(-1)  # every point correctly classified
    return f, x, y


def test_the_result_is_x_plus_eps_times_the_adam_iterate_minus_x():
    f, x, y = linear()
    eps, steps, lr = 8 / 255, 50, 6e-4
    x_adv = cw_scaled(f, x, y, eps, BOX, steps, lr, 10.0, 0.0)
    delta = (x_adv - x).abs()
    assert float(delta.max()) <= eps * steps * lr * 1.01  # each Adam step moves a pixel by about lr at most
    assert float(delta.max()) > 0
    # one step with a huge lr reaches the box faces: the scaled point is x + eps * (face - x), inside the ball
    far = cw_scaled(f, x, y, eps, BOX, 1, 10.0, 10.0, 0.0)
    assert float((far - x).abs().max()) <= eps + 1e-7 and float(far.min()) >= 0 and float(far.max()) <= 1


def test_it_is_weaker_than_fgsm_which_is_why_the_papers_a4_exceeds_a2():
    f, x, y = linear()
    eps = 0.2
    cw_acc = (f(cw_scaled(f, x, y, eps, BOX, 50, 6e-4, 10.0, 0.0)).argmax(-1) == y).float().mean()
    fgsm_acc = (f(fgsm(f, x, y, eps, BOX)).argmax(-1) == y).float().mean()
    assert float(cw_acc) == 1.0 and float(fgsm_acc) < 1.0


def test_registered_with_its_settings_and_a_clear_error():
    attack = lookup("cw-scaled").from_params({"cw_scaled": {"steps": 5}})
    assert attack.budgeted and attack.norm == "inf"
    assert attack.settings() == {"steps": 5, "lr": 6e-4, "c": 10.0, "kappa": 0.0}
    with pytest.raises(ValueError, match="unknown attack.cw_scaled keys"):
        ScaledCW.from_params({"cw_scaled": {"iterations": 5}})
