"""Attacks on a stack of G models, one line per attack.

Each attack declares its norm (``norm``), whether it is budgeted (a radius eps is
given, the result is an accuracy) or minimal (the result is a distance), the params
keys it reads, and ``from_params(params["attack"])``; calling it with a logits
function, inputs, labels, eps, the input box and per-model generators returns the
adversarial inputs (a budgeted attack) or the adversarial inputs and a success flag per
sample (a minimal attack: eps unused; a failure is never a distance of 0). An unknown name
is an error, never a silent fallback.
"""

from .apgd import APGDCE, APGDDLR
from .cw import CW
from .cw_scaled import ScaledCW
from .deepfool import DeepFool
from .ensemble import WorstCase
from .eot import EOTIFGSM
from .fgsm import FGSM, UnboxedFGSM
from .ifgsm import IFGSM
from .pgd import PGD, PGDRestarts
from .rfgs import RFGSM, UnboxedRFGSM

ATTACKS = {
    "pgd": PGD,            # Madry et al. 2018, as the HDL paper ran it
    "pgd-restarts": PGDRestarts,  # PGD with restarts, margin loss, absolute step
    "fgsm": FGSM,          # Goodfellow et al. 2015
    "apgd-ce": APGDCE,     # Croce & Hein 2020, cross-entropy
    "apgd-dlr": APGDDLR,   # Croce & Hein 2020, DLR loss (K >= 3)
    "ifgsm": IFGSM,        # Kurakin et al. 2017
    "eot-ifgsm": EOTIFGSM,  # IFGSM on gradients averaged over noise draws (EOT; stochastic models)
    "rfgsm": RFGSM,        # Tramer et al. 2018 (R+FGSM)
    "fgsm-nobox": UnboxedFGSM,    # FGSM without the input box: Guo et al.'s FGS (eq. 1)
    "rfgsm-nobox": UnboxedRFGSM,  # R+FGSM without the input box: Guo et al.'s rFGS
    "ensemble": WorstCase,  # per-sample worst case of attack.ensemble.members
    "deepfool": DeepFool,  # Moosavi-Dezfooli et al. 2016 (minimal L2)
    "cw": CW,              # Carlini & Wagner 2017 (minimal L2)
    "cw-scaled": ScaledCW,  # the EnResNet script's weak C&W, perturbation scaled by eps (Dinh et al. A4)
}


def lookup(name: str):
    """The attack class registered as ``name``; ValueError naming the known ones otherwise."""
    if name not in ATTACKS:
        raise ValueError(f"unknown attack {name!r}; registered: {', '.join(ATTACKS)}")
    return ATTACKS[name]


WorstCase.lookup = staticmethod(lookup)  # the ensemble finds its members here (ensemble.py never imports this)
