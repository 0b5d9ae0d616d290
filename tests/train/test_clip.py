"""Per-model gradient-norm clipping equals torch's clip_grad_norm_ applied to each model alone."""

import torch

from holistic.train.clip import clip_grad_norms_, grad_norms


def test_each_model_is_clipped_as_torch_clips_it_alone():
    gen = torch.Generator().manual_seed(0)
    grads = [torch.randn(3, 4, 5, generator=gen), torch.randn(3, 7, generator=gen)]
    grads[0][1] *= 1e-3  # model 1 is under the limit: unchanged
    grads[1][1] *= 1e-3
    alone = []
    for g in range(3):
        ps = [torch.nn.Parameter(torch.zeros_like(t[g])) for t in grads]
        for p, t in zip(ps, grads):
            p.grad = t[g].clone()
        norm = torch.nn.utils.clip_grad_norm_(ps, 2.0)
        alone.append(([p.grad for p in ps], norm))
    norms = clip_grad_norms_(grads, 2.0)
    for g, (clipped, norm) in enumerate(alone):
        assert torch.equal(norms[g], norm)
        for t, c in zip(grads, clipped):
            assert torch.equal(t[g], c)
    assert float(grad_norms(grads)[0]) <= 2.0 + 1e-5 and float(grad_norms(grads)[1]) < 0.01
