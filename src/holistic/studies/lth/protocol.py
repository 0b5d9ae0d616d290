"""The published protocol (Cosentino et al. 2019, Sec. 4.2-4.3) and a run's departures from it,
which every table of the study names in its header."""

from __future__ import annotations

from ...data.splits import split_params

#: Sec. 4.2-4.3 (MNIST and Fashion-MNIST alike).
PAPER = {"train_rows": 50_000, "val_rows": 10_000, "test_rows": 10_000, "steps_per_round": 50_000,
         "table_steps": 30_000, "prunes": 20, "trials": 5, "batch_size": 60, "lr": 1.2e-3,
         "pgd_steps": 10, "pgd_step": 0.05}
#: P_m of the paper's tables after k prunes at 20 % / 10 % (output): k -> P_m (Sec. 4.2; 6.1 of the notes).
TABLE_LEVELS = {0: 100.0, 3: 51.3, 8: 16.9, 11: 8.7, 15: 3.6, 18: 1.8}


def lenet_kept_percent(k: int) -> float:
    """P_m of LeNet-300-100 without biases after k prunes at 20 % / 10 % (output), the closed
    form of Sec. 4.2: ``(265,200 * 0.8^k + 1,000 * 0.9^k) / 266,200`` in percent."""
    return 100 * (265_200 * 0.8 ** k + 1_000 * 0.9 ** k) / 266_200


def evaluation_eps(params: dict) -> float:
    """The radius of the tables' attacks: the training radius ``train.adversarial.eps`` (the paper
    attacks at the radius it trains with, 0.3) where ``attack.rho_test`` has it, else the largest
    radius measured."""
    from ...records.evals import eps_key

    eps = float((params["train"].get("adversarial") or {}).get("eps", 0.3))
    rhos = [float(r) for r in params["attack"]["rho_test"]]
    return eps if eps_key(eps) in {eps_key(r) for r in rhos} else max(rhos)


def levels_reached(prunes: int) -> list[float]:
    """The paper's table levels a run with ``prunes`` prunes measures."""
    return [p for k, p in TABLE_LEVELS.items() if k <= prunes]


def departures(params: dict, dataset: str, steps_per_round: int | None, trials: int | None) -> list[str]:
    """What a run on ``dataset`` does otherwise than the paper (fewer rows, steps, prunes, trials;
    another batch, learning rate or PGD), one short phrase each; empty when it follows it."""
    out = []
    sp = split_params(params, dataset)
    if sp.get("max_trainval_rows") is not None:
        out.append(f"{sp['max_trainval_rows']:,} training + validation rows (paper 60,000)")
    if sp.get("max_test_rows") is not None:
        out.append(f"{sp['max_test_rows']:,} test rows (paper 10,000)")
    t = params["train"]
    prunes = int((t.get("imp") or {}).get("prunes", PAPER["prunes"]))
    if prunes < PAPER["prunes"]:
        out.append(f"{prunes} prunes (paper 20): down to P_m {lenet_kept_percent(prunes):.1f} %")
    if steps_per_round is not None and steps_per_round != PAPER["steps_per_round"]:
        out.append(f"{steps_per_round:,} steps per round (paper 50,000; tables at 30,000)")
    if trials is not None and trials != PAPER["trials"]:
        out.append(f"{trials} trial{'s' if trials != 1 else ''} per level (paper 5)")
    if t["batch_size"] != PAPER["batch_size"]:
        out.append(f"batch {t['batch_size']} (paper 60)")
    lrs = t["grid"].get("lr", [])
    if list(lrs) != [PAPER["lr"]]:
        out.append(f"lr {', '.join(f'{x:g}' for x in lrs)} (paper 0.0012)")
    a = params["attack"]
    eps = evaluation_eps(params)
    if eps != 0.3:
        out.append(f"attacks at eps {eps:g} (paper 0.3)")
    alpha = a["pgd_step_size"] * eps / a["pgd_steps"]
    if a["pgd_steps"] != PAPER["pgd_steps"] or abs(alpha - PAPER["pgd_step"]) > 1e-9:
        out.append(f"PGD-{a['pgd_steps']} of step {alpha:.3g} (paper 10 steps of 0.05)")
    return out


def header_note(items: list[str]) -> str:
    """The line a table's header carries: the departures, or that the run follows the protocol."""
    if not items:
        return "Protocol of the paper (Sec. 4.2)."
    return "Departs from the paper (Sec. 4.2): " + "; ".join(items) + "."
