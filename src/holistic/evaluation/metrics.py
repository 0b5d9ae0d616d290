"""How each model is measured, and how the measurements become the study tables' metrics.

Per model (computed by :mod:`holistic.evaluation.run`): accuracy (percent) on clean and
attacked inputs, and sparsity (percent of zero connections; Dinh et al.'s channel sparsity,
percent of input groups of norm < 1e-15, and the share of small weights). Per (configuration, data
set) the selection of Section 4 (``holistic.selection``) turns them into the metrics of
:data:`METRICS`: each names the measurement, how it is summarised over the splits, and
the direction in which it is better.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the selection and report stages read METRICS and never pay a torch import
    from torch import Tensor


def sparsity_percent(W: list[Tensor]) -> Tensor:
    """Percentage of weights (connections, not biases) exactly 0, per model ``[G]``."""
    import torch

    zeros = sum((w == 0).flatten(1).sum(dim=1) for w in W)
    total = sum(w[0].numel() for w in W)
    return 100.0 * zeros.to(torch.float64) / total


#: A channel counts as pruned when the L2 norm of its weights is below this (Dinh et al., Sect. 5).
CHANNEL_ZERO_NORM = 1e-15
#: The attack name suffix of a noise-injected model's accuracy rows measured with the noise on
#: (``holistic.evaluation.run``; the En_n nets of Dinh et al.).
NOISE_SUFFIX = "@noise"


def input_axis(name: str) -> int:
    """The input axis of a stacked weight: 1 for the MLP's ``W{l}`` ``[G, in, out]``
    (``holistic.models.mlp``), 2 for ``torch.nn`` weights ``[G, out, in, *kernel]``."""
    return 1 if name[:1] == "W" and name[1:].isdigit() else 2


def group_norms(w: Tensor, axis: int) -> Tensor:
    """L2 norm of each input group ``[G, C]`` of a stacked weight ``w`` ``[G, ...]`` whose input axis
    is ``axis``: a convolution's input channel ``w[g, :, c]`` (all filters, all kernel positions;
    the RVSM/RGSM code's norm over dims 0, 2, 3), a dense layer's input unit (its fan-out)."""
    return w.movedim(axis, 1).flatten(2).norm(dim=2)


def channel_sparsity_percent(W: list[Tensor], axes: list[int]) -> Tensor:
    """Channel sparsity of Dinh et al. (Sect. 5): the percentage of input groups (:func:`group_norms`
    of each ``W[i]`` on ``axes[i]``) whose L2 norm is below :data:`CHANNEL_ZERO_NORM`, per model
    ``[G]`` (norms in float64)."""
    import torch

    norms = [group_norms(w.double(), a) for w, a in zip(W, axes)]
    zero = sum((n < CHANNEL_ZERO_NORM).sum(dim=1) for n in norms)
    return 100.0 * zero.to(torch.float64) / sum(n.shape[1] for n in norms)


def small_weights_percent(W: list[Tensor], below: float) -> Tensor:
    """Percentage of weights with ``|w| < below`` per model ``[G]`` (Dinh et al.'s Fig. 1 counts
    ``|w| < 1e-3``; :func:`sparsity_percent` counts exact zeros)."""
    import torch

    small = sum((w.abs() < below).flatten(1).sum(dim=1) for w in W)
    return 100.0 * small.to(torch.float64) / sum(w[0].numel() for w in W)


def share_percent(mask: Tensor) -> Tensor:
    """Per-model share of true entries in percent ``[G]`` of a ``[G, N]`` bool mask (on the CPU)."""
    import torch

    return 100.0 * mask.to(torch.float64).mean(dim=1).cpu()


@dataclass(frozen=True)
class Metric:
    """A table metric: the measurement it reads, its summary over splits, its direction.
    (Its labels for documents: ``holistic.render.labels``.)"""

    measurement: str      # "accuracy" or "sparsity"
    attack: str           # "none", or the budgeted attack whose accuracy it reads
    over_splits: str      # "mean" or "min" (the worst split)
    higher_is_better: bool = True


#: The four single-objective metrics of the HDL tables A1-A4 (the selection criteria).
METRICS: dict[str, Metric] = {
    "natural_accuracy": Metric("accuracy", "none", "mean"),
    "adversarial_accuracy": Metric("accuracy", "pgd", "mean"),
    "stability": Metric("accuracy", "none", "min"),
    "sparsity": Metric("sparsity", "none", "mean"),
}
