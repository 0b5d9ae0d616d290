"""Tests of the `aggregate` stage: Section 4 model selection, tables, metrics, plot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import write_evals

from holistic.errors import DataError
from holistic.records import evals as evals_format
from holistic.selection import select, tables

ROOT = Path(__file__).resolve().parents[2]
RHO = 0.1
#: A study's table layout: method columns in its order, rows by the baseline's natural accuracy.
LAYOUT = tables.Layout(methods=("DL", "Robust", "HDL"), baseline="DL", refs={"adversarial_accuracy": "Table A2"})


def model(cid, split, nv, nt, av=50.0, at=50.0, sp=0.0, config=None):
    """One model entry of an eval file (tidy rows); adversarial values given at RHO."""
    def row(metric, attack, eps, part, value):
        return {"metric": metric, "attack": attack, "norm": None if attack == "none" else "inf",
                "eps": eps, "part": part, "value": value}

    rows = [row("accuracy", "none", None, "val", nv), row("accuracy", "none", None, "test", nt)]
    for part, base, adv in (("val", nv, av), ("test", nt, at)):
        rows += [row("accuracy", "pgd", 0.001, part, base), row("accuracy", "pgd", 0.01, part, base - 1),
                 row("accuracy", "pgd", 0.1, part, adv)]
    rows += [row("accuracy", "fgsm", 0.1, "test", at + 1), row("sparsity", "none", None, "model", sp)]
    return {
        "config_id": cid,
        "config": config or {"lr": 0.01, "rho": 0.1, "lambda": 1e-06, "beta_bar": 200, "a": 0.8,
                             "id": cid},
        "split": split,
        "rows": rows,
    }


def evaldict(dataset, method, models, n=150, p=4, k=3):
    return {"dataset": dataset, "method": method,
            "info": {"n": n, "p": p, "k": k, "paper_name": dataset.split("-", 1)[-1]},
            "adversarial": "pgd", "eps": [0.001, 0.01, 0.1], "models": models}


def flat(*evals):
    return pd.concat([evals_format.flatten_eval(ev, RHO, source="x") for ev in evals],
                     ignore_index=True)


def pick(selected, dataset, method, metric):
    row = selected[(selected.dataset == dataset) & (selected.method == method)
                   & (selected.metric == metric)]
    assert len(row) == 1
    return row.iloc[0]


def test_eps_key():
    assert evals_format.eps_key(0.1) == "0.1"
    assert evals_format.eps_key(1e-5) == "1e-05"
    assert evals_format.eps_key(1) == "1.0"


def test_selection_uses_validation_not_test():
    # config 0: best mean validation (91) but worse test (81);
    # config 1: worse validation (89), best test (96); config 2 ties config 0 on validation.
    ev = evaldict("a", "DL", [
        model(0, 0, 90, 80), model(0, 1, 92, 82),
        model(1, 0, 88, 95), model(1, 1, 90, 97),
        model(2, 0, 91, 70), model(2, 1, 91, 70),
    ])
    sel = select.select_all(flat(ev))
    row = pick(sel, "a", "DL", "natural_accuracy")
    assert row.config_id == 0
    assert row.validation == pytest.approx(91.0)
    assert row.test == pytest.approx(81.0)
    assert json.loads(row.config)["id"] == 0


def test_adversarial_selection_at_adversarial_rho():
    ev = evaldict("a", "Robust", [
        model(0, 0, 90, 90, av=30, at=60), model(0, 1, 90, 90, av=30, at=60),
        model(1, 0, 80, 80, av=40, at=35), model(1, 1, 80, 80, av=50, at=45),
    ])
    row = pick(select.select_all(flat(ev)), "a", "Robust", "adversarial_accuracy")
    assert row.config_id == 1 and row.test == pytest.approx(40.0)


def test_stability_uses_worst_split():
    # config 0: mean val 84.5 (best), worst val 70; config 1: mean 82.5, worst 80 (best).
    ev = evaldict("a", "Stable", [
        model(0, 0, 99, 99), model(0, 1, 70, 60),
        model(1, 0, 85, 90), model(1, 1, 80, 75),
    ])
    sel = select.select_all(flat(ev))
    assert pick(sel, "a", "Stable", "natural_accuracy").config_id == 0
    stab = pick(sel, "a", "Stable", "stability")
    assert stab.config_id == 1
    assert stab.validation == pytest.approx(80.0)
    assert stab.test == pytest.approx(75.0)      # min over splits, not the mean 82.5


def test_sparsity_selection_mean():
    ev = evaldict("a", "Sparse", [
        model(0, 0, 90, 90, sp=10), model(0, 1, 90, 90, sp=30),
        model(1, 0, 90, 90, sp=25), model(1, 1, 90, 90, sp=25),
    ])
    row = pick(select.select_all(flat(ev)), "a", "Sparse", "sparsity")
    assert row.config_id == 1 and row.test == pytest.approx(25.0)


def mo_evals():
    """Hand-computed multi-objective example on data set 'a' (two identical-val splits)."""
    def two(cid, nv, av, sp, nt=(90, 90), at=50):
        return [model(cid, 0, nv, nt[0], av=av, at=at, sp=sp),
                model(cid, 1, nv, nt[1], av=av, at=at, sp=sp)]
    # HDL validation (nat, adv, worst nat, sparsity) -> ranks (ties averaged) -> mean:
    #   c0: 90, 50, 90,  0 -> 1.5, 2, 1.5, 3 -> 2.0
    #   c1: 85, 60, 85, 20 -> 3,   1, 3,   2 -> 2.25
    #   c2: 90, 40, 90, 40 -> 1.5, 3, 1.5, 1 -> 1.75   (chosen, although c0/c1 test better)
    hdl = evaldict("a", "HDL", two(0, 90, 50, 0, nt=(99, 99), at=99)
                   + two(1, 85, 60, 20, nt=(99, 99), at=99)
                   + two(2, 90, 40, 40, nt=(95, 85), at=60)[::-1])
    # Test values of the chosen models (nat mean, adv, worst nat, sparsity) -> ranks -> mean:
    #   DL     90, 30, 88,  0 -> 1.5, 3,   1.5, 2.5 -> 2.125
    #   Robust 88, 60, 88,  0 -> 3,   1.5, 1.5, 2.5 -> 2.125
    #   HDL    90, 60, 85, 40 -> 1.5, 1.5, 3,   1   -> 1.75
    dl = evaldict("a", "DL", two(0, 90, 30, 0, nt=(92, 88), at=30))
    rob = evaldict("a", "Robust", two(0, 90, 30, 0, nt=(88, 88), at=60))
    return dl, rob, hdl


def test_multi_objective_choice_and_rank_hand_computed():
    dl, rob, hdl = mo_evals()
    summary = select.summarize(flat(dl, rob, hdl))
    chosen = select.multi_objective_choice(summary)
    h = chosen[chosen.method == "HDL"].iloc[0]
    assert h.config_id == 2 and h.val_rank == pytest.approx(1.75)
    ranked = select.multi_objective_rank(chosen).set_index("method")["rank"]
    assert ranked.to_dict() == pytest.approx({"DL": 2.125, "Robust": 2.125, "HDL": 1.75})


def test_multi_objective_val_ties_averaged_and_lowest_config():
    # c0 and c1 identical -> all ranks 1.5 each -> tie -> lowest config_id 0
    ev = evaldict("a", "DL", [model(1, 0, 90, 10), model(0, 0, 90, 99)])
    chosen = select.multi_objective_choice(select.summarize(flat(ev)))
    assert chosen.iloc[0].config_id == 0
    assert chosen.iloc[0].val_rank == pytest.approx(1.5)


def test_flatten_columns_and_missing_rho():
    ev = evaldict("a", "DL", [model(0, 0, 90, 80)])
    df = evals_format.flatten_eval(ev, RHO, source="f.json")
    assert list(df.columns) == evals_format.MODEL_COLUMNS
    assert df.iloc[0].adv_val == 50.0
    with pytest.raises(DataError, match=r"f\.json.*attack 'pgd', eps 0\.5.*radii present"):
        evals_format.flatten_eval(ev, 0.5, source="f.json")


def table_evals():
    out = []
    for ds, base in (("low", 60.0), ("high", 95.0), ("mid", 80.0)):
        for method, bump in (("HDL", 2.0), ("DL", 0.0), ("Robust", 1.0)):
            out.append(evaldict(ds, method, [model(0, s, base + bump, base + bump + s,
                                                   sp=10.0 * bump) for s in range(2)]
                                + [model(1, s, base, base - 5, sp=0.0) for s in range(2)],
                                n=100 + len(ds)))
    return out


def test_table_shape_columns_order(tmp_path):
    paths = write_evals(tmp_path, table_evals())
    tables.aggregate(paths, RHO, tmp_path / "tables", tmp_path / "metrics.json",
                     tmp_path / "plots", LAYOUT)
    for metric in select.METRICS:
        tab = pd.read_csv(tmp_path / "tables" / f"{metric}.csv")
        assert list(tab.columns) == ["dataset", "n", "p", "k", "DL", "Robust", "HDL"]
        assert list(tab.dataset) == ["low", "mid", "high"]      # DL natural acc. ascending, as Tables A1-A4
        assert tab.shape == (3, 7)
        assert list(tab.n) == [103, 103, 104]
        md = (tmp_path / "tables" / f"{metric}.md").read_text()
        assert md.count("\n| ") == 4 and "**" in md
    nat = pd.read_csv(tmp_path / "tables" / "natural_accuracy.csv").set_index("dataset")
    assert nat.loc["high", "HDL"] == pytest.approx(97.5)
    assert "| high | 104 | 4 | 3 | 95.50 | 96.50 | **97.50** |" in \
        (tmp_path / "tables" / "natural_accuracy.md").read_text()
    assert "rho = 0.1" in (tmp_path / "tables" / "adversarial_accuracy.md").read_text()
    rank = pd.read_csv(tmp_path / "tables" / "rank.csv")
    assert list(rank.dataset) == ["low", "mid", "high", "mean"]
    assert list(rank.columns) == ["dataset", "n", "p", "k", "DL", "Robust", "HDL"]
    sel = pd.read_csv(tmp_path / "tables" / "selected.csv")
    assert len(sel) == 3 * 3 * 5
    assert set(sel.metric) == set(select.METRICS) | {"multi_objective"}
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["n_datasets"] == 3 and metrics["n_models"] == 36
    assert set(metrics) == {"natural_accuracy", "adversarial_accuracy", "stability",
                            "sparsity", "multi_objective_rank", "n_datasets", "n_models"}
    assert metrics["sparsity"]["HDL"] == pytest.approx(20.0)
    plot = pd.read_csv(tmp_path / "plots" / "metrics.csv")
    assert list(plot.columns) == ["metric", "method", "value"] and len(plot) == 12


def test_outputs_bitwise_reproducible(tmp_path):
    paths = write_evals(tmp_path, table_evals())
    outs = []
    for run in ("r1", "r2"):
        d = tmp_path / run
        tables.aggregate(paths[::-1] if run == "r2" else paths, RHO, d / "tables",
                         d / "metrics.json", d / "plots", LAYOUT)
        outs.append(d)
    a, b = outs
    assert (a / "metrics.json").read_bytes() == (b / "metrics.json").read_bytes()
    for rel in ["tables/natural_accuracy.csv", "tables/rank.md", "tables/selected.csv",
                "plots/metrics.csv", "plots/metrics.png"]:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_missing_eval_file_names_it(tmp_path):
    paths = write_evals(tmp_path, table_evals()[:1])
    missing = tmp_path / "eval" / "nope" / "HDL.json"
    with pytest.raises(DataError, match=str(missing)):
        evals_format.load_evals(paths + [missing], RHO)


def test_missing_field_names_file_and_field(tmp_path):
    ev = evaldict("a", "DL", [model(0, 0, 90, 80), model(1, 0, 90, 80)])
    del ev["models"][1]["rows"][-1]["value"]
    (path,) = write_evals(tmp_path, [ev])
    with pytest.raises(DataError, match=r"DL\.json.*models\[1\]\.rows\[9\]\.value"):
        evals_format.load_evals([path], RHO)


def test_duplicate_config_split_rejected():
    ev = evaldict("a", "DL", [model(0, 0, 90, 80), model(0, 0, 91, 80)])
    with pytest.raises(DataError, match="twice"):
        evals_format.flatten_eval(ev, RHO, source="x.json")


#: On top of params.yaml, the run :func:`table_evals` is: two configurations (lr), two splits.
RUN_PARAMS = "split: {n_splits: 2}\ntrain: {grid: {lr: [0.01, 0.001], rho: [0.1]}}\n"


def declared_evals(evals):
    """``evals`` with each model's configuration the one the run's grid declares for its config_id
    (the stage checks every eval file against the run's grid: ``RUN_PARAMS``)."""
    from holistic.config import load_params
    from holistic.records.declared import Declared
    from holistic.studies import STUDIES

    import tempfile

    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "run.yaml").write_text(RUN_PARAMS)
        declared = Declared(load_params([ROOT / "params.yaml", Path(d) / "run.yaml"]), STUDIES["hdl"])
    for ev in evals:
        for m in ev["models"]:
            m["config"] = declared.configs(ev["method"])[m["config_id"]]
    return evals


def run_stage(tmp_path, evals):
    (tmp_path / "run.yaml").write_text(RUN_PARAMS)
    cmd = [sys.executable, str(ROOT / "stages" / "aggregate.py"), "--params", str(ROOT / "params.yaml"),
           "--params", str(tmp_path / "run.yaml"), "--study", "hdl", "--evals", *map(str, evals),
           "--tables", str(tmp_path / "out" / "tables"),
           "--metrics", str(tmp_path / "out" / "metrics.json"),
           "--plots", str(tmp_path / "out" / "plots")]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_stage_script_end_to_end(tmp_path):
    paths = write_evals(tmp_path, declared_evals(table_evals()))
    res = run_stage(tmp_path, paths)
    assert res.returncode == 0, res.stderr
    out = tmp_path / "out"
    names = [f"{m}.{ext}" for m in list(select.METRICS) + ["rank"] for ext in ("csv", "md")]
    for name in names + ["selected.csv"]:
        assert (out / "tables" / name).stat().st_size > 0, name
    assert json.loads((out / "metrics.json").read_text())["n_datasets"] == 3
    assert (out / "plots" / "metrics.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "plots" / "metrics.csv").is_file()
    assert not list(out.rglob("*.tmp"))


def test_stage_script_missing_file_exit_2(tmp_path):
    missing = tmp_path / "eval" / "x" / "DL.json"
    res = run_stage(tmp_path, [missing])
    assert res.returncode == 2
    assert str(missing) in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out" / "metrics.json").exists()


def test_rows_by_name_without_dl():
    evals = [ev for ev in table_evals() if ev["method"] != "DL"]
    sel = select.select_all(flat(*evals))
    assert tables.row_order(sel, "DL") == ["high", "low", "mid"]
