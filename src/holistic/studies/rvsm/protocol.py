"""The published protocol of Dinh et al. (2020) as data (Sec. 5; the EnResNet and rvsm-rgsm-admm
code, study notes 5.1 and 5.3) and a run's departures from it, computed
(:func:`holistic.fidelity.protocol.departures`), which every table, figure and claims row of the
study names (:func:`holistic.fidelity.protocol.header_note` with :data:`WHERE`).

:data:`PROTOCOL` covers :data:`holistic.fidelity.protocol.KEYS` and the study's own settings
(data set, validation rows, epochs, data augmentation, the adversarial training, the measures
A1-A5, the RVSM / RGSM / ADMM hyperparameters); :func:`effective` gives the run's value of every
key, read from the params, the run's methods and what the platform does: each method's optimizer,
learning-rate schedule and initialiser (:data:`.methods.OPTIMIZER`, ``LR_SCHEDULE``,
:func:`.methods.initialiser`; momentum, weight decay and the rate from ``train.grid``, the
milestones from ``train.lr_schedule``, compared as shares of the round: :func:`schedule_text`),
one optimizer a round (the paper's code builds a new SGD every epoch), the checkpoint of the best
validation accuracy of the final round, with the noise of an En_n net off
(``holistic.train.loop``), no data augmentation.
"""

from __future__ import annotations

import math

from ...data.splits import split_params
from ...fidelity import protocol as P
from ...fidelity.protocol import Setting
from ...records.evals import tables_eps

EPS = 8 / 255
#: Where the protocol is stated (the header notes say "Departs from the paper (Sec. 5): ...").
WHERE = "Sec. 5"
#: The official (training, test) rows of the image sets the study runs on.
OFFICIAL = {"mnist": (60_000, 10_000), "fashion-mnist": (60_000, 10_000), "cifar10": (50_000, 10_000)}
#: The published adversarial training (Sec. 5): PGD (IFGSM^10) of 2/255 at 8/255, random start.
PAPER_TRAINING = {"attack": "pgd", "steps": 10, "step_size": 2 / 255, "eps": 8 / 255, "weight": 1.0}
PAPER_NETS = ("ResNet20", "En2ResNet20", "ResNet38", "En5ResNet20")
HE = "He-normal convolutions as the EnResNet code"
GLOROT = "Glorot-uniform weights, zero biases"
TORCH_DEFAULT = "PyTorch's layer defaults (kaiming-uniform, a = sqrt(5))"
ADAM, SGD = "Adam", "SGD, momentum 0.9, Nesterov"
#: The paper's schedule, x0.1 at epochs 80 / 120 / 160 of 200, as shares of the training (:func:`schedule_text`).
PAPER_SCHEDULE = "x0.1 at 40 / 60 / 80 % of the epochs"
BEST_VAL = "best validation accuracy"
#: The measures of Tables 1-4 (A5: NAttack) and the suite's attack each one needs.
MEASURE_ATTACKS = (("A2", "fgsm"), ("A3", "ifgsm"), ("A4", "cw-scaled"))


def _frac(x: float) -> str:
    """8/255 as "8/255"; other numbers as :func:`holistic.fidelity.protocol.show`."""
    k = x * 255
    return f"{round(k)}/255" if round(k) >= 1 and math.isclose(k, round(k), rel_tol=1e-9) else P.show(float(x))


def training_text(attack: str, steps: int, step_size: float, eps: float, weight: float) -> str:
    return f"{attack.upper()}-{steps} of {_frac(step_size)} at {_frac(eps)}, weight {weight:g} on the adversarial loss"


PROTOCOL: dict[str, Setting] = {
    "dataset": Setting("data", "cifar10"),
    "train_rows": Setting("training rows", 45_000),
    "val_rows": Setting("validation rows", 5_000),
    "test_rows": Setting("test rows", 10_000),
    "epochs": Setting("epochs", 200),
    "steps": Setting("optimizer steps a round", 200 * math.ceil(45_000 / 128)),
    "batch_size": Setting("batch", 128),
    "optimizer": Setting("optimizer", SGD),
    "lr": Setting("learning rate", 0.1),
    "optimizer_state": Setting("optimizer built", "every epoch (momentum restarts; public code)"),
    "lr_schedule": Setting("learning-rate schedule", PAPER_SCHEDULE),
    "weight_decay": Setting("weight decay", 5e-4),
    "initialiser": Setting("initialiser", HE),
    "augmentation": Setting("data augmentation", "random crop (pad 4) + flip (public code)"),
    "training": Setting("adversarial training", training_text(**PAPER_TRAINING)),
    # the EnResNet code's AttackPGD (Madry et al.'s PGD) returns the last iterate
    "train_iterate": Setting("training PGD keeps each point's", "last iterate"),
    "eps": Setting("attack radius", EPS),
    "eps_schedule": Setting("training radius schedule", "constant"),
    "attack": Setting("A3 attack", "IFGSM-20 of 2/255"),
    "measures": Setting("measures", ("A1", "A2", "A3", "A4", "A5")),
    "model": Setting("networks", PAPER_NETS),
    "trials": Setting("runs per table cell", 1),
    "checkpoint": Setting("checkpoint", BEST_VAL),
    "rvsm": Setting("RVSM", "beta {0.01, 0.1, 0.5}, lambda 1e-06"),
    "rgsm": Setting("RGSM", "beta 1, lambda_1 {0.05, 0.1}, lambda_2 1e-05"),   # En_5: lambda_1 {0.01, 0.02}
    "admm": Setting("ADMM", "rho 0.01, target not given"),
}
P.check_protocol(PROTOCOL, "rvsm")


def evaluation_eps(params: dict) -> float:
    """The radius of the tables: 8/255 where ``attack.eps`` has it, else the radius closest to it
    (:func:`holistic.records.evals.tables_eps`)."""
    return tables_eps(params, EPS, otherwise="nearest")


def run_methods(params: dict) -> list[str]:
    """The study's methods a run of ``params`` trains (``studies.rvsm.methods``; all by default)."""
    from .methods import METHODS

    return list((params.get("studies", {}).get("rvsm") or {}).get("methods") or METHODS)


def rows(params: dict, dataset: str) -> tuple[int, int, int]:
    """(training, validation, test) rows of one split of ``dataset`` (``holistic.data.splits``:
    the validation share of the training + validation rows as scikit-learn rounds it, up)."""
    sp = split_params(params, dataset)
    if dataset in OFFICIAL:
        trainval, test = OFFICIAL[dataset]
    else:
        from ...data.registry import get

        n = get(dataset).n
        test = math.ceil(sp["test_fraction"] * n)
        trainval = n - test
    if sp.get("max_trainval_rows") is not None:
        trainval = min(trainval, int(sp["max_trainval_rows"]))
    if sp.get("max_test_rows") is not None:
        test = min(test, int(sp["max_test_rows"]))
    val = math.ceil(sp["val_fraction"] * trainval)
    return trainval - val, val, test


def _grid(params: dict, key: str):
    vals = (params["train"].get("grid") or {}).get(key)
    if vals is None:
        return None
    vals = tuple(float(v) for v in vals)
    return vals[0] if len(vals) == 1 else vals




def optimizer_text(name: str, momentum) -> str:
    """A registered optimizer (``holistic.train.optimizers.OPTIMIZERS``) as :data:`PROTOCOL` words it."""
    if name == "adam":
        return ADAM
    return f"SGD, momentum {P.show(momentum)}" + (", Nesterov" if name == "sgd-nesterov" else "")


def schedule_text(name: str, settings: dict | None, epochs: int, steps: int) -> str:
    """A registered schedule with ``train.lr_schedule``'s ``settings`` over a round of ``epochs``
    (``steps``), its milestones as shares of the round: the paper's 80 / 120 / 160 of 200 epochs and
    16 / 24 / 32 of 40 both read :data:`PAPER_SCHEDULE`."""
    from ...train.optimizers.schedules import SETTINGS

    s = {**SETTINGS, **(settings or {})}
    unit, total = ("epochs", epochs) if s["per"] == "epoch" else ("steps", steps)
    if name == "multistep":
        main = (f"x{s['gamma']:g} at " + " / ".join(f"{100 * m / total:.4g}" for m in sorted(s["milestones"]))
                + f" % of the {unit}")
    elif name == "cosine":
        main = f"cosine to {s['eta_min']:g}" + ("" if s["T_max"] is None else f", half period {s['T_max']} {unit}")
    else:
        main = "constant"
    if name != "constant" and s["warmup"]:
        main = f"linear warm-up over {s['warmup']} {unit} from x{s['warmup_start']:.3g}, then {main}"
    return main


def admm_text(prunings: set[str], rho: str, targets: str) -> str:
    """The run's ADMM: its rho and configured targets, and whether it also ran at the (channel)
    sparsity RVSM / RGSM reached (the ``-matched`` prunings); "not run" for none."""
    from .methods import MATCHED

    fixed = prunings & {"ADMM", "ADMM-proj", "ADMMch", "ADMMch-proj"}
    parts = ([f"targets {targets}"] if fixed else []) + (["targets the sparsity RVSM / RGSM reached"]
                                                          if prunings & set(MATCHED) else [])
    return f"rho {rho}, " + " and ".join(parts) if parts else "not run"


def _one(values):
    """The one value of ``values`` (None for none), or ``" / "``-joined where they differ."""
    values = list(dict.fromkeys(values))
    return values[0] if len(values) == 1 else " / ".join(map(str, values)) if values else None


def effective(params: dict, dataset: str, methods: list[str] | None = None) -> dict[str, object]:
    """The run's value of every key of :data:`PROTOCOL` on ``dataset`` (``methods``: the run's
    methods there; default the params' ``studies.rvsm.methods``)."""
    from ...train.schedule import epochs_per_round, steps_per_epoch
    from .methods import ADVERSARIAL, ARCHITECTURES, METHODS, parse

    methods = list(methods) if methods is not None else run_methods(params)
    pieces = [METHODS[m] for m in methods]
    nets = [n for n in ARCHITECTURES if any(parse(m)[0] == n for m in methods)]
    prunings = {parse(m)[1] for m in methods}
    t, a = params["train"], params["attack"]
    n_train, n_val, n_test = rows(params, dataset)
    epochs = epochs_per_round(t["epochs"], n_train, t["batch_size"], t.get("max_steps_per_round"),
                              t.get("min_steps_per_round"))
    suite = a.get("suite") or {}
    tested = {name for name, parts in suite.items() if "test" in (parts or [])}
    eps = evaluation_eps(params)
    ifgsm = {"steps": 20, "step_size": 0.25, **(a.get("ifgsm") or {})}
    adv = dict(ADVERSARIAL)
    iterate = (t.get("adversarial") or {}).get("iterate", "strongest")  # the methods leave it to the params
    preact = {m: ARCHITECTURES[parse(m)[0]][0].startswith(("preact", "en2-preact", "en5-preact")) for m in methods}
    inits = sorted({TORCH_DEFAULT if METHODS[m].initialiser == "torch-default" else HE if preact[m] else GLOROT
                    for m in methods})
    sgd = any(p.optimizer != "adam" for p in pieces)
    noisy = any(ARCHITECTURES[n][1] in ("ensemble", "en5") for n in nets)
    g = {k: P.show(_grid(params, k)) for k in ("rvsm_beta", "rvsm_lambda", "rgsm_beta", "rgsm_lambda1",
                                               "rgsm_lambda2", "admm_rho", "admm_sparsity")}
    steps = epochs * steps_per_epoch(n_train, t["batch_size"])
    return {
        "dataset": dataset,
        "train_rows": n_train, "val_rows": n_val, "test_rows": n_test,
        "epochs": epochs,
        "steps": steps,
        "batch_size": t["batch_size"],
        "optimizer": _one(optimizer_text(p.optimizer, _grid(params, "momentum")) for p in pieces),
        "optimizer_state": "once a round (momentum kept across epochs)",   # holistic.train.grid.Grid.new_optimizer
        "lr": _grid(params, "lr"),
        "lr_schedule": _one(schedule_text(p.lr_schedule, t.get("lr_schedule"), epochs, steps) for p in pieces),
        "weight_decay": (_grid(params, "weight_decay") if sgd else None) or 0.0,   # Adam: none
        "initialiser": inits[0] if len(inits) == 1 else " / ".join(inits) if inits else None,
        "augmentation": "none",
        "training": training_text(adv["adversarial.attack"], adv["adversarial.steps"], adv["adversarial.step_size"],
                                  adv["adversarial.eps"], adv["adversarial.weight"]),
        "train_iterate": ("last iterate" if iterate == "last"
                          else f"{iterate} of its {adv['adversarial.steps'] + 1} iterates"),
        "eps": eps,
        "eps_schedule": "constant",             # the methods fix PGD-AT at 8/255 (methods.ADVERSARIAL)
        "attack": (f"IFGSM-{ifgsm['steps']} of {_frac(ifgsm['step_size'] * eps)}" if "ifgsm" in tested
                   else "IFGSM not run"),
        "measures": ("A1",) + tuple(m for m, attack in MEASURE_ATTACKS if attack in tested),
        "model": tuple(nets),
        "trials": int(split_params(params, dataset).get("n_splits", 1)),
        "checkpoint": BEST_VAL + (" (En_n nets: noise off)" if noisy else ""),
        "rvsm": f"beta {g['rvsm_beta']}, lambda {g['rvsm_lambda']}" if "RVSM" in prunings else "not run",
        "rgsm": (f"beta {g['rgsm_beta']}, lambda_1 {g['rgsm_lambda1']}, lambda_2 {g['rgsm_lambda2']}"
                 if "RGSM" in prunings else "not run"),
        "admm": admm_text(prunings, g["admm_rho"], g["admm_sparsity"]),
    }


#: The settings a method's own training decides (``studies.rvsm.method_train``): where the methods
#: on a data set train differently, each is named per method.
TRAINED = ("epochs", "steps", "batch_size", "optimizer", "lr", "lr_schedule", "weight_decay", "train_iterate")


def departures(params: dict, dataset: str, methods: list[str] | None = None) -> dict[str, str]:
    """``{key: phrase}`` of every setting where the run on ``dataset`` differs from :data:`PROTOCOL`
    (the settings of :data:`TRAINED` per method where ``studies.rvsm.method_train`` sets a method's
    own: :func:`holistic.fidelity.protocol.by_method`)."""
    methods = list(methods) if methods is not None else run_methods(params)
    run = P.by_method(lambda p, ms: effective(p, dataset, ms), params, "rvsm", methods, TRAINED)
    return P.departures(PROTOCOL, run)
