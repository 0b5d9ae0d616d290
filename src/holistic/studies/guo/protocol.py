"""The published protocol (Guo et al. 2018, Sec. 4.1-4.2) and a run's departures from it, which
every table of the study names in its header."""

from __future__ import annotations

from fractions import Fraction

from ...data.splits import split_params
from ...procedures.progressive import pruned_count

#: Sec. 4.1-4.2 (MNIST; 60,000 training and 10,000 test images; the 1 vs 7 task: 13,007 / 2,163).
PAPER = {"trainval_rows": {"mnist": 60_000, "mnist-1v7": 13_007}, "test_rows": {"mnist": 10_000, "mnist-1v7": 2_163},
         "prunes": 16, "rate": "1/3", "references": 10, "eps": 0.1, "iterations": 50_000, "batch_size": 64}
#: The paper's optimiser: SGD with momentum (linear models, lr not given; the LeNets: Caffe's
#: lenet_solver, lr 0.01, momentum 0.9, weight decay 5e-4, "inv" policy). The platform trains with Adam.
OPTIMISER_NOTE = "Adam (paper: SGD with momentum, Caffe's LeNet solver for the DNNs)"


def kept_after(n: int, prunes: int, rate: str = PAPER["rate"]) -> int:
    """Nonzero weights of a layer of n after ``prunes`` progressive prunes (floor(rho n) a round)."""
    rho = Fraction(rate)
    for _ in range(prunes):
        n -= pruned_count(n, rho)
    return n


def departures(params: dict, dataset: str, references: int | None, steps_per_round: int | None) -> list[str]:
    """What a run on ``dataset`` does otherwise than the paper, one short phrase each."""
    out = []
    sp = split_params(params, dataset)
    if sp.get("max_trainval_rows") is not None:
        out.append(f"{sp['max_trainval_rows']:,} training + validation rows (paper {PAPER['trainval_rows'].get(dataset, 60_000):,})")
    if sp.get("max_test_rows") is not None:
        out.append(f"{sp['max_test_rows']:,} test points (paper {PAPER['test_rows'].get(dataset, 10_000):,})")
    if references is not None and references != PAPER["references"]:
        out.append(f"{references} reference model{'s' if references != 1 else ''} (paper 10)")
    prog = params["train"].get("progressive") or {}
    prunes = int(prog.get("prunes", PAPER["prunes"]))
    if prunes != PAPER["prunes"] or str(prog.get("rate", PAPER["rate"])) != PAPER["rate"]:
        out.append(f"{prunes} prunes at rate {prog.get('rate', PAPER['rate'])} (paper 16 at 1/3)")
    if steps_per_round is not None:
        out.append(f"{steps_per_round:,} steps of batch {params['train']['batch_size']} a round "
                   f"(paper: 50,000 iterations of batch 64 for the DNN references; retraining not stated)")
    out.append(OPTIMISER_NOTE)
    a = params["attack"]
    cw = a.get("cw") or {}
    if cw:
        out.append(f"C&W {cw.get('steps', 1000)} steps of lr {cw.get('lr', 0.01):g} x {cw.get('search_steps', 9)} "
                   "searches of c (paper: settings not given)")
    return out


def header_note(items: list[str]) -> str:
    """The line a table's header carries: the departures."""
    return "Departs from the paper (Sec. 4.1-4.2): " + "; ".join(items) + "." if items else "Protocol of the paper (Sec. 4)."
