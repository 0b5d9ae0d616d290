"""The header lines of each image table: the radii compared, the network (the paper's ALEX CNN
or not) and the run's other departures from the paper's protocol for the image sets, from the
merged params (``aggregate.adversarial_eps``, ``split`` with ``split.per_dataset.<data set>``,
``train.epochs``, ``train.grid`` and ``studies.hdl.model``).
"""

from __future__ import annotations

import math
from typing import Mapping

from ....config import lookup, method_params, method_train
from ....data.splits import split_params
from ....fidelity.protocol import per_method
from ....records.evals import tables_eps
from ..methods import BASELINE, METHODS
from .tables import PAPER_RADIUS, TABLES

#: The network of Tables 2-4 (the published code's ``alex``) and how the paper names it.
PAPER_MODEL, PAPER_MODEL_LABEL = "alex", "ALEX CNN"
#: Protocol of Section 4 for the image sets: epochs per round, train/validation splits.
PAPER_PROTOCOL = {"epochs": 50, "n_splits": 10}
#: Values per grid axis in the paper (lr, rho, lambda, beta_bar, a: 2x5x3x2x4).
PAPER_GRID = {"lr": 2, "rho": 5, "lambda": 3, "beta_bar": 2, "a": 4}


def run_model(params: Mapping) -> str:
    """The network of the run: ``studies.hdl.model``, else the methods' own (``mlp``)."""
    return lookup(params, "studies.hdl.model") or METHODS[BASELINE].model


def run_epochs(params: Mapping):
    """``train.epochs`` of the run's methods: one number, or where ``studies.hdl.method_train`` gives
    a method its own, each method's named ("10 (Robust: 20)": :func:`holistic.fidelity.protocol.per_method`)."""
    methods = list(lookup(params, "studies.hdl.methods") or METHODS)
    if not any(method_train(params, "hdl", m) is not None for m in methods):
        return lookup(params, "train.epochs")
    return per_method({m: lookup(method_params(params, "hdl", m), "train.epochs") for m in methods},
                      [m for m in methods if method_train(params, "hdl", m) is None])


def table_notes(params: Mapping, dataset: str) -> list[str]:
    """Header lines of one data set's table: the radii compared, the architecture flag
    (the run's network is not ALEX) and the other departures from the paper's protocol
    (epochs, splits, grid sizes, a slice of the rows)."""
    table = TABLES.get(dataset, "the paper")
    notes = []
    eps = tables_eps(params, dataset=dataset)
    paper_eps = PAPER_RADIUS.get(dataset)
    if paper_eps is None:
        notes.append(f"Adversarial accuracy here at rho = {eps:g}; no published table.")
    else:
        warn = "" if math.isclose(eps, paper_eps) else \
            " **(radius differs: the adversarial cells compare different radii)**"
        notes.append(f"Adversarial accuracy here at rho = {eps:g}; {table} at rho = {paper_eps:g}{warn}.")
    model = run_model(params)
    if model != PAPER_MODEL:
        notes.append(f"**architecture differs: here {model}, paper {PAPER_MODEL_LABEL}**.")
    else:
        notes.append(f"Architecture as the paper: {model} ({PAPER_MODEL_LABEL}).")
    departures = []
    epochs = run_epochs(params)
    if epochs is not None and epochs != PAPER_PROTOCOL["epochs"]:
        departures.append(f"{epochs} epochs per round (paper {PAPER_PROTOCOL['epochs']})")
    split = split_params(params, dataset) if isinstance(params.get("split"), Mapping) else {}
    n_splits = split.get("n_splits")
    if n_splits is not None and n_splits != PAPER_PROTOCOL["n_splits"]:
        departures.append(f"{n_splits} train/validation split{'' if n_splits == 1 else 's'} "
                          f"(paper {PAPER_PROTOCOL['n_splits']})")
    grid = lookup(params, "train.grid") or {}
    sizes = [len(grid[a]) if a in grid else None for a in PAPER_GRID]
    if None not in sizes and sizes != list(PAPER_GRID.values()):
        departures.append(f"grid {' x '.join(PAPER_GRID)} = {'x'.join(map(str, sizes))} values "
                          f"(paper {'x'.join(map(str, PAPER_GRID.values()))})")
    for key, what in (("max_trainval_rows", "training and validation rows"), ("max_test_rows", "test rows")):
        if split.get(key) is not None:
            departures.append(f"{what}: a slice of {split[key]} rows, not comparable")
    if departures:
        notes.append("Other departures from the paper's protocol: " + "; ".join(departures) + ".")
    else:
        notes.append("Protocol otherwise as the paper's (epochs, splits, grid sizes, all rows).")
    return notes
