"""Tests of Tables 2-4 against the published values (Section 4.2): the reference copy, the
cells, the header notes, the sanity checks, the `images` stage (with the claims of Section 4.2,
``test_hdl_images_claims.py``), their rows in the `fidelity` stage's claims.csv, and the factory."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from conftest import write_evals

from holistic.config import load_params
from holistic.errors import DataError
from holistic.records.selected import selected_csv
from holistic.selection.select import METRICS, select_all
from holistic.studies.hdl import images
from holistic.studies.hdl.protocol import PARAM_KEYS
from holistic.studies.hdl.methods import METHODS
from holistic.studies.hdl.stages import images_stage, page_stages
from holistic.workflow import spec as S

ROOT = Path(__file__).resolve().parents[3]
NAT, ADV, STAB, SPARS = METRICS


def values(per_dataset: dict) -> pd.DataFrame:
    """Long ``dataset, metric, method, value`` from ``{dataset: {method: (nat, adv, stab, spars)}}``."""
    return pd.DataFrame([{"dataset": ds, "metric": metric, "method": m, "value": v}
                         for ds, per in per_dataset.items() for m, four in per.items()
                         for metric, v in zip(METRICS, four)],
                        columns=["dataset", "metric", "method", "value"])


def mnist_like(**changes) -> dict:
    """Every method at (99.0, 50.0, 98.8, 0.0), robust ones at 75.0 adversarial accuracy, sparse
    ones at 30.0 sparsity; ``changes`` replaces whole methods' tuples."""
    out = {}
    for m in METHODS:
        robust, sparse = "Robust" in m or m == "HDL", "Sparse" in m or m == "HDL"
        out[m] = (99.0, 75.0 if robust else 50.0, 98.8, 30.0 if sparse else 0.0)
    out.update({k.replace("_", "+"): v for k, v in changes.items()})
    return out


def params(model=None, rho=0.1, epochs=5, n_splits=3, grid=None, per_dataset=None) -> dict:
    """The params keys the stage reads."""
    p = {"aggregate": {"adversarial_eps": {"default": rho, "fashion-mnist": 0.01, "cifar10": 0.01}},
         "split": {"n_splits": n_splits, "per_dataset": per_dataset or {}},
         "train": {"epochs": epochs, "grid": grid or {"lr": [0.001], "rho": [0.1, 0.01], "lambda": [1e-6],
                                                      "beta_bar": [200], "a": [0.8]}},
         "studies": {"hdl": {"datasets": ["mnist"]}}}
    if model:
        p["studies"]["hdl"]["model"] = model
    return p


PAPER_GRID = {"lr": [1e-3, 1e-4], "rho": [1e-1, 1e-2, 1e-3, 1e-4, 1e-5], "lambda": [1e-6, 1e-8, 1e-10],
              "beta_bar": [200, 1000], "a": [0.7, 0.8, 0.9, 1.0]}


# --------------------------------------------------------------------------- reference

def test_reference_holds_the_three_published_tables_as_printed():
    ref = images.published_tables_2_4()
    assert len(ref) == 96
    assert ref.groupby(["table", "dataset"]).size().to_dict() == \
        {("Table 2", "fashion-mnist"): 32, ("Table 3", "mnist"): 32, ("Table 4", "cifar10"): 32}
    assert set(ref.metric) == set(METRICS) and set(ref.method) == set(METHODS)

    def at(table, metric, method):
        return ref[(ref.table == table) & (ref.metric == metric) & (ref.method == method)].value.item()

    assert at("Table 3", ADV, "HDL") == 76.0
    assert at("Table 2", NAT, "DL") == 91.8
    assert at("Table 4", SPARS, "HDL") == 47.8
    assert at("Table 2", ADV, "Stable+Robust") == 86.8 and at("Table 4", STAB, "Stable+Sparse") == 68.5
    # each table's data set and radius, as printed in its title
    assert {d: images.TABLES[d] for d in ref.dataset.unique()} == \
        dict(ref[["dataset", "table"]].drop_duplicates().values)
    assert images.PAPER_RADIUS == {"fashion-mnist": 0.01, "mnist": 0.1, "cifar10": 0.01}


def test_reference_with_a_bad_value_names_the_file(tmp_path):
    bad = tmp_path / "ref.csv"
    bad.write_text("table,dataset,metric,method,value\nTable 3,mnist,natural_accuracy,DL,n/a\n")
    with pytest.raises(DataError, match=r"ref\.csv.*'value'"):
        images.published_tables_2_4(bad)


# --------------------------------------------------------------------------- the tables

def test_cells_published_here_and_difference():
    run = mnist_like(HDL=(99.04, 70.04, 99.2, 28.0))
    del run["Sparse"]
    tab = images.cells(values({"mnist": run}))
    assert list(tab.columns) == ["dataset", "metric", "method", "published", "here", "difference"]
    assert len(tab) == 32      # every published cell, here or not
    hdl = tab[(tab.method == "HDL")].set_index("metric")
    assert (hdl.at[ADV, "published"], hdl.at[ADV, "here"], hdl.at[ADV, "difference"]) == (76.0, 70.0, -6.0)
    assert (hdl.at[NAT, "published"], hdl.at[NAT, "here"], hdl.at[NAT, "difference"]) == (99.3, 99.0, -0.3)
    assert hdl.at[SPARS, "difference"] == 0.0
    sparse = tab[(tab.method == "Sparse") & (tab.metric == NAT)].iloc[0]
    assert sparse.published == 99.1 and pd.isna(sparse.here) and pd.isna(sparse.difference)

    md = images.comparison(values({"mnist": run}), params())
    assert "### Table 3: mnist" in md and "fashion-mnist" not in md.split("### Table 3")[1].split("|")[0]
    assert "| metric | DL | Robust | Stable | Sparse | Robust+Sparse | Stable+Sparse | Stable+Robust | HDL |" in md
    row = next(ln for ln in md.splitlines() if ln.startswith("| Adv. acc. rho=0.1 |"))
    assert row.endswith("| 76.0 / 70.0 / **-6.0** |")     # beyond 2 points: bold
    row = next(ln for ln in md.splitlines() if ln.startswith("| Avg. accuracy |"))
    assert "| 99.1 / - / - |" in row and row.endswith("| 99.3 / 99.0 / -0.3 |")


def test_notes_flag_the_architecture_radius_and_protocol():
    mlp = " ".join(images.table_notes(params(per_dataset={"mnist": {"n_splits": 1, "max_trainval_rows": 1000,
                                                                    "max_test_rows": 500}}), "mnist"))
    assert "architecture differs: here mlp, paper ALEX CNN" in mlp
    assert "5 epochs per round (paper 50)" in mlp
    assert "1 train/validation split (paper 10)" in mlp          # the data set's own split setting
    assert "= 1x2x1x1x1 values (paper 2x5x3x2x4)" in mlp
    assert "training and validation rows: a slice of 1000 rows, not comparable" in mlp
    assert "test rows: a slice of 500 rows, not comparable" in mlp
    assert "here at rho = 0.1; Table 3 at rho = 0.1." in mlp and "radius differs" not in mlp

    alex = " ".join(images.table_notes(params("alex", epochs=50, n_splits=10, grid=PAPER_GRID), "mnist"))
    assert "architecture differs" not in alex and "Architecture as the paper: alex" in alex
    assert "slice" not in alex and "Protocol otherwise as the paper's" in alex

    fashion = " ".join(images.table_notes(params("alex", rho=0.1), "fashion-mnist"))
    assert "here at rho = 0.01; Table 2 at rho = 0.01." in fashion
    other = {"aggregate": {"adversarial_eps": 0.1}, "split": {"n_splits": 10}}
    assert "radius differs" in " ".join(images.table_notes(other, "cifar10"))


# --------------------------------------------------------------------------- sanity checks

def test_sanity_checks_measure_pass_fail_and_skip():
    run = values({"mnist": mnist_like(DL=(98.0, 50.0, 97.0, 0.0), Robust=(99.0, 59.9, 98.8, 0.0))})
    rows = images.sanity_rows(run, {"default": 0.1, "fashion-mnist": 0.01})
    by = {(r.check.split(" ")[0], r.dataset): r for r in rows.itertuples()}
    dl = by[("DL", "mnist")]
    assert (dl.measured, dl.threshold, dl.result) == (98.0, 97.5, "pass")
    assert by[("DL", "fashion-mnist")].result == "not in this run"
    margin = by[("robust-family", "mnist")]
    assert (margin.measured, margin.detail, margin.threshold, margin.result) == (9.9, "Robust", 10.0, "fail")

    fashion = values({"fashion-mnist": mnist_like(DL=(86.9, 50.0, 86.0, 0.0))})
    rows = images.sanity_rows(fashion, 0.01)
    assert rows.set_index("dataset").loc["fashion-mnist", "result"] == "fail"
    assert (rows.result == "not in this run").sum() == 2                 # mnist: both checks
    # MNIST measured at another radius: the margin check is not made
    rows = images.sanity_rows(values({"mnist": mnist_like()}), 0.01)
    assert rows.iloc[-1].result.startswith("not measured") and rows.iloc[-1].dataset == "mnist"
    assert rows.iloc[0].result == "pass"
    md = images.sanity_markdown(images.sanity_rows(run, 0.1))
    assert "| +9.9 (Robust) | >= +10.0 points | fail |" in md


# --------------------------------------------------------------------------- stage, factory

def model(cid, nat, adv, spars, split=0):
    """One model of an eval file (one split of it): test values as given, validation values
    equal to them, adversarial accuracy at 0.01 and 0.1."""
    def row(metric, attack, eps, part, v):
        return {"metric": metric, "attack": attack, "norm": None if attack == "none" else "inf",
                "eps": eps, "part": part, "value": v}

    rows = [row("accuracy", "none", None, part, nat) for part in ("val", "test")]
    rows += [row("accuracy", "pgd", eps, part, adv) for eps in (0.01, 0.1) for part in ("val", "test")]
    rows.append(row("sparsity", "none", None, "model", spars))
    return {"config_id": cid, "config": {"id": cid}, "split": split, "rows": rows}


def load_stage(name: str):
    spec = importlib.util.spec_from_file_location(f"{name}_stage", ROOT / f"stages/{name}.py")
    stage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stage)
    return stage


def test_stage_writes_tables_2_4_from_the_multi_objective_choice(tmp_path):
    # config 0 is best on three validation metrics, config 1 only on sparsity: the
    # multi-objective choice (Tables 2-4, and the claims' splits) takes config 0, the per-metric
    # choice config 1; three splits
    evs = [{"dataset": "mnist", "method": m, "info": {"n": 70000, "p": 784, "k": 10, "paper_name": "MNIST"},
            "adversarial": "pgd", "eps": [0.01, 0.1],
            "models": [model(0, 99.0, 80.0 if m != "DL" else 40.0, 0.0 if m == "DL" else 10.0, split=s)
                       for s in range(3)] + [model(1, 90.0, 30.0, 60.0, split=s) for s in range(3)]}
           for m in METHODS]
    paths = [str(p) for p in write_evals(tmp_path, evs)]
    from holistic.records.evals import load_evals

    selected = select_all(load_evals(paths, 0.1)[0], METHODS)
    (tmp_path / "selected.csv").write_text(selected_csv(selected))
    (tmp_path / "splits.yaml").write_text("split:\n  per_dataset:\n    mnist: {n_splits: 3}\n")
    params = ["--params", str(ROOT / "params.yaml"), "--params", str(tmp_path / "splits.yaml")]
    out = tmp_path / "analysis"
    load_stage("images").main([*params, "--selected", str(tmp_path / "selected.csv"), "--evals", *paths,
                               "--out", str(out)])
    csv = pd.read_csv(out / "images.csv")
    assert len(csv) == 32 and list(csv.columns) == images.CELL_COLUMNS
    hdl = csv[csv.method == "HDL"].set_index("metric")
    assert (hdl.at[SPARS, "published"], hdl.at[SPARS, "here"], hdl.at[SPARS, "difference"]) == (28.0, 10.0, -18.0)
    assert hdl.at[ADV, "here"] == 80.0
    md = (out / "images.md").read_text()
    assert "### Table 3: mnist" in md and "not in this run: fashion-mnist (Table 2), cifar10 (Table 4)" in md
    assert "architecture differs: here mlp, paper ALEX CNN" in md              # params.yaml: the MLP
    rows = load_params([ROOT / "params.yaml"])["split"]["per_dataset"]["mnist"]["max_trainval_rows"]
    assert f"a slice of {rows} rows, not comparable" in md                     # params.yaml's MNIST slice
    assert "## Sanity checks" in md
    assert "| DL natural test accuracy | mnist | 99.0 (DL) | >= 97.5 | pass |" in md
    # the claims: HDL only ties DL's natural accuracy (H-img-1 fails), the robust family is 40
    # points above DL on each split (H-img-3 holds), the MLP voids H-img-2; 3 splits each
    assert "**Claims of Section 4.2** (1 holds, 1 fails, 0 inconclusive, 1 not testable here" in md
    claims = [r for r in md.splitlines() if r.startswith("| H-img-")]
    assert [r.split(" | ")[7] for r in claims] == ["fails", "not testable here", "holds"]
    assert "sparsity (%): HDL - DL: mean d +10.00, 95 % CI [+10.00, +10.00], n = 3 splits" in claims[0]

    # the fidelity stage writes the same rows into the study's claims.csv, after the other claims
    from holistic.fidelity import outputs

    load_stage("fidelity").main([*params, "--run", f"minmax={tmp_path}", "--evals", *paths,
                                 "--out", str(tmp_path / "fidelity.md"), "--csv", str(tmp_path / "fidelity.csv")])
    frame = outputs.read_claims(tmp_path / "claims.csv")
    img = frame[frame["key"].str.startswith("H-img-")]
    assert list(img["key"]) == ["H-img-1", "H-img-2", "H-img-3"] and set(img["dataset"]) == {"mnist"}
    assert list(img["verdict"]) == ["fails", "not testable here", "holds"]
    assert list(frame["key"]).index("H-img-1") == len(frame) - 3
    assert "**Claims of Sections 1, 4.1 and 4.2, run `minmax`**" in (tmp_path / "fidelity.md").read_text()


def test_image_values_without_a_selection_names_the_file():
    sel = pd.DataFrame(columns=["dataset", "method", "metric", "config_id", "config", "validation", "test"])
    with pytest.raises(DataError, match=r"sel\.csv.*'mnist'"):
        images.image_values(sel, pd.DataFrame(columns=["dataset", "method", "config_id"]), ["mnist"],
                            source="sel.csv")


def study(tmp_path, text):
    (tmp_path / "run.yaml").write_text(text)
    return S.load([ROOT / "params.yaml", tmp_path / "run.yaml"]).study("hdl")


def test_factory_makes_the_stage_only_for_a_run_with_image_sets(tmp_path):
    tabular = study(tmp_path, "studies:\n  hdl:\n    datasets: [sklearn-iris, sklearn-wine]\n")
    assert images_stage(tabular) == []
    assert "html_images" not in [p.name for p in page_stages(tabular)]
    assert "images" not in [st.name for st in S.study_stages(tabular)]

    s = study(tmp_path, "studies:\n  hdl:\n    datasets: [sklearn-iris, mnist]\n    methods: [DL, HDL]\n"
                        "    model: alex\nattack:\n  verify: [ibp]\n")
    [stage] = images_stage(s)
    assert stage.script == "stages/images.py"
    assert stage.inputs == {"selected": "results/hdl/tables/selected.csv",
                            "evals": ["results/hdl/eval/mnist/DL.json", "results/hdl/eval/mnist/HDL.json"]}
    assert [o.path for o in stage.outputs.values()] == ["results/hdl/analysis/images.md",
                                                        "results/hdl/analysis/images.csv"]
    # every setting the departures line reads (studies.hdl: the model among them)
    assert set(stage.params) == set(PARAM_KEYS) >= {"aggregate.adversarial_eps", "split", "train.epochs",
                                                    "train.grid", "studies.hdl"}
    assert stage.values["out"](stage.inputs, {k: o.path for k, o in stage.outputs.items()}) == \
        "results/hdl/analysis"
    page = [p for p in page_stages(s) if p.name == "html_images"]
    assert [p.inputs["src"] for p in page] == ["results/hdl/analysis/images.md"]
    assert "images" in [st.name for st in S.study_stages(s)]
