"""The eight methods of Table 1 as on/off combinations of three loss components,
and the hyperparameter grid each one searches (Section 4, "Hyperparameter search")."""

from __future__ import annotations

import itertools
from dataclasses import dataclass


@dataclass(frozen=True)
class Components:
    robust: bool
    stable: bool
    sparse: bool


METHODS: dict[str, Components] = {
    "DL": Components(False, False, False),
    "Robust": Components(True, False, False),
    "Stable": Components(False, True, False),
    "Sparse": Components(False, False, True),
    "Robust+Sparse": Components(True, False, True),
    "Stable+Sparse": Components(False, True, True),
    "Stable+Robust": Components(True, True, False),
    "HDL": Components(True, True, True),
}


def hyperparameters(method: str) -> list[str]:
    """The grid axes a method searches: lr always; rho if robust; a if stable; lambda, beta_bar if sparse."""
    c = METHODS[method]
    names = ["lr"]
    if c.robust:
        names.append("rho")
    if c.stable:
        names.append("a")
    if c.sparse:
        names += ["lambda", "beta_bar"]
    return names


def expand_grid(method: str, grid: dict) -> list[dict]:
    """All configurations of ``method``: the Cartesian product of its axes, in a fixed order."""
    names = hyperparameters(method)
    return [dict(zip(names, values)) for values in itertools.product(*(grid[n] for n in names))]


@dataclass(frozen=True)
class ModelSpec:
    """One model of the grid: a configuration trained on one split."""

    config_id: int
    config: dict
    split: int


def model_grid(method: str, grid: dict, n_splits: int) -> list[ModelSpec]:
    """Every (configuration, split) pair of a method: the models one training job trains."""
    return [ModelSpec(i, cfg, s) for i, cfg in enumerate(expand_grid(method, grid)) for s in range(n_splits)]


def param_keys(method: str) -> list[str]:
    """The dotted params.yaml keys a training job of ``method`` depends on.

    Snakemake (rule params) and DVC (stage params) both rerun a job exactly when one
    of these changes: adding a rho value retrains the robust methods, not DL.
    """
    # train.memory_budget_mb is left out on purpose: chunking never changes a result.
    keys = ["seed", "threads", "split.preprocessing", "train.epochs",
            "train.max_steps_per_round", "train.batch_size", "train.device"]
    keys += [f"train.grid.{h}" for h in hyperparameters(method)]
    if METHODS[method].sparse:
        keys.append("train.sparsity")
    return keys
