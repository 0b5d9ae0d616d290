"""Relaxed group-wise splitting (RGSM), Algorithm 2 of Dinh et al. (registry key ``rgsm``):
channel pruning.

The objective carries the group lasso, eq. (5): ``f~(w) = f(w) + lambda_2 ||w||_GL`` with
``||w||_GL = sum_g ||w_g||_2``; per batch

    w <- w - eta grad f~(w) - eta beta (w - u),     u_g = Prox_{G l0}(w_g),

and at every epoch's end w is replaced by u (the code swaps the weights with their
thresholded copy). Eq. (6)'s group-l0 prox reads ``w_g 1[||w_g||_2 != sqrt(2 lambda)]``, a typo:
the exact argmin of ``lambda_1 1[u_g != 0] + beta/2 ||w_g - u_g||^2`` (and the code's
``rgsm_l0``) keeps group g iff ``||w_g||_2 > sqrt(2 lambda_1 / beta)`` (:func:`prox_group_l0`).

Groups are input channels: for a convolution ``[G, out, in, kh, kw]`` the weights of input
channel c over all filters and kernel positions (the code's norm over dims 0, 2, 3), for a
dense layer the fan-out of one input unit (``holistic.evaluation.metrics.group_norms``).
As in :mod:`.rvsm`, the coupling ``beta (w - u)`` enters through the penalty
``beta/2 ||w - u||^2`` with u detached, so the optimizer takes the gradient of the relaxed
Lagrangian (the RGSM code, ``main_pgd_resnet_rgsm.py``, instead subtracts ``lr beta (w - u)``
from the weights before its Nesterov SGD step, outside the momentum); the group lasso uses the
exact norm (its subgradient at a zero group is 0; the code smooths it as ``sqrt(||w_g||^2 +
1e-8)``). As for RVSM, the share of input groups at or below the threshold at initialisation
(:func:`groups_below_percent`) goes to the trace once (:data:`.rvsm.INIT_KEY`).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..evaluation.metrics import group_norms, input_axis
from .rvsm import coupling, log_initial, threshold
from .single import Single


def group_lasso(W: list[Tensor], axes: list[int]) -> Tensor:
    """Eq. (5), ``||w||_GL = sum_g ||w_g||_2`` over the input groups of every ``W[i]`` (input axis
    ``axes[i]``), per model ``[G]``."""
    return sum(group_norms(w, a).sum(dim=1) for w, a in zip(W, axes))


def expand_groups(keep: Tensor, w: Tensor, axis: int) -> Tensor:
    """A per-group mask ``[G, C]`` as ``[G, 1, .., C, .., 1]``, broadcastable against ``w`` (C on ``axis``)."""
    shape = [w.shape[0]] + [1] * (w.dim() - 1)
    shape[axis] = w.shape[axis]
    return keep.view(shape)


def groups_kept(w: Tensor, axis: int, gamma: Tensor) -> Tensor:
    """The input groups ``[G, C]`` eq. (6)'s group-l0 prox keeps: ``||w_g||_2 > gamma`` (``[G]``, strict)."""
    return group_norms(w, axis) > gamma.view(-1, 1)


def prox_group_l0(w: Tensor, axis: int, gamma: Tensor) -> Tensor:
    """Eq. (6)'s group-l0 prox (typo corrected): ``w_g`` where ``||w_g||_2 > gamma`` (``[G]``,
    strict; ``gamma = sqrt(2 lambda_1 / beta)``, :func:`groups_kept`), 0 elsewhere; ``w`` ``[G, ...]``."""
    return w * expand_groups(groups_kept(w, axis, gamma), w, axis).to(w.dtype)


def groups_below_percent(W: list[Tensor], axes: list[int], gamma: Tensor) -> Tensor:
    """The share (%) of the input groups of ``W`` (input axis ``axes[i]``) that the prox zeroes
    (norm at most gamma: not :func:`groups_kept`), per model ``[G]`` (float64)."""
    kept = [groups_kept(w, a, gamma) for w, a in zip(W, axes)]
    cut = sum((~k).sum(dim=1) for k in kept)
    return 100.0 * cut.to(torch.float64) / sum(k.shape[1] for k in kept)


class RGSM(Single):
    """Registry entry ``rgsm``: one round; grid axes ``rgsm_beta`` (beta), ``rgsm_lambda1``
    (the group-l0 weight lambda_1) and ``rgsm_lambda2`` (the group-lasso weight lambda_2);
    penalty ``lambda_2 ||w||_GL + beta/2 ||w - u||^2`` at every step, ``w <- u`` at every epoch's
    end (hook ``end_epoch``)."""

    axes: tuple[str, ...] = ("rgsm_beta", "rgsm_lambda1", "rgsm_lambda2")
    axis_bounds = {"rgsm_beta": {"exclusiveMinimum": 0}, "rgsm_lambda1": {"minimum": 0},
                   "rgsm_lambda2": {"minimum": 0}}
    param_keys: tuple[str, ...] = ()

    def init_state(self, params: dict[str, Tensor], prunable: list[str], hp: dict | None = None) -> dict:
        """The prunable weights' names and (with ``hp``) the share of their input groups at or below
        the threshold now, at initialisation (``[G]``, %)."""
        state = {"prunable": list(prunable)}
        if hp is not None:
            gamma = threshold(hp["rgsm_lambda1"], hp["rgsm_beta"])
            W = [params[n].detach() for n in prunable]
            state["init_below_gamma"] = groups_below_percent(W, [input_axis(n) for n in prunable], gamma)
        return state

    def effective(self, params: dict[str, Tensor], state: dict, hp: dict, final: bool, t: int, T: int):
        """The weights w themselves, and ``lambda_2 ||w||_GL + beta/2 ||w - u||^2`` ``[G]``."""
        names = state["prunable"]
        W, axes = [params[n] for n in names], [input_axis(n) for n in names]
        gamma = threshold(hp["rgsm_lambda1"], hp["rgsm_beta"])
        U = [prox_group_l0(w.detach(), a, gamma) for w, a in zip(W, axes)]
        return params, hp["rgsm_lambda2"] * group_lasso(W, axes) + coupling(W, U, hp["rgsm_beta"])

    def end_epoch(self, params: dict[str, Tensor], state: dict, hp: dict, epoch: int, final: bool, trace: dict) -> None:
        """``w <- u``: the groups of norm at most ``sqrt(2 lambda_1 / beta)`` become exactly 0."""
        gamma = threshold(hp["rgsm_lambda1"], hp["rgsm_beta"])
        for n in state["prunable"]:
            params[n].copy_(prox_group_l0(params[n], input_axis(n), gamma))
        log_initial(state, trace)
