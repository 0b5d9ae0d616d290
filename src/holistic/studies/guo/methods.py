"""Guo, Zhang, Zhang and Chen (2018), Sec. 4.1-4.2: progressive pruning of linear classifiers,
LeNet-300-100 and LeNet-5 (Figs. 1-3), and LeNet-300-100 / LeNet-5 trained with an L1 penalty
on their activations at three strengths (Table 1).

* ``linear``, ``lenet300``, ``lenet5``: the dense reference (cross-entropy; on a two-class set
  the linear model's CE is the paper's softplus loss), then 16 progressive prunes (procedure
  ``progressive``: floor(n/3) of each layer's nonzero weights a round, retrained from the
  trained weights); every round's model is measured (``TrainResult.rounds``).
* ``<net>-l1-<strength>``: one dense training (procedure ``single``) with loss
  ``activation_l1`` at the strength fixed by the method (:data:`L1_STRENGTHS`; the paper gives no
  lambda: ``none`` is 0; ``mid`` and ``high`` from a short sweep of LeNet-300-100 on 12,000
  MNIST rows, 2 epochs, where lambda 1e-3 / 1e-2 / 3e-2 gave 46 / 62 / 70 % zero units in the
  last ReLU at 94 / 95 / 91 % accuracy (Table 1: 45 / 76 / 95 %; 5e-2 left 18 % accuracy);
  LeNet-5 takes the same values, untuned).
"""

from __future__ import annotations

from ...methods import Method

#: method -> model (the pruned networks of Figs. 1-2).
PRUNED = {"linear": "linear", "lenet300": "lenet300", "lenet5": "lenet5"}
#: network -> strength name -> lambda of ``train.activation_l1.strength`` (Table 1's three rows).
L1_STRENGTHS = {"lenet300": {"none": 0.0, "mid": 1e-2, "high": 3e-2},
                "lenet5": {"none": 0.0, "mid": 1e-2, "high": 3e-2}}
BASELINE = "lenet300"


def l1_name(net: str, strength: str) -> str:
    return f"{net}-l1-{strength}"


def parse_l1(method: str) -> tuple[str, str] | None:
    """``"lenet5-l1-mid"`` -> ``("lenet5", "mid")``; None for a pruned method."""
    net, sep, strength = method.partition("-l1-")
    return (net, strength) if sep and strength in L1_STRENGTHS.get(net, {}) else None


METHODS: dict[str, Method] = {
    **{name: Method(loss="ce", procedure="progressive", model=model) for name, model in PRUNED.items()},
    **{l1_name(net, s): Method(loss="activation_l1", procedure="single", model=net,
                               settings=(("activation_l1.strength", lam),))
       for net, strengths in L1_STRENGTHS.items() for s, lam in strengths.items()},
}
