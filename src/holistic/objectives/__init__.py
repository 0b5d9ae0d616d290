"""Training objectives: per-sample losses and their reductions, one line per piece.

A loss maps ``(model, params, x, y, hp, forward output)`` to per-sample losses ``[G, B]``;
a reduction maps them (and its own trained state, e.g. the stable loss's theta) to one
value per model ``[G]``. Each piece declares its grid axes (``axes``) and any other
params keys it reads (``param_keys``); a loss declares whether it reads the forward's aux
(``uses_aux``; the trainer then may skip computing it).
"""

from .ce import CrossEntropy
from .mean import Mean
from .robust import RobustLinear
from .stable import Stable

LOSSES = {
    "ce": CrossEntropy(),              # eq. (3)
    "robust_linear": RobustLinear(),   # eq. (7)
}

REDUCTIONS = {
    "mean": Mean(),                    # eq. (3)
    "stable": Stable(),                # eq. (10), dual form
}
