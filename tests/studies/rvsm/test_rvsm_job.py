"""A tiny real run of study rvsm through the job layer (train job, then the attack job on the
saved model file, then the study's report): the single net with RVSM, with ADMM + final
projection and with ADMM + final projection at the sparsity each RVSM model reached (its train job
reads the RVSM job's model file, ``Study.sources``), and the noisy En_2 net; natural >= robust on
every model with the noise off, the noise-on rows (EOT among them) only for the noisy net, each
RVSM model's initial share below gamma from its train log beside its sparsity, and the claims
table's format. (With the noise on, natural >= robust holds by construction, a point robust only
where the clean pass is correct too: it is pinned where it can fail,
tests/evaluation/test_noise_and_layers.py.)"""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from conftest import blobs
from holistic.config import deep_merge, load_params
from holistic.data.registry import get
from holistic.data.stacked import stack_splits
from holistic.jobs import attack as attack_job
from holistic.jobs import train as job
from holistic.procedures.rvsm import INIT_KEY
from holistic.records.train_log import log_record
from holistic.io import write_json
from holistic.fidelity import engine as E
from holistic.studies import STUDIES
from holistic.studies.rvsm import claims as C
from holistic.studies.rvsm.report import OUTPUTS, write_report

ROOT = Path(__file__).resolve().parents[3]
TINY = {"train": {"epochs": 1, "batch_size": 32, "sparsity": {"rewind_epoch": 1},
                  "grid": {"rvsm_beta": [0.01, 0.5], "admm_sparsity": [0.8]}},
        "attack": {"ifgsm": {"steps": 2}, "eot_ifgsm": {"steps": 2, "draws": 3}, "cw_scaled": {"steps": 3}}}
METHODS = ("ResMLP-RVSM", "ResMLP-ADMM-proj", "ResMLP-ADMM-proj-matched", "En2ResMLP-RVSM")


def images(n=96, k=3):
    X, y = blobs(n, 36, k)
    idx = np.arange(n)
    pixels = np.round(255 * np.clip(X, 0, 1)).astype(np.uint8).reshape(n, 1, 6, 6)
    return stack_splits(pixels, y, {"test": idx[:24], "train": idx[24:80][None], "val": idx[80:][None]}, "minmax")


def test_four_methods_through_the_jobs_and_the_report(tmp_path):
    params = deep_merge(load_params([ROOT / "params.yaml", ROOT / "workflow/profiles/rvsm/params.yaml"]), TINY)
    data = images()
    evals, logs = [], []
    for name in METHODS:
        method = STUDIES["rvsm"].method(name, params)
        source = STUDIES["rvsm"].sources.get(name)
        result, specs = job.run(params, method, data, label=f"rvsm/{name}", log=None,
                                source=None if source is None else tmp_path / f"{source}.safetensors")
        meta = {"study": "rvsm", "dataset": "fashion-mnist", "method": name, "model": method.model}
        job.save_trained(tmp_path / f"{name}.safetensors", result, specs, meta)
        attack_job.run(params, get("fashion-mnist"), data, tmp_path / f"{name}.safetensors",
                       tmp_path / f"{name}.json", log=None)
        write_json(tmp_path / f"{name}.log.json", log_record(  # as stages/train.py writes it
            "fashion-mnist", name, len(specs), result.steps, result.seconds, result.best_epoch.tolist(),
            result.best_val_accuracy.tolist(),
            trace={k: v for k, v in result.extra.items() if k.startswith("sparse_")}))
        evals.append(tmp_path / f"{name}.json")
        logs.append(tmp_path / f"{name}.log.json")
    write_report(params, list(STUDIES["rvsm"].methods), evals, logs, tmp_path / "out" / "paper",
                 tmp_path / "out" / "claims.csv", tmp_path / "out" / "fidelity.md")
    assert all((tmp_path / "out" / "paper" / f).stat().st_size > 0 for f in OUTPUTS)
    s = pd.read_csv(tmp_path / "out" / "paper" / "summary.csv")
    assert len(s) == 2 + 1 + 2 + 2  # two betas, one ADMM target, ADMM at the two betas' sparsity, two betas of En_2
    for measure in ("A2", "A3", "A4"):
        assert (s["A1"] >= s[measure]).all(), measure
    noisy = s["network"] == "En2ResMLP"
    assert s.loc[noisy, ["A1_noise", "A3_noise", "eot"]].notna().all().all()
    assert s.loc[~noisy, ["A1_noise", "eot"]].isna().all().all()
    # ADMM with the final projection: exactly round(0.8 n) of each prunable layer's n weights are zero
    sizes = [36 * 256] + [256 * 256] * 4  # stem, then fc1, fc2 of the two blocks (the head is not pruned)
    exact = 100 * sum(round(0.8 * n) for n in sizes) / sum(sizes)
    assert s.loc[s["pruning"] == "ADMM-proj", "sparsity"].tolist() == [round(exact, 6)]
    # ADMM at matched sparsity: each RVSM model's sparsity s as the target, exactly round(s n) of each layer's n
    rvsm = s[(s["network"] == "ResMLP") & (s["pruning"] == "RVSM")].set_index("hyper")["sparsity"]
    matched = s[s["pruning"] == "ADMM-proj-matched"].set_index("hyper")["sparsity"]
    assert list(matched.index) == list(rvsm.index) == [0.01, 0.5] and rvsm[0.01] > rvsm[0.5]
    for beta, target in rvsm.items():
        assert matched[beta] == round(100 * sum(round(target / 100 * n) for n in sizes) / sum(sizes), 6)
    # each RVSM model's initial share below gamma (train log), falling with beta; none for the others
    assert s.loc[s["pruning"] == "RVSM", "init_below_gamma"].notna().all()
    assert s.loc[~s["pruning"].isin(["RVSM"]), "init_below_gamma"].isna().all()
    first = s[(s["network"] == "ResMLP") & (s["pruning"] == "RVSM")]["init_below_gamma"].tolist()
    assert first[0] > first[1] > 0
    claims = pd.read_csv(tmp_path / "out" / "claims.csv", keep_default_na=False)
    assert list(claims.columns) == E.COLUMNS and list(claims["key"]) == [c.key for c in C.CLAIMS]
    assert set(claims["verdict"]) == {E.NOT_TESTABLE}  # one split
    r2 = claims.set_index("key").loc["R2"]
    assert r2["reason"].startswith("measured: single net, RVSM beta 0.1: not trained")  # betas 0.01, 0.5 only
    assert "ResMLP-ADMM-proj" not in r2["departures"] and "epochs 1 (paper 200)" in r2["departures"]
    assert "| R3a |" in (tmp_path / "out" / "fidelity.md").read_text()
    tables = (tmp_path / "out" / "paper" / "tables.md").read_text()
    assert "Departs from the paper" in tables and "Surrogate model and data" in tables and "EOT" in tables
    log = json.loads((tmp_path / "ResMLP-RVSM.log.json").read_text())
    assert len(log["trace"][INIT_KEY]) == 1 and len(log["trace"][INIT_KEY][0]) == 2   # once, per model
    table1 = tables[tables.index("Table 1: RVSM"):tables.index("Table 4:")]
    en2 = [line for line in table1.splitlines() if line.startswith("| En2ResMLP | RVSM")]
    assert len(en2) == 2 and all(line.split(" | ")[4] == "on" for line in en2)  # the noise column, labelled
