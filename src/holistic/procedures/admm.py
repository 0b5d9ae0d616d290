"""ADMM pruning, the baseline of Dinh et al.'s Table 4 (registry keys ``admm``, ``admm_channel``,
``admm_project``, ``admm_channel_project``).

Eqs. (2)-(3) state ADMM with an l1 term; the code the paper compared with (tdinh15/rvsm-rgsm-admm,
after KaiqiZhang/admm-pruning) runs the hard-constraint form instead: per layer, with the
requested sparsity s (the share of weights, or of input channels, to prune),

    Z <- Pi_S(W + U),     U <- U + W - Z,     loss + rho/2 ||W - Z + U||^2,

once per batch (before the batch's gradient step), with ``Z = Pi_S(W)``, ``U = 0`` again at the
start of every epoch. ``Pi_S`` is the exact projection onto the weights with at most
``(1 - s)`` of the entries (:func:`keep_largest`: the ``round(s n)`` smallest magnitudes go, ties by
position) or of the input channels (ranked by L2 norm) nonzero. The code's projection took the
percentile of the *signed* weights and then cut ``|w|`` below it, which for weights symmetric
about 0 prunes about 60 % at s = 80 %; its channel version recomputed the percentile inside the
loop over channels after zeroing some; a nested loop applied the pull once per layer for each
layer; none of this is copied here.

Two ways to finish, both needed for a fair Table 4:

* ``admm`` / ``admm_channel`` (*as the paper counted it*): one round; the network uses W, and
  the sparsity is that of W itself (weights exactly 0, channels of norm < 1e-15), which ADMM
  only drives towards Z, never onto it: the 10.92 % / 4.44 % of Table 4.
* ``admm_project`` / ``admm_channel_project`` (the reference pipeline): the ADMM round, then the
  final projection (the mask of ``Pi_S(W)`` at the round's end) and a round of masked
  retraining of the kept weights from there: exactly the requested sparsity. The retraining
  round must start from the ADMM round's last weights, so ``train.sparsity.rewind_epoch`` must
  be at least ``train.epochs`` (the loop rewinds every later round to that epoch of the first);
  otherwise ``n_rounds`` raises.

At matched sparsity (issue 32; ``admm_project_matched``, ``admm_channel_project_matched``): the
same as ``admm_project`` / ``admm_channel_project`` with each model's target s the sparsity (the
channel sparsity) that a source model reached (:func:`matched_target`: the evaluation's own
measures, ``holistic.evaluation.metrics``), model g's source the model of the source method
(``Study.sources``: RVSM, RGSM) trained on the same split with the same values of the source's
grid axes, which the matched procedure searches instead of ``admm_sparsity`` (its ``axes``).

The pull's gradient ``rho (W - Z + U)`` goes to the optimizer through the penalty (as for
:mod:`.rvsm`); Z and U are updated after every optimizer step (hook ``after_step``: the next
batch's ``Z, U``, the code's order) and restarted at every epoch's end (hook ``end_epoch``).
The very first batch runs with ``Z = W, U = 0`` (no pull): the procedure's state starts before
the grid axes are known.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..evaluation.metrics import channel_sparsity_percent, group_norms, input_axis, sparsity_percent
from .rgsm import expand_groups


def keep_largest(scores: Tensor, s: Tensor) -> Tensor:
    """Mask ``[G, n]`` keeping all but the ``round(s_g n)`` smallest ``scores[g]`` (``[G, n]``,
    ``s`` ``[G]`` in [0, 1]): exactly that many entries pruned per model, ties pruned in order of
    position (a stable sort)."""
    n = scores.shape[1]
    n_prune = torch.round(s.double() * n).long().clamp(0, n)
    order = torch.argsort(scores, dim=1, stable=True)
    rank = torch.empty_like(order).scatter_(1, order, torch.arange(n, device=order.device).expand_as(order))
    return rank >= n_prune.view(-1, 1)


def projection_mask(w: Tensor, s: Tensor, channel: bool, axis: int) -> Tensor:
    """The support of ``Pi_S(w)`` as a 0/1 tensor broadcastable against ``w`` ``[G, ...]``: the
    ``(1 - s)`` largest weights by magnitude, or input channels (on ``axis``) by L2 norm."""
    if channel:
        return expand_groups(keep_largest(group_norms(w, axis), s), w, axis).to(w.dtype)
    return keep_largest(w.abs().flatten(1), s).view_as(w).to(w.dtype)


def project(w: Tensor, s: Tensor, channel: bool, axis: int) -> Tensor:
    """``Pi_S(w)``: the exact projection onto sparsity s (unstructured or by input channel)."""
    return w * projection_mask(w, s, channel, axis)


def admm_update(W: Tensor, U: Tensor, s: Tensor, channel: bool, axis: int) -> tuple[Tensor, Tensor]:
    """One ADMM step of the auxiliary variables: ``Z = Pi_S(W + U)``, ``U + W - Z``."""
    Z = project(W + U, s, channel, axis)
    return Z, U + W - Z


def pull(W: list[Tensor], Z: list[Tensor], U: list[Tensor], rho: Tensor) -> Tensor:
    """The ADMM penalty ``rho/2 sum_l ||W_l - Z_l + U_l||^2`` per model ``[G]``."""
    return rho / 2 * sum((w - z + u).pow(2).flatten(1).sum(dim=1) for w, z, u in zip(W, Z, U))


def matched_target(source: dict[str, Tensor], prunable: list[str], channel: bool) -> Tensor:
    """Each source model's sparsity as a fraction ``[G]`` (float64): the share of its prunable
    weights exactly 0 (``channel``: of their input groups of norm < 1e-15), as the evaluation
    measures it (:func:`holistic.evaluation.metrics.sparsity_percent`, ``channel_sparsity_percent``)."""
    W = [source[n] for n in prunable]
    pct = channel_sparsity_percent(W, [input_axis(n) for n in prunable]) if channel else sparsity_percent(W)
    return pct.to(torch.float64) / 100


class ADMM:
    """ADMM pruning (module docstring); grid axes ``admm_rho`` (rho) and ``admm_sparsity`` (s, a
    fraction); ``channel``: prune input channels instead of weights; ``project``: the final
    projection and a masked retraining round; ``matched``: the source procedure (RVSM, RGSM) whose
    models' sparsity is the target (its grid axes replace ``admm_sparsity``; needs a source)."""

    axis_bounds = {"admm_rho": {"minimum": 0}, "admm_sparsity": {"minimum": 0, "maximum": 1}}

    def __init__(self, channel: bool = False, project: bool = False, matched=None):
        self.channel, self.project, self.needs_source = channel, project, matched is not None
        self.axes: tuple[str, ...] = ("admm_rho",) + (tuple(matched.axes) if matched is not None
                                                      else ("admm_sparsity",))
        if matched is not None:
            self.axis_bounds = {**self.axis_bounds, **matched.axis_bounds}
        self.param_keys: tuple[str, ...] = ("train.sparsity",) if project else ()  # its rewind_epoch

    def n_rounds(self, cfg) -> int:
        if self.project and cfg.rewind_epoch < cfg.epochs:
            raise ValueError(f"ADMM with the final projection retrains from the ADMM round's last weights: "
                             f"train.sparsity.rewind_epoch ({cfg.rewind_epoch}) must be at least "
                             f"train.epochs ({cfg.epochs})")
        return 2 if self.project else 1

    def init_state(self, params: dict[str, Tensor], prunable: list[str], source: dict | None = None) -> dict:
        """``Z = W``, ``U = 0`` (no pull before the first update), no mask yet; at matched sparsity
        the target of each model, from its ``source`` model (:func:`matched_target`)."""
        state = {"prunable": list(prunable), "Z": {n: params[n].detach().clone() for n in prunable},
                 "U": {n: torch.zeros_like(params[n]) for n in prunable}, "mask": None}
        if self.needs_source:
            state["target"] = matched_target(source, prunable, self.channel).to(params[prunable[0]].device)
        return state

    def target(self, state: dict, hp: dict) -> Tensor:
        """Each model's target sparsity s ``[G]``: the matched one, else the grid's ``admm_sparsity``."""
        return state["target"] if self.needs_source else hp["admm_sparsity"]

    def trainable(self, state: dict, final: bool) -> list[Tensor]:
        return []

    def _retraining(self, final: bool) -> bool:
        return self.project and final

    def effective(self, params: dict[str, Tensor], state: dict, hp: dict, final: bool, t: int, T: int):
        """ADMM round: W and the pull ``[G]``; retraining round: ``W * mask`` and no penalty."""
        if self._retraining(final):
            return {n: p * state["mask"][n] if n in state["mask"] else p for n, p in params.items()}, None
        names = state["prunable"]
        return params, pull([params[n] for n in names], [state["Z"][n] for n in names],
                            [state["U"][n] for n in names], hp["admm_rho"])

    def after_step(self, params: dict[str, Tensor], state: dict, hp: dict, final: bool) -> None:
        """``Z = Pi_S(W + U)``, ``U += W - Z`` (ADMM round only)."""
        if self._retraining(final):
            return
        for n in state["prunable"]:
            state["Z"][n], state["U"][n] = admm_update(params[n].detach(), state["U"][n], self.target(state, hp),
                                                       self.channel, input_axis(n))

    def end_epoch(self, params: dict[str, Tensor], state: dict, hp: dict, epoch: int, final: bool, trace: dict) -> None:
        """The code's restart of every epoch, ``Z = Pi_S(W)``, ``U = 0``, followed by the first
        batch's update (``U = W - Z``); with ``project``, the final projection's mask so far."""
        if self._retraining(final):
            return
        masks = {}
        for n in state["prunable"]:
            w = params[n].detach()
            masks[n] = projection_mask(w, self.target(state, hp), self.channel, input_axis(n))
            state["Z"][n] = w * masks[n]
            state["U"][n] = w - state["Z"][n]
        if self.project:
            state["mask"] = masks

    def end_round(self, state: dict, r: int, n_rounds: int, hp: dict, trace: dict) -> None:
        """Nothing: the final projection's mask is the last epoch's (:meth:`end_epoch`)."""
        return None
