"""The published protocol of SparseVLR on MNIST (Kaur & Salekin, §5 and App. A) as data, a run's
effective settings, and its departures from the protocol (:mod:`holistic.fidelity.protocol`),
which every table header, figure, claims row and the fidelity document name.

Where the paper leaves a setting unstated, the paper's value is that of the code it says it
follows (auto_LiRPA ``examples/vision/simple_training.py``, notes 3.1 and 3.5), and the label
says so: Adam (the paper names only its learning rate), no weight decay, PyTorch's default
initialiser (auto_LiRPA's ``cnn_4layer`` leaves ``nn.Conv2d`` / ``nn.Linear`` as they are),
StepLR(10, 0.5) once eps_max is reached (App. A: the rate "gradually decreases" after it), the
smoothed eps schedule (mid 0.25, exponent 4), the trained model (its last epoch).

Algorithm 1's own settings: the seed keeps the global top (100 - p) % (``train.dynamic_sparse.
seed_scope``), and the prune / regrow cadence is after every epoch of the 60,000 training rows at
batch 256, i.e. every 235 optimizer steps (:data:`PAPER_PRUNE_STEPS`; a run prunes every
``train.dynamic_sparse.prune_every_steps`` steps, or after each of its own epochs).
"""

from __future__ import annotations

import math

from ...data.splits import split_params
from ...fidelity import protocol as P
from ...records.evals import tables_eps
from ...objectives.certified import DEFAULTS
from ...procedures.dynamic_sparse import DEFAULTS as ALG1
from ...train.schedule import steps_per_epoch

Setting = P.Setting

#: The official MNIST (Fashion-MNIST) training and test rows: the paper trains on all training
#: rows (no validation rows held out) and tests on the 10,000 test rows.
OFFICIAL = {"mnist": (60_000, 10_000), "fashion-mnist": (60_000, 10_000)}

#: The training bounds as the tables name them (``holistic.objectives.certified.BOUND_KINDS``):
#: ``crown-fast`` is the cited code's CROWN-FAST, CROWN-IBP without the IBP mixing, not
#: Fastened-CROWN (Lyu et al.), which Table 6's "CROWN-Fast" column cites.
BOUND_NAMES = {"ibp": "IBP", "crown": "CROWN", "crown-ibp": "CROWN-IBP", "crown-fast": "CROWN-IBP without mixing"}
#: Table 6's methods (``RSM-T`` is its CROWN-IBP row).
TABLE6 = ("RSM-T-IBP", "RSM-T-CROWN", "RSM-T-CROWN-Fast", "RSM-T")
#: The paper's prune / regrow cadence in optimizer steps: an epoch of 60,000 rows at batch 256.
PAPER_PRUNE_STEPS = steps_per_epoch(60_000, 256)

#: How a checkpoint rule (``selection`` of the procedure or the loss) reads.
CHECKPOINTS = {"last": "last epoch", "val_accuracy": "best validation accuracy", "val_loss": "lowest validation loss"}

#: App. A (MNIST, 4-layer CNN) on the settings of the code it follows where it states none.
PROTOCOL: dict[str, Setting] = {
    "train_rows": Setting("training rows", 60_000),
    "test_rows": Setting("test rows", 10_000),
    "steps": Setting("(T, s, l) epochs", "(100, 10, 60)"),
    "batch_size": Setting("batch", 256),
    "optimizer": Setting("optimizer", "adam"),
    "lr": Setting("lr", 1e-4),
    "lr_schedule": Setting("lr schedule", "StepLR(10, 0.5) once eps_max is reached"),
    "weight_decay": Setting("weight decay", 0.0),
    "initialiser": Setting("initialiser", "PyTorch default (auto_LiRPA's cnn_4layer)"),
    "eps": Setting("eps_train", 0.4),
    "eps_schedule": Setting("eps schedule", "smoothed (mid 0.25, exponent 4)"),
    "attack": Setting("attack", "PGD-200"),
    "model": Setting("model", "cnn_4layer"),
    "trials": Setting("seeds", 5),
    "checkpoint": Setting("checkpoint", "last epoch"),
    # the study's own
    "val_rows": Setting("validation rows held out of training", 0),
    "eps_test": Setting("errors at eps", 0.4),
    "sparsities": Setting("p (%)", (80, 90, 95, 99)),
    "bound": Setting("training bound", "CROWN-IBP"),
    "table6_bounds": Setting("Table 6 training bounds", ("IBP", "CROWN", "Fastened-CROWN", "CROWN-IBP")),
    "verifier": Setting("verified error by", "IBP"),
    "clip_grad_norm": Setting("gradient clipping", "none"),
    "seed_scope": Setting("seed's top (100 - p) %", "global"),
    "prune_every": Setting("prune / regrow every (optimizer steps)", PAPER_PRUNE_STEPS),
}
P.check_protocol(PROTOCOL, "sparsevlr")


def evaluation_eps(params: dict) -> float:
    """The radius of the tables: the training radius ``train.certified.eps`` (the paper tests at
    the radius it trains with, 0.4) where ``attack.eps`` has it, else the largest radius measured
    (:func:`holistic.records.evals.tables_eps`)."""
    return tables_eps(params, float((params["train"].get("certified") or {}).get("eps", DEFAULTS["eps"])))


def _methods(params: dict) -> list[str]:
    from . import STUDY

    chosen = ((params.get("studies") or {}).get("sparsevlr") or {}).get("methods")
    return list(chosen) if chosen else list(STUDY.methods)


def _rows(params: dict, dataset: str) -> tuple[int | None, int | None, int | None]:
    """(training, validation, test) rows of every split of ``dataset`` as the split stage draws
    them (scikit-learn's ``ceil(val_fraction * n)`` validation rows of the train/validation pool)."""
    sp = split_params(params, dataset)
    train, test = OFFICIAL.get(dataset, (None, None))
    if sp.get("mode", "auto") == "random" or train is None:
        return None, None, None
    pool = train if sp.get("max_trainval_rows") is None else min(int(sp["max_trainval_rows"]), train)
    val = math.ceil(float(sp["val_fraction"]) * pool)
    test = test if sp.get("max_test_rows") is None else min(int(sp["max_test_rows"]), test)
    return pool - val, val, test


def _initialiser(method) -> str | None:
    """The paper's words for a method's initialiser: ``torch-default`` is PyTorch's own; ``glorot``
    is Glorot-uniform weights and zero biases for the study's backbones (``holistic.models``: the
    MLP and every :class:`StackedModule` that keeps its ``initialise``); None (unknown) otherwise."""
    from ...models import MODELS
    from ...models.mlp import MLP
    from ...models.module import StackedModule

    if method.initialiser == "torch-default":
        return "PyTorch default (auto_LiRPA's cnn_4layer)"
    piece = MODELS.get(method.model)
    glorot = isinstance(piece, MLP) or (isinstance(piece, StackedModule)
                                        and type(piece).initialise is StackedModule.initialise)
    return "Glorot-uniform" if glorot else None


#: The procedures of Algorithm 1 (thickening, then a prune at the run's cadence).
DYNAMIC = {"dynamic_sparse", "dynamic_sparse_pm", "dynamic_sparse_ripm"}


def settings(params: dict) -> dict:
    """``train.certified`` over its defaults."""
    return {**DEFAULTS, **(params["train"].get("certified") or {})}


def bound_name(certified: dict, method: str) -> str:
    """The training bound of the study's ``method`` under the settings ``certified`` (``train.certified``
    over its defaults): ``bound`` where set, else the method's loss's own (:data:`BOUND_NAMES`),
    with CROWN-IBP's ``beta_final`` and the natural CE's ``kappa_final`` where they depart."""
    from ...objectives import LOSSES
    from . import STUDY

    kind = certified["bound"] or LOSSES[STUDY.methods[method].loss].bound
    beta = "" if kind != "crown-ibp" or float(certified["beta_final"]) == 0.0 else \
        f" (beta_final {float(certified['beta_final']):g})"
    kappa = "" if certified["kappa_final"] is None else \
        f" (natural CE mixed in to kappa_final {float(certified['kappa_final']):g})"
    return BOUND_NAMES[kind] + beta + kappa


def _one(values):
    values = sorted(set(values))
    return values[0] if len(values) == 1 else tuple(values)


def effective(params: dict, dataset: str, models=None) -> dict[str, object]:
    """The run's value of every key of :data:`PROTOCOL` on ``dataset``: from ``params``, and,
    where given, the run's models (:func:`.results.model_errors` rows: the seeds, learning
    rates, sparsities and methods it trained)."""
    from ...methods import Method
    from ...objectives import LOSSES
    from ...procedures import PROCEDURES
    from . import STUDY

    t, a = params["train"], params["attack"]
    c = settings(params)
    rows = models[models["dataset"] == dataset] if models is not None else None
    if rows is not None and len(rows):
        methods = list(dict.fromkeys(rows["method"]))
        trials = int(rows.groupby("method")["split"].nunique().max())
        lr = _one(float(v) for v in rows["lr"])
        sparsities = tuple(sorted({float(p) for p in rows["sparsity"] if p > 0}))
    else:
        methods = _methods(params)
        trials = int(split_params(params, dataset)["n_splits"])
        lr = _one(float(v) for v in t["grid"]["lr"])
        sparsities = tuple(sorted(float(p) for p in t["grid"].get("target_sparsity", [])))
    train_rows, val_rows, test_rows = _rows(params, dataset)
    decay = c["lr_decay"]
    schedule = c["schedule"] if c["schedule"] != "smoothed" else \
        f"smoothed (mid {float(c['mid']):g}, exponent {float(c['exponent']):g})"
    pieces: list[Method] = [STUDY.method(m, params) for m in methods]
    selections = {getattr(PROCEDURES[m.procedure], "selection", None) or getattr(LOSSES[m.loss], "selection", None)
                  or "val_accuracy" for m in pieces}
    model = STUDY.method("RSM-T", params).model
    alg1 = {**ALG1, **(t.get("dynamic_sparse") or {})}
    procedures = {m.procedure for m in pieces}
    pgd = "test" in ((a.get("suite") or {}).get("pgd") or [])
    return {
        "train_rows": train_rows, "test_rows": test_rows,
        "steps": f"({t['epochs']}, {c['start']}, {c['length']})",
        "batch_size": int(t["batch_size"]),
        "optimizer": "adam",  # holistic.train.adam.StackedAdam, every method
        "lr": lr,
        "lr_schedule": "constant" if not decay else
        f"StepLR({int(decay['step_size'])}, {float(decay['gamma']):g}) once eps_max is reached",
        "weight_decay": 0.0,  # the trainer has none
        "initialiser": _one(_initialiser(m) for m in pieces),
        "eps": float(c["eps"]),
        "eps_schedule": schedule,
        "attack": f"PGD-{int(a['pgd_steps'])}" if pgd else "no PGD on the test points",
        "model": model,
        "trials": trials,
        "checkpoint": _one(CHECKPOINTS.get(s, s) for s in selections),
        "val_rows": val_rows,
        "eps_test": evaluation_eps(params),
        "sparsities": sparsities,
        "bound": bound_name(c, "RSM-T"),
        "table6_bounds": tuple(bound_name(c, m) for m in TABLE6 if m in methods),
        "verifier": "IBP" if "ibp" in (a.get("verify") or []) else "none",
        "clip_grad_norm": "none" if c["clip_grad_norm"] is None else f"{float(c['clip_grad_norm']):g}",
        # Algorithm 1's: the paper's values where the run trains no RSM seed / no Alg. 1 procedure
        "seed_scope": alg1["seed_scope"] if "dynamic_sparse" in procedures else "global",
        "prune_every": PAPER_PRUNE_STEPS if not procedures & DYNAMIC else alg1["prune_every_steps"]
        or (steps_per_epoch(train_rows, int(t["batch_size"])) if train_rows else None),
    }


#: The settings a method's own training decides (``studies.sparsevlr.method_train``): where the
#: methods on a data set train differently, each is named per method.
TRAINED = ("steps", "batch_size", "lr", "lr_schedule", "eps", "eps_schedule", "sparsities", "bound",
           "clip_grad_norm", "seed_scope", "prune_every")


def departures(params: dict, dataset: str, models=None) -> dict[str, str]:
    """``{key: phrase}`` of every setting where the run on ``dataset`` differs from the paper (the
    settings of :data:`TRAINED` per method where ``studies.sparsevlr.method_train`` sets a method's
    own: :func:`holistic.fidelity.protocol.by_method`)."""
    rows = models[models["dataset"] == dataset] if models is not None else None
    methods = list(dict.fromkeys(rows["method"])) if rows is not None and len(rows) else _methods(params)

    def run_of(p: dict, ms: list[str]) -> dict:
        return effective(p, dataset, None if rows is None or not len(rows) else rows[rows["method"].isin(ms)])

    return P.departures(PROTOCOL, P.by_method(run_of, params, "sparsevlr", methods, TRAINED))


def note(found: dict[str, str]) -> str:
    """The line every table, figure and claims row of the study carries."""
    return P.header_note(found, "App. A")
