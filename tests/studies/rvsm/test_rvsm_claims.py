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



def test_methods_train_as_the_papers_code_and_the_profile_scales_its_schedule():
    """Issue 32: every method trains with Nesterov SGD and a multistep schedule (the paper's code:
    optim.SGD(lr 0.1, momentum 0.9, weight_decay 5e-4, nesterov=True), x0.1 at epochs 80 / 120 /
    160 of 200); the residual MLPs with nn.Linear's own initialisation, the paper's nets their own
    (He-normal); the matched ADMM methods read their RVSM / RGSM job's models. The rvsm profile sets
    the paper's values, its milestones at the same shares of its epochs."""
    from pathlib import Path

    from holistic.config import load_params

    study = STUDIES["rvsm"]
    assert {(m.optimizer, m.lr_schedule) for m in study.methods.values()} == {("sgd-nesterov", "multistep")}
    assert study.methods["DeepResMLP-RGSM"].initialiser == "torch-default"
    assert study.methods["ResNet38-RGSM"].initialiser == "glorot"  # the model's own: He-normal convolutions
    assert study.sources["ResMLP-ADMM-proj-matched"] == "ResMLP-RVSM"
    assert study.sources["En2ResNet20-ADMMch-proj-matched"] == "En2ResNet20-RGSM"
    root = Path(__file__).resolve().parents[3]
    for name, paper_epochs in (("rvsm", 200), ("rvsm-paper", 200)):
        t = load_params([root / "params.yaml", root / f"workflow/profiles/{name}/params.yaml"])["train"]
        assert (t["grid"]["lr"], t["grid"]["momentum"], t["grid"]["weight_decay"]) == ([0.1], [0.9], [5e-4])
        assert [m / t["epochs"] for m in t["lr_schedule"]["milestones"]] == [80 / paper_epochs, 120 / paper_epochs,
                                                                              160 / paper_epochs]
        assert t["lr_schedule"].get("gamma", 0.1) == 0.1 and t["epochs"] >= 40
