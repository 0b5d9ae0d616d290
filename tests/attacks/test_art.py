"""Cross-checks against an independent implementation, the Adversarial Robustness Toolbox
(a test-only dependency): on one trained MLP, the project's PGD, APGD-CE, DeepFool and C&W-L2
find what ART's find (accuracy under attack within a few points; minimal L2 distances within a
few percent), and the ensemble is never weaker than ART's PGD or APGD."""

import numpy as np
import pytest
import torch

from holistic.attacks import ATTACKS
from test_linf import BOX, gens, trained  # noqa: F401  (the trained MLPs fixture)

art = pytest.importorskip("art")
from art.attacks.evasion import (AutoProjectedGradientDescent, CarliniL2Method, DeepFool,  # noqa: E402
                                 ProjectedGradientDescent)
from art.estimators.classification import PyTorchClassifier  # noqa: E402

EPS = 0.1


class One(torch.nn.Module):
    """Model 0 of the stack as an ``nn.Module`` ``[B, p] -> [B, K]`` for ART."""

    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f(x.unsqueeze(0))[0]


@pytest.fixture(scope="module")
def oracle(trained):  # noqa: F811
    f2, x, y = trained
    f = lambda xx: f2(xx.expand(2, *xx.shape[1:]))[:1]  # noqa: E731  (model 0 of the two)
    x0, y0 = x[:1], y[:1]
    clf = PyTorchClassifier(One(f), loss=torch.nn.CrossEntropyLoss(), input_shape=(x.shape[-1],),
                            nb_classes=int(y.max()) + 1, clip_values=BOX, device_type="cpu")
    return f, x0, y0, clf


def accuracy(f, x_adv, y) -> float:
    with torch.no_grad():
        return 100.0 * float((f(x_adv).argmax(-1) == y).double().mean())


def art_accuracy(clf, attack, x, y) -> float:
    x_adv = attack.generate(x[0].numpy(), y=y[0].numpy())
    assert np.all(np.abs(x_adv - x[0].numpy()) <= EPS + 1e-6)
    return 100.0 * float((clf.predict(x_adv).argmax(-1) == y[0].numpy()).mean())


def test_pgd_and_apgd_agree_with_art_and_the_ensemble_is_never_weaker(oracle):
    f, x, y, clf = oracle
    np.random.seed(0)
    art_pgd = art_accuracy(clf, ProjectedGradientDescent(clf, norm=np.inf, eps=EPS, eps_step=2.5 * EPS / 40,
                                                         max_iter=40, num_random_init=1, verbose=False), x, y)
    art_apgd = art_accuracy(clf, AutoProjectedGradientDescent(clf, norm=np.inf, eps=EPS, eps_step=2 * EPS,
                                                              max_iter=100, nb_random_init=1,
                                                              loss_type="cross_entropy", verbose=False), x, y)
    ours_pgd = accuracy(f, ATTACKS["pgd"](40, 2.5)(f, x, y, EPS, BOX, gens(1)), y)
    ours_apgd = accuracy(f, ATTACKS["apgd-ce"]()(f, x, y, EPS, BOX, gens(1)), y)
    ours_ens = accuracy(f, ATTACKS["ensemble"].from_params({})(f, x, y, EPS, BOX, gens(1)), y)
    assert 0 < art_pgd < 100 and 0 < art_apgd < 100  # the radius is informative
    assert abs(ours_pgd - art_pgd) <= 3.0
    assert abs(ours_apgd - art_apgd) <= 3.0
    assert ours_ens <= min(art_pgd, art_apgd) + 1.0


def distances(x_adv, x, ok) -> np.ndarray:
    return (x_adv - x).flatten(2).norm(dim=-1)[ok].numpy()


def test_deepfool_distances_agree_with_art(oracle):
    f, x, y, clf = oracle
    x_ours, ok = ATTACKS["deepfool"]()(f, x, y, None, BOX, None)
    x_art = torch.from_numpy(DeepFool(clf, max_iter=50, epsilon=0.02, nb_grads=int(y.max()) + 1,
                                      verbose=False).generate(x[0].numpy()))[None].to(x.dtype)
    art_ok = f(x_art).argmax(-1) != y
    both = ok & art_ok
    assert both.float().mean() >= 0.9
    ratio = distances(x_ours, x, both) / distances(x_art, x, both)
    assert np.median(ratio) == pytest.approx(1.0, abs=0.05)


def test_cw_distances_agree_with_art(oracle):
    f, x, y, clf = oracle
    x, y = x[:, :40], y[:, :40]
    settings = {"steps": 100, "search_steps": 5}
    x_ours, ok = ATTACKS["cw"].from_params({"cw": settings})(f, x, y, None, BOX, None)
    x_art = torch.from_numpy(CarliniL2Method(clf, confidence=0.0, learning_rate=0.1, binary_search_steps=9,
                                             max_iter=100, initial_const=1e-3, batch_size=40,
                                             verbose=False).generate(x[0].numpy()))[None].to(x.dtype)
    art_ok = f(x_art).argmax(-1) != y
    both = ok & art_ok
    assert ok.float().mean() >= art_ok.float().mean() - 0.05
    assert both.sum() >= 10
    # never much farther than ART's: the same objective, Adam and binary search
    assert distances(x_ours, x, both).mean() <= 1.10 * distances(x_art, x, both).mean()
