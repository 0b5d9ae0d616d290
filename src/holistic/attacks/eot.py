"""IFGSM with expectation over transformation (EOT; Athalye, Carlini & Wagner 2018, Athalye
et al. 2018) for stochastic models (registry key ``eot-ifgsm``).

A noise-injected network (Dinh et al.'s En_nResNets; :mod:`holistic.models.noise`) run under
``noise.sampling(generators)`` draws new noise at every call of its logits function ``f``. A
gradient from one draw is a noisy estimate, and attacking it understates the network's
vulnerability (gradient obfuscation by randomness). EOT follows the gradient of the expected
loss instead, estimated by the mean over ``draws`` calls:

    g(x) = 1/n sum_{i=1..n} grad_x CE(f_i(x), y),        f_i: the i-th draw of the noise,

    x^(0) = x,    x^(t+1) = P(x^(t) + alpha sign(g(x^(t))))          (:mod:`.ifgsm`'s steps)

Defaults: 20 steps of ``alpha = eps / 4`` (the IFGSM-20 of Dinh et al.'s A3) and 10 draws. The
noise comes from the caller's ``noise.sampling`` context (each model its own generator, so the
result is deterministic given their seeds); under ``noise.off()`` or for a deterministic ``f``
every draw is the same and the attack is IFGSM's. ``generator`` is unused.
"""

from __future__ import annotations

from torch import Tensor

from .common import Logits, loss_and_grad, options, project

DEFAULTS = {"steps": 20, "step_size": 0.25, "draws": 10}


def expected_gradient(f: Logits, x: Tensor, y: Tensor, draws: int) -> Tensor:
    """The mean over ``draws`` calls of ``f`` of the cross-entropy's input gradient ``[G, N, ...]``."""
    total = loss_and_grad(f, x, y)[1]
    for _ in range(draws - 1):
        total = total + loss_and_grad(f, x, y)[1]
    return total / draws


def eot_ifgsm(f: Logits, x: Tensor, y: Tensor, eps: float, steps: int, alpha: float,
              box: tuple[float, float] | None, draws: int) -> Tensor:
    """The last iterate ``[G, N, ...]`` of ``steps`` projected signed steps of size ``alpha`` along
    :func:`expected_gradient` from x ``[G, N, ...]`` (labels ``[G, N]``)."""
    x = x.detach()
    x_adv = x
    for _ in range(steps):
        x_adv = project(x_adv + alpha * expected_gradient(f, x_adv, y, draws).sign(), x, eps, box)
    return x_adv.detach()


class EOTIFGSM:
    """Budgeted L-inf attack; ``attack.eot_ifgsm = {steps: 20, step_size: 0.25, draws: 10}``
    (optional), ``alpha = step_size * eps``."""

    norm = "inf"
    budgeted = True
    needs_noise = True  # the evaluation runs it on noise-injected models with the noise on only
    param_keys = ("attack.eot_ifgsm",)

    def __init__(self, steps: int = DEFAULTS["steps"], step_size: float = DEFAULTS["step_size"],
                 draws: int = DEFAULTS["draws"]):
        if int(draws) < 1:
            raise ValueError(f"attack.eot_ifgsm.draws must be at least 1, got {draws}")
        self.steps, self.step_size, self.draws = int(steps), float(step_size), int(draws)

    @classmethod
    def from_params(cls, attack: dict) -> "EOTIFGSM":
        return cls(**options(attack, "eot_ifgsm", DEFAULTS))

    def settings(self) -> dict:
        return {"steps": self.steps, "step_size": self.step_size, "draws": self.draws}

    def __call__(self, f: Logits, x: Tensor, y: Tensor, eps: float, box, generator) -> Tensor:
        """``x_adv [G, N, ...]``; ``generator`` is unused (the noise is the caller's context's)."""
        return eot_ifgsm(f, x, y, eps, self.steps, self.step_size * eps, box, self.draws)
