"""Study rvsm's Tables 1-4 (issue 32): a noise-injected net's A1-A4 as the paper's cells read them
(noise on, labelled), with EOT-IFGSM-20 and the noise-off A1-A4 beside them; each RVSM / RGSM
model's initial share below gamma beside its sparsity."""

import math

import pandas as pd

from holistic.studies.rvsm.published import load_published
from holistic.studies.rvsm.results import KEYS, MEASURES, summarize
from holistic.studies.rvsm.tables import table_markdown


def row(method, network, pruning, hyper, **values):
    v = {m: math.nan for m in MEASURES}
    v.update(values)
    return {"dataset": "fashion-mnist", "method": method, "network": network, "pruning": pruning, "config_id": 0,
            "hyper": hyper, "split": 0, **v}


def cells(text: str, start: str) -> list[str]:
    line = next(x for x in text.splitlines() if x.startswith(start))
    return [c.strip() for c in line.strip("|").split("|")]


def test_table_1_shows_en2_with_the_noise_on_and_off_and_the_initial_share_below_gamma():
    off = {"A1": 70.0, "A2": 50.0, "A3": 45.0, "A4": 60.0}
    on = {f"{m}_noise": v + 5 for m, v in off.items()}
    models = pd.DataFrame([
        row("En2ResMLP-RVSM", "En2ResMLP", "RVSM", 0.1, sparsity=30.0, init_below_gamma=12.5, eot=48.0, **off, **on),
        row("ResMLP-RVSM", "ResMLP", "RVSM", 0.1, sparsity=20.0, init_below_gamma=11.0, **off),
        row("En2ResMLP-none", "En2ResMLP", "none", math.nan, sparsity=0.0, **off),  # no @noise rows
    ], columns=KEYS + ["split", *MEASURES])
    text = table_markdown(summarize(models), load_published(), "fashion-mnist", 1, "NOTE.")
    header = cells(text, "| network")
    assert header[4] == "noise" and header[9] == "EOT-IFGSM-20" and header[12] == "below gamma at init"
    assert cells(text, "| En2ResMLP | RVSM") == ["En2ResMLP", "RVSM", "0.1", "1", "on", "75.00", "55.00", "50.00",
                                                 "65.00", "48.00", "30.00", "-", "12.50",
                                                 "70.00 / 50.00 / 45.00 / 60.00",
                                                 "77.78 / 55.48 / 49.26 / 65.56 / 70.55"]
    assert cells(text, "| ResMLP | RVSM")[4:13] == ["-", "70.00", "50.00", "45.00", "60.00", "-", "20.00", "-", "11.00"]
    assert cells(text, "| En2ResMLP | none")[4:6] == ["off", "70.00"]
    assert "'on' = a noise-injected net's A1-A4 measured with its noise on" in text
    table4 = table_markdown(summarize(models), load_published(), "fashion-mnist", 4, "NOTE.")
    assert "noise" not in cells(table4, "| network") and cells(table4, "| ResMLP | RVSM")[10] == "11.00"
