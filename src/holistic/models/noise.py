"""Gaussian noise injected after residual sums, deterministic given one generator per model.

The Feynman-Kac formalism principled ResNets (EnResNet, Wang et al. 2019; Sect. 2 of Dinh et
al.) add diffusion to the transport equation of a ResNet: step 1, inject Gaussian noise into
every residual mapping; step 2, average n jointly trained noisy nets (:mod:`.residual`). The
EnResNet code (``ResNet20/resnet_cifar.py``) adds, after each residual sum ``out``::

    out + noise_coef * torch.std(out) * torch.randn_like(out)        # noise_coef = 0.1

with ``std`` over the whole tensor of the batch (unbiased, with its gradient). :func:`inject`
does the same for one model of a stack (the std is over that model's batch only).

Where the draws come from is the caller's choice, never the model's:

    with noise.sampling(generators):   # one torch.Generator per stacked model: noise on
        logits, _ = model.forward(params, x)
    with noise.off():                  # the same networks without noise
        logits, _ = model.forward(params, x)

A stacked model runs model g under :func:`for_model` ``(g, G)``, so model g draws only from
``generators[g]``, in the order of its noise layers: its noise does not depend on the other
models of the grid, and a second run from generators in the same states draws the same noise.
``sampling(..., at_predict=False)`` keeps the models' ``predict`` (validation and test accuracy)
noise-free while the forward (training, attacks) draws noise: the flag that turns noise off
for evaluation. A noise layer run outside both contexts is a RuntimeError: a noisy network
never silently becomes a clean one (or the reverse). On the meta device (shape probes such as
``memory_floats``) the layer is the identity.

A stacked model declares that it draws noise with ``noisy(input_shape, k) -> bool`` (the
residual stacks: whether the architecture holds a :class:`NoiseInjection`, :func:`has_noise`);
the generic trainer (``holistic.train.loop``) then trains it under ``sampling(generators,
at_predict=False)`` with one generator per model seeded by the model's split, validates it under
``off()`` and keeps the generators' states in its resume points.

EOT (expectation over transformation, Athalye et al. 2018): under ``sampling`` every call of a
logits function ``lambda x: model.forward(params, x)[0]`` draws new noise, so an attack that
averages its input gradient over n >= 10 calls follows the gradient of the expected loss over
the noise (``holistic.attacks.eot``); under ``off`` the same attack meets the clean network.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import Tensor, nn

#: The noise coefficient of the EnResNet code (``--noise-coef 0.1``).
NOISE_COEF = 0.1

_UNSET = "unset"


@dataclass(frozen=True)
class Draws:
    """The noise source of a stack: one generator per model; ``at_predict``: whether the
    models' ``predict`` draws noise too."""

    generators: tuple[torch.Generator, ...]
    at_predict: bool = True


_DRAWS: ContextVar = ContextVar("holistic_noise_draws", default=_UNSET)  # Draws, None (off) or unset
_GENERATOR: ContextVar = ContextVar("holistic_noise_generator", default=_UNSET)  # of the model now running


@contextmanager
def _setting(var: ContextVar, value):
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


def sampling(generators: Sequence[torch.Generator], at_predict: bool = True):
    """Noise on: model g of a stack draws from ``generators[g]`` (one per stacked model)."""
    return _setting(_DRAWS, Draws(tuple(generators), at_predict))


def off():
    """Noise off: every noise layer is the identity."""
    return _setting(_DRAWS, None)


def predicting():
    """The context of a stack's ``predict``: noise off where the draws say ``at_predict=False``,
    otherwise as set."""
    draws = _DRAWS.get()
    return off() if isinstance(draws, Draws) and not draws.at_predict else _setting(_DRAWS, draws)


def for_model(g: int, G: int):
    """The context of model g of a stack of G: its generator, or off/unset as the stack's."""
    draws = _DRAWS.get()
    if isinstance(draws, Draws):
        if len(draws.generators) != G:
            raise ValueError(f"noise.sampling got {len(draws.generators)} generators for a stack of {G} models")
        return _setting(_GENERATOR, draws.generators[g])
    return _setting(_GENERATOR, draws)


def inject(h: Tensor, coef: float) -> Tensor:
    """``h + coef * std(h) * N(0, 1)`` with the running model's generator (identity when off).

    ``h`` is one model's activations ``[B, ...]``; the draw has h's shape and comes from the
    generator's device, then moves to h's."""
    generator = _GENERATOR.get()
    if h.is_meta:
        return h
    if generator is _UNSET:
        raise RuntimeError("a noise-injected network ran outside noise.sampling(...) and noise.off(): "
                           "choose whether it draws noise")
    if generator is None:
        return h
    draw = torch.randn(h.shape, generator=generator, dtype=h.dtype, device=generator.device).to(h.device)
    return h + coef * h.std() * draw


def has_noise(module: nn.Module) -> bool:
    """Whether ``module`` holds a noise layer (:class:`NoiseInjection`) anywhere."""
    return any(isinstance(m, NoiseInjection) for m in module.modules())


class NoiseInjection(nn.Module):
    """The noise layer after a residual sum: :func:`inject` with coefficient ``coef``."""

    def __init__(self, coef: float = NOISE_COEF):
        super().__init__()
        self.coef = float(coef)

    def forward(self, h: Tensor) -> Tensor:
        return inject(h, self.coef)

    def extra_repr(self) -> str:
        return f"coef={self.coef}"
