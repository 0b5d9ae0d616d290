"""Study rvsm's pieces without training: the method table, the published Tables 1-4, and the
claims' verdicts on a hand-made summary (each claim holding, failing, or not measured)."""

import math

import pandas as pd
import pytest

from holistic.studies import STUDIES
from holistic.studies.rvsm import claims as C
from holistic.studies.rvsm.methods import parse
from holistic.studies.rvsm.protocol import departures, evaluation_eps
from holistic.studies.rvsm.published import cell, load_published
from holistic.studies.rvsm.results import MEASURES, summarize


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


def row(method, hyper=math.nan, **values):
    from holistic.studies.rvsm.methods import parse as p

    net, pruning = p(method)
    base = {m: math.nan for m in MEASURES}
    return {"dataset": "fashion-mnist", "method": method, "network": net, "pruning": pruning, "config_id": 0,
            "hyper": hyper, "split": 0, **base, **values}


def verdicts(rows):
    out = C.evaluate(summarize(pd.DataFrame(rows)))
    return dict(zip(out["claim"], out["holds"])), out


def test_claims_hold_fail_or_are_not_measured_as_the_numbers_say():
    acc = {"A1": 80.0, "A2": 60.0, "A3": 55.0, "A4": 79.0}
    rows = [row("ResMLP-RVSM", 0.01, sparsity=60.0, **acc), row("ResMLP-RVSM", 0.1, sparsity=40.0, **acc),
            row("En2ResMLP-RVSM", 0.01, sparsity=70.0, **{k: v + 1 for k, v in acc.items()}),
            row("En2ResMLP-RVSM", 0.1, sparsity=50.0, **{k: v + 1 for k, v in acc.items()}),
            row("ResMLP-ADMM", 0.8, sparsity=10.0, A1=81.0),        # as counted: 6x less, A1 within 2
            row("ResMLP-ADMM-proj", 0.8, sparsity=80.0, A1=79.0),   # projected: RVSM is not 5x sparser
            row("ResMLP-RGSM", 0.1, channel_sparsity=20.0, A1=75.0),
            row("ResMLP-ADMMch", 0.25, channel_sparsity=1.0, A1=70.0),
            row("En2ResMLP-RGSM", 0.05, channel_sparsity=30.0, A1=80.0, A2=60.0, A3=50.0, A4=70.0,
                A3_noise=52.0, eot=49.0),
            row("DeepResMLP-RGSM", 0.05, channel_sparsity=10.0, A1=79.0, A2=59.0, A3=49.0, A4=69.0)]
    v, out = verdicts(rows)
    assert v["RVSM: sparsity falls as beta grows (each network)"] == "yes"
    assert v["RVSM at equal beta: En2 sparser and more accurate (A1-A3) than the single net"] == "yes"
    assert v["RVSM >= 5x ADMM's sparsity (as the paper counted it) at A1 within 2 points (single net)"] == "yes"
    assert v["RVSM >= 5x ADMM's sparsity (with final projection + masked retraining) at A1 within 2 points "
             "(single net)"] == "no"
    assert v["RGSM: channel sparsity > channel ADMM's (as the paper counted it) with A1 >= its (single net)"] == "yes"
    assert v["RGSM: channel sparsity > channel ADMM's (with final projection + masked retraining) with A1 >= its "
             "(single net)"] == "n/a"
    assert v["En2 beats the deeper single net of equal size: A1-A4 (none, RGSM) and channel sparsity (RGSM)"] == "yes"
    obf = [k for k in v if k.startswith("noisy nets")][0]
    assert v[obf] == "no"  # EOT lowers IFGSM-20 accuracy by 3 > 2 points: flagged
    assert "6.0x" in out.set_index("claim").loc[
        "RVSM >= 5x ADMM's sparsity (as the paper counted it) at A1 within 2 points (single net)", "here"]
    # sparsity rising with beta refutes R2
    rows[1] = row("ResMLP-RVSM", 0.1, sparsity=65.0, **acc)
    assert verdicts(rows)[0]["RVSM: sparsity falls as beta grows (each network)"] == "no"


def test_departures_name_the_surrogate_and_the_cut_schedule():
    from pathlib import Path

    from holistic.config import load_params

    root = Path(__file__).resolve().parents[3]
    params = load_params([root / "params.yaml", root / "workflow/profiles/rvsm/params.yaml"])
    assert evaluation_eps(params) == pytest.approx(8 / 255)
    items = departures(params, "fashion-mnist", ["ResMLP", "En2ResMLP"])
    text = "; ".join(items)
    assert "fashion-mnist (paper CIFAR-10)" in text and "residual-MLP surrogates" in text
    assert "8 epochs (paper 200)" in text and "IFGSM" not in text  # IFGSM-20 of 2/255 as published
