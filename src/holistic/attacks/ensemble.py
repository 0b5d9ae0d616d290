"""The worst case over an ensemble of budgeted attacks (as AutoAttack reports it: Croce &
Hein 2020), on a stack of G models at once.

Every member attacks the same inputs at the same radius; per sample the result is the
first member's point that is misclassified, else the last member's point. A sample is
then robust under the ensemble iff it is robust under every member: the ensemble's
correctness is the per-sample AND of the members' correctness, so its accuracy is never
above any member's. The members run in order, each drawing its random starts from the
same per-model generators (a model's result still depends only on its own generator).
"""

from __future__ import annotations

import torch
from torch import Tensor

from .common import Logits

DEFAULTS = {"members": ["apgd-ce", "apgd-dlr"]}


def worst_case(f: Logits, x: Tensor, y: Tensor, members: list[tuple[str, object]], eps: float,
               box: tuple[float, float] | None, generators) -> tuple[Tensor, dict[str, Tensor]]:
    """``(x_adv [G, N, ...], {name: correct [G, N] bool})`` of inputs x ``[G, N, ...]``, labels ``[G, N]``.

    ``members``: ``(name, attack)`` pairs of budgeted attacks of one norm, at least one;
    ``correct[name]`` says which samples that member's point leaves correctly classified.
    """
    if not members:
        raise ValueError("an attack ensemble needs at least one member")
    names = [name for name, _ in members]
    if len(set(names)) != len(names):
        raise ValueError(f"attack ensemble member names repeat: {names}")
    for name, attack in members:
        if not getattr(attack, "budgeted", False):
            raise ValueError(f"attack ensemble member {name!r} is not a budgeted attack")
    if len({attack.norm for _, attack in members}) > 1:
        raise ValueError(f"attack ensemble members mix norms: {[(n, a.norm) for n, a in members]}")
    view = (*y.shape, *([1] * (x.dim() - 2)))
    correct: dict[str, Tensor] = {}
    x_adv, found = None, torch.zeros(y.shape, dtype=torch.bool, device=y.device)
    for name, attack in members:
        cand = attack(f, x, y, eps, box, generators)
        with torch.no_grad():
            ok = f(cand).argmax(-1) == y
        correct[name] = ok
        # Keep the first misclassified point; until one is found, the latest member's point.
        x_adv = cand if x_adv is None else torch.where(found.view(view), x_adv, cand)
        found = found | ~ok
    return x_adv.detach(), correct


class WorstCase:
    """Budgeted attack: the per-sample worst case of its members (registered attacks);
    ``attack.ensemble = {members: [apgd-ce, apgd-dlr]}`` (optional). Each member reads its own
    params (``attack.apgd``, ...)."""

    norm = "inf"  # the members' norm, set per instance
    budgeted = True
    param_keys: tuple[str, ...] = ("attack.ensemble",)  # an instance adds its members' keys

    def __init__(self, members: list[tuple[str, object]]):
        if not members:
            raise ValueError("an attack ensemble needs at least one member")
        norms = {attack.norm for _, attack in members}
        if len(norms) > 1:
            raise ValueError(f"attack ensemble members mix norms: {sorted(norms)}")
        self.members = list(members)
        self.norm = norms.pop()
        keys = [*WorstCase.param_keys, *(k for _, attack in members for k in attack.param_keys)]
        self.param_keys = tuple(dict.fromkeys(keys))

    @classmethod
    def from_params(cls, attack: dict) -> "WorstCase":
        from . import lookup  # the registry imports this module

        given = dict(attack.get("ensemble") or {})
        unknown = set(given) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown attack.ensemble keys {sorted(unknown)}; known: {', '.join(DEFAULTS)}")
        names = list({**DEFAULTS, **given}["members"])
        return cls([(name, lookup(name).from_params(attack)) for name in names])

    def settings(self) -> dict:
        return {name: attack.settings() for name, attack in self.members}

    def __call__(self, f: Logits, x: Tensor, y: Tensor, eps: float, box, generator) -> Tensor:
        return worst_case(f, x, y, self.members, eps, box, generator)[0]
