"""The published protocol (Dinh et al. 2020, Sec. 5; the EnResNet and rvsm-rgsm-admm code, study
notes 5.1 and 5.3) and a run's departures from it, which every table of the study names in its
header. Every run here departs at least by the surrogate (the paper: CIFAR-10 ResNets)."""

from __future__ import annotations

from ...data.splits import split_params

EPS = 8 / 255
#: Sec. 5 and the public code: CIFAR-10 45,000 / 5,000 / 10,000; 200 epochs of batch 128;
#: SGD 0.1 (momentum 0.9, Nesterov, wd 5e-4; x0.1 at epochs 80/120/160); PGD-10 AT (2/255, 8/255);
#: attacks at eps 8/255, IFGSM^20 of 2/255; ADMM's rho 1e-2.
PAPER = {"dataset": "cifar10", "train_rows": 45_000, "val_rows": 5_000, "test_rows": 10_000, "epochs": 200,
         "batch_size": 128, "ifgsm_steps": 20, "ifgsm_alpha": 2 / 255}
#: What no run here measures (the header says so once).
NOT_HERE = "A5 (NAttack) is out of scope"


def evaluation_eps(params: dict) -> float:
    """The radius of the tables: 8/255 where ``attack.rho_test`` has it, else the radius closest to it."""
    rhos = [float(r) for r in params["attack"]["rho_test"]]
    return min(rhos, key=lambda r: abs(r - EPS))


def departures(params: dict, dataset: str, networks: list[str]) -> list[str]:
    """What a run on ``dataset`` with ``networks`` does otherwise than the paper, one phrase each."""
    from .methods import SURROGATES

    out = []
    if dataset != PAPER["dataset"]:
        out.append(f"{dataset} (paper CIFAR-10)")
    if any(n in SURROGATES for n in networks):
        out.append("residual-MLP surrogates of ResNet20 / En2ResNet20 / ResNet38")
    sp = split_params(params, dataset)
    if sp.get("max_trainval_rows") is not None:
        out.append(f"{sp['max_trainval_rows']:,} training + validation rows (paper 50,000)")
    if sp.get("max_test_rows") is not None:
        out.append(f"{sp['max_test_rows']:,} test rows (paper 10,000)")
    t = params["train"]
    if t["epochs"] != PAPER["epochs"]:
        out.append(f"{t['epochs']} epoch{'s' if t['epochs'] != 1 else ''} (paper 200)")
    if t["batch_size"] != PAPER["batch_size"]:
        out.append(f"batch {t['batch_size']} (paper 128)")
    out.append(f"Adam lr {', '.join(f'{x:g}' for x in t['grid'].get('lr', []))} per model "
               "(paper SGD 0.1, momentum, steps at 80/120/160)")
    eps = evaluation_eps(params)
    if abs(eps - EPS) > 1e-9:
        out.append(f"attacks at eps {eps:.4g} (paper 8/255)")
    ifgsm = {"steps": 20, "step_size": 0.25, **(params["attack"].get("ifgsm") or {})}
    if ifgsm["steps"] != PAPER["ifgsm_steps"] or abs(ifgsm["step_size"] * eps - PAPER["ifgsm_alpha"]) > 1e-9:
        out.append(f"IFGSM-{ifgsm['steps']} of step {ifgsm['step_size'] * eps:.3g} (paper 20 of 2/255)")
    if sp.get("n_splits", 1) > 1:
        out.append(f"mean of {sp['n_splits']} splits (paper one run)")
    return out


def header_note(items: list[str]) -> str:
    """The line a table's header carries."""
    head = "Departs from the paper (Sec. 5): " + "; ".join(items) + "." if items else "Protocol of the paper (Sec. 5)."
    return f"{head} {NOT_HERE}."
