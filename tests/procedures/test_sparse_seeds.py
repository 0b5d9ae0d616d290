"""SparseVLR's seed network (Alg. 1 lines 1-2, issue 32): a dead seed (a layer without a kept
weight, or no path of kept weights from an input to an output) refused before any training step,
the rule exact unit by unit; the per-layer seed (``seed_scope: layerwise``) with global prunes."""

import pytest
import torch

from holistic.methods import Method, model_grid
from holistic.models import MODELS
from holistic.procedures import PROCEDURES
from holistic.procedures.sparse_seeds import check_seed, reaches_output
from holistic.train.config import TrainConfig
from holistic.train.loop import train_grid
from test_dynamic_sparse import MLP, mlp_params, thicken_then_prune, tiny_data, top_k_reference


def channel_reach(params: dict, prunable: list[str]) -> bool:
    """An independent (coarser) oracle: whether some input channel (an MLP's unit) reaches some
    output along kept weights, channel by channel: a convolution kernel slice ``[o, c]`` with any
    nonzero connects c to o; a linear layer after a flatten connects channel c through any of its
    columns ``c * HW .. (c + 1) * HW``. A model the exact rule calls connected is connected here."""
    reach = None
    for n in prunable:
        w = params[n][0] != 0
        if w.dim() == 2 and n.startswith("W"):  # the MLP's [in, out]
            w = w.t()
        adj = w.flatten(2).any(dim=2) if w.dim() > 2 else w  # [out, in]
        if reach is None:
            reach = torch.ones(adj.shape[1], dtype=torch.bool)
        if adj.shape[1] != reach.shape[0]:  # a flatten: each channel is HW columns
            reach = reach.repeat_interleave(adj.shape[1] // reach.shape[0])
        reach = (adj.double() @ reach.double()) > 0
    return bool(reach.any())


@pytest.mark.parametrize("model, shape, layer, n", [("mlp", (784,), "W0", 100_352),
                                                    ("cnn_4layer", (1, 28, 28), "5.weight", 200_704)])
def test_the_seed_connects_the_input_to_the_output_or_is_refused(model, shape, layer, n):
    """Alg. 1 lines 1-2 at p = 99 %: the global seed of the default run's MLP (784-128-128-10) and of
    cnn_4layer keeps no weight of the first dense layer: refused before any step, the message naming
    the layer, p and the kept counts. The per-layer seed (``seed_scope: layerwise``) passes, every
    layer keeps a weight and a path of kept weights leads from an input to an output (checked here
    channel by channel, independently of the rule's own check)."""
    net = MODELS[model]
    params = net.init(shape, 10, [torch.Generator().manual_seed(0)])
    prunable = net.prunable(params)
    hp = {"target_sparsity": torch.tensor([99.0])}
    with pytest.raises(ValueError, match=rf"p = 99 % .*{layer} 0 of {n:,}.* keeps no weight of layer '{layer}'"):
        PROCEDURES["dynamic_sparse"].init_state({k: v.clone() for k, v in params.items()}, prunable, hp=hp)
    layerwise = PROCEDURES["dynamic_sparse"].configured({"dynamic_sparse": {"seed_scope": "layerwise"}})
    layerwise.init_state(params, prunable, hp=hp, network=(net, shape))
    assert all(bool((params[k] != 0).any()) for k in prunable)  # every layer keeps a weight
    assert channel_reach(params, prunable) and bool(reaches_output(net, params, prunable, shape).all())


def test_a_seed_whose_layers_all_keep_weights_but_no_path_is_refused():
    """The path rule, exact unit by unit: W0 feeds hidden unit 0 only, W1 reads unit 1 only: every
    layer keeps a weight, no input reaches an output (refused with the network, passed without it:
    the layer rule alone cannot tell); one more weight into unit 1 connects it."""
    params = {n: torch.zeros_like(v) for n, v in mlp_params(G=1).items()}
    params["W0"][0, 2, 0] = 0.5     # input 2 -> hidden-1 unit 0
    params["W1"][0, 1, 3] = -0.4    # hidden-1 unit 1 -> hidden-2 unit 3
    params["W2"][0, 3, 1] = 0.3     # hidden-2 unit 3 -> output 1
    params["b0"] += 1.0             # biases do not make a path
    prunable = MLP.prunable(params)
    masks = {n: params[n] != 0 for n in prunable}
    assert not bool(reaches_output(MLP, params, prunable, (5,))[0])
    check_seed(params, masks, [90.0])  # every layer keeps a weight
    with pytest.raises(ValueError, match=r"model 0 at p = 90 % \(kept: W0 1 of 80, W1 1 of 256, W2 1 of 48\): "
                                         r"no path of kept weights"):
        check_seed(params, masks, [90.0], network=(MLP, (5,)))
    params["W0"][0, 4, 1] = 0.2     # input 4 -> hidden-1 unit 1: a path
    assert bool(reaches_output(MLP, params, prunable, (5,))[0])
    check_seed(params, {n: params[n] != 0 for n in prunable}, [90.0], network=(MLP, (5,)))


def test_the_cnn_path_rule_is_exact_not_channel_level():
    """cnn_4layer with one kept weight a layer along channel 0 -> 0 -> unit 0 -> logit 0: connected;
    moving the dense layer's weight to a column of channel 0 whose pixel conv2 never produces from
    the kept kernel tap (its padding row) cuts the path, which a channel-level rule would not see."""
    net = MODELS["cnn_4layer"]
    params = {n: torch.zeros_like(v) for n, v in net.init((1, 28, 28), 10, [torch.Generator().manual_seed(0)]).items()}
    params["0.weight"][0, 0, 0, 1, 1] = 1.0    # conv1: in 0 -> out 0, the kernel's centre-ish tap
    params["2.weight"][0, 0, 0, 1, 1] = 1.0    # conv2: in 0 -> out 0
    params["5.weight"][0, 0, 3 * 7 + 3] = 1.0  # dense: channel 0, pixel (3, 3) -> unit 0
    params["7.weight"][0, 0, 0] = 1.0          # unit 0 -> logit 0
    prunable = net.prunable(params)
    assert bool(reaches_output(net, params, prunable, (1, 28, 28))[0]) and channel_reach(params, prunable)
    params["0.weight"][0, 0, 0, 1, 1], params["0.weight"][0, 0, 0, 0, 0] = 0.0, 1.0
    params["2.weight"][0, 0, 0, 1, 1], params["2.weight"][0, 0, 0, 0, 0] = 0.0, 1.0
    params["5.weight"][0, 0, 3 * 7 + 3], params["5.weight"][0, 0, 0] = 0.0, 1.0  # pixel (0, 0): reads padding only
    assert channel_reach(params, prunable)
    assert not bool(reaches_output(net, params, prunable, (1, 28, 28))[0])


def test_the_trainer_checks_the_path_before_any_step(monkeypatch):
    """``train_grid`` gives the seed check the network (model, input shape): a seed without a path
    (here: the path rule forced to say so) is refused before the first step."""
    monkeypatch.setattr("holistic.procedures.sparse_seeds.reaches_output",
                        lambda model, params, prunable, shape: torch.zeros(next(iter(params.values())).shape[0],
                                                                           dtype=torch.bool))
    method = Method(procedure="dynamic_sparse", model="mlp")
    specs = model_grid(method, {"lr": [0.01], "target_sparsity": [50.0]}, 2)
    with pytest.raises(ValueError, match="no path of kept weights"):
        train_grid(tiny_data(), method, specs, TrainConfig(epochs=1, batch_size=16), log=None)


def test_a_layerwise_seed_keeps_each_layers_top_and_the_prunes_stay_global():
    """``seed_scope: layerwise``: each layer's own top (100 - p) % of the random init (not the global
    top); the prune after thickening is Alg. 1 line 8's global one all the same."""
    hp = {"target_sparsity": torch.tensor([50.0, 80.0])}
    params = mlp_params(M=40)
    prunable = MLP.prunable(params)
    init = {n: v.clone() for n, v in params.items()}
    proc = PROCEDURES["dynamic_sparse"].configured({"dynamic_sparse": {"seed_scope": "layerwise"}})
    assert proc.seed_scope == "layerwise" and PROCEDURES["dynamic_sparse"].seed_scope == "global"
    state = proc.init_state(params, prunable, hp=hp, network=(MLP, (40,)))
    W = {n: init[n] for n in prunable}
    for g, p in enumerate((50.0, 80.0)):
        ref = top_k_reference(W, p, g, layerwise=True)
        assert all(torch.equal(params[n][g], torch.where(ref[n], init[n][g], 0.0)) for n in prunable), g
        assert any(not torch.equal(ref[n], k) for n, k in top_k_reference(W, p, g).items())
    thick = thicken_then_prune(proc, params, state, hp, prunable, 3)
    for g, p in enumerate((50.0, 80.0)):
        ref = top_k_reference(thick, p, g)
        assert all(torch.equal(params[n][g], torch.where(ref[n], thick[n][g], 0.0)) for n in prunable), g
    with pytest.raises(ValueError, match="seed_scope"):
        PROCEDURES["dynamic_sparse"].configured({"dynamic_sparse": {"seed_scope": "per-layer"}})
