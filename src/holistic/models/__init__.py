"""Models as stacks of G networks: one line per registered architecture.

Protocol: ``init(input_shape, k, generators) -> {name: [G, ...]}``, ``forward(params,
x[G, B, *input_shape]) -> (logits [G, B, K], aux)``, ``predict``, ``prunable(params)`` (names
of the weights that sparsity counts and masks prune), ``memory_floats(input_shape, k, batch)``.
Optional fast paths (e.g. the MLP's exact Jacobian chain ``logit_difference_gradient_norms``)
are used when present, autograd otherwise.

``INITIALISERS``: how a model's parameters are drawn (``holistic.models.initialisers``; a
method's ``initialiser``), the model's own by default.
"""

from . import cnn, linear, preact_resnet, resmlp
from .initialisers import ModelDefault, TorchDefault
from .mlp import MLP
from .module import StackedModule
from .residual import ResidualStack

MODELS = {
    "mlp": MLP(hidden=(128, 128)),                            # HDL's 2 x 128 ReLU network (fast paths)
    "alex": StackedModule(cnn.alex),                          # HDL's image CNN (published code's ALEX)
    "lenet5": StackedModule(cnn.lenet5),                      # Caffe LeNet-5
    "lenet300": StackedModule(cnn.lenet300_100),              # LeNet-300-100
    "lenet300-nobias": StackedModule(cnn.lenet300_100_nobias),  # LeNet-300-100 without biases
    "linear": StackedModule(linear.linear),                   # Guo et al.'s linear model (binary: one w)
    "resmlp": ResidualStack(resmlp.resmlp),                   # Dinh et al.'s CPU stand-in: 784-256, 2 residual blocks
    "en2-resmlp": ResidualStack(resmlp.en2_resmlp),           # En_2ResMLP: 2 noisy ResMLPs, logits averaged
    "resmlp-deep": ResidualStack(resmlp.resmlp_deep),         # 6 blocks, about En_2's size (ResNet38's role)
    "preact-resnet20": ResidualStack(preact_resnet.preact_resnet20),          # EnResNet code's ResNet20
    "preact-resnet38": ResidualStack(preact_resnet.preact_resnet38),          # ResNet38 (~ En_2ResNet20's size)
    "en2-preact-resnet20": ResidualStack(preact_resnet.en2_preact_resnet20),  # En_2ResNet20 (noise 0.1)
    "en5-preact-resnet20": ResidualStack(preact_resnet.en5_preact_resnet20),  # En_5ResNet20 (noise 0.1)
    "cnn_4layer": StackedModule(cnn.cnn_4layer),              # SparseVLR's 4-layer CNN (auto_LiRPA's)
    "cnn_7layer": StackedModule(cnn.cnn_7layer),              # SparseVLR's 7-layer CNN (auto_LiRPA's)
}

INITIALISERS = {
    "glorot": ModelDefault(),          # each model's own: Glorot-uniform, zero biases (PreAct ResNet: He-normal)
    "torch-default": TorchDefault(),   # nn.Linear / nn.Conv2d's reset_parameters: kaiming_uniform(a=sqrt(5)), U bias
}
