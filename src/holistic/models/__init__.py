"""Models as stacks of G networks: one line per registered architecture.

Protocol: ``init(input_shape, k, generators) -> {name: [G, ...]}``, ``forward(params,
x[G, B, *input_shape]) -> (logits [G, B, K], aux)``, ``predict``, ``prunable(params)`` (names
of the weights that sparsity counts and masks prune), ``memory_floats(input_shape, k, batch)``.
Optional fast paths (e.g. the MLP's exact Jacobian chain ``logit_difference_gradient_norms``)
are used when present, autograd otherwise.
"""

from . import cnn
from .mlp import MLP
from .module import StackedModule

MODELS = {
    "mlp": MLP(hidden=(128, 128)),                            # HDL's 2 x 128 ReLU network (fast paths)
    "alex": StackedModule(cnn.alex),                          # HDL's image CNN (published code's ALEX)
    "lenet5": StackedModule(cnn.lenet5),                      # Caffe LeNet-5
    "lenet300": StackedModule(cnn.lenet300_100),              # LeNet-300-100
    "lenet300-nobias": StackedModule(cnn.lenet300_100_nobias),  # LeNet-300-100 without biases
}
