"""A training method as a composition of registered pieces.

A method names one model (``holistic.models.MODELS``), one per-sample loss
(``holistic.objectives.LOSSES``), one reduction of the per-sample losses to a
per-model objective (``holistic.objectives.REDUCTIONS``) and one training
procedure (``holistic.procedures.PROCEDURES``). Everything a workflow needs to
know about the method (its grid axes, the params keys its training job depends on,
the schema fragment of those axes) is derived from the pieces, never typed twice.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

#: Params keys every training job depends on. ``train.memory_budget_mb`` is left out on
#: purpose: chunking never changes a result.
TRAIN_KEYS = ("seed", "threads", "split.preprocessing", "train.epochs", "train.max_steps_per_round",
              "train.min_steps_per_round", "train.select_every_steps", "train.batch_size", "train.device")


@dataclass(frozen=True)
class Method:
    """One training method: registry keys of its pieces."""

    loss: str = "ce"
    reduction: str = "mean"
    procedure: str = "single"
    model: str = "mlp"

    def pieces(self) -> list:
        """The registered piece objects, in the order their axes are searched."""
        from .models import MODELS
        from .objectives import LOSSES, REDUCTIONS
        from .procedures import PROCEDURES

        return [MODELS[self.model], LOSSES[self.loss], REDUCTIONS[self.reduction], PROCEDURES[self.procedure]]

    def axes(self) -> list[str]:
        """The grid axes the method searches: ``lr``, then each piece's own axes."""
        names = ["lr"]
        for piece in self.pieces():
            names += [a for a in piece.axes if a not in names]
        return names

    def param_keys(self) -> list[str]:
        """The dotted params keys a training job of this method depends on: a change of
        one of them reruns exactly the jobs of the methods that read it."""
        keys = list(TRAIN_KEYS) + [f"train.grid.{a}" for a in self.axes()]
        for piece in self.pieces():
            keys += [k for k in piece.param_keys if k not in keys]
        return keys

    def expand_grid(self, grid: dict) -> list[dict]:
        """All configurations: the Cartesian product of the method's axes, in a fixed order."""
        names = self.axes()
        return [dict(zip(names, values)) for values in itertools.product(*(grid[n] for n in names))]


@dataclass(frozen=True)
class ModelSpec:
    """One model of the grid: a configuration trained on one split."""

    config_id: int
    config: dict
    split: int


def model_grid(method: Method, grid: dict, n_splits: int) -> list[ModelSpec]:
    """Every (configuration, split) pair of a method: the models one training job trains."""
    return [ModelSpec(i, cfg, s) for i, cfg in enumerate(method.expand_grid(grid)) for s in range(n_splits)]


#: Bounds of the one axis every method has (Adam's learning rate), as JSON schema.
LR_BOUNDS = {"exclusiveMinimum": 0}


def all_axes() -> dict[str, dict]:
    """Every grid axis of every registered piece, with the JSON-schema bounds of its values
    (a piece's ``axis_bounds``): the schema's ``train.grid`` properties."""
    from .models import MODELS
    from .objectives import LOSSES, REDUCTIONS
    from .procedures import PROCEDURES

    axes = {"lr": dict(LR_BOUNDS)}
    for registry in (MODELS, LOSSES, REDUCTIONS, PROCEDURES):
        for piece in registry.values():
            for a in piece.axes:
                axes.setdefault(a, dict(getattr(piece, "axis_bounds", {}).get(a, {})))
    return axes
