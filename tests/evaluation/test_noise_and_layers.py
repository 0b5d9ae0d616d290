"""The evaluation of Dinh et al.'s networks (``holistic.evaluation.run``): residual nets have no
layer description (no bounds, no activation sparsity, but the channel sparsity); a noise-injected
net is measured with the noise off and on, EOT only with it on, deterministically."""

import numpy as np
import torch

from conftest import blobs
from holistic.attacks import lookup
from holistic.data.stacked import stack_splits
from holistic.evaluation.run import NOISE_SUFFIX, evaluate_models, measurements
from holistic.models import MODELS

SUITE_SPEC = {"fgsm": ("test",), "ifgsm": ("val", "test"), "eot-ifgsm": ("test",)}
OPTS = {"ifgsm": {"steps": 2}, "eot_ifgsm": {"steps": 2, "draws": 3}}


def setup(model_name):
    X, y = blobs(60, 12, 3)
    idx = np.arange(60)
    data = stack_splits(X, y, {"test": idx[:20], "train": idx[20:50][None], "val": idx[50:][None]}, "minmax")
    model = MODELS[model_name]
    params = model.init(data.input_shape, data.k, [torch.Generator().manual_seed(s) for s in (0, 1)])
    suite = [(n, lookup(n).from_params(OPTS), parts) for n, parts in SUITE_SPEC.items()]
    return model, params, data, suite


class Count:
    n = 0

    def update(self, n):
        self.n += n


def keys(rows):
    return {(r["metric"], r["attack"], r["part"]) for r in rows}


def test_a_residual_net_gets_no_bound_rows_and_no_eot_without_noise():
    model, params, data, suite = setup("resmlp")
    progress = Count()
    rows = evaluate_models(model, params, data, torch.tensor([0, 0]), suite, [0.1], 0, bounds=("ibp",),
                           progress=progress)
    k = keys(rows[0])
    assert ("channel_sparsity", "none", "model") in k and ("sparsity", "none", "model") in k
    assert not any(m in ("verified_accuracy", "activation_sparsity") for m, _, _ in k)
    assert not any(a.startswith("eot") or a.endswith(NOISE_SUFFIX) for _, a, _ in k)
    assert progress.n == 2 * measurements(suite, [0.1], ("ibp",))


def test_a_noisy_net_is_measured_with_the_noise_off_and_on_deterministically():
    model, params, data, suite = setup("en2-resmlp")
    progress = Count()
    rows = evaluate_models(model, params, data, torch.tensor([0, 0]), suite, [0.1], 0, progress=progress)
    again = evaluate_models(model, params, data, torch.tensor([0, 0]), suite, [0.1], 0)
    assert rows == again
    k = keys(rows[0])
    on = {a for _, a, _ in k if a.endswith(NOISE_SUFFIX)}
    assert on == {"none@noise", "fgsm@noise", "ifgsm@noise", "eot-ifgsm@noise"}
    assert ("accuracy", "eot-ifgsm", "test") not in k  # EOT runs with the noise on only
    assert progress.n == 2 * measurements(suite, [0.1], (), noisy=True)
    for r in rows:
        v = {(m, a, p): x["value"] for x in r for (m, a, p) in [(x["metric"], x["attack"], x["part"])]}
        assert v[("accuracy", "none", "test")] >= v[("accuracy", "ifgsm", "test")]
        assert v[("accuracy", "none@noise", "test")] >= v[("accuracy", "eot-ifgsm@noise", "test")]
