"""The published protocol of Guo et al. (2018, Sec. 4.1-4.2) as data, a run's effective settings,
and the departures between them (:mod:`holistic.fidelity.protocol`), which every table, CSV,
figure and claims row of the study names.

:data:`PROTOCOL` holds the paper's value of every setting of
:data:`holistic.fidelity.protocol.KEYS` and of the study's own (``prunes``, ``rate``,
``deepfool``, ``cw``, ``rinf_box``, ``r2_mean``, ``l1_checkpoint``, ``l1_scope``,
``l1_strengths``, ``table2``); the values that depend on the task
(rows, and the training of the linear models, which the paper does not give) are in
:data:`PER_DATASET` (:func:`paper_protocol`). A setting the paper does not state is
``"not given"``: the run's choice is then listed as a departure ("lr 0.001 (paper not given)").
A study setting that the run does not exercise on a data set (C&W not run, no activation-L1
or LeNet method there) takes the paper's value: nothing was done that could depart.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Iterable, Mapping

from ...attacks.cw import CW
from ...attacks.deepfool import DeepFool
from ...data.splits import split_params
from ...fidelity import protocol as P
from ...procedures.progressive import DEFAULTS as PROGRESSIVE, pruned_count
from ...train.schedule import epochs_per_round, steps_per_epoch
from .levels import MAX_FAILED
from .methods import METHODS, PRUNED, parse_l1

#: Where the protocol is published (the headers' "Departs from the paper (...)").
WHERE = "Sec. 4.1-4.2"
NOT_GIVEN = "not given"
#: MNIST's official train and test rows (the paper trains on all and tests on all).
OFFICIAL_ROWS = {"mnist": (60_000, 10_000), "mnist-1v7": (13_007, 2_163)}
#: The attacks of Sec. 4 (FGS and rFGS: r_inf; DeepFool and C&W: r_2).
ATTACKS = ("fgsm", "rfgsm", "deepfool", "cw")
#: The r_inf attacks of eq. (1) (no input box) -> their registry keys; the boxed ones (the keys of
#: :data:`ATTACKS`) clip the points to [0, 1].
UNBOXED = {"fgsm": "fgsm-nobox", "rfgsm": "rfgsm-nobox"}
#: The minimal attacks' r_2 mean: eq. (1) averages over all points (``failed: returned``).
ALL_POINTS = "all points (eq. 1)"
#: How a checkpoint rule (``holistic.train.pieces.SELECTIONS``) reads in a caption.
CHECKPOINTS = {"last": "its last weights (no early stopping)",
               "val_accuracy": "its epoch of best validation accuracy (early stopping)",
               "val_loss": "its epoch of lowest validation loss (early stopping)"}
#: Sec. 4.2: "a l1 norm regularization of activation matrices/tensors": every hidden layer's output.
EVERY_HIDDEN = "every hidden layer's output"

#: Sec. 4.1-4.2 on MNIST with the LeNets (Caffe's ``lenet_solver``: SGD lr 0.01, momentum 0.9,
#: weight decay 5e-4, "inv" policy, 50,000 iterations of batch 64); the 1 vs 7 task differs in
#: :data:`PER_DATASET`.
PROTOCOL: dict[str, P.Setting] = {
    "train_rows": P.Setting("training rows", 60_000),
    "test_rows": P.Setting("test points", 10_000),
    "steps": P.Setting("steps a round", 50_000),
    "batch_size": P.Setting("batch", 64),
    "optimizer": P.Setting("optimizer", "sgd-momentum"),
    "lr": P.Setting("lr", 0.01),
    "lr_schedule": P.Setting("lr schedule", "inv (gamma 1e-4, power 0.75)"),
    "weight_decay": P.Setting("weight decay", 5e-4),
    "initialiser": P.Setting("initialiser", NOT_GIVEN),
    "eps": P.Setting("r_inf eps", 0.1),
    "eps_schedule": P.Setting("training eps", "none"),
    "attack": P.Setting("attacks", ATTACKS),
    "model": P.Setting("models", ("lenet300", "lenet5", "linear")),
    "trials": P.Setting("reference models", 10),
    "checkpoint": P.Setting("checkpoint", "last"),
    "prunes": P.Setting("prunes", 16),
    "rate": P.Setting("prune rate", "1/3"),
    "deepfool": P.Setting("DeepFool", "50 steps, overshoot 0.02, no box, distance without the overshoot"),
    "cw": P.Setting("C&W", NOT_GIVEN),
    "rinf_box": P.Setting("r_inf points", "no box (eq. 1)"),
    "r2_mean": P.Setting("r_2 mean over", ALL_POINTS),
    "l1_checkpoint": P.Setting("Table 1 checkpoint", "last"),
    "l1_scope": P.Setting("activation-L1 penalty on", EVERY_HIDDEN),
    "l1_strengths": P.Setting("activation-L1 lambdas", NOT_GIVEN),
    "table2": P.Setting("Table 2 models", "Deep Compression (Han et al.)"),
}
P.check_protocol(PROTOCOL, "guo")

#: The binary task: the linear model only, trained with SGD and momentum, nothing else given.
PER_DATASET: dict[str, dict[str, object]] = {
    "mnist-1v7": {"train_rows": 13_007, "test_rows": 2_163, "steps": NOT_GIVEN, "batch_size": NOT_GIVEN,
                  "lr": NOT_GIVEN, "lr_schedule": NOT_GIVEN, "weight_decay": NOT_GIVEN, "model": ("linear",)},
}


def paper_protocol(dataset: str) -> dict[str, P.Setting]:
    """:data:`PROTOCOL` with the paper's values for ``dataset`` (:data:`PER_DATASET`)."""
    own = PER_DATASET.get(dataset, {})
    return {k: P.Setting(s.label, own.get(k, s.paper)) for k, s in PROTOCOL.items()}


def kept_after(n: int, prunes: int, rate: str = PROTOCOL["rate"].paper) -> int:
    """Nonzero weights of a layer of n after ``prunes`` progressive prunes (floor(rho n) a round)."""
    rho = Fraction(rate)
    for _ in range(prunes):
        n -= pruned_count(n, rho)
    return n


def rows(params: dict, dataset: str) -> tuple[int | None, int | None]:
    """(training rows, test points) of a run on ``dataset``: the official rows, cut to
    ``max_trainval_rows`` / ``max_test_rows``, less the validation share (scikit-learn's
    ``ceil(val_fraction n)`` rows); None where a task outside :data:`OFFICIAL_ROWS` sets no cap."""
    sp = split_params(params, dataset)
    train, test = OFFICIAL_ROWS.get(dataset, (None, None))
    cut = lambda n, cap: n if cap is None else cap if n is None else min(n, cap)  # noqa: E731
    trainval, test = cut(train, sp.get("max_trainval_rows")), cut(test, sp.get("max_test_rows"))
    return (None if trainval is None else trainval - math.ceil(float(sp["val_fraction"]) * trainval)), test


def methods_of(params: dict, dataset: str) -> tuple[str, ...]:
    """The study's methods the run trains on ``dataset`` (``studies.guo``: methods, method_datasets)."""
    from ...workflow.spec import select

    jobs = [j for j in select(params) if j.name == "guo"]
    return tuple(m for d, m in jobs[0].pairs if d == dataset) if jobs else ()


def _one(values):
    values = tuple(values)
    return values[0] if len(values) == 1 else values


def _rounds(method: str, prunes: int) -> int:
    return prunes + 1 if method in PRUNED else 1


def selection(method: str) -> str:
    """The checkpoint rule (``holistic.train.pieces.SELECTIONS``) the training loop applies to a
    method without per-round results: its procedure's ``selection``, else its loss's, else the
    loop's ``val_accuracy`` (the activation-L1 nets of Table 1: procedure ``single``)."""
    _, loss, _, procedure = METHODS[method].pieces()
    return getattr(procedure, "selection", None) or getattr(loss, "selection", None) or "val_accuracy"


def l1_scope(net: str, probe: tuple[int, ...] = (1, 28, 28), k: int = 10) -> str:
    """Which hidden outputs of ``net`` the activation-L1 penalty covers: the ReLU outputs
    (``holistic.objectives.activation_l1``), read off the model's module (built at MNIST's shape).
    :data:`EVERY_HIDDEN` where every hidden weight layer (all but the output layer) feeds a ReLU,
    else the layers that do, e.g. Caffe's LeNet-5, which has no ReLU after its convolutions."""
    from torch import nn

    from ...models import MODELS

    mods = list(MODELS[net].make(probe, k).modules())
    weights = [i for i, m in enumerate(mods) if isinstance(m, (nn.Linear, nn.Conv2d))][:-1]
    relu = [i for i in weights if i + 1 < len(mods) and isinstance(mods[i + 1], nn.ReLU)]
    if len(relu) == len(weights):
        return EVERY_HIDDEN
    bare = [mods[i] for i in weights if i not in relu]
    kinds = [(sum(isinstance(m, t) for m in bare), name) for t, name in ((nn.Conv2d, "convolution"),
                                                                          (nn.Linear, "dense layer"))]
    missing = " and ".join(f"{n} {name}{'s' if n > 1 else ''}" for n, name in kinds if n)
    return f"{net}: the ReLU outputs only, {len(relu)} of {len(weights)} hidden layers (no ReLU after its {missing})"


#: The settings a method's own training decides (``studies.guo.method_train``): where the methods
#: on a data set train differently, each is named per method ("steps a round 358 (linear: 3,580)").
TRAINED = ("steps", "batch_size", "lr", "checkpoint", "prunes", "rate")


def effective(params: dict, dataset: str, methods: Iterable[str] | None = None, logs=None,
              references: int | None = None) -> dict[str, object]:
    """The run's value of every key of :data:`PROTOCOL` on ``dataset``: from ``params``, the
    methods that ran there (default: those ``params`` selects), the train logs (a frame of
    :func:`holistic.records.train_log.load_logs`; its steps a round, else the trainer's
    count from ``params``) and the number of reference models in the eval records (else
    ``n_splits``). The settings of :data:`TRAINED` are each method's own (its ``train`` with
    ``studies.guo.method_train`` merged over it), named per method where they differ
    (:func:`holistic.fidelity.protocol.by_method`).

    What the platform does for every study: Adam (``holistic.train.adam``) at a constant rate
    (no decay for these losses), no weight decay, Glorot-uniform weights and zero biases
    (``holistic.models.module``); the progressive rounds keep their last weights
    (``train.progressive.early_stopping``: ``checkpoint``), the activation-L1 nets (procedure
    ``single``) the checkpoint the training loop selects (:func:`selection`: the epoch of best
    validation accuracy; ``l1_checkpoint``), their penalty covering the ReLU outputs
    (:func:`l1_scope`); the r_inf points are unboxed where the suite runs ``fgsm-nobox`` /
    ``rfgsm-nobox`` on the test points (``rinf_box``), r_2 is the mean over all points where each
    minimal attack's ``failed`` is ``returned`` (``r2_mean``)."""
    methods = tuple(methods_of(params, dataset) if methods is None else methods)
    return P.by_method(lambda p, ms: _effective(p, dataset, tuple(ms), logs, references), params, "guo",
                       methods, TRAINED)


def _effective(params: dict, dataset: str, methods: tuple[str, ...], logs=None,
               references: int | None = None) -> dict[str, object]:
    """:func:`effective` of the ``methods`` training with ``params``' ``train``."""
    train, tests = params["train"], params["attack"]
    prog = {**PROGRESSIVE, **(train.get("progressive") or {})}
    prunes = int(prog["prunes"])
    n_train, n_test = rows(params, dataset)
    steps = None
    if logs is not None and len(logs):
        mine = logs[(logs["dataset"] == dataset) & logs["method"].isin(methods or logs["method"])]
        per = [int(s) // _rounds(m, prunes) for m, s in zip(mine["method"], mine["steps"])]
        steps = _one(sorted(set(per))) if per else None
    if steps is None and n_train is not None:
        epochs = epochs_per_round(int(train["epochs"]), n_train, int(train["batch_size"]),
                                  train.get("max_steps_per_round"), train.get("min_steps_per_round"))
        steps = epochs * steps_per_epoch(n_train, int(train["batch_size"]))
    lr = (train.get("grid") or {}).get("lr", [])
    on_test = lambda a: "test" in (tests["suite"].get(a) or [])  # noqa: E731
    run_attacks = tuple(a for a in ATTACKS if on_test(a) or (a in UNBOXED and on_test(UNBOXED[a])))
    rinf = [a for a in run_attacks if a in UNBOXED]
    rho = [float(e) for e in tests["eps"]]
    df, cw = DeepFool.from_params(tests), CW.from_params(tests)
    minimal = {"deepfool": df, "cw": cw}
    excluding = [{"deepfool": "DeepFool", "cw": "C&W"}[a] for a in run_attacks
                 if a in minimal and minimal[a].failed != "returned"]
    l1_methods = [m for m in methods if parse_l1(m)]
    l1 = sorted({dict(METHODS[m].settings)["activation_l1.strength"] for m in l1_methods})
    scopes = [s for s in dict.fromkeys(l1_scope(parse_l1(m)[0]) for m in l1_methods) if s != EVERY_HIDDEN]
    lenets = [m for m in methods if m in PRUNED and m != "linear"]
    paper = paper_protocol(dataset)
    return {
        "train_rows": n_train, "test_rows": n_test, "steps": steps, "batch_size": int(train["batch_size"]),
        "optimizer": "adam", "lr": _one(float(v) for v in lr) if lr else None, "lr_schedule": "constant",
        "weight_decay": 0.0, "initialiser": "glorot-uniform",
        "eps": paper["eps"].paper if paper["eps"].paper in rho else _one(rho), "eps_schedule": "none",
        "attack": run_attacks,
        "model": tuple(sorted({METHODS[m].model for m in methods})) if methods else paper["model"].paper,
        "trials": int(references) if references else int(split_params(params, dataset)["n_splits"]),
        "checkpoint": str(prog["early_stopping"]) if any(m in PRUNED for m in methods) else paper["checkpoint"].paper,
        "prunes": prunes, "rate": str(prog["rate"]),
        "deepfool": (f"{df.steps} steps, overshoot {df.overshoot:g}, {'box' if df.box else 'no box'}, distance "
                     f"{'without' if df.distance == 'boundary' else 'with'} the overshoot"
                     if "deepfool" in run_attacks else paper["deepfool"].paper),
        "cw": (f"{cw.steps:,} steps of lr {cw.lr:g} x {cw.search_steps} searches of c from {cw.c0:g}"
               if "cw" in run_attacks else paper["cw"].paper),
        "rinf_box": (paper["rinf_box"].paper if all(on_test(UNBOXED[a]) for a in rinf)
                     else "clipped to the input box"),
        "r2_mean": (ALL_POINTS if not excluding
                    else f"the points the attack did not fail on ({', '.join(excluding)})"),
        "l1_checkpoint": (_one(sorted({selection(m) for m in l1_methods})) if l1_methods
                          else paper["l1_checkpoint"].paper),
        "l1_scope": "; ".join(scopes) if scopes else paper["l1_scope"].paper,
        "l1_strengths": tuple(l1) if l1 else paper["l1_strengths"].paper,
        "table2": "this run's progressive round of nearest sparsity" if lenets else paper["table2"].paper,
    }


def as_paper(run: object, paper: object, text: Mapping[object, str] | None = None) -> str:
    """A setting as a caption names it (``text``: value -> words), and the paper's where it differs."""
    word = (lambda v: text.get(v, str(v))) if text else str  # noqa: E731
    return word(run) + (", as the paper" if P.same(run, paper) else f" (paper: {word(paper)})")


def captions(run: Mapping[str, object], dataset: str) -> dict[str, str]:
    """The sentences the tables' captions take from the protocol (``run``: :func:`effective` on
    ``dataset``), never typed: ``rounds`` (each progressive round's checkpoint), ``table1`` (the
    activation-L1 nets' checkpoint and what their penalty covers), ``rinf`` (the r_inf points' box)
    and ``r2`` (what r_2 averages over)."""
    paper = {k: s.paper for k, s in paper_protocol(dataset).items()}
    every = run["r2_mean"] == ALL_POINTS
    unboxed = run["rinf_box"] == paper["rinf_box"]
    return {
        "rounds": f"Each round's model: {as_paper(run['checkpoint'], paper['checkpoint'], CHECKPOINTS)}.",
        "table1": (f"Each net: {as_paper(run['l1_checkpoint'], paper['l1_checkpoint'], CHECKPOINTS)}; the "
                   f"activation-L1 penalty on {as_paper(run['l1_scope'], paper['l1_scope'])}."),
        "rinf": ("r_inf: the accuracy at the FGS / rFGS points without the input box, as eq. (1); 'clipped': "
                 "the same attacks with their points clipped to the box [0, 1] (a variant)." if unboxed else
                 "r_inf 'clipped': the accuracy at the FGS / rFGS points clipped to the input box [0, 1] "
                 "(eq. 1 defines them without the box)."),
        "r2": ("r_2: the mean over all test points, as eq. (1), a point the attack failed on (correct, not "
               "flipped) at the distance of the point the attack returned" if every else
               "r_2: the mean over the points the attack did not fail on (eq. 1: over all points)")
              + f"; undefined ('-') where the attack failed on more than {100 * MAX_FAILED:g} % of the correctly "
                "classified points (over the references).",
    }


def departures(params: dict, dataset: str, methods: Iterable[str] | None = None, logs=None,
               references: int | None = None) -> dict[str, str]:
    """``{key: phrase}`` of every setting where the run on ``dataset`` departs from the paper
    (arguments: :func:`effective`)."""
    return P.departures(paper_protocol(dataset), effective(params, dataset, methods, logs, references))


def note(found: Mapping[str, str]) -> str:
    """The line every table, CSV and figure of the study carries."""
    return P.header_note(found, WHERE)


__all__ = ["WHERE", "NOT_GIVEN", "OFFICIAL_ROWS", "ATTACKS", "UNBOXED", "ALL_POINTS", "CHECKPOINTS", "EVERY_HIDDEN",
           "PROTOCOL", "PER_DATASET", "TRAINED", "paper_protocol", "kept_after", "rows", "methods_of", "selection",
           "l1_scope", "as_paper", "captions", "effective", "departures", "note"]
