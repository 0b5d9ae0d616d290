"""The verification problem: the input set, the specification matrix, concretisation.

Input set (per point, per coordinate): the L-inf ball intersected with the valid box,

    X(x) = {x' : ||x' - x||_inf <= eps} ∩ [lo, hi]^D = [max(x - eps, lo), min(x + eps, hi)],

itself a box, ``lower, upper`` ``[G, N, *input_shape]`` (``box=None``: ``x -/+ eps``).

Specification (SparseVLR, eq. 3): for label y the K-1 rows i != y (increasing i, the order
of ``holistic.models.mlp.other_classes``) with ``C[i, y] = 1``, ``C[i, i] = -1``, so
``(C z)_i = z_y - z_i``; ``C`` is ``[G, N, K-1, K]`` from labels ``[G, N]``. A point is
verified when every lower bound of ``C z(x')`` over ``x' in X(x)`` is > 0.

Concretisation: the minimum of a linear function ``a^T x' + c`` over the box ``[l, u]`` is
``a^+ l + a^- u + c = a^T m - |a|^T r + c`` with ``m = (u + l) / 2``, ``r = (u - l) / 2``
(the centre-radius form is used: the same value, one product with ``|A|`` instead of two).
"""

from __future__ import annotations

import torch
from torch import Tensor


def input_set(x: Tensor, eps: float, box: tuple[float, float] | None) -> tuple[Tensor, Tensor]:
    """``(lower, upper)`` ``[G, N, *input_shape]`` of ``{x' : ||x' - x||_inf <= eps} ∩ box``."""
    lower, upper = x - eps, x + eps
    if box is not None:
        lower, upper = lower.clamp(min=box[0]), upper.clamp(max=box[1])
    return lower, upper


def other_classes(y: Tensor, K: int) -> Tensor:
    """For each label y the K-1 classes i != y, in increasing order: ``[..., K-1]``."""
    i = torch.arange(K - 1, device=y.device)
    return i + (i >= y.unsqueeze(-1)).long()


def specification(y: Tensor, K: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """``C`` ``[G, N, K-1, K]``: row i (i != y) is ``e_y - e_i``, so ``C z`` are the margins ``z_y - z_i``."""
    C = torch.zeros(*y.shape, K - 1, K, dtype=dtype, device=y.device)
    C.scatter_(-1, y[..., None, None].expand(*y.shape, K - 1, 1), 1.0)
    return C.scatter_(-1, other_classes(y, K).unsqueeze(-1), -1.0)


def concretize(A: Tensor, const: Tensor, lower: Tensor, upper: Tensor, overwrite: bool = False) -> Tensor:
    """``min_{x' in [lower, upper]} A x' + const`` ``[G, N, S]``, for rows ``A [G, n, S, *input_shape]``
    (``n = 1``: the same rows for every point) and ``const [G, n, S]``. ``overwrite``: A is a
    temporary that may be overwritten by ``|A|`` (saves one copy of the largest tensor)."""
    G, n, S = A.shape[:3]
    mid = ((upper + lower) / 2).flatten(2).unsqueeze(-1)  # [G, N, D, 1]
    rad = ((upper - lower) / 2).flatten(2).unsqueeze(-1)
    A = A.reshape(G, n, S, -1)
    if n == 1:
        a = A[:, 0]  # [G, S, D]: one bmm for all points
        value = torch.bmm(mid.squeeze(-1), a.transpose(1, 2)) - torch.bmm(rad.squeeze(-1), a.abs().transpose(1, 2))
    else:
        value = (A @ mid).squeeze(-1)
        value = value - ((A.abs_() if overwrite and A.is_contiguous() else A.abs()) @ rad).squeeze(-1)
    return value + const
