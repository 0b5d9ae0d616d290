"""A training method as a composition of registered pieces.

A method names one model (``holistic.models.MODELS``), one per-sample loss
(``holistic.objectives.LOSSES``), one reduction of the per-sample losses to a
per-model objective (``holistic.objectives.REDUCTIONS``) and one training
procedure (``holistic.procedures.PROCEDURES``), and how it is trained: an optimizer and a
learning-rate schedule (``holistic.train.optimizers``) and an initialiser
(``holistic.models.INITIALISERS``), by default Adam, constant, the model's own. Everything a workflow needs to
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
    """One training method: registry keys of its pieces, and (``settings``) the values of its
    pieces' ``train.<section>`` settings that make it this method, as ``(("imp.reset",
    "random"), ...)`` pairs over the params' (e.g. Cosentino et al.'s three reset strategies
    of one procedure). Their sections stay in :meth:`param_keys` (a params change reruns the
    method's jobs); a fixed value wins over the params' value (:meth:`with_settings`)."""

    loss: str = "ce"
    reduction: str = "mean"
    procedure: str = "single"
    model: str = "mlp"
    settings: tuple[tuple[str, object], ...] = ()
    optimizer: str = "adam"        # holistic.train.optimizers.OPTIMIZERS
    lr_schedule: str = "constant"  # holistic.train.optimizers.LR_SCHEDULES
    initialiser: str = "glorot"    # holistic.models.INITIALISERS

    def with_settings(self, sections: dict) -> dict:
        """The ``train`` sub-sections ``sections`` (``{"imp": {...}}``) with this method's fixed
        ``settings`` applied (a new dict; the given one is not changed)."""
        out = {k: dict(v) if isinstance(v, dict) else v for k, v in sections.items()}
        for dotted, value in self.settings:
            section, key = dotted.split(".", 1)
            out[section] = {**(out.get(section) or {}), key: value}
        return out

    def pieces(self) -> list:
        """The registered piece objects, in the order their axes are searched."""
        from .models import MODELS
        from .objectives import LOSSES, REDUCTIONS
        from .procedures import PROCEDURES

        return [MODELS[self.model], LOSSES[self.loss], REDUCTIONS[self.reduction], PROCEDURES[self.procedure]]

    def training_pieces(self) -> list:
        """The registered optimizer, learning-rate schedule and initialiser; ValueError naming the
        field and the registered names for one that is not registered."""
        from .models import INITIALISERS
        from .train.optimizers import LR_SCHEDULES, OPTIMIZERS

        out = []
        for field, registry in (("optimizer", OPTIMIZERS), ("lr_schedule", LR_SCHEDULES),
                                ("initialiser", INITIALISERS)):
            name = getattr(self, field)
            if name not in registry:
                raise ValueError(f"Method.{field} {name!r}: not registered; known: {', '.join(registry)}")
            out.append(registry[name])
        return out

    def axes(self) -> list[str]:
        """The grid axes the method searches: ``lr``, then each piece's own axes (the optimizer's
        last, e.g. SGD's ``momentum``, ``weight_decay``)."""
        names = ["lr"]
        for piece in [*self.pieces(), *self.training_pieces()]:
            names += [a for a in piece.axes if a not in names]
        return names

    def param_keys(self) -> list[str]:
        """The dotted params keys a training job of this method depends on: a change of
        one of them reruns exactly the jobs of the methods that read it."""
        keys = list(TRAIN_KEYS) + [f"train.grid.{a}" for a in self.axes()]
        for piece in [*self.pieces(), *self.training_pieces()]:
            keys += [k for k in piece.param_keys if k not in keys]
        return keys

    def check_training(self, train: dict) -> tuple[str, str] | None:
        """The first ``(field, reason)`` where the params' ``train`` section (with this method's fixed
        ``settings``) does not suit its optimizer, schedule or procedure (``piece.check``: e.g.
        ``train.imp.paper_prunes``); None where it does."""
        train = self.with_settings(train)
        for piece in [*self.training_pieces(), self.pieces()[3]]:
            bad = piece.check(train) if hasattr(piece, "check") else None
            if bad is not None:
                return bad
        return None

    def expand_grid(self, grid: dict) -> list[dict]:
        """All configurations: the Cartesian product of the method's axes, in a fixed order."""
        names = self.axes()
        return [dict(zip(names, values)) for values in itertools.product(*(grid[n] for n in names))]


@dataclass(frozen=True)
class ModelSpec:
    """One model of the grid: a configuration trained on one split; for a procedure with
    ``round_results`` (every round's model kept: iterative pruning), also the ``round`` (0: the
    dense training), its ``kept_percent`` (the share of prunable weights kept, P_m) and
    ``stop_step`` (the round's early-stopping iteration). Unset (None) otherwise."""

    config_id: int
    config: dict
    split: int
    round: int | None = None
    kept_percent: float | None = None
    stop_step: int | None = None

    def record(self) -> dict:
        """The spec as JSON: its grid entry, with the round fields only where set (so the
        files of a method without rounds are as before)."""
        out = {"config_id": self.config_id, "config": self.config, "split": self.split}
        out.update({k: v for k, v in (("round", self.round), ("kept_percent", self.kept_percent),
                                       ("stop_step", self.stop_step)) if v is not None})
        return out


#: The fields of a round model's spec beside the grid entry (:class:`ModelSpec`).
ROUND_FIELDS = ("round", "kept_percent", "stop_step")


def model_grid(method: Method, grid: dict, n_splits: int) -> list[ModelSpec]:
    """Every (configuration, split) pair of a method: the models one training job trains."""
    return [ModelSpec(i, cfg, s) for i, cfg in enumerate(method.expand_grid(grid)) for s in range(n_splits)]


#: Bounds of the one axis every method has (the optimizer's learning rate), as JSON schema.
LR_BOUNDS = {"exclusiveMinimum": 0}


def all_axes() -> dict[str, dict]:
    """Every grid axis of every registered piece, with the JSON-schema bounds of its values
    (a piece's ``axis_bounds``): the schema's ``train.grid`` properties."""
    from .models import INITIALISERS, MODELS
    from .objectives import LOSSES, REDUCTIONS
    from .procedures import PROCEDURES
    from .train.optimizers import LR_SCHEDULES, OPTIMIZERS

    axes = {"lr": dict(LR_BOUNDS)}
    for registry in (MODELS, LOSSES, REDUCTIONS, PROCEDURES, OPTIMIZERS, LR_SCHEDULES, INITIALISERS):
        for piece in registry.values():
            for a in piece.axes:
                axes.setdefault(a, dict(getattr(piece, "axis_bounds", {}).get(a, {})))
    return axes


# --------------------------------------------------------------------------- replicates

#: A replicate's name: its method's, ``@seed+`` and its seed offset (``DL@seed+1``). A replicate
#: (``studies.<study>.replicates``: method -> seed offsets) is a train job of its method that
#: trains and measures exactly as the method's does, with ``seed`` + offset: a second run of the
#: protocol, for the seed-to-seed agreement of a run (e.g. the ceiling of a fidelity table).
REPLICATE_MARK = "@seed+"


def replicate_name(method: str, offset: int) -> str:
    """The train job's method name of ``method``'s replicate at seed offset ``offset``."""
    return f"{method}{REPLICATE_MARK}{offset}"


def split_replicate(name: str) -> tuple[str, int]:
    """``DL@seed+1`` -> ``("DL", 1)``; a method's own name -> ``(name, 0)``. ValueError for a
    replicate name whose offset is not an integer >= 1."""
    base, mark, offset = name.rpartition(REPLICATE_MARK)
    if not mark:
        return name, 0
    if not (offset.isascii() and offset.isdigit()) or int(offset) < 1 or not base:
        raise ValueError(f"replicate name {name!r}: expected <method>{REPLICATE_MARK}<offset >= 1>")
    return base, int(offset)


def replicate_group(offset: int) -> str:
    """The folder name of the replicates at seed offset ``offset`` (``seed+1``): their selection."""
    return f"{REPLICATE_MARK.lstrip('@')}{offset}"


# --------------------------------------------------------------------------- step budgets

#: A step budget's name: its method's, ``@steps=`` and the budget (``natural-init@steps=2016``). A
#: budget (``studies.<study>.step_budgets``: method -> budgets) is a train job of its method that
#: trains and measures exactly as the method's does, with rounds of at most that many optimizer
#: steps (:func:`holistic.jobs.train.run_params`): one point of a training-length sweep, in no table.
STEPS_MARK = "@steps="


def budget_name(method: str, steps: int) -> str:
    """The train job's method name of ``method`` at the step budget ``steps``."""
    return f"{method}{STEPS_MARK}{steps}"


def split_budget(name: str) -> tuple[str, int | None]:
    """``natural-init@steps=2016`` -> ``("natural-init", 2016)``; any other name -> ``(name, None)``.
    ValueError for a budget name whose budget is not an integer >= 1."""
    base, mark, steps = name.rpartition(STEPS_MARK)
    if not mark:
        return name, None
    if not (steps.isascii() and steps.isdigit()) or int(steps) < 1 or not base:
        raise ValueError(f"step budget name {name!r}: expected <method>{STEPS_MARK}<steps >= 1>")
    return base, int(steps)


def base_method(name: str) -> str:
    """The study's method a train job's method name trains: ``DL@seed+1`` (a replicate) and
    ``DL@steps=2000`` (a step budget) -> ``DL``; a method's own name -> itself. ValueError for a
    malformed replicate or budget name."""
    return split_replicate(split_budget(name)[0])[0]
