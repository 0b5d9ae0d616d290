"""Models as stacks of G networks: one line per registered architecture.

Protocol: ``init(n_features, k, generators) -> {name: [G, ...]}``, ``forward(params, x[G, B, ...])
-> (logits [G, B, K], aux)``, ``predict``, ``prunable(params)`` (names of the weights that
sparsity counts and masks prune). Optional fast paths (e.g. the MLP's exact Jacobian chain
``logit_difference_gradient_norms``) are used when present, autograd otherwise.
"""

from .mlp import MLP

MODELS = {
    "mlp": MLP(hidden=(128, 128)),   # HDL's 2 x 128 ReLU network
}
