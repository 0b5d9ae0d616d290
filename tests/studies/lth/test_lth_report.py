"""Stage `levels` of study lth from hand-built eval files and train logs: per-level tables with
mean ± sd over splits and the departures in their headers, the figure, fidelity and claims; the
paper's protocol as data and the profiles' departures from it."""

import json

import pytest

from conftest import write_evals
from holistic.config import load_params
from holistic.fidelity import engine as E
from holistic.fidelity import protocol as P
from holistic.fidelity.outputs import read_claims
from holistic.render.tables import mean_sd
from holistic.studies.lth.levels import load_levels, summarize
from holistic.studies.lth.protocol import PROTOCOL, departures, lenet_kept_percent
from holistic.studies.lth.report import OUTPUTS, write_report

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
    # the profile at its old length (5,000 training rows, 504 steps a round, 8 single prunes)
    params = load_params([ROOT / "params.yaml", ROOT / "workflow/profiles/lth/params.yaml", ROOT / "bench/lth_504.yaml"])
    write_report(params, ["natural-init", "natural-random", "PGD-init"], evals, logs, tmp_path / "out/levels",
                 tmp_path / "out/claims.csv", tmp_path / "out/fidelity.md")
    assert sorted(p.name for p in (tmp_path / "out/levels").iterdir()) == sorted(OUTPUTS)
    md = (tmp_path / "out/levels/levels.md").read_text()
    assert "| 80.0 | 96.50 ± 0.71 | 95.50 ± 0.71 | 96.50 ± 0.71 |" in md  # natural accuracy at P_m 80 %
    note = ("Departs from the paper (Sec. 4.2-4.3): training rows 5,000 (paper 50,000); test rows 5,000 "
            "(paper 10,000); steps a round 504 (paper 50,000); trials 2 (paper 5);")
    assert note in md
    assert (tmp_path / "out/levels/levels.png").read_bytes()[:4] == b"\x89PNG"
    fidelity = (tmp_path / "out/fidelity.md").read_text()
    assert "| PGD-init | 100.0 | pgd | 45.32 | 40.50 ± 0.71 | -4.82 |" in fidelity
    assert note in fidelity.split("**Claims")[1]
    claims = read_claims(tmp_path / "out/claims.csv")
    assert list(claims["key"]) == ["L1@51.3", "L1@16.9", "L2", "L3-PGD", "L3-FGSM", "L4-random",
                                   "L4-continue", "L5-natural", "L5-FGSM", "L5-PGD", "L6", "L7", "L8"]
    assert set(claims["verdict"]) == {E.NOT_TESTABLE}  # two splits, and no level of the paper's claims
    assert all(d.startswith("training rows 5,000 (paper 50,000)") and "prunes 8 (paper 20)" in d
               for d in claims["departures"])


def test_the_platform_report_stage_drives_the_study(run, tmp_path):
    """``stages/report.py --study lth``: the same files as the entry called directly."""
    import importlib.util

    evals, logs = run
    spec = importlib.util.spec_from_file_location("report_stage", ROOT / "stages/report.py")
    stage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stage)
    out = tmp_path / "stage"
    run = tmp_path / "run.yaml"  # the run these files are: two splits (the stage checks them against it)
    run.write_text("split: {per_dataset: {mnist: {n_splits: 2}}}\n")
    stage.main(["--params", str(ROOT / "params.yaml"), "--params", str(ROOT / "workflow/profiles/lth/params.yaml"),
                "--params", str(run), "--study", "lth", "--evals", *map(str, evals), "--logs", *map(str, logs), "--out", str(out / "levels"),
                "--claims", str(out / "claims.csv"), "--fidelity", str(out / "fidelity.md")])
    assert sorted(p.name for p in (out / "levels").iterdir()) == sorted(OUTPUTS)
    assert list(read_claims(out / "claims.csv")["key"])[:2] == ["L1@51.3", "L1@16.9"]
    assert "| PGD-init | 100.0 | pgd | 45.32 |" in (out / "fidelity.md").read_text()


def profile(*names):
    return load_params([ROOT / "params.yaml", *(ROOT / f"workflow/profiles/{n}/params.yaml" for n in names)])


@pytest.mark.parametrize("names, dataset, keys", [
    ((), "mnist", {"train_rows", "test_rows", "steps", "batch_size", "lr", "eps", "attack", "trials", "checkpoint",
                   "val_rows", "prunes", "stop_check", "train_iterate"}),
    (("lth",), "mnist", {"steps", "trials", "checkpoint", "val_rows", "prunes", "stop_check"}),
    (("lth-fashion",), "fashion-mnist", {"steps", "trials", "checkpoint", "val_rows", "prunes", "stop_check"}),
    (("lth-paper",), "mnist", {"steps", "checkpoint"}),
    (("lth-paper",), "fashion-mnist", {"steps", "checkpoint"}),
])
def test_departures_of_the_profiles_name_every_differing_setting(names, dataset, keys):
    found = departures(profile(*names), dataset)
    assert set(found) == keys
    for key in keys:
        assert found[key].startswith(PROTOCOL[key].label) and "(paper " in found[key]


def test_departures_read_the_run_where_it_is_given():
    params = profile("lth-paper")
    assert departures(params, "mnist", 50_040, 5)["steps"] == "steps a round 50,040 (paper 50,000)"
    assert departures(params, "mnist", 50_000, 4)["trials"] == "trials 4 (paper 5)"
    assert "steps" not in departures(params, "mnist", 50_000, 5)
    quick = departures(profile(), "mnist")
    assert quick["eps"] == "attacks at eps 0.1 (paper 0.3)" and quick["prunes"] == "prunes 1 (paper 20)"
    assert quick["train_rows"] == "training rows 320 (paper 50,000)"
    assert quick["stop_check"] == "early stopping checked every 10 steps (paper 500 steps)"
    assert round(lenet_kept_percent(8), 2) == 16.88


def test_the_training_pgd_iterate_rule_departs_unless_it_is_the_last():
    params = profile("lth-paper")
    assert "train_iterate" not in departures(params, "mnist")  # the profile keeps the last, as the paper
    params["train"]["adversarial"] = {**params["train"]["adversarial"], "iterate": "strongest"}
    assert departures(params, "mnist")["train_iterate"] == \
        "training PGD keeps each point's strongest of its 11 iterates (paper last iterate)"
    params["train"]["adversarial"] = {**params["train"]["adversarial"], "steps": 5}
    assert "strongest of its 6 iterates" in departures(params, "mnist")["train_iterate"]
    for steps in (5, 10):   # the last iterate is the paper's whatever the steps (those are train_attack's)
        params["train"]["adversarial"] = {**params["train"]["adversarial"], "iterate": "last", "steps": steps}
        assert "train_iterate" not in departures(params, "mnist")
    params["studies"] = {"lth": {"method_train": {"PGD-init": {"adversarial": {"iterate": "strongest"}}}}}
    assert departures(params, "mnist", methods=["PGD-init", "PGD-random"])["train_iterate"] == (
        "training PGD keeps each point's last iterate (PGD-init: strongest of its 11 iterates) (paper last iterate)")


@pytest.mark.parametrize("key", P.KEYS)
def test_the_protocol_declares_every_key(key):
    assert key in PROTOCOL
    with pytest.raises(ValueError, match=key):
        P.check_protocol({k: v for k, v in PROTOCOL.items() if k != key}, "lth")
