"""Study lth (Cosentino et al. 2019, Sec. 4.1-4.2): nine methods composed of registered pieces,
registered in STUDIES, the reset and the attack fixed per method over the params."""

import pytest

from holistic.jobs.train import piece_sections
from holistic.studies import STUDIES
from holistic.studies.lth.methods import METHODS, parse


def test_the_study_is_registered_with_nine_compositions_of_registered_pieces():
    study = STUDIES["lth"]
    assert list(study.methods) == [f"{t}-{r}" for t in ("natural", "FGSM", "PGD")
                                   for r in ("init", "random", "continue")]
    assert study.baseline in study.methods
    for m in METHODS.values():
        m.pieces()  # every piece is registered (a KeyError names the one that is not)
        assert m.procedure == "imp" and m.model == "lenet300-nobias" and m.axes() == ["lr"]


def test_each_method_fixes_its_reset_and_attack_over_the_params():
    params = {"train": {"imp": {"prunes": 3, "reset": "init"}, "adversarial": {"attack": "pgd", "eps": 0.3}}}
    assert piece_sections(params, METHODS["FGSM-random"]) == {
        "adversarial": {"attack": "fgsm", "eps": 0.3}, "imp": {"prunes": 3, "reset": "random"}}
    assert piece_sections(params, METHODS["natural-continue"]) == {"imp": {"prunes": 3, "reset": "continue"}}
    assert "train.adversarial" not in METHODS["natural-init"].param_keys()
    assert "train.adversarial" in METHODS["PGD-init"].param_keys()


def test_method_names_parse():
    assert parse("PGD-continue") == ("PGD", "continue")
    with pytest.raises(ValueError):
        parse("PGD-rewind")
