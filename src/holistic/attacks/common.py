"""What every attack shares: the projection onto the threat set and the loss gradient.

An attack receives the models as a logits function ``f(x[G, N, ...]) -> [G, N, K]``
(any stacked model: ``lambda x: model.forward(params, x)[0]``), never weight tensors.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import Tensor

from ..objectives.ce import per_sample_loss

Logits = Callable[[Tensor], Tensor]


def project(x_adv: Tensor, x: Tensor, eps: float, box: tuple[float, float] | None) -> Tensor:
    """Projection onto ``{x' : ||x' - x||_inf <= eps} ∩ box`` (x itself lies in the box)."""
    x_adv = torch.maximum(torch.minimum(x_adv, x + eps), x - eps)
    if box is not None:
        x_adv = x_adv.clamp(box[0], box[1])
    return x_adv


def options(attack: dict, key: str, defaults: dict) -> dict:
    """An attack's own settings ``attack.<key>`` (optional) over its defaults; an unknown key
    is a ValueError naming it and the known ones."""
    given = dict(attack.get(key) or {})
    unknown = set(given) - set(defaults)
    if unknown:
        raise ValueError(f"unknown attack.{key} keys {sorted(unknown)}; known: {', '.join(defaults)}")
    return {**defaults, **given}


def loss_and_grad(f: Logits, x: Tensor, y: Tensor,
                  loss_fn: Callable[[Tensor, Tensor], Tensor] = per_sample_loss) -> tuple[Tensor, Tensor, Tensor]:
    """Per-sample loss ``[G, N]`` (cross-entropy unless ``loss_fn(z, y)`` is given), its input
    gradient ``[G, N, ...]`` and misclassification ``[G, N]``."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        z = f(x)
        loss = loss_fn(z, y)
        (grad,) = torch.autograd.grad(loss.sum(), x)
    return loss.detach(), grad, z.detach().argmax(-1) != y


def stronger(loss: Tensor, wrong: Tensor, best_loss: Tensor, best_wrong: Tensor) -> Tensor:
    """Whether a point beats the best so far ``[G, N]``: misclassification first, then loss."""
    return (wrong & ~best_wrong) | ((wrong == best_wrong) & (loss > best_loss))


def margin(z: Tensor, y: Tensor, true_class: Tensor | None = None) -> Tensor:
    """``Z_y - max_{i != y} Z_i`` ``[G, N]`` of logits ``[G, N, K]`` (negative: misclassified).

    The true class is masked with -inf (``true_class``: the one-hot mask of y, ``[G, N, K]``
    bool, computed when not given), so the best other logit is right for any sign.
    """
    if true_class is None:
        true_class = torch.nn.functional.one_hot(y, z.shape[-1]).bool()
    z_y = z.gather(-1, y.unsqueeze(-1)).squeeze(-1)
    return z_y - z.masked_fill(true_class, float("-inf")).amax(-1)

class Rows:
    """Generators that draw for all ``n`` samples while the attack sees only the columns
    ``index``: a sample's random draws then do not depend on which other samples are attacked
    (the ensemble attacks only the samples every earlier member left correct)."""

    def __init__(self, generator: torch.Generator | Sequence[torch.Generator], index: Tensor, n: int):
        self.generator, self.index, self.n = generator, index, n


def noise(x: Tensor, generator, kind: str = "uniform") -> Tensor:
    """Random draws of x's shape ``[G, N, ...]`` (``uniform`` in [0, 1) or ``normal``), on x's device.

    ``generator``: one for all models, one per model (a model's draws then do not depend on
    the other models), or :class:`Rows` of either (the draws of all samples, then its columns).
    """
    draw = {"uniform": torch.rand, "normal": torch.randn}[kind]
    if isinstance(generator, Rows):
        full = (x.shape[0], generator.n, *x.shape[2:])
        return noise(torch.empty(full, dtype=x.dtype), generator.generator, kind)[:, generator.index].to(x.device)
    if isinstance(generator, torch.Generator):
        u = draw(x.shape, generator=generator, dtype=x.dtype)
    else:
        u = torch.stack([draw(x.shape[1:], generator=g, dtype=x.dtype) for g in generator])
    return u.to(x.device)
