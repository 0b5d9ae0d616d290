"""Adversarial training loss (Goodfellow et al. 2015; Madry et al. 2018) as Cosentino et al.
2019 train (Sec. 4.2; registry key ``adversarial``), for any registered model:

    L(x, y) = (1 - w) CE(f_theta(x), y) + w CE(f_theta(x_adv), y),    w = 0.5 in the paper,

per sample ``[G, B]``. ``x_adv`` is an L-inf attack on the model's current parameters, made with
the parameters detached (its input gradients never reach the weights, as the public code's
``stop_gradient``); the loss on ``x_adv`` is then differentiable in the parameters. Attacks
(``train.adversarial.attack``), both on the true labels and within the box (``[0, 1]`` for
images; the data's box), from :mod:`holistic.attacks`:

* ``fgsm``: ``x + eps sign(grad_x CE)``, one step, returned as it is (never compared with x);
* ``pgd``: a uniform random start in the eps-ball, ``steps`` signed-gradient steps of the
  absolute size ``step_size`` (the paper's eps 0.3, 10 steps of 0.05), each projected onto the
  ball and the box (:func:`holistic.attacks.pgd.pgd`); which of its ``steps + 1`` iterates is
  ``x_adv`` (``train.adversarial.iterate``): ``strongest`` (the default), per sample the strongest
  (a misclassified one if any, then the highest loss; the evaluation's rule), or ``last``, the
  final iterate, as the papers' attacks (CleverHans' ``ProjectedGradientDescent``, Madry et al.'s
  code) return it. FGSM's one step is ``x_adv`` under either rule.

The random start draws from one generator per model that the trainer seeds by the model's
split and step (``stochastic``: :func:`holistic.train.seeds.draw_seed`), so a model trains the
same alone or in a grid, on every rerun. With w = 0 the loss is the cross-entropy of ``ce``,
and training is bitwise natural training (the attack runs and is multiplied by 0).
"""

from __future__ import annotations

from torch import Tensor

from ..train.pieces import piece_settings
from .ce import per_sample_loss

DEFAULTS = {"attack": "pgd", "eps": 0.3, "steps": 10, "step_size": 0.05, "weight": 0.5, "iterate": "strongest"}

#: The attacks adversarial training runs (the functions of the registered ``fgsm`` and ``pgd``,
#: with this loss's settings: ``pgd``'s step is absolute here, not the HDL paper's relative one).
TRAINING_ATTACKS = ("fgsm", "pgd")
#: Which PGD iterate is x_adv (:data:`holistic.attacks.pgd.ITERATES`; ``strongest``: every result so far).
ITERATES = ("strongest", "last")


def adversarial_loss(natural: Tensor, adversarial: Tensor, w: float) -> Tensor:
    """``(1 - w) CE(x) + w CE(x_adv)`` ``[G, B]`` from the per-sample losses on x and on x_adv."""
    return (1 - w) * natural + w * adversarial


def logits(model, params: dict[str, Tensor], x: Tensor) -> Tensor:
    """Logits ``[G, B, K]``: the model's logits-only path where it has one (the same values)."""
    return model.logits(params, x) if hasattr(model, "logits") else model.forward(params, x)[0]


class Adversarial:
    """Registry entry ``adversarial``: no grid axis; ``train.adversarial`` (:data:`DEFAULTS`)."""

    axes: tuple[str, ...] = ()
    param_keys: tuple[str, ...] = ("train.adversarial",)
    uses_aux = False    # reads only the logits of the forward output (the natural CE)
    stochastic = True   # the trainer passes per-model generators (PGD's random start)

    def __init__(self, attack: str = DEFAULTS["attack"], eps: float = DEFAULTS["eps"], steps: int = DEFAULTS["steps"],
                 step_size: float = DEFAULTS["step_size"], weight: float = DEFAULTS["weight"],
                 iterate: str = DEFAULTS["iterate"], box: tuple[float, float] | None = (0.0, 1.0)):
        if attack not in TRAINING_ATTACKS:
            raise ValueError(f"train.adversarial.attack: {attack!r} does not train; "
                             f"one of {', '.join(TRAINING_ATTACKS)}")
        if not 0 <= weight <= 1:
            raise ValueError(f"train.adversarial.weight {weight}: not in [0, 1]")
        if iterate not in ITERATES:
            raise ValueError(f"train.adversarial.iterate: {iterate!r} is not one of {', '.join(ITERATES)}")
        self.attack, self.eps, self.steps, self.step_size = attack, float(eps), int(steps), float(step_size)
        self.weight, self.iterate, self.box = float(weight), iterate, box

    def configured(self, settings: dict, box: tuple[float, float] | None = (0.0, 1.0)) -> "Adversarial":
        """The loss with ``train.adversarial`` (over :data:`DEFAULTS`) on the data's input ``box``."""
        return Adversarial(**piece_settings(settings, "adversarial", DEFAULTS), box=box)

    def examples(self, model, params: dict[str, Tensor], x: Tensor, y: Tensor, generators) -> Tensor:
        """``x_adv`` ``[G, B, ...]``: the attack on the detached parameters (model g by ``generators[g]``)."""
        from ..attacks.fgsm import fgsm  # here: the attacks import this package's cross-entropy
        from ..attacks.pgd import pgd

        fixed = {n: p.detach() for n, p in params.items()}
        f = lambda v: logits(model, fixed, v)  # noqa: E731
        if self.attack == "fgsm":
            return fgsm(f, x, y, self.eps, self.box)
        if generators is None:
            raise ValueError("the pgd training attack needs one generator per model (its random start)")
        return pgd(f, x, y, self.eps, self.steps, self.step_size, self.box, generators, iterate=self.iterate)

    def per_sample(self, model, params: dict, x: Tensor, y: Tensor, hp: dict, out, reference: bool = False,
                   generators=None) -> Tensor:
        """``[G, B]`` losses: out = ``(logits of x, aux)``, the forward the trainer ran."""
        z_adv = logits(model, params, self.examples(model, params, x, y, generators))
        return adversarial_loss(per_sample_loss(out[0], y), per_sample_loss(z_adv, y), self.weight)
