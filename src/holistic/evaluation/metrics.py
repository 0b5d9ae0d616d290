"""How each model is measured, and how the measurements become the study tables' metrics.

Per model (computed by :mod:`holistic.evaluation.run`): accuracy (percent) on clean and
attacked inputs, and sparsity (percent of zero connections). Per (configuration, data
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
