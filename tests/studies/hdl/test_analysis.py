"""Tests of the Section 4 analyses: SHAP values (Fig. 3), Figures 1-2, Tables 2-4
layout, Table 5 slowdowns, and the `shap` and `figures` stages."""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from holistic.errors import DataError
from holistic.records.selected import selected_csv
from holistic.selection.select import METRICS
from holistic.studies.hdl import figures, shap_values, timing
from holistic.studies.hdl.methods import COMPONENTS, METHODS

ROOT = Path(__file__).resolve().parents[3]
COMPS = shap_values.COMPONENT_NAMES


def selection(values: dict) -> pd.DataFrame:
    """Long selection frame from ``{dataset: {method: {metric: test}}}``; a metric
    absent from a method's dict is absent from the frame."""
    rows = []
    for ds, per_method in values.items():
        for m, metrics in per_method.items():
            for metric, v in metrics.items():
                rows.append({"dataset": ds, "method": m, "metric": metric, "config_id": 0,
                             "config": "{}", "validation": v, "test": v})
    return pd.DataFrame(rows, columns=["dataset", "method", "metric", "config_id", "config",
                                       "validation", "test"])


def additive(c: float, a: dict[str, float]) -> dict[str, float]:
    """Method -> c + sum_j a_j z_j over the Table 1 component vectors."""
    return {m: c + sum(a[k] * getattr(comp, k) for k in COMPS) for m, comp in COMPONENTS.items()}


def additive_selection(datasets: dict[str, tuple[float, dict]]) -> pd.DataFrame:
    """Every metric additive in the components; natural accuracy's c is DL's accuracy."""
    values = {}
    for ds, (c, a) in datasets.items():
        per = {metric: additive(c, {k: a[k] * (i + 1) for k in COMPS})
               for i, metric in enumerate(METRICS)}
        values[ds] = {m: {metric: per[metric][m] for metric in METRICS} for m in METHODS}
    return selection(values)


def direct_shapley(f, z: tuple[int, ...]) -> list[float]:
    """Shapley values of v(S) = f(z_S, 0_rest) from the definition."""
    d = len(z)
    out = []
    for j in range(d):
        others = [k for k in range(d) if k != j]
        phi = 0.0
        for r in range(d):
            for S in itertools.combinations(others, r):
                w = math.factorial(r) * math.factorial(d - r - 1) / math.factorial(d)
                with_j = tuple(z[k] if (k in S or k == j) else 0 for k in range(d))
                without = tuple(z[k] if k in S else 0 for k in range(d))
                phi += w * (f[with_j] - f[without])
        out.append(phi)
    return out


# --------------------------------------------------------------------------- SHAP

def test_method_vectors_are_the_full_factorial_from_table_1():
    vecs = shap_values.method_vectors()
    assert COMPS == ("robust", "stable", "sparse")
    assert set(vecs.values()) == set(itertools.product((0, 1), repeat=3))
    assert vecs["DL"] == (0, 0, 0) and vecs["HDL"] == (1, 1, 1)
    assert vecs["Stable+Robust"] == (1, 1, 0) and vecs["Sparse"] == (0, 0, 1)


def test_shap_additive_outcome_recovers_effects():
    a = {"robust": 4.0, "stable": -1.5, "sparse": 30.0}
    vals = {z: 70.0 + sum(a[k] * z[i] for i, k in enumerate(COMPS))
            for z in itertools.product((0, 1), repeat=3)}
    inst = np.array(list(vals), dtype=float)
    phi, base = shap_values.shap_matrix(vals, inst)
    np.testing.assert_allclose(base, 70.0)
    # instance z: SHAP_j = a_j z_j
    np.testing.assert_allclose(phi, inst * np.array([a[k] for k in COMPS]), atol=1e-9)
    out = shap_values.component_shap(vals)
    for k in COMPS:
        mean, hdl = out[k]
        assert mean == pytest.approx(a[k] / 2, abs=1e-9)   # j on in 4 of the 8 methods
        assert hdl == pytest.approx(a[k], abs=1e-9)


def test_shap_interaction_matches_hand_computed_shapley():
    # v(S) of the game at HDL: {}:1, r:3, s:2, p:5, rs:10, rp:0, sp:4, rsp:7
    f = {(0, 0, 0): 1.0, (1, 0, 0): 3.0, (0, 1, 0): 2.0, (0, 0, 1): 5.0,
         (1, 1, 0): 10.0, (1, 0, 1): 0.0, (0, 1, 1): 4.0, (1, 1, 1): 7.0}
    phi, base = shap_values.shap_matrix(f, np.array([[1, 1, 1], [1, 0, 1]], dtype=float))
    # robust at HDL: (3-1)/3 + ((10-2) + (0-5))/6 + (7-4)/3 = 13/6
    np.testing.assert_allclose(phi[0], [13 / 6, 11 / 3, 1 / 6], atol=1e-9)
    assert phi[0].sum() + base[0] == pytest.approx(f[(1, 1, 1)])
    # Robust+Sparse: two-player game, stable is a dummy
    np.testing.assert_allclose(phi[1], [((3 - 1) + (0 - 5)) / 2, 0.0, ((5 - 1) + (0 - 3)) / 2],
                               atol=1e-9)
    out = shap_values.component_shap(f)
    assert out["robust"][1] == pytest.approx(13 / 6)


def test_shap_exact_explainer_equals_direct_shapley_formula():
    rng = np.random.default_rng(3)
    zs = list(itertools.product((0, 1), repeat=3))
    f = dict(zip(zs, rng.normal(50, 20, size=8)))
    phi, _ = shap_values.shap_matrix(f, np.array(zs, dtype=float))
    for i, z in enumerate(zs):
        np.testing.assert_allclose(phi[i], direct_shapley(f, z), atol=1e-9)
    out = shap_values.component_shap(f)
    for j, k in enumerate(COMPS):
        assert out[k][0] == pytest.approx(np.mean([direct_shapley(f, z)[j] for z in zs]))
        assert out[k][1] == pytest.approx(direct_shapley(f, (1, 1, 1))[j])


def test_shap_per_dataset_and_category_means():
    sel = additive_selection({
        "a": (85.0, {"robust": 2.0, "stable": 1.0, "sparse": -3.0}),   # medium
        "b": (90.0, {"robust": 4.0, "stable": 0.0, "sparse": -1.0}),   # medium
        "c": (99.0, {"robust": 1.0, "stable": 2.0, "sparse": 5.0}),    # high
    })
    per = shap_values.per_dataset(sel, source="sel.csv")
    assert list(per.columns) == shap_values.PER_DATASET_COLUMNS
    assert len(per) == 3 * 3 * 4
    r = per[(per.dataset == "a") & (per.component == "sparse") & (per.metric == "stability")]
    # stability is METRICS[2]: effects scaled by 3
    assert r["shap_hdl"].item() == pytest.approx(-9.0)
    assert r["shap"].item() == pytest.approx(-4.5)
    assert r["base"].item() == pytest.approx(85.0) and r["category"].item() == "medium"
    tab = shap_values.category_means(per)
    assert list(tab.columns) == shap_values.CATEGORY_COLUMNS
    med = tab[(tab.category == "medium") & (tab.component == "robust")
              & (tab.metric == "natural_accuracy")]
    assert med["shap_hdl"].item() == pytest.approx(3.0)     # mean of 2 and 4
    assert med["shap"].item() == pytest.approx(1.5)
    assert med["n_datasets"].item() == 2
    high = tab[(tab.category == "high") & (tab.component == "sparse") & (tab.metric == "sparsity")]
    assert high["shap_hdl"].item() == pytest.approx(20.0) and high["n_datasets"].item() == 1
    low = tab[tab.category == "low"]
    assert len(low) == 12 and (low["n_datasets"] == 0).all() and low["shap"].isna().all()


def test_shap_missing_method_raises_naming_source():
    sel = additive_selection({"a": (85.0, {"robust": 1.0, "stable": 1.0, "sparse": 1.0})})
    sel = sel[~((sel.method == "Stable+Sparse") & (sel.metric == "sparsity"))]
    with pytest.raises(DataError, match=r"sel\.csv.*'a'.*sparsity.*Stable\+Sparse"):
        shap_values.per_dataset(sel, source="sel.csv")


# --------------------------------------------------------------------------- figures

def figure_selection() -> pd.DataFrame:
    """d1 (DL 92 %) and d2 (DL 94 %) in 90-95 %, d3 (DL 99 %) in 98-100 %;
    Sparse did not run on d2."""
    def entry(nat, adv, stab, spars, rank):
        return {"natural_accuracy": nat, "adversarial_accuracy": adv, "stability": stab,
                "sparsity": spars, "multi_objective": rank}
    vals = {
        "d1": {"DL": entry(92, 10, 90, 0, 3), "Robust": entry(91, 50, 89, 0, 1),
               "Sparse": entry(90, 12, 88, 60, 2)},
        "d2": {"DL": entry(94, 20, 93, 0, 2), "Robust": entry(95, 60, 94, 0, 1)},
        "d3": {"DL": entry(99, 30, 98, 0, 2.5), "Robust": entry(98, 70, 97, 0, 2.5),
               "Sparse": entry(99.5, 35, 98.5, 80, 1)},
    }
    return selection(vals)


def test_figure1_group_means():
    data = figures.figure1_data(figure_selection())
    assert list(data.columns) == ["group", "metric", "method", "value", "n_datasets"]
    assert list(dict.fromkeys(data.group)) == ["90-95%", "98-100%"]

    def get(g, metric, m):
        r = data[(data.group == g) & (data.metric == metric) & (data.method == m)]
        return r["value"].item(), r["n_datasets"].item()

    assert get("90-95%", "natural_accuracy", "Robust") == (pytest.approx(93.0), 2)
    assert get("90-95%", "adversarial_accuracy", "DL") == (pytest.approx(15.0), 2)
    assert get("90-95%", "sparsity", "Sparse") == (pytest.approx(60.0), 1)
    assert get("98-100%", "stability", "Sparse") == (pytest.approx(98.5), 1)
    assert list(data[(data.group == "90-95%") & (data.metric == "sparsity")].method) == \
        ["DL", "Robust", "Sparse"]


def test_figure2_mean_rank_with_all_group():
    data = figures.figure2_data(figure_selection())
    assert list(dict.fromkeys(data.group)) == ["90-95%", "98-100%", "all"]
    r = data[(data.group == "all") & (data.method == "DL")]
    assert r["mean_rank"].item() == pytest.approx(2.5) and r["n_datasets"].item() == 3
    r = data[(data.group == "90-95%") & (data.method == "Robust")]
    assert r["mean_rank"].item() == pytest.approx(1.0) and r["n_datasets"].item() == 2


def test_per_dataset_tables_layout_and_bold():
    md = figures.per_dataset_tables(figure_selection(), 0.1)
    assert md.index("### d1") < md.index("### d2") < md.index("### d3")  # by DL accuracy
    d2 = md[md.index("### d2"):md.index("### d3")]
    assert "| Method | DL | Robust |" in d2
    assert "| Avg. accuracy | 94.0 | **95.0** |" in d2
    assert "| Adv. acc. rho=0.1 | 20.0 | **60.0** |" in d2
    d1 = md[md.index("### d1"):md.index("### d2")]
    assert "| Sparsity | 0.0 | 0.0 | **60.0** |" in d1
    assert "| Avg. accuracy | **92.0** | 91.0 | 90.0 |" in d1


def test_per_dataset_tables_with_multi_objective_choice():
    sel = figure_selection()
    sel.loc[(sel.dataset == "d2") & (sel.method == "Robust") & (sel.metric == "multi_objective"),
            "config_id"] = 1
    summary = pd.DataFrame([
        {"dataset": "d2", "method": "DL", "config_id": 0, "nat_test_mean": 94.0,
         "adv_test_mean": 20.0, "nat_test_min": 93.0, "sparsity_mean": 0.0},
        {"dataset": "d2", "method": "Robust", "config_id": 0, "nat_test_mean": 99.0,
         "adv_test_mean": 99.0, "nat_test_min": 99.0, "sparsity_mean": 99.0},
        {"dataset": "d2", "method": "Robust", "config_id": 1, "nat_test_mean": 93.0,
         "adv_test_mean": 40.0, "nat_test_min": 92.0, "sparsity_mean": 0.0},
    ])
    tab = figures.dataset_values(sel, "d2", summary)
    assert tab.loc["natural_accuracy", "Robust"] == 93.0
    assert tab.loc["stability", "DL"] == 93.0
    with pytest.raises(DataError, match="d1"):
        figures.dataset_values(sel, "d1", summary, source="x.csv")


# --------------------------------------------------------------------------- Table 5

def write_log(path: Path, dataset, method, models, steps, seconds, spb=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"dataset": dataset, "method": method, "models": models,
                                "steps": steps, "seconds": seconds,
                                "seconds_per_batch": seconds / steps if spb is None else spb,
                                "best_epoch": [1] * models}))
    return path


def hand_logs(tmp_path: Path) -> list[Path]:
    p = tmp_path / "train"
    return [
        write_log(p / "x/DL.json", "x", "DL", 2, 100, 10.0),          # 0.05 s per model-batch
        write_log(p / "x/HDL.json", "x", "HDL", 8, 500, 200.0),       # 0.05 s, 5x steps
        write_log(p / "x/Robust.json", "x", "Robust", 4, 100, 60.0),  # 0.15 s per model-batch
        write_log(p / "y/DL.json", "y", "DL", 1, 10, 1.0),
        write_log(p / "y/HDL.json", "y", "HDL", 4, 40, 24.0),         # 0.15/0.1, 4x steps
    ]


def test_table5_ratios(tmp_path):
    per = timing.slowdowns(timing.table1_logs(hand_logs(tmp_path)))
    x = per[(per.dataset == "x") & (per.method == "HDL")].iloc[0]
    assert x.batches_slowdown == pytest.approx(1.0)
    assert x.iterations_factor == pytest.approx(5.0)
    assert x.total_slowdown == pytest.approx(5.0)
    assert per[(per.dataset == "x") & (per.method == "Robust")].batches_slowdown.item() \
        == pytest.approx(3.0)
    y = per[(per.dataset == "y") & (per.method == "HDL")].iloc[0]
    assert (y.batches_slowdown, y.iterations_factor, y.total_slowdown) == \
        (pytest.approx(1.5), pytest.approx(4.0), pytest.approx(6.0))
    tab = timing.table5(per)
    assert list(tab.method) == ["Robust", "HDL"]
    hdl = tab[tab.method == "HDL"].iloc[0]
    assert hdl.n_datasets == 2
    assert hdl.batches_slowdown_mean == pytest.approx(1.25)
    assert hdl.total_slowdown_median == pytest.approx(5.5)
    assert hdl.iterations_factor_mean == pytest.approx(4.5)
    assert (hdl.paper_batches_slowdown, hdl.paper_iterations_factor,
            hdl.paper_total_slowdown) == (3.2, 5.0, 16.2)
    timing.write_table5(hand_logs(tmp_path), tmp_path / "out")
    md = (tmp_path / "out/table5.md").read_text()
    assert "| HDL | 2 | 1.25 (1.25) | 3.20 | 4.50 (4.50) | 5.00 | 5.50 (5.50) | 16.20 |" in md
    assert pd.read_csv(tmp_path / "out/table5.csv")["method"].tolist() == ["Robust", "HDL"]


def test_table5_malformed_logs(tmp_path):
    good = write_log(tmp_path / "DL.json", "x", "DL", 2, 100, 10.0)
    bad = write_log(tmp_path / "bad/HDL.json", "x", "HDL", 0, 100, 10.0)
    with pytest.raises(DataError, match=r"bad/HDL\.json.*'models'"):
        timing.table1_logs([good, bad])
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(DataError, match=r"broken\.json.*not valid JSON"):
        timing.table1_logs([broken])
    with pytest.raises(DataError, match=r"missing\.json.*not found"):
        timing.table1_logs([tmp_path / "missing.json"])
    nan = write_log(tmp_path / "nan/HDL.json", "x", "HDL", 2, 100, float("nan"))
    with pytest.raises(DataError, match=r"nan/HDL\.json.*'seconds'"):
        timing.table1_logs([nan])
    lone = write_log(tmp_path / "z/HDL.json", "z", "HDL", 2, 100, 10.0)
    with pytest.raises(DataError, match="'z'.*no DL"):
        timing.slowdowns(timing.table1_logs([lone]))


def test_paper_table5_from_reference_copy():
    paper = timing.paper_table5()
    assert list(paper) == ["Robust", "Stable", "Sparse", "Robust+Sparse", "Stable+Sparse",
                           "Stable+Robust", "HDL"]
    assert paper["HDL"] == (3.2, 5.0, 16.2) and paper["Stable+Sparse"] == (1.1, 5.0, 5.5)
    text = "## Table 5: x\n| method | a | b | c |\n|---|---|---|---|\n| HDL | 3.2 | five | 16 |\n"
    with pytest.raises(DataError, match=r"ref\.md.*'HDL'.*non-numeric"):
        timing.paper_table5(text, source="ref.md")
    with pytest.raises(DataError, match=r"ref\.md.*no '## Table 5'"):
        timing.paper_table5("## Table 4\n", source="ref.md")


# --------------------------------------------------------------------------- PNGs, stages

def test_pngs_are_bytewise_deterministic(tmp_path):
    sel = figure_selection()
    f1, f2 = figures.figure1_data(sel), figures.figure2_data(sel)
    tab = shap_values.category_means(shap_values.per_dataset(additive_selection({
        "a": (85.0, {"robust": 2.0, "stable": -1.0, "sparse": 3.0})})))
    note = "Departs from the paper (Sec. 4): splits 3 (paper 10)."
    for i in (0, 1):
        figures.plot_figure1(f1, tmp_path / f"f1_{i}.png", 0.1)
        figures.plot_figure2(f2, tmp_path / f"f2_{i}.png")
        shap_values.plot_shap(tab, tmp_path / f"s_{i}.png")
        figures.plot_figure1(f1, tmp_path / f"n1_{i}.png", 0.1, note)   # with the departures line
        shap_values.plot_shap(tab, tmp_path / f"ns_{i}.png", note=note)
    for name in ("f1", "f2", "s", "n1", "ns"):
        a, b = (tmp_path / f"{name}_0.png").read_bytes(), (tmp_path / f"{name}_1.png").read_bytes()
        assert a[:8] == b"\x89PNG\r\n\x1a\n" and a == b
    assert (tmp_path / "n1_0.png").read_bytes() != (tmp_path / "f1_0.png").read_bytes()


def test_tables_carry_the_departures_line(tmp_path):
    note = "Departs from the paper (Sec. 4): splits 3 (paper 10)."
    assert figures.per_dataset_tables(figure_selection(), 0.1, note=note).startswith(note + "\n\n### d1")
    timing.write_table5(hand_logs(tmp_path), tmp_path / "out", note)
    assert f"alongside.** {note}" in (tmp_path / "out/table5.md").read_text()


def load_stage(name: str):
    spec = importlib.util.spec_from_file_location(f"{name}_stage", ROOT / f"stages/{name}.py")
    stage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stage)
    return stage


def test_stage_shap_script_imports_the_shap_package(tmp_path):
    # run as a script, stages/ is first on sys.path and a stages/shap.py would shadow
    # the shap package (an ImportError traceback, exit 1); bad input must exit 2
    sel = additive_selection({"a": (85.0, {"robust": 2.0, "stable": -1.0, "sparse": 3.0})})
    sel = sel[sel.method != "HDL"]
    sel_path = tmp_path / "selected.csv"
    sel_path.write_text(selected_csv(sel))
    res = subprocess.run([sys.executable, str(ROOT / "stages/shap_values.py"),
                          "--params", str(ROOT / "params.yaml"), "--selected", str(sel_path),
                          "--out", str(tmp_path / "shap")], check=False, capture_output=True,
                         text=True)
    assert res.returncode == 2, res.stderr
    assert "selected.csv" in res.stderr and "no test value for method(s) HDL" in res.stderr
    assert not (tmp_path / "shap").exists()


def test_stages_shap_and_figures(tmp_path):
    sel = additive_selection({"a": (85.0, {"robust": 2.0, "stable": -1.0, "sparse": 3.0}),
                              "b": (97.0, {"robust": 1.0, "stable": 1.0, "sparse": 1.0})})
    ranks = sel[sel.metric == "natural_accuracy"].assign(metric="multi_objective", test=4.5)
    sel_path = tmp_path / "selected.csv"
    sel_path.write_text(selected_csv(pd.concat([sel, ranks], ignore_index=True)))
    params = str(ROOT / "params.yaml")
    load_stage("shap_values").main(["--params", params, "--selected", str(sel_path),
                             "--out", str(tmp_path / "shap")])
    tab = pd.read_csv(tmp_path / "shap/shap.csv")
    r = tab[(tab.category == "high") & (tab.component == "stable")
            & (tab.metric == "natural_accuracy")]
    assert r["shap_hdl"].item() == pytest.approx(1.0) and r["shap"].item() == pytest.approx(0.5)
    assert len(pd.read_csv(tmp_path / "shap/shap_per_dataset.csv")) == 2 * 3 * 4
    assert (tmp_path / "shap/shap.png").read_bytes()[:4] == b"\x89PNG"

    logs = [write_log(tmp_path / f"train/{d}/{m}.json", d, m, 2, 10, 1.0)
            for d in ("a", "b") for m in ("DL", "Sparse")]
    out = tmp_path / "fig"
    load_stage("figures").main(["--params", params, "--selected", str(sel_path),
                                "--train-logs", *map(str, logs), "--out", str(out)])
    for name in ("figure1.png", "figure1.csv", "figure2.png", "figure2.csv",
                 "table5.csv", "table5.md", "per_dataset.md"):
        assert (out / name).is_file(), name
    f2 = pd.read_csv(out / "figure2.csv")
    assert f2[(f2.group == "all") & (f2.method == "HDL")]["mean_rank"].item() == 4.5
    assert "| Sparse | 2 | 1.00 (1.00) |" in (out / "table5.md").read_text()
    assert "| Adv. acc. rho=0.1 |" in (out / "per_dataset.md").read_text()
