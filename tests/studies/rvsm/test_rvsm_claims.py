"""Study rvsm's pieces without training: the method table and the published Tables 1-4 (the
claims: ``test_claims_engine.py``)."""

import pytest

from holistic.studies import STUDIES
from holistic.studies.rvsm.methods import parse
from holistic.studies.rvsm.published import cell, load_published


def test_methods_compose_the_networks_and_prunings_with_the_papers_adversarial_training():
    study = STUDIES["rvsm"]
    m = study.methods["En2ResMLP-ADMMch-proj"]
    assert (m.model, m.procedure, m.loss) == ("en2-resmlp", "admm_channel_project", "adversarial")
    settings = dict(m.settings)
    assert settings["adversarial.eps"] == 8 / 255 and settings["adversarial.step_size"] == 2 / 255
    assert settings["adversarial.weight"] == 1.0 and settings["adversarial.attack"] == "pgd"
    assert parse("ResNet38-RGSM") == ("ResNet38", "RGSM")
    with pytest.raises(ValueError, match="network"):
        parse("VGG-RVSM")


def test_published_cells():
    pub = load_published()
    assert cell(pub, 4, "ResNet20", "ADMM", None, "sparsity") == 10.92
    assert cell(pub, 1, "En2ResNet20", "RVSM", 0.01, "sparsity") == 89.86
    assert cell(pub, 3, "ResNet38", "RGSM", 0.05, "channel_sparsity") == 17.67
    assert cell(pub, 2, "En5ResNet20", "RGSM", 0.02, "A1") == 80.53
    assert cell(pub, 1, "ResNet20", "RGSM", 0.05, "A1") is None

