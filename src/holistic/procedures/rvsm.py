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

The coupling enters as the penalty ``beta/2 ||w - H_gamma(w)||^2`` with u detached
(:meth:`RVSM.effective`), whose gradient is Alg. 1's ``beta (w - u)``: the optimizer takes the
gradient of eq. (4) in w, as Alg. 1 does (with plain SGD this is Alg. 1 exactly). The paper's
RVSM code (``main_rvsm.py``) does the same, ``weight.grad += beta (w - u)`` before its Nesterov
SGD step, so momentum and weight decay act on the coupling too. u is recomputed from the current
w at every step. Which weights: the model's ``prunable`` ones (for the residual nets every weight
layer but the classifier, as the code prunes the convolution kernels).

What the threshold finds already at the start (issue 32): the share of the prunable weights a
model draws at or below gamma (:func:`below_threshold_percent`, the complement of
:func:`kept` on the initial weights), logged once as the trace entry :data:`INIT_KEY` (``[[G]]``:
one entry, per model; the train job's log field ``trace``), so a table can show how much of the
final sparsity the initialiser alone gives.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..train.adam import per_model
from .single import Single
from .sparse_trace import log_epoch

#: The trace entry of the share (%) of each model's prunable weights at or below gamma at initialisation.
INIT_KEY = "sparse_init_below_gamma"


def threshold(lam: Tensor, beta: Tensor) -> Tensor:
    """``gamma = sqrt(2 lambda / beta)`` per model ``[G]``."""
    return torch.sqrt(2 * lam / beta)


def kept(w: Tensor, gamma: Tensor) -> Tensor:
    """The entries ``H_gamma`` keeps: ``|w| > gamma`` (strict; ``w`` ``[G, ...]``, ``gamma`` ``[G]``)."""
    return w.abs() > per_model(gamma, w)


def hard_threshold(w: Tensor, gamma: Tensor) -> Tensor:
    """``H_gamma(w)``: the entries of ``w`` ``[G, ...]`` with ``|w| > gamma`` (``[G]``, :func:`kept`),
    zero elsewhere."""
    return torch.where(kept(w, gamma), w, torch.zeros_like(w))


def below_threshold_percent(W: list[Tensor], gamma: Tensor) -> Tensor:
    """The share (%) of the weights of ``W`` (``[G, ...]`` each) that ``H_gamma`` zeroes (``|w| <=
    gamma``: not :func:`kept`), per model ``[G]`` (float64)."""
    cut = sum((~kept(w, gamma)).flatten(1).sum(dim=1) for w in W)
    return 100.0 * cut.to(torch.float64) / sum(w[0].numel() for w in W)


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

    def init_state(self, params: dict[str, Tensor], prunable: list[str], hp: dict | None = None) -> dict:
        """The prunable weights' names and (with ``hp``) the share of them at or below gamma now, at
        initialisation (``[G]``, %)."""
        state = {"prunable": list(prunable)}
        if hp is not None:
            gamma = threshold(hp["rvsm_lambda"], hp["rvsm_beta"])
            state["init_below_gamma"] = below_threshold_percent([params[n].detach() for n in prunable], gamma)
        return state

    def effective(self, params: dict[str, Tensor], state: dict, hp: dict, final: bool, t: int, T: int):
        """The weights w themselves, and the penalty ``beta/2 ||w - H_gamma(w)||^2`` ``[G]`` (u detached)."""
        gamma = threshold(hp["rvsm_lambda"], hp["rvsm_beta"])
        W = [params[n] for n in state["prunable"]]
        return params, coupling(W, [hard_threshold(w.detach(), gamma) for w in W], hp["rvsm_beta"])

    def end_epoch(self, params: dict[str, Tensor], state: dict, hp: dict, epoch: int, final: bool, trace: dict) -> None:
        """``w <- u = H_gamma(w)`` (in place; the loop runs this under no_grad, before validation);
        the initial share below gamma goes to the trace once (:func:`log_initial`)."""
        gamma = threshold(hp["rvsm_lambda"], hp["rvsm_beta"])
        for n in state["prunable"]:
            params[n].copy_(hard_threshold(params[n], gamma))
        log_initial(state, trace)


def log_initial(state: dict, trace: dict) -> None:
    """``trace[INIT_KEY] = [[share_g, ...]]`` (one entry, per model) the first time, where the state has it."""
    if INIT_KEY not in trace and "init_below_gamma" in state:
        log_epoch(trace, INIT_KEY, state["init_below_gamma"])
