"""The published protocol of SparseVLR on MNIST (Kaur & Salekin, §5 and App. A) and a run's
departures from it, which every table of the study names in its header."""

from __future__ import annotations

from ...data.splits import split_params
from ...objectives.certified import DEFAULTS

#: App. A (MNIST, 4-layer and 7-layer CNN): 60,000 training and 10,000 test rows, (T, s, l) =
#: (100, 10, 60), eps_train = eps_test = 0.4, 5 seeds, batch 256 (auto_LiRPA), PGD-200.
PAPER = {"train_rows": 60_000, "test_rows": 10_000, "epochs": 100, "start": 10, "length": 60, "eps": 0.4,
         "seeds": 5, "batch_size": 256, "pgd_steps": 200, "sparsities": (80, 90, 95, 99)}


def evaluation_eps(params: dict) -> float:
    """The radius of the tables: the training radius ``train.certified.eps`` (the paper tests at
    the radius it trains with, 0.4) where ``attack.rho_test`` has it, else the largest radius measured."""
    from ...records.evals import eps_key

    eps = float((params["train"].get("certified") or {}).get("eps", DEFAULTS["eps"]))
    rhos = [float(r) for r in params["attack"]["rho_test"]]
    return eps if eps_key(eps) in {eps_key(r) for r in rhos} else max(rhos)


def departures(params: dict, dataset: str, seeds: int | None, methods: list[str]) -> list[str]:
    """What a run on ``dataset`` does otherwise than the paper, one short phrase each; empty when
    it follows it."""
    out = []
    sp = split_params(params, dataset)
    if sp.get("max_trainval_rows") is not None:
        out.append(f"{sp['max_trainval_rows']:,} training + validation rows (paper 60,000 training)")
    if sp.get("max_test_rows") is not None:
        out.append(f"{sp['max_test_rows']:,} test rows (paper 10,000)")
    model = ((params.get("studies") or {}).get("sparsevlr") or {}).get("model")
    if model not in (None, "cnn_4layer"):
        out.append(f"model {model} (paper: cnn_4layer)")
    t = params["train"]
    c = {**DEFAULTS, **(t.get("certified") or {})}
    if (t["epochs"], c["start"], c["length"]) != (PAPER["epochs"], PAPER["start"], PAPER["length"]):
        out.append(f"(T, s, l) = ({t['epochs']}, {c['start']}, {c['length']}) epochs (paper (100, 10, 60))")
    if float(c["eps"]) != PAPER["eps"]:
        out.append(f"eps_train {c['eps']:g} (paper 0.4)")
    if seeds is not None and seeds != PAPER["seeds"]:
        out.append(f"{seeds} seed{'s' if seeds != 1 else ''} (paper 5)")
    if t["batch_size"] != PAPER["batch_size"]:
        out.append(f"batch {t['batch_size']} (paper 256)")
    a = params["attack"]
    eps = evaluation_eps(params)
    if eps != PAPER["eps"]:
        out.append(f"errors at eps {eps:g} (paper 0.4)")
    if a["pgd_steps"] != PAPER["pgd_steps"]:
        out.append(f"PGD-{a['pgd_steps']} (paper PGD-200)")
    grid = [float(p) for p in t["grid"].get("target_sparsity", [])]
    missing = [p for p in PAPER["sparsities"] if p not in grid]
    if grid and missing:
        out.append(f"p in {{{', '.join(f'{p:g}' for p in grid)}}} % (paper also {', '.join(f'{p:g}' for p in missing)})")
    if methods and "RSM-T-CROWN" not in methods:
        out.append("no RSM^T trained through full CROWN (Table 6's CROWN row)")
    return out


def header_note(items: list[str]) -> str:
    """The line a table's header carries: the departures, or that the run follows the protocol."""
    if not items:
        return "Protocol of the paper (App. A)."
    return "Departs from the paper (App. A): " + "; ".join(items) + "."
