"""Stage `levels` of study lth from hand-built eval files and train logs: per-level tables with
mean ± sd over splits and the departures in their headers, the figure, fidelity and claims."""

import json

import pytest

from conftest import write_evals
from holistic.config import load_params
from holistic.studies.lth.levels import load_levels, summarize
from holistic.studies.lth.protocol import departures, lenet_kept_percent
from holistic.studies.lth.report import OUTPUTS, write_report
from holistic.studies.lth.tables import mean_sd

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
KEPT = [100.0, 80.0, 64.1]


def rows(natural, pgd, fgsm=None):
    out = [{"metric": "accuracy", "attack": "none", "norm": None, "eps": None, "part": "test", "value": natural},
           {"metric": "accuracy", "attack": "pgd", "norm": "inf", "eps": 0.3, "part": "test", "value": pgd},
           {"metric": "accuracy", "attack": "pgd", "norm": "inf", "eps": 0.3, "part": "val", "value": pgd + 1},
           {"metric": "sparsity", "attack": "none", "norm": None, "eps": None, "part": "model", "value": 0.0}]
    if fgsm is not None:
        out.append({"metric": "accuracy", "attack": "fgsm", "norm": "inf", "eps": 0.3, "part": "test", "value": fgsm})
    return out


def evaluation(method, natural, pgd):
    """Two splits x three rounds; split s adds s to every accuracy (sd 0.71 over the two)."""
    models = [{"config_id": 0, "config": {"lr": 0.0012}, "split": s, "round": r, "kept_percent": KEPT[r],
               "stop_step": 100 * (3 - r), "rows": rows(natural[r] + s, pgd[r] + s, fgsm=pgd[r] + 10 + s)}
              for r in range(3) for s in range(2)]
    return {"study": "lth", "dataset": "mnist", "method": method, "adversarial": "pgd",
            "info": {"n": 70000, "p": 784, "k": 10, "paper_name": "MNIST"}, "models": models}


@pytest.fixture
def run(tmp_path):
    evals = write_evals(tmp_path, [evaluation("natural-init", [97, 96, 95], [0, 1, 2]),
                                   evaluation("natural-random", [97, 95, 93], [0, 0, 1]),
                                   evaluation("PGD-init", [96, 96, 94], [40, 50, 45])])
    logs = []
    for m in ("natural-init", "natural-random", "PGD-init"):
        logs.append(tmp_path / "train" / f"{m}.json")
        logs[-1].parent.mkdir(parents=True, exist_ok=True)
        logs[-1].write_text(json.dumps({"dataset": "mnist", "method": m, "models": 2, "steps": 1512, "seconds": 1.0,
                                        "seconds_per_batch": 0.1}))
    return evals, logs


def test_levels_are_one_row_per_round_model_and_summarised_over_splits(run):
    evals, _ = run
    levels = load_levels(evals)
    assert len(levels) == 18 and set(levels["round"]) == {0, 1, 2}
    s = summarize(levels)
    row = s[(s["method"] == "PGD-init") & (s["round"] == 1)].iloc[0]
    assert (row["kept_percent"], row["n"], row["natural_mean"], row["pgd_mean"], row["fgsm_mean"]) == (80.0, 2, 96.5, 50.5, 60.5)
    assert row["pgd_sd"] == pytest.approx(0.7071, abs=1e-4) and row["stop_step_mean"] == 200
    assert mean_sd(96.5, row["natural_sd"]) == "96.50 ± 0.71" and mean_sd(96.5, float("nan")) == "96.50"


def test_the_report_writes_tables_figure_fidelity_and_claims(run, tmp_path):
    evals, logs = run
    params = load_params([ROOT / "params.yaml", ROOT / "workflow/profiles/lth/params.yaml"])
    write_report(params, ["natural-init", "natural-random", "PGD-init"], evals, logs, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(OUTPUTS)
    md = (tmp_path / "out/levels.md").read_text()
    assert "| 80.0 | 96.50 ± 0.71 | 95.50 ± 0.71 | 96.50 ± 0.71 |" in md  # natural accuracy at P_m 80 %
    assert "Departs from the paper (Sec. 4.2): 6,000 training + validation rows (paper 60,000)" in md
    assert "504 steps per round (paper 50,000; tables at 30,000); 2 trials per level (paper 5)" in md
    assert (tmp_path / "out/levels.png").read_bytes()[:4] == b"\x89PNG"
    fidelity = (tmp_path / "out/fidelity.md").read_text()
    assert "| PGD-init | 100.0 | pgd | 45.32 | 40.50 ± 0.71 | -4.82 |" in fidelity
    claims = (tmp_path / "out/claims.csv").read_text()
    assert "naturally trained nets" in claims and "early-stopping" in claims


def test_departures_name_what_the_paper_did_otherwise():
    params = load_params([ROOT / "params.yaml", ROOT / "workflow/profiles/lth-paper/params.yaml"])
    assert departures(params, "mnist", 50_040, 5) == ["50,040 steps per round (paper 50,000; tables at 30,000)"]
    quick = load_params([ROOT / "params.yaml"])
    text = "; ".join(departures(quick, "mnist", 100, 1))
    assert "400 training + validation rows" in text and "20 prunes" not in text and "attacks at eps 0.1" in text
    assert round(lenet_kept_percent(8), 2) == 16.88
