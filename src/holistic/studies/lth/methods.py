"""Cosentino et al. (2019), Sec. 4.1-4.2: three trainings x three reset strategies on LeNet-300-100
without biases, each one iterative magnitude pruning run (procedure ``imp``).

Trainings (Sec. 4.2): ``natural`` (cross-entropy), ``FGSM`` and ``PGD`` adversarial training
(loss ``adversarial``: 0.5 CE(x) + 0.5 CE(x_adv), eps 0.3; PGD 10 steps of 0.05). Resets
(Sec. 4.1): ``init`` (Strategy 1, "original": the lottery ticket, rewound to theta_0),
``random`` (Strategy 2: a new draw) and ``continue`` (Strategy 3: the trained weights).
A method is named ``<training>-<reset>``, e.g. ``PGD-init``.
"""

from __future__ import annotations

from ...methods import Method
from ..base import pair_name, split_pair

MODEL = "lenet300-nobias"
#: training -> (loss, its fixed settings)
TRAININGS = {"natural": ("ce", ()),
             "FGSM": ("adversarial", (("adversarial.attack", "fgsm"),)),
             "PGD": ("adversarial", (("adversarial.attack", "pgd"),))}
RESETS = ("init", "random", "continue")
BASELINE = "natural-init"


def parse(method: str) -> tuple[str, str]:
    """``"PGD-init"`` -> ``("PGD", "init")``."""
    return split_pair(method, TRAININGS, RESETS, ("training", "reset"))


def compose(training: str, reset: str) -> Method:
    loss, settings = TRAININGS[training]
    return Method(loss=loss, procedure="imp", model=MODEL, settings=settings + (("imp.reset", reset),))


#: Training-major order (the tables' column order).
METHODS: dict[str, Method] = {pair_name(t, r): compose(t, r) for t in TRAININGS for r in RESETS}
