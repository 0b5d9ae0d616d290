"""The claims of Cosentino et al. (2019), Sec. 6, that compare the three reset strategies (Sec. 4.1:
``init`` the lottery ticket, ``random`` a new draw, ``continue`` the trained weights), judged by the
claims engine on a run's round models (:mod:`.readings`).

* L4: the ticket's natural accuracy at least every other strategy's at every P_m <= 16.9 %;
* L6: continued training beats the ticket in PGD robustness at 51.3 % (MNIST; Fashion: 16.9 %);
* L7: the ticket beats every other strategy in robustness at P_m 3.6 and 1.8 %;
* L8: random re-initialisation is beaten by at least one other strategy in every case.

Robustness is each adversarial training's own attack (FGSM-trained nets under FGSM, PGD-trained under
PGD, both at eps 0.3: the paper's Figs. 1-2, 7-8). The dense round is the same net for every strategy
(the same theta_0, the same training), so the strategies are compared at pruned levels only.
Every comparison is paired over splits and, where a claim spans several cases (trainings, levels,
strategies), taken per split at the case closest to failing (:func:`.readings.worst`).
"""

from __future__ import annotations

import math

from ...fidelity import engine as E
from ...render.tables import number
from .readings import DENSE, TOLERANCE, Reading, Run, at_level, converged, mean, measured, method_rows, voiding_pre, worst

#: "High sparsity" of L4 (notes 6.6: every P_m <= 16.9 %).
HIGH_SPARSITY = 16.9
#: L6: the level where continued training led, per data set (Sec. 6: "51.3 % of sparsity" on MNIST;
#: "an even higher sparsity of 16.9 %" on Fashion-MNIST).
CONTINUE_LEVELS = {"mnist": 51.3, "fashion-mnist": 16.9}
#: L7: "the highest level of sparsity of 3.6 % and 1.8 %" (P_m, the closed form 3.58 and 1.85).
SPARSEST_LEVELS = (3.6, 1.85)
#: the adversarial trainings and the attack each is measured under (Figs. 1-2, 7-8).
ROBUST_TRAININGS = {"FGSM": "fgsm", "PGD": "pgd"}


def original_beats(other: str) -> E.Claim:
    """L4 against one other reset strategy (issue 28: the paper compares the ticket with all of them)."""
    return E.Claim(
        f"L4-{other}",
        "\"the winning lottery tickets outperform all other approaches at any sparsity level on natural accuracy\"",
        "Sec. 6; Figs. 1-2, 7-8",
        (E.Part(f"natural accuracy (%): init - {other}, the smallest difference of the split's trainings and "
                f"levels P_m <= {HIGH_SPARSITY:g} %", E.at_least(0.0)),),
        paper="holds (figures only)")


CONTINUE_BEATS = E.Claim(
    "L6",
    "\"continued training outperforms the Lottery Ticket Hypothesis in robustness ... when using the PGD "
    "attack ... for the 51.3% of sparsity\" (MNIST; Fashion-MNIST: \"16.9% as the most robust model\")",
    "Sec. 6; Figs. 2, 8",
    (E.Part("PGD accuracy (%): PGD-continue - PGD-init at P_m 51.3 % (MNIST) / 16.9 % (Fashion-MNIST)",
            E.above(0.0)),),
    paper="figures only (Tables 1-2 list the tickets alone)")

TICKETS_AT_SPARSEST = E.Claim(
    "L7",
    "\"winning lottery tickets constantly outperform all other approaches at the highest level of sparsity "
    "of 3.6% and 1.8%\"",
    "Sec. 6; Figs. 1-2, 7-8",
    (E.Part("adversarial accuracy (%): init - the other strategy (random, continue), FGSM- and PGD-trained "
            "under their attacks, the smallest difference of the split's cases at P_m 3.6 and 1.8 %", E.above(0.0)),),
    paper="figures only")

RANDOM_BEATEN = E.Claim(
    "L8",
    "\"the random reinitialization pruning technique is outperformed by at least one of the other approaches "
    "in all cases\"",
    "Sec. 6; Figs. 1-2, 7-8",
    (E.Part("adversarial accuracy (%): the better of init and continue - random, FGSM- and PGD-trained under "
            "their attacks, the smallest difference of the split's pruned levels", E.above(0.0)),),
    paper="figures only")


def read_original_beats(run: Run, dataset: str, other: str) -> Reading:
    """L4 against reset ``other`` (one claim per other strategy of :data:`.methods.RESETS`: the paper
    compares the ticket with all of them). Per split, over every training with both ``<t>-init``
    and ``<t>-<other>`` in the run and every level ``P_m <= 16.9 %``, the case where ``init``
    leads least (the claim is "at any sparsity level"): its natural test accuracy, init minus
    ``other``, at least 0."""
    lv = run.levels[run.levels["dataset"] == dataset]
    pairs, trainings = [], []
    for training in lv["training"].unique():
        init, oth = method_rows(run, dataset, f"{training}-init"), method_rows(run, dataset, f"{training}-{other}")
        if init.empty or oth.empty:
            continue
        trainings.append(training)
        for r in sorted(set(init["round"]) & set(oth["round"])):
            i, o = init[init["round"] == r], oth[oth["round"] == r]
            if i["kept_percent"].max() <= HIGH_SPARSITY + TOLERANCE:
                pairs.append((dict(zip(i["unit"], i["natural"])), dict(zip(o["unit"], o["natural"]))))
    a, b = worst(pairs)
    pre = [E.measured(bool(pairs), f"trainings with init and {other}: {', '.join(trainings) or 'none'}; "
                                   f"{len(pairs)} (training, level) case{'s' if len(pairs) != 1 else ''} at "
                                   f"P_m <= {HIGH_SPARSITY:g} %"),
           converged(run, dataset, [f"{t}-{r}" for t in trainings for r in ("init", other)],
                     sorted({float(k) for k in lv["kept_percent"] if k <= HIGH_SPARSITY + TOLERANCE}))]
    here = (f"natural {number(mean(a.values()), 2, '-')} vs {number(mean(b.values()), 2, '-')} "
            "at the closest case per split")
    return [E.paired(a, b)], pre, here


def read_continue_beats(run: Run, dataset: str) -> Reading:
    """L6: PGD-continue's PGD accuracy minus PGD-init's at the data set's level
    (:data:`CONTINUE_LEVELS`), same split, above 0; on another data set the paper states nothing
    (not testable). Voided where the attack or training radius is not the paper's."""
    level = CONTINUE_LEVELS.get(dataset)
    if level is None:
        return [None], [E.measured(False, f"the paper states it for {', '.join(CONTINUE_LEVELS)} only")], "-"
    cont, init = (at_level(run, dataset, f"PGD-{r}", level, "pgd") for r in ("continue", "init"))
    pre = [measured({f"PGD-continue at {level:g} %": cont, f"PGD-init at {level:g} %": init}),
           converged(run, dataset, ("PGD-continue", "PGD-init"), (level,), ("pgd",)),
           voiding_pre(run, dataset, ("eps", "train_eps"))]
    here = f"PGD {number(mean(cont.values()), 2, '-')} vs {number(mean(init.values()), 2, '-')} at P_m {level:g} %"
    return [E.paired(cont, init)], pre, here


def _robust_cases(run: Run, dataset: str, levels) -> list[tuple[str, str, float, dict[str, dict]]]:
    """``(training, attack, level, {reset: {unit: accuracy}})`` for each adversarial training and
    each of ``levels`` where the run measured it (its attack's accuracy at P_m ``level``)."""
    cases = []
    for training, attack in ROBUST_TRAININGS.items():
        for level in levels:
            by_reset = {reset: at_level(run, dataset, f"{training}-{reset}", level, attack)
                        for reset in ("init", "random", "continue")}
            if any(by_reset.values()):
                cases.append((training, attack, level, by_reset))
    return cases


def _pruned_levels(run: Run, dataset: str) -> list[float]:
    """The run's P_m levels below the dense one (rounded as the tables print them)."""
    lv = run.levels[run.levels["dataset"] == dataset]
    return sorted({round(float(k), 2) for k in lv["kept_percent"] if k < DENSE - TOLERANCE}, reverse=True)


def _converged_robust(run: Run, dataset: str, cases, levels) -> E.Precondition:
    """``converged`` of the compared methods of ``cases`` (:func:`_robust_cases`) at ``levels``,
    each training's on its own attack's accuracy (a swept PGD-init's FGSM accuracy is no quantity
    of L7 / L8)."""
    compared = {t: (a, [f"{t}-{r}" for r, v in by.items() if v]) for t, a, _, by in cases}
    if not compared:
        return E.Precondition("converged", False, "no compared models")
    parts = {t: converged(run, dataset, methods, levels, (a,)) for t, (a, methods) in compared.items()}
    return E.Precondition("converged", all(p.met for p in parts.values()),
                          "; ".join(f"{t}: {p.value}" for t, p in parts.items()))


def _case_text(cases) -> str:
    return "; ".join(f"{t} at {lv:g} %: {', '.join(r for r, v in by.items() if v) or 'none'}"
                     for t, _, lv, by in cases) or "none"


def read_tickets_at_sparsest(run: Run, dataset: str) -> Reading:
    """L7: per split, the smallest of ``init - other`` over the adversarial trainings, the other
    strategies (random, continue) and the levels 3.6 and 1.8 %, each training under its own
    attack; above 0. Not testable where the run does not reach those levels."""
    cases = _robust_cases(run, dataset, SPARSEST_LEVELS)
    pairs = [(by["init"], by[other]) for _, _, _, by in cases for other in ("random", "continue")
             if by["init"] and by[other]]
    a, b = worst(pairs)
    reached = [f"{lv:g}" for lv in _pruned_levels(run, dataset)]
    pre = [E.measured(bool(pairs), f"{len(pairs)} (training, strategy, level) case{'s' if len(pairs) != 1 else ''} "
                                   f"at P_m 3.6 / 1.8 % (the run's pruned levels: {', '.join(reached) or 'none'})"),
           _converged_robust(run, dataset, cases, SPARSEST_LEVELS),
           voiding_pre(run, dataset, ("eps", "train_eps"))]
    here = f"init {number(mean(a.values()), 2, '-')} vs {number(mean(b.values()), 2, '-')} at the closest case per split"
    return [E.paired(a, b)], pre, here


def _better(x: dict, y: dict) -> dict:
    """Per unit, the larger of two strategies' accuracies (a unit measured by one only keeps it)."""
    out = {}
    for u in set(x) | set(y):
        vals = [float(v[u]) for v in (x, y) if u in v and v[u] is not None and math.isfinite(float(v[u]))]
        if vals:
            out[u] = max(vals)
    return out


def read_random_beaten(run: Run, dataset: str) -> Reading:
    """L8: per split, the smallest of ``max(init, continue) - random`` over the adversarial
    trainings (each under its own attack) and every pruned level of the run; above 0."""
    cases = _robust_cases(run, dataset, _pruned_levels(run, dataset))
    pairs = [(_better(by["init"], by["continue"]), by["random"]) for _, _, _, by in cases
             if by["random"] and (by["init"] or by["continue"])]
    a, b = worst(pairs)
    pre = [E.measured(bool(pairs), f"{len(pairs)} (training, level) case{'s' if len(pairs) != 1 else ''} with random "
                                   f"and another strategy ({_case_text(cases)})"),
           _converged_robust(run, dataset, cases, sorted({lv for _, _, lv, _ in cases}) or None),
           voiding_pre(run, dataset, ("eps", "train_eps"))]
    here = (f"better of init / continue {number(mean(a.values()), 2, '-')} vs random "
            f"{number(mean(b.values()), 2, '-')} at the closest case per split")
    return [E.paired(a, b)], pre, here


#: The strategy claims in table order, and their readers.
CLAIMS: tuple[E.Claim, ...] = (original_beats("random"), original_beats("continue"), CONTINUE_BEATS,
                               TICKETS_AT_SPARSEST, RANDOM_BEATEN)
READERS = {
    "L4-random": lambda run, dataset: read_original_beats(run, dataset, "random"),
    "L4-continue": lambda run, dataset: read_original_beats(run, dataset, "continue"),
    "L6": read_continue_beats, "L7": read_tickets_at_sparsest, "L8": read_random_beaten,
}
