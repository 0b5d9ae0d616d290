"""The methods of Dinh et al. (2020): one network x one pruning procedure, all trained by PGD
adversarial training (Sec. 5: IFGSM^10 of alpha 2/255 at eps 8/255 from a random start in the
ball; the loss on the adversarial points only).

Networks (``ARCHITECTURES``; the paper's on a GPU, the residual-MLP stand-ins on a CPU, study
notes 5.4): the single net (ResNet20 / ResMLP), the noisy ensemble En_2 of two (En_2ResNet20 /
En_2ResMLP) and the deeper single net of about En_2's size (ResNet38 / 6-block ResMLP);
En_5ResNet20 for Table 2. Prunings (``PRUNINGS``): none, RVSM (Alg. 1), RGSM (Alg. 2), ADMM
unstructured and by channel, each as the paper counted it and with the final projection and
masked retraining, the latter also at the sparsity RVSM (the channel sparsity RGSM) reached on the
same network, split and setting (``-matched``: issue 32's comparison at matched sparsity). Training
as the paper's code (:data:`OPTIMIZER`, :data:`LR_SCHEDULE`, :func:`initialiser`). A method is
named ``<network>-<pruning>``, e.g. ``En2ResMLP-RVSM``; the pruning's hyperparameters (beta,
lambda, ...) are the grid axes of ``train.grid``.
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
    "ADMM-proj-matched": "admm_project_matched",            # ADMM-proj at the sparsity RVSM reached
    "ADMMch-proj-matched": "admm_channel_project_matched",  # ADMMch-proj at RGSM's channel sparsity
}
#: A matched ADMM's source pruning: its target is each source model's (channel) sparsity.
MATCHED = {"ADMM-proj-matched": "RVSM", "ADMMch-proj-matched": "RGSM"}
#: The paper's adversarial training (Sec. 5; the EnResNet code): PGD-10, alpha 2/255, eps 8/255,
#: uniform random start, the loss on the adversarial points only (weight 1).
ADVERSARIAL = (("adversarial.attack", "pgd"), ("adversarial.eps", 8 / 255), ("adversarial.steps", 10),
               ("adversarial.step_size", 2 / 255), ("adversarial.weight", 1.0))
#: How the paper's code trains (tdinh15/rvsm-rgsm-admm, ``main_rvsm.py``, ``main_pgd_resnet_rgsm.py``):
#: ``optim.SGD(lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)``, the rate x0.1 at epochs
#: 80 / 120 / 160 of 200 (grid axes ``lr``, ``momentum``, ``weight_decay``; ``train.lr_schedule``).
OPTIMIZER, LR_SCHEDULE = "sgd-nesterov", "multistep"
BASELINE = "ResMLP-none"


def parse(method: str) -> tuple[str, str]:
    """``"En2ResMLP-ADMMch-proj"`` -> ``("En2ResMLP", "ADMMch-proj")``."""
    return split_pair(method, ARCHITECTURES, PRUNINGS, ("network", "pruning"))


def role(method: str) -> str:
    return ARCHITECTURES[parse(method)[0]][1]


def initialiser(net: str) -> str:
    """The paper's nets their own (``glorot`` = the model's own: the EnResNet code's He-normal
    convolutions); the residual-MLP surrogates ``nn.Linear``'s own (``torch-default``), what the
    paper's PyTorch code gives a layer it does not initialise itself."""
    return "torch-default" if net in SURROGATES else "glorot"


def compose(net: str, pruning: str) -> Method:
    return Method(loss="adversarial", procedure=PRUNINGS[pruning], model=ARCHITECTURES[net][0], settings=ADVERSARIAL,
                  optimizer=OPTIMIZER, lr_schedule=LR_SCHEDULE, initialiser=initialiser(net))


METHODS: dict[str, Method] = {pair_name(n, p): compose(n, p) for n in ARCHITECTURES for p in PRUNINGS}
#: method -> the method whose trained models it starts from (``Study.sources``): a matched ADMM reads
#: the sparsity of the same network's RVSM / RGSM models (its train job has their model file as input).
SOURCES = {pair_name(n, p): pair_name(n, src) for n in ARCHITECTURES for p, src in MATCHED.items()}
