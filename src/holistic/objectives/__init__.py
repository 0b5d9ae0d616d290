"""Training objectives: per-sample losses and their reductions, one line per piece.

A loss maps ``(model, params, x, y, hp, forward output)`` to per-sample losses ``[G, B]``;
a reduction maps them (and its own trained state, e.g. the stable loss's theta) to one
value per model ``[G]``. Each piece declares its grid axes (``axes``) and any other
params keys it reads (``param_keys``); a loss declares whether it reads the forward's aux
(``uses_aux``; the trainer then may skip computing it). Optional: ``configured(settings, box)``
(a piece bound to its params section and the data's box), ``stochastic`` (the trainer passes
``generators=``, one seeded ``torch.Generator`` per model), ``at_step``, ``lr_factor``,
``clip_grad_norm`` and ``selection``, all described and read in ``holistic.train.pieces``.
"""

from .activation_l1 import ActivationL1
from .adversarial import Adversarial
from .ce import CrossEntropy
from .certified import Certified
from .mean import Mean
from .robust import RobustLinear
from .stable import Stable

LOSSES = {
    "ce": CrossEntropy(),              # eq. (3)
    "robust_linear": RobustLinear(),   # eq. (7)
    "adversarial": Adversarial(),      # Cosentino et al. Sec. 4.2: (1 - w) CE(x) + w CE(x_adv)
    "activation_l1": ActivationL1(),   # Guo et al. Sec. 4.2 (Table 1): CE + lambda sum_j ||a_j||_1
    "certified": Certified("crown-ibp"),              # SparseVLR eq. (4), CROWN-IBP/IBP mixture (eq. 5)
    "certified_ibp": Certified("ibp"),                # eq. (4), IBP (Table 6)
    "certified_crown": Certified("crown"),            # eq. (4), full CROWN (Table 6)
    "certified_crown_fast": Certified("crown-fast"),  # eq. (4), auto_LiRPA's CROWN-FAST (Table 6)
}

REDUCTIONS = {
    "mean": Mean(),                    # eq. (3)
    "stable": Stable(),                # eq. (10), dual form
}
