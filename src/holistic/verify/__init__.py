"""Verified (certified) L-inf robustness bounds for stacks of G networks, one line per method.

A network is a list of layers (:mod:`holistic.verify.layers`: ``from_mlp``, ``from_module``).
``bounds(method, layers, x, y, eps, box)`` returns lower bounds ``[G, N, K-1]`` of the margins
``z_y(x') - z_i(x')`` (i != y, increasing i) over ``x' in {||x' - x||_inf <= eps} ∩ box``
(:mod:`holistic.verify.spec`), for inputs ``x [G, N, *input_shape]`` and labels ``y [G, N]``,
every model and point at once. A point is verified iff all its K-1 lower bounds are > 0;
since x is in the set, that implies it is correctly classified at x (strictly:
``z_y(x) > z_i(x)`` for all i != y), so no separate accuracy check is needed, and at
``eps = 0`` the verified accuracy is the natural accuracy (every method is exact there).
"""

from __future__ import annotations

import torch
from torch import Tensor

from .crown import crown_bounds, crown_ibp_bounds
from .ibp import ibp_bounds
from .layers import Layer, n_outputs
from .spec import input_set, specification

BOUNDS = {
    "ibp": ibp_bounds,              # interval bound propagation, Gowal et al. 2018
    "crown": crown_bounds,          # full CROWN, Zhang et al. 2018
    "crown-ibp": crown_ibp_bounds,  # IBP intermediate bounds + CROWN last layer, Zhang et al. 2020
}


def lookup(method: str):
    """The bound registered as ``method``; ValueError naming the known ones otherwise."""
    if method not in BOUNDS:
        raise ValueError(f"unknown bound {method!r}; registered: {', '.join(BOUNDS)}")
    return BOUNDS[method]


def bounds(method: str, layers: list[Layer], x: Tensor, y: Tensor, eps: float,
           box: tuple[float, float] | None = None, chunk: int | None = None) -> Tensor:
    """Lower bounds ``[G, N, K-1]`` of the margins ``z_y - z_i`` over the ball ∩ box.

    ``chunk``: points per pass (bounds memory; every point's bounds are independent of the
    others, so the result does not depend on it). ``None``: all N points in one pass.
    """
    bound = lookup(method)
    C = specification(y, n_outputs(layers, x), x.dtype)
    lower, upper = input_set(x, eps, box)
    step = x.shape[1] if chunk is None else chunk
    with torch.no_grad():
        parts = [bound(layers, lower[:, s:s + step], upper[:, s:s + step], C[:, s:s + step])
                 for s in range(0, x.shape[1], max(step, 1))]
    return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)


def verified_accuracy(method: str, layers: list[Layer], x: Tensor, y: Tensor, eps: float,
                      box: tuple[float, float] | None = None, chunk: int | None = None) -> Tensor:
    """Per-model verified accuracy in percent ``[G]``: the share of points whose K-1 margin
    lower bounds are all > 0 (which implies correct classification at x)."""
    verified = (bounds(method, layers, x, y, eps, box, chunk) > 0).all(dim=-1)
    return 100.0 * verified.to(torch.float64).mean(dim=1)
