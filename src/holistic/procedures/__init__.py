"""Training procedures: the round structure of a method, as hooks of the generic loop
(``holistic.train.loop``): ``n_rounds``, ``init_state``, ``trainable``, ``effective``
(the weights the network uses and a penalty) and ``end_round``. One line per procedure.
"""

from .continuous_sparsification import ContinuousSparsification
from .single import Single

PROCEDURES = {
    "single": Single(),
    "continuous_sparsification": ContinuousSparsification(),   # Section 3.3, eq. (9)
}
