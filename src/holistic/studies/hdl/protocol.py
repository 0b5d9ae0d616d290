"""HDL's published protocol (Section 4: "Training Methodology", "Neural network architectures",
"Hyperparameter search"; Sec. 4.3 for the 5 training rounds of the sparse methods; the Table A2
caption for the radii) as data, a run's effective value of every setting, and the departures.

:data:`PROTOCOL` is the UCI protocol (45 tables, 2 x 128 MLP, 150 epochs, batch 32); an image
data set (MNIST, Fashion-MNIST, CIFAR10) is held to :data:`IMAGE_PROTOCOL` (ALEX CNN, 50
epochs, batch 64, lr {1e-3, 1e-4}, the official test set, its own Table A2 radius):
:func:`protocol_for`. :func:`effective` reads the run's value of every key from the merged
params (and the data-set registry for the row counts); what the platform always does is stated
once here (checked against the code: the optimizer is :class:`holistic.train.adam.StackedAdam`
with a constant rate and no weight decay for every HDL loss, the weights are Glorot-uniform
(``holistic.models.mlp``, ``holistic.models.module``), the robust radius is constant during
training, and the trainer keeps the best-validation-accuracy checkpoint unless
``train.select_every_steps`` restricts when it looks). The paper does not state a checkpoint
rule; the project reads "best validation accuracy" as its method (the published code looks
only at steps 0, 1000, 2000: defect 6 of ``original_code_notes.md``).
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping

from ...config import lookup
from ...data import registry
from ...data.splits import split_params
from ...fidelity import protocol as P
from ...fidelity.protocol import Setting
from ...records.evals import tables_eps
from ...train.schedule import epochs_per_round



def grid_values(values) -> tuple[str, ...]:
    """A grid axis as the protocol compares it: its values as ``%g`` text, largest first."""
    return tuple(f"{v:g}" for v in sorted((float(v) for v in values), reverse=True))


#: Section 4, UCI data sets.
PROTOCOL: dict[str, Setting] = {
    "train_rows": Setting("training rows", "the published draws, 64 %"),
    "test_rows": Setting("test rows", "the published draw, 20 %"),
    "steps": Setting("epochs a round", 150),
    "batch_size": Setting("batch", 32),
    "optimizer": Setting("optimizer", "adam"),
    "lr": Setting("lr grid", grid_values([1e-2, 1e-3])),
    "lr_schedule": Setting("lr schedule", "constant"),
    "weight_decay": Setting("weight decay", 0.0),
    "initialiser": Setting("initialiser", "glorot uniform"),
    "eps": Setting("adversarial accuracy at rho", 0.1),
    "eps_schedule": Setting("rho during training", "constant"),
    "attack": Setting("attack", "PGD-40"),
    "model": Setting("model", "MLP 2x128"),
    "trials": Setting("splits", 10),
    "checkpoint": Setting("checkpoint", "best validation accuracy"),
    # HDL's own settings: the input scaling (the published code's, which the published tables
    # used; the paper states none), the sparse methods' rounds and the rest of the grid
    "preprocessing": Setting("inputs", "standardised, then / 255"),
    "rounds": Setting("sparse training rounds", 5),
    "rho": Setting("rho grid", grid_values([1e-1, 1e-2, 1e-3, 1e-4, 1e-5])),
    "lambda": Setting("lambda grid", grid_values([1e-6, 1e-8, 1e-10])),
    "beta_bar": Setting("beta_bar grid", grid_values([200, 1000])),
    "a": Setting("a grid", grid_values([0.7, 0.8, 0.9, 1.0])),
}
P.check_protocol(PROTOCOL, "hdl")

#: The official test rows of the image sets (all three: 10,000) and the paper's validation share.
OFFICIAL_TEST_ROWS = 10_000
#: Table A2's radius of each image data set (registry names).
IMAGE_RADIUS = {"mnist": 0.1, "fashion-mnist": 0.01, "cifar10": 0.01}

#: Section 4, image data sets (the rows: 4/5 of the official training rows, the official test set).
IMAGE_PROTOCOL: dict[str, Setting] = {
    **PROTOCOL,
    "train_rows": Setting("training rows", 48_000),
    "test_rows": Setting("test rows", OFFICIAL_TEST_ROWS),
    "steps": Setting("epochs a round", 50),
    "batch_size": Setting("batch", 64),
    "lr": Setting("lr grid", grid_values([1e-3, 1e-4])),
    "model": Setting("model", "ALEX CNN"),
    "preprocessing": Setting("inputs", "pixels / 255"),
}
P.check_protocol(IMAGE_PROTOCOL, "hdl")

#: How the run's ``split.preprocessing`` of a UCI table is named against the paper's.
SCALING = {"minmax": "min-max to [0, 1]", "paper": "standardised, then / 255"}
#: How a model of the platform is named against the paper's.
MODEL_LABELS = {"mlp": "MLP 2x128", "alex": "ALEX CNN"}

#: Where the protocol is stated (header_note).
WHERE = "Sec. 4"


def protocol_for(dataset: str) -> dict[str, Setting]:
    """The paper's protocol for ``dataset``: :data:`IMAGE_PROTOCOL` for an image set (with its
    Table A2 radius and training rows), else :data:`PROTOCOL`."""
    info = registry.get(dataset)
    if not info.image:
        return PROTOCOL
    train = 4 * (info.n - OFFICIAL_TEST_ROWS) // 5
    return {**IMAGE_PROTOCOL, "train_rows": Setting("training rows", train),
            "eps": Setting("adversarial accuracy at rho", IMAGE_RADIUS.get(dataset, 0.01))}


def rows(params: Mapping, dataset: str) -> tuple[int, int, int]:
    """``(train, validation, test)`` rows of one split of ``dataset`` under the run's
    ``split`` settings, as :func:`holistic.data.splits.make_splits` draws them."""
    info = registry.get(dataset)
    sp = split_params(dict(params), dataset)
    tf, vf = float(sp.get("test_fraction", 0.2)), float(sp.get("val_fraction", 0.2))
    mode = sp.get("mode", "auto")
    if mode == "published":
        test = math.ceil(tf * info.n)
        val = int(vf * (info.n - test))
        return info.n - test - val, val, test
    if info.image and mode != "random":
        pool, test = info.n - OFFICIAL_TEST_ROWS, OFFICIAL_TEST_ROWS
    else:
        test = math.ceil(tf * info.n)
        pool = info.n - test
    if sp.get("max_trainval_rows") is not None:
        pool = min(pool, int(sp["max_trainval_rows"]))
    if sp.get("max_test_rows") is not None:
        test = min(test, int(sp["max_test_rows"]))
    val = math.ceil(vf * pool)
    return pool - val, val, test


def _grid(params: Mapping, axis: str) -> tuple[str, ...]:
    """A grid axis of the run (:func:`grid_values`)."""
    return grid_values(lookup(params, f"train.grid.{axis}", ()))


def _attack(params: Mapping) -> str:
    a = params["attack"]
    name = a["adversarial"]
    if name == "pgd":
        return f"PGD-{a['pgd_steps']}"
    if name == "ensemble":
        return "ensemble (" + ", ".join(a.get("ensemble", {}).get("members", [])) + ")"
    return str(name)


def _checkpoint(params: Mapping) -> str:
    every = params["train"].get("select_every_steps")
    if every is None:
        return "best validation accuracy"
    return f"best validation accuracy at steps 0, {every:,}, {2 * every:,}, ..."


def _uci_rows(params: Mapping, dataset: str) -> tuple[str, str]:
    """A UCI set's (training, test) rows as the paper's protocol words them: whose draws and
    which share, or the row count of a capped slice."""
    sp = split_params(dict(params), dataset)
    n_train, _, n_test = rows(params, dataset)
    if sp.get("max_trainval_rows") is not None or sp.get("max_test_rows") is not None:
        return f"{n_train:,} rows", f"{n_test:,} rows"
    tf, vf = float(sp.get("test_fraction", 0.2)), float(sp.get("val_fraction", 0.2))
    whose = "the published" if sp.get("mode") == "published" else "own stratified"
    return f"{whose} draws, {100 * (1 - tf) * (1 - vf):.0f} %", f"{whose} draw, {100 * tf:.0f} %"


def effective(params: Mapping, dataset: str) -> dict[str, object]:
    """The run's value of every key of :func:`protocol_for` ``(dataset)``."""
    info = registry.get(dataset)
    t = params["train"]
    sp = split_params(dict(params), dataset)
    n_train, n_val, n_test = rows(params, dataset)
    train_rows, test_rows = (n_train, n_test) if info.image else _uci_rows(params, dataset)
    model = lookup(params, "studies.hdl.model") or "mlp"
    return {
        "train_rows": train_rows,
        "test_rows": test_rows,
        "steps": epochs_per_round(int(t["epochs"]), n_train, int(t["batch_size"]), t.get("max_steps_per_round"),
                                  t.get("min_steps_per_round")),
        "batch_size": int(t["batch_size"]),
        "optimizer": "adam",              # holistic.train.adam.StackedAdam, the platform's only optimizer
        "lr": _grid(params, "lr"),
        "lr_schedule": "constant",        # no HDL loss has an lr_factor
        "weight_decay": 0.0,              # StackedAdam has none
        "initialiser": "glorot uniform",  # holistic.models.mlp / module: Glorot-uniform weights, zero biases
        "eps": tables_eps(params, dataset=dataset),
        "eps_schedule": "constant",       # the robust loss's rho is a grid value, fixed through training
        "attack": _attack(params),
        "model": MODEL_LABELS.get(model, model),
        "trials": int(sp["n_splits"]),
        "checkpoint": _checkpoint(params),
        "preprocessing": "pixels / 255" if info.image else SCALING.get(params["split"]["preprocessing"],
                                                                        params["split"]["preprocessing"]),
        "rounds": int(t["sparsity"]["rounds"]) + 1,  # the soft-mask rounds, then the final hard-mask round
        "rho": _grid(params, "rho"),
        "lambda": _grid(params, "lambda"),
        "beta_bar": _grid(params, "beta_bar"),
        "a": _grid(params, "a"),
    }


#: The settings a method's own training decides (``studies.hdl.method_train``): where the run's
#: methods train differently, each is named per method ("epochs a round 10 (Robust: 20)").
TRAINED = ("steps", "batch_size", "lr", "checkpoint", "rounds", "rho", "lambda", "beta_bar", "a")


def run_methods(params: Mapping) -> list[str]:
    """The study's methods a run of ``params`` trains (``studies.hdl.methods``; all by default)."""
    from .methods import METHODS

    return list(lookup(params, "studies.hdl.methods") or METHODS)


def departures(params: Mapping, dataset: str) -> dict[str, str]:
    """``{key: phrase}`` of every setting where the run on ``dataset`` departs from the paper (the
    settings of :data:`TRAINED` per method where ``studies.hdl.method_train`` sets a method's own:
    :func:`holistic.fidelity.protocol.by_method`)."""
    run = P.by_method(lambda p, _: effective(p, dataset), params, "hdl", run_methods(params), TRAINED)
    return P.departures(protocol_for(dataset), run)


def departures_over(params: Mapping, datasets: Iterable[str]) -> dict[str, str]:
    """The departures of a run over ``datasets``: per key the phrase, or where the data sets
    differ, each phrase with the data sets it holds for, the most common first ("epochs a round
    10 (paper 150) on 44 data sets; epochs a round 2 (paper 150) on skin-segmentation"); keys in
    the protocol's order."""
    per: dict[str, dict[str, list[str]]] = {}
    for d in datasets:
        for key, phrase in departures(params, d).items():
            per.setdefault(key, {}).setdefault(phrase, []).append(d)
    datasets = list(datasets)
    out = {}
    for key in IMAGE_PROTOCOL:
        if key not in per:
            continue
        phrases = per[key]
        if len(phrases) == 1 and len(next(iter(phrases.values()))) == len(datasets):
            out[key] = next(iter(phrases))
        else:
            ordered = sorted(phrases.items(), key=lambda item: -len(item[1]))
            out[key] = "; ".join(f"{p} on {', '.join(ds) if len(ds) <= 3 else f'{len(ds)} data sets'}"
                                 for p, ds in ordered)
    return out


def header_note(params: Mapping, datasets: Iterable[str]) -> str:
    """The line every HDL table, CSV and caption carries (:func:`holistic.fidelity.protocol.header_note`)
    over the registered data sets of ``datasets``."""
    known = set(registry.names())
    return P.header_note(departures_over(params, [d for d in datasets if d in known]), WHERE)


#: The params keys :func:`effective` reads: a stage whose outputs carry :func:`header_note`
#: depends on them.
PARAM_KEYS = ("split", "train.epochs", "train.max_steps_per_round", "train.min_steps_per_round",
              "train.select_every_steps", "train.batch_size", "train.grid", "train.sparsity.rounds",
              "aggregate.adversarial_eps", "attack.adversarial", "attack.pgd_steps", "attack.ensemble",
              "studies.hdl")


__all__ = ["grid_values", "PROTOCOL", "IMAGE_PROTOCOL", "IMAGE_RADIUS", "OFFICIAL_TEST_ROWS", "MODEL_LABELS", "WHERE",
           "protocol_for", "rows", "effective", "departures", "departures_over", "header_note", "PARAM_KEYS"]
