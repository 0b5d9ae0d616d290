"""The published protocol (Cosentino et al. 2019, Sec. 4.2-4.3) as data, a run's effective value
of every setting, and the departures between them, which every table, figure caption and
claims row of the study names (:func:`holistic.fidelity.protocol.header_note`)."""

from __future__ import annotations

import math
from typing import Iterable, Mapping

from ...data.splits import split_params
from ...fidelity import protocol as P
from ...procedures.imp import paper_levels
from ...records.evals import tables_eps
from .methods import MODEL

#: Where the protocol is published (every header note names it).
WHERE = "Sec. 4.2-4.3"
#: The rows of the official MNIST / Fashion-MNIST training and test sets.
OFFICIAL_TRAIN, OFFICIAL_TEST = {"mnist": 60_000, "fashion-mnist": 60_000}, {"mnist": 10_000, "fashion-mnist": 10_000}
#: The run's ``train.imp.early_stopping`` in words (the checkpoint of every level).
SELECTION = {"val_loss": "lowest validation loss", "val_accuracy": "highest validation accuracy",
             "last": "the round's last step"}

#: Sec. 4.2-4.3 (MNIST and Fashion-MNIST alike); the keys of :data:`holistic.fidelity.protocol.KEYS`,
#: then the study's own.
PROTOCOL: dict[str, P.Setting] = {
    "train_rows": P.Setting("training rows", 50_000),
    "test_rows": P.Setting("test rows", 10_000),
    "steps": P.Setting("steps a round", 50_000),
    "batch_size": P.Setting("batch", 60),
    "optimizer": P.Setting("optimizer", "adam"),
    "lr": P.Setting("lr", 1.2e-3),
    "lr_schedule": P.Setting("lr schedule", "constant"),
    "weight_decay": P.Setting("weight decay", 0.0),
    "initialiser": P.Setting("initialiser", "glorot uniform"),
    "eps": P.Setting("attacks at eps", 0.3),
    "eps_schedule": P.Setting("eps schedule", "constant"),
    "attack": P.Setting("attacks", "PGD-10 of step 0.05 (random start), FGSM"),
    "model": P.Setting("model", "lenet300-nobias"),
    "trials": P.Setting("trials", 5),
    "checkpoint": P.Setting("each level's model at", "iteration 30,000"),
    # the study's own
    "val_rows": P.Setting("validation rows", 10_000),
    "prunes": P.Setting("prunes", 20),
    "prune_rates": P.Setting("pruning rates (hidden, output)", (0.2, 0.1)),
    "train_eps": P.Setting("training eps", 0.3),
    "train_attack": P.Setting("PGD training attack", "PGD-10 of step 0.05 (random start)"),
    # CleverHans' ProjectedGradientDescent, which the paper ran, returns the last iterate
    "train_iterate": P.Setting("training PGD keeps each point's", "last iterate"),
    "adv_weight": P.Setting("adversarial loss weight", 0.5),
    "early_stopping": P.Setting("early-stopping iteration at the", "lowest validation loss"),
    "stop_check": P.Setting("early stopping checked every", "500 steps"),
}
P.check_protocol(PROTOCOL, "lth")

#: P_m of the paper's tables after k prunes at 20 % / 10 % (output): k -> P_m (Sec. 4.2; 6.1 of the notes).
TABLE_LEVELS = {0: 100.0, 3: 51.3, 8: 16.9, 11: 8.7, 15: 3.6, 18: 1.8}


def lenet_kept_percent(k: int) -> float:
    """P_m of LeNet-300-100 without biases after k prunes at 20 % / 10 % (output), the closed
    form of Sec. 4.2: ``(265,200 * 0.8^k + 1,000 * 0.9^k) / 266,200`` in percent."""
    return 100 * (265_200 * 0.8 ** k + 1_000 * 0.9 ** k) / 266_200


def evaluation_eps(params: dict) -> float:
    """The radius of the tables' attacks: the training radius ``train.adversarial.eps`` (the paper
    attacks at the radius it trains with, 0.3) where ``attack.eps`` has it, else the largest
    radius measured (:func:`holistic.records.evals.tables_eps`)."""
    return tables_eps(params, float((params["train"].get("adversarial") or {}).get("eps", 0.3)))


def iterate_text(rule: str, steps: int) -> str:
    """``train.adversarial.iterate`` as a departure names it: "last iterate" (the paper's) or
    "strongest of its 11 iterates" (the start and the ``steps`` steps)."""
    return "last iterate" if rule == "last" else f"{rule} of its {steps + 1} iterates"


def levels_reached(train: dict) -> list[float]:
    """The paper's table levels a run with the ``train`` settings measures (its rounds' levels,
    :func:`holistic.procedures.imp.paper_levels`: ``train.imp.prunes`` or ``paper_prunes``)."""
    ks = paper_levels(train)
    return [p for k, p in TABLE_LEVELS.items() if k in ks]


def ordinal(k: int) -> str:
    """3 -> "3rd", 11 -> "11th", 21 -> "21st"."""
    return f"{k}" + ("th" if k % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th"))


def prunes_run(train: dict) -> int | str:
    """The run's prunes as a departure names them: their number where each is one of the paper's
    (``train.imp.prunes``, or ``paper_prunes`` 1, 2, ..., J), else how many and to which of the
    paper's levels, "2, each at once to the paper's 3rd and 8th (P_m 51.3, 16.9 %)"."""
    ks = paper_levels(train)[1:]
    if list(ks) == list(range(1, len(ks) + 1)):
        return len(ks)
    names = [ordinal(k) for k in ks]
    to = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return (f"{len(ks)}, each at once to the paper's {to} "
            f"(P_m {', '.join(f'{lenet_kept_percent(k):.1f}' for k in ks)} %)")


def rows(params: dict, dataset: str) -> tuple[int | None, int | None, int | None]:
    """(training, validation, test) rows of a split of ``dataset`` as :mod:`holistic.data.splits`
    draws them: the train/validation pool (``max_trainval_rows`` or the official training rows),
    ``ceil(val_fraction * pool)`` of it for validation (scikit-learn's rounding); None where
    unknown (a data set without an official test set)."""
    sp = split_params(params, dataset)
    pool = sp.get("max_trainval_rows") or OFFICIAL_TRAIN.get(dataset)
    test = sp.get("max_test_rows") or OFFICIAL_TEST.get(dataset)
    if pool is None:
        return None, None, test
    val = math.ceil(float(sp["val_fraction"]) * pool)
    return pool - val, val, test


def epoch_steps(params: dict, n_train: int | None) -> int | None:
    """Optimizer steps an epoch, ``ceil(n_train / batch)`` (the trainer's
    :func:`holistic.train.schedule.steps_per_epoch`): how often early stopping checks a round."""
    return None if n_train is None else math.ceil(n_train / params["train"]["batch_size"])


def round_steps(params: dict, n_train: int | None) -> int | None:
    """Optimizer steps a round as the trainer computes them from ``params`` (epochs raised or cut
    by ``train.min_steps_per_round`` / ``max_steps_per_round``: :func:`holistic.train.schedule.epochs_per_round`)."""
    from ...train.schedule import epochs_per_round  # here: only where the run's logs do not give it

    t = params["train"]
    if n_train is None:
        return None
    epochs = epochs_per_round(t["epochs"], n_train, t["batch_size"], t.get("max_steps_per_round"),
                              t.get("min_steps_per_round"))
    return epochs * epoch_steps(params, n_train)


def effective(params: dict, dataset: str, steps_per_round: int | None = None, trials: int | None = None) -> dict:
    """The run's value of every key of :data:`PROTOCOL` on ``dataset``: from ``params`` and what
    the platform does (Adam at a constant rate, no weight decay, Glorot-uniform weights:
    :mod:`holistic.train.adam`, :mod:`holistic.models.module`); ``steps_per_round`` and ``trials``
    as the run's logs and eval files have them (None: from ``params``)."""
    t, a = params["train"], params["attack"]
    n_train, n_val, n_test = rows(params, dataset)
    spe = epoch_steps(params, n_train)
    imp = {"rate": 0.2, "output_rate": 0.1, "early_stopping": "val_loss", **(t.get("imp") or {})}
    adv = {"eps": 0.3, "steps": 10, "step_size": 0.05, "weight": 0.5, "iterate": "strongest",
           **(t.get("adversarial") or {})}
    eps = evaluation_eps(params)
    suite = a.get("suite") or {}
    attacks = []
    if "test" in (suite.get("pgd") or []):
        attacks.append(f"PGD-{a['pgd_steps']} of step {a['pgd_step_size'] * eps / a['pgd_steps']:.3g} (random start)")
    if "test" in (suite.get("fgsm") or []):
        attacks.append("FGSM")
    lrs = [float(x) for x in t["grid"].get("lr", [])]
    select = SELECTION.get(imp["early_stopping"], str(imp["early_stopping"]))
    if trials is None:
        trials = int(split_params(params, dataset)["n_splits"])
    return {
        "train_rows": n_train, "test_rows": n_test,
        "steps": steps_per_round if steps_per_round is not None else round_steps(params, n_train),
        "batch_size": int(t["batch_size"]), "optimizer": "adam",
        "lr": lrs[0] if len(lrs) == 1 else tuple(lrs),
        "lr_schedule": "constant", "weight_decay": 0.0, "initialiser": "glorot uniform",
        "eps": eps, "eps_schedule": "constant",
        "attack": ", ".join(attacks) or "none", "model": MODEL, "trials": int(trials),
        "checkpoint": f"the {select}" if imp["early_stopping"] != "last" else select,
        "val_rows": n_val, "prunes": prunes_run(t),
        "prune_rates": (float(imp["rate"]), float(imp["output_rate"])),
        "train_eps": float(adv["eps"]),
        "train_attack": f"PGD-{adv['steps']} of step {float(adv['step_size']):g} (random start)",
        "train_iterate": iterate_text(adv["iterate"], int(adv["steps"])),
        "adv_weight": float(adv["weight"]), "early_stopping": select,
        "stop_check": f"{int(t['select_every_steps'])} steps" if t.get("select_every_steps") else
                      "unknown" if spe is None else f"{spe} steps",
    }


#: The settings a method's own training decides (``studies.lth.method_train``): where the methods
#: on a data set train differently, each is named per method ("steps a round 504 (PGD-init: 2,016)").
TRAINED = ("steps", "batch_size", "lr", "checkpoint", "prunes", "prune_rates", "train_eps", "train_attack",
           "train_iterate", "adv_weight", "early_stopping", "stop_check")


def departures(params: dict, dataset: str, steps_per_round: int | Mapping[str, int] | None = None,
               trials: int | None = None, methods: Iterable[str] = ()) -> dict[str, str]:
    """``{key: phrase}`` of every setting the run on ``dataset`` does otherwise than the paper;
    ``steps_per_round``: as the logs have it, one count, or per method (method -> its steps a
    round: the methods, with ``methods``, that ran there). The settings of :data:`TRAINED` are each
    method's own (``studies.lth.method_train`` merged over ``train``), named per method where they
    differ (:func:`holistic.fidelity.protocol.by_method`)."""
    per = steps_per_round if isinstance(steps_per_round, Mapping) else None
    methods = list(dict.fromkeys([*methods, *(per or {})]))

    def run_of(p: dict, ms: list[str]) -> dict:
        steps = max((per[m] for m in ms if m in per), default=None) if per is not None else steps_per_round
        return effective(p, dataset, steps, trials)

    return P.departures(PROTOCOL, P.by_method(run_of, params, "lth", methods, TRAINED))


def note(found: dict[str, str]) -> str:
    """The line every table header, CSV's page and figure of the study carries."""
    return P.header_note(found, WHERE)
