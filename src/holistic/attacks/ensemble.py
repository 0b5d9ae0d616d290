"""The worst case over an ensemble of budgeted attacks (as AutoAttack runs and reports it:
Croce & Hein 2020), on a stack of G models at once.

The members run in order, each on the samples that every earlier member (and the clean
input, and any attack run before the ensemble) left correctly classified for at least one
model of the stack, less those a sound bound certifies (no attack can break them); a sample is robust
under the ensemble iff it is robust under every member, so the ensemble's accuracy is never
above any member's. A member's random starts are drawn for all N samples from each model's
own generator and then restricted to the attacked ones (:class:`common.Rows`), so a model's
result depends neither on the other models of the stack nor on which samples are attacked.
Reported per member: the accuracy after it (robust under it and every earlier member), as
AutoAttack reports it; the first member's is its own accuracy.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .common import Logits, Rows, options

DEFAULTS = {"members": ["apgd-ce", "apgd-dlr", "pgd-restarts"]}


def check_members(members: list[tuple[str, object]]) -> str:
    """The members' norm; ValueError for none, repeated names, a minimal attack or mixed norms."""
    if not members:
        raise ValueError("an attack ensemble needs at least one member")
    names = [name for name, _ in members]
    if len(set(names)) != len(names):
        raise ValueError(f"attack ensemble member names repeat: {names}")
    for name, attack in members:
        if not getattr(attack, "budgeted", False):
            raise ValueError(f"attack ensemble member {name!r} is not a budgeted attack")
    norms = {attack.norm for _, attack in members}
    if len(norms) > 1:
        raise ValueError(f"attack ensemble members mix norms: {[(n, a.norm) for n, a in members]}")
    return norms.pop()


def worst_case(f: Logits, x: Tensor, y: Tensor, members: list[tuple[str, object]], eps: float,
               box: tuple[float, float] | None, generators, robust: Tensor | None = None,
               certified: Tensor | None = None) -> tuple[Tensor, dict[str, Tensor]]:
    """``(x_adv [G, N, ...], {name: robust [G, N] bool})`` of inputs x ``[G, N, ...]``, labels ``[G, N]``.

    ``members``: ``(name, attack)`` pairs of budgeted attacks of one norm, at least one.
    ``robust`` (optional, ``[G, N]``): the points still robust before the first member (e.g.
    under the attacks already run; by default those correctly classified at x); ``certified``
    (optional): points a sound bound proves robust, counted robust and not attacked.
    ``robust[name]``: the points robust after that member and the earlier ones; a member that
    needs more classes than the task has (``min_classes``: APGD-DLR on a binary task) is
    skipped and absent. ``x_adv`` holds, per point, the first misclassifying point found, else
    the last member's point (x where no member attacked it).
    """
    check_members(members)
    G, N = y.shape
    view = (G, -1, *([1] * (x.dim() - 2)))
    if robust is None:
        with torch.no_grad():
            robust = f(x).argmax(-1) == y
    robust = robust.clone()
    certified = torch.zeros_like(robust) if certified is None else certified & robust
    x_adv = x.detach().clone()
    out: dict[str, Tensor] = {}
    K = None
    for name, attack in members:
        if getattr(attack, "min_classes", 0) > 2:
            K = f(x[:, :1]).shape[-1] if K is None else K
            if K < attack.min_classes:
                continue  # not defined for so few classes (APGD-DLR on a binary task): skipped
        idx = (robust & ~certified).any(dim=0).nonzero().squeeze(1)
        if len(idx):
            xs, ys = x[:, idx], y[:, idx]
            cand = attack(f, xs, ys, eps, box, Rows(generators, idx, N))
            with torch.no_grad():
                ok = f(cand).argmax(-1) == ys
            keep = ~robust[:, idx]  # already misclassified: keep that point
            x_adv[:, idx] = torch.where(keep.view(view), x_adv[:, idx], cand)
            broken = certified[:, idx] & ~ok
            if broken.any():
                g, i = (int(v) for v in broken.nonzero()[0])
                raise RuntimeError(f"{name} breaks point {int(idx[i])} of model {g} at eps {eps}, which a "
                                   "bound certified: the bound is unsound")
            robust[:, idx] = robust[:, idx] & ok
        out[name] = robust.clone()
    return x_adv, out


class WorstCase:
    """Budgeted attack: the per-sample worst case of its members (registered attacks);
    ``attack.ensemble = {members: [apgd-ce, apgd-dlr, pgd-restarts]}`` (optional). Each member reads its own
    params (``attack.apgd``, ...)."""

    norm = "inf"  # the members' norm, set per instance
    budgeted = True
    param_keys: tuple[str, ...] = ("attack.ensemble",)  # an instance adds its members' keys
    #: ``lookup(name)``: the attack class registered as ``name``, where :meth:`from_params` finds
    #: the members; set by the registry (``holistic.attacks``) that registers the ensemble, so
    #: this module never imports its registry.
    lookup = None

    def __init__(self, members: list[tuple[str, object]]):
        self.norm = check_members(members)
        self.members = list(members)
        keys = [*WorstCase.param_keys, *(k for _, attack in members for k in attack.param_keys)]
        self.param_keys = tuple(dict.fromkeys(keys))

    @classmethod
    def from_params(cls, attack: dict) -> "WorstCase":
        names = list(options(attack, "ensemble", DEFAULTS)["members"])
        try:
            classes = [cls.lookup(name) for name in names]
        except ValueError as exc:
            raise ValueError(f"attack.ensemble.members: {exc}") from None
        return cls([(name, c.from_params(attack)) for name, c in zip(names, classes)])

    def settings(self) -> dict:
        return {name: attack.settings() for name, attack in self.members}

    def __call__(self, f: Logits, x: Tensor, y: Tensor, eps: float, box, generator) -> Tensor:
        return worst_case(f, x, y, self.members, eps, box, generator)[0]
