"""The methods of Dinh et al. (2020): one network x one pruning procedure, all trained by PGD
adversarial training (Sec. 5: IFGSM^10 of alpha 2/255 at eps 8/255 from a random start in the
ball; the loss on the adversarial points only).

Networks (``ARCHITECTURES``; the paper's on a GPU, the residual-MLP stand-ins on a CPU, study
notes 5.4): the single net (ResNet20 / ResMLP), the noisy ensemble En_2 of two (En_2ResNet20 /
En_2ResMLP) and the deeper single net of about En_2's size (ResNet38 / 6-block ResMLP);
En_5ResNet20 for Table 2. Prunings (``PRUNINGS``): none, RVSM (Alg. 1), RGSM (Alg. 2), ADMM
unstructured and by channel, each as the paper counted it and with the final projection and
masked retraining. A method is named ``<network>-<pruning>``, e.g. ``En2ResMLP-RVSM``; the
pruning's hyperparameters (beta, lambda, ...) are the grid axes of ``train.grid``.
"""

from __future__ import annotations

from ...methods import Method
from ..base import pair_name, split_pair

#: network name -> (registered model, role): single, ensemble (En_2), deep (about En_2's size), en5.
ARCHITECTURES = {
    "ResMLP": ("resmlp", "single"),
    "En2ResMLP": ("en2-resmlp", "ensemble"),
    "DeepResMLP": ("resmlp-deep", "deep"),
    "ResNet20": ("preact-resnet20", "single"),
    "En2ResNet20": ("en2-preact-resnet20", "ensemble"),
    "ResNet38": ("preact-resnet38", "deep"),
    "En5ResNet20": ("en5-preact-resnet20", "en5"),
}
#: The networks of the CPU profile and of the paper (GPU).
SURROGATES = ("ResMLP", "En2ResMLP", "DeepResMLP")
PAPER_NETS = ("ResNet20", "En2ResNet20", "ResNet38", "En5ResNet20")
#: pruning name -> registered procedure.
PRUNINGS = {
    "none": "single",
    "RVSM": "rvsm",
    "RGSM": "rgsm",
    "ADMM": "admm",                         # as the paper counted it (W itself, no final projection)
    "ADMM-proj": "admm_project",            # + final projection and masked retraining
    "ADMMch": "admm_channel",
    "ADMMch-proj": "admm_channel_project",
}
#: The paper's adversarial training (Sec. 5; the EnResNet code): PGD-10, alpha 2/255, eps 8/255,
#: uniform random start, the loss on the adversarial points only (weight 1).
ADVERSARIAL = (("adversarial.attack", "pgd"), ("adversarial.eps", 8 / 255), ("adversarial.steps", 10),
               ("adversarial.step_size", 2 / 255), ("adversarial.weight", 1.0))
BASELINE = "ResMLP-none"


def parse(method: str) -> tuple[str, str]:
    """``"En2ResMLP-ADMMch-proj"`` -> ``("En2ResMLP", "ADMMch-proj")``."""
    return split_pair(method, ARCHITECTURES, PRUNINGS, ("network", "pruning"))


def role(method: str) -> str:
    return ARCHITECTURES[parse(method)[0]][1]


def compose(net: str, pruning: str) -> Method:
    return Method(loss="adversarial", procedure=PRUNINGS[pruning], model=ARCHITECTURES[net][0], settings=ADVERSARIAL)


METHODS: dict[str, Method] = {pair_name(n, p): compose(n, p) for n in ARCHITECTURES for p in PRUNINGS}
