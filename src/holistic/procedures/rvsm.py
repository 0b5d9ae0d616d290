"""Relaxed variable splitting (RVSM), Algorithm 1 of Dinh et al. (registry key ``rvsm``).

The relaxed augmented Lagrangian, eq. (4):

    L_beta(w, u) = f(w) + lambda ||u||_0 + beta/2 ||w - u||^2,

minimised by Alg. 1, per batch:

    w <- w - eta grad f(w) - eta beta (w - u),     u <- H_gamma(w),   gamma = sqrt(2 lambda / beta),

where ``H_gamma`` keeps the entries with ``|w_i| > gamma`` and zeroes the rest (the exact
argmin of eq. (4) over u). At the end of every epoch w is replaced by u (the code's
``replace_weight`` does so permanently), so the validated and kept weights are exactly sparse.
Theorem 1: for f L-smooth and ``eta < 2 / (beta + L)``, ``L_beta(w^t, u^t)`` is non-increasing
(tested on the path training runs: plain gradient steps on f plus :meth:`RVSM.effective`'s penalty).

On the platform each model has its own Adam, not the paper's SGD, so the w-step is not the
optimizer's own: the coupling enters as the penalty ``beta/2 ||w - H_gamma(w)||^2`` with u
detached (:meth:`RVSM.effective`), whose gradient is Alg. 1's ``beta (w - u)``. The optimizer
then takes the gradient of eq. (4) in w, as Alg. 1 does (with plain SGD this is Alg. 1
exactly). Applying ``w -= eta beta (w - u)`` beside the optimizer, as the code does before its
(momentum) SGD step, would scale the pull by Adam's learning rate (1e-3 where SGD has 0.1) and
not by Adam's per-weight normalisation, so beta would lose the strength it has relative to
grad f in the paper. u is recomputed from the current w at every step (the code recomputes
it after every optimizer step). Which weights: the model's ``prunable`` ones (for the residual
nets every weight layer but the classifier, as the code prunes the convolution kernels only).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..train.adam import per_model
from .single import Single


def threshold(lam: Tensor, beta: Tensor) -> Tensor:
    """``gamma = sqrt(2 lambda / beta)`` per model ``[G]``."""
    return torch.sqrt(2 * lam / beta)


def hard_threshold(w: Tensor, gamma: Tensor) -> Tensor:
    """``H_gamma(w)``: the entries of ``w`` ``[G, ...]`` with ``|w| > gamma`` (``[G]``, strict), zero elsewhere."""
    return torch.where(w.abs() > per_model(gamma, w), w, torch.zeros_like(w))


def coupling(W: list[Tensor], U: list[Tensor], beta: Tensor) -> Tensor:
    """``beta/2 sum_l ||w_l - u_l||^2`` per model ``[G]``."""
    return beta / 2 * sum((w - u).pow(2).flatten(1).sum(dim=1) for w, u in zip(W, U))


class RVSM(Single):
    """Registry entry ``rvsm``: one round; grid axes ``rvsm_beta`` (beta) and ``rvsm_lambda``
    (lambda); the penalty of :func:`coupling` at every step and ``w <- H_gamma(w)`` at every
    epoch's end (hook ``end_epoch``)."""

    axes: tuple[str, ...] = ("rvsm_beta", "rvsm_lambda")
    axis_bounds = {"rvsm_beta": {"exclusiveMinimum": 0}, "rvsm_lambda": {"minimum": 0}}
    param_keys: tuple[str, ...] = ()

    def init_state(self, params: dict[str, Tensor], prunable: list[str]) -> dict:
        return {"prunable": list(prunable)}

    def effective(self, params: dict[str, Tensor], state: dict, hp: dict, final: bool, t: int, T: int):
        """The weights w themselves, and the penalty ``beta/2 ||w - H_gamma(w)||^2`` ``[G]`` (u detached)."""
        gamma = threshold(hp["rvsm_lambda"], hp["rvsm_beta"])
        W = [params[n] for n in state["prunable"]]
        return params, coupling(W, [hard_threshold(w.detach(), gamma) for w in W], hp["rvsm_beta"])

    def end_epoch(self, params: dict[str, Tensor], state: dict, hp: dict, epoch: int, final: bool, trace: dict) -> None:
        """``w <- u = H_gamma(w)`` (in place; the loop runs this under no_grad, before validation)."""
        gamma = threshold(hp["rvsm_lambda"], hp["rvsm_beta"])
        for n in state["prunable"]:
            params[n].copy_(hard_threshold(params[n], gamma))
