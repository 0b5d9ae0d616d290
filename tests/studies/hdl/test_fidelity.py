"""Tests of the `fidelity` stage: published Tables A1-A4 vs this project's selection
(the generic machinery of ``holistic.fidelity`` with HDL's publication and claims)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from holistic import fidelity as fid
from holistic.errors import DataError
from holistic.records.selected import load_selected, selected_csv
from holistic.selection.select import METRICS
from holistic.studies.hdl import claims as hdl
from holistic.studies.hdl.claims import PUBLICATION as PUB

ROOT = Path(__file__).resolve().parents[3]
METHODS = list(PUB.methods)


@pytest.fixture(scope="module")
def reference():
    return fid.load_reference(PUB)


@pytest.fixture(scope="module")
def names():
    return fid.load_reference_names(PUB)


def published(reference, paper_name):
    """{(metric, method): value} of one published data set."""
    sub = reference[reference["dataset"] == paper_name]
    return {(r.metric, r.method): r.value for r in sub.itertuples()}


def selection(cells):
    """A selection trace from {(dataset, metric, method): test value}."""
    rows = [{"dataset": d, "method": m, "metric": k, "config_id": 0, "config": "{}",
             "validation": 0.0, "test": v} for (d, k, m), v in cells.items()]
    return pd.DataFrame(rows, columns=["dataset", "method", "metric", "config_id", "config",
                                       "validation", "test"])


def info(rows):
    """Sizes and paper names, {dataset: (n, p, k, paper_name)}."""
    return pd.DataFrame([{"dataset": d, "n": n, "p": p, "k": k, "paper_name": pn}
                         for d, (n, p, k, pn) in rows.items()]).set_index("dataset")


# Offsets added to the published iris values, per metric, in method order.
OFFSETS = {
    "natural_accuracy": [0.0, 1.0, -2.0, 2.5, -3.0, 0.5, 0.0, -10.0],
    "adversarial_accuracy": [2.0, -2.01, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0],
    "stability": [0.0] * 8,
    "sparsity": [0.0, 0.0, 0.0, 1.5, 1.5, 1.5, 0.0, -30.0],
}
INFO = info({"my-iris": (150, 4, 3, "iris"), "my-digits": (1797, 64, 10, "optical-recog-digits"),
             "other": (100, 3, 2, None)})


def iris_selection(reference, drop=()):
    pub = published(reference, "iris")
    cells = {}
    for metric, offs in OFFSETS.items():
        for method, off in zip(METHODS, offs):
            if (metric, method) not in drop:
                cells[("my-iris", metric, method)] = pub[(metric, method)] + off
    digits = published(reference, "optical-recog-digits")
    for (metric, method), v in digits.items():
        cells[("my-digits", metric, method)] = v + 50.0 if metric == "natural_accuracy" else v
    for metric in METRICS:
        cells[("other", metric, "DL")] = 50.0
    return selection(cells)


# --------------------------------------------------------------------------- reference

def test_reference_has_all_published_cells(reference, names):
    assert len(reference) == 1536                       # 48 data sets x 4 metrics x 8 methods
    assert reference["dataset"].nunique() == 48         # 45 UCI + MNIST, Fashion-MNIST, CIFAR10
    assert sorted(reference["metric"].unique()) == sorted(METRICS)
    assert sorted(reference["method"].unique()) == sorted(METHODS)
    assert (reference.groupby("dataset").size() == 32).all()
    assert len(names) == 45 and set(fid.named_datasets(names)) <= set(reference["dataset"])
    assert set(reference["dataset"]) - set(fid.named_datasets(names)) == {"MNIST", "Fashion-MNIST",
                                                                      "CIFAR10"}
    iris = published(reference, "iris")
    assert iris[("natural_accuracy", "DL")] == 100.0
    assert iris[("adversarial_accuracy", "HDL")] == 32.67
    row = reference[reference["dataset"] == "iris"].iloc[0]
    assert (row.n, row.p, row.k) == (149, 4, 3)


def write_reference(tmp_path, df, name="ref.csv"):
    path = tmp_path / name
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("corrupt, reason", [
    (lambda d: d.drop(columns="value"), "column(s) value missing"),
    (lambda d: d.assign(value=d["value"].astype(str).where(d.index != 5, "n/a")), "row 6, field 'value'"),
    (lambda d: d.assign(value=d["value"].where(d.index != 3, 120.0)), "percentage"),
    (lambda d: d.assign(method=d["method"].where(d.index != 2, "Robustish")), "unknown method"),
    (lambda d: d.assign(metric=d["metric"].where(d.index != 2, "accuracy")), "unknown metric"),
    (lambda d: d.assign(n=d["n"].astype(str).where(d.index != 0, "1.5")), "field 'n'"),
    (lambda d: pd.concat([d, d.iloc[[7]]]), "given twice"),
    (lambda d: d.assign(n=d["n"].where(d.index != 1, 999)), "different n, p, k"),
])
def test_malformed_reference_names_the_file(tmp_path, reference, corrupt, reason):
    path = write_reference(tmp_path, corrupt(reference.head(64).copy()))
    with pytest.raises(DataError, match=str(path)) as exc:
        fid.load_reference(PUB, path)
    assert reason in str(exc.value)


def test_malformed_names_and_missing_reference(tmp_path, names):
    path = write_reference(tmp_path, pd.concat([names, names.iloc[[0]]]), "names.csv")
    with pytest.raises(DataError, match=f"{path}.*appears twice"):
        fid.load_reference_names(PUB, path)
    with pytest.raises(DataError, match="nowhere.csv: file not found"):
        fid.load_reference(PUB, tmp_path / "nowhere.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match=f"{empty}: not a CSV"):
        fid.load_reference(PUB, empty)


# --------------------------------------------------------------------------- matching, cells

def test_match_uses_registry_and_flags_different_sizes(reference, names):
    m = fid.match_datasets(["sklearn-iris", "sklearn-digits", "iris", "not-registered"],
                           reference, names=names)
    assert m.loc["sklearn-iris", "status"] == fid.COMPARED          # n 150 = 149 + 1
    assert m.loc["iris", "status"] == fid.COMPARED
    assert m.loc["sklearn-digits", "status"] == fid.SIZE_DIFFERS    # 1797 rows, not optdigits
    assert "1797" in m.loc["sklearn-digits", "reason"] and "3822" in m.loc["sklearn-digits", "reason"]
    assert m.loc["not-registered", "status"] == fid.UNMATCHED


def test_compare_differences_and_share_within_two_points(reference, names):
    sel = iris_selection(reference, drop={("stability", "HDL")})
    comp = fid.compare(PUB, sel, INFO, reference, names)
    iris = comp[comp["dataset"] == "my-iris"]
    assert len(iris) == 31                                          # one cell missing: skipped
    assert iris["comparable"].all() and (iris["paper_name"] == "iris").all()
    for metric, offs in OFFSETS.items():
        got = iris[iris["metric"] == metric].set_index("method")["difference"]
        for method, off in zip(METHODS, offs):
            if (metric, method) != ("stability", "HDL"):
                assert got[method] == pytest.approx(off, abs=1e-9), (metric, method)
    hdl = iris[(iris.metric == "natural_accuracy") & (iris.method == "HDL")].iloc[0]
    assert (hdl.published, hdl.reproduced) == (99.33, 89.33)
    digits = comp[comp["dataset"] == "my-digits"]
    assert len(digits) == 32 and not digits["comparable"].any()
    assert "other" not in set(comp["dataset"])

    s = fid.summarize_cells(comp, PUB.tolerance)
    # within 2 points (|d| <= 2): natural 0, 1, -2, 0.5, 0 -> 5 of 8; adversarial 2, 0 x 5
    # -> 6 of 8 (-2.01 and 5 outside); stability 7 of 7; sparsity 1.5 x 3, 0 x 4 -> 7 of 8.
    assert s.loc["natural_accuracy", ["cells", "within"]].tolist() == [8, 5]
    assert s.loc["adversarial_accuracy", ["cells", "within"]].tolist() == [8, 6]
    assert s.loc["stability", ["cells", "within"]].tolist() == [7, 7]
    assert s.loc["sparsity", ["cells", "within"]].tolist() == [8, 7]
    assert s.loc["all", "share_within"] == pytest.approx(25 / 31)
    assert s.loc["natural_accuracy", "mean_abs_difference"] == pytest.approx(19 / 8)
    assert s.loc["sparsity", "mean_difference"] == pytest.approx(-25.5 / 8)
    # each cell's own tolerance: max(2 points, one row of the published 30-row test set = 3.33):
    # natural -3 and 2.5, adversarial -2.01 now within -> 28 of 31
    assert (iris["n_test"] == 30).all() and (iris["tolerance"] == 3.33).all()
    own = fid.summarize_cells(comp)
    assert own.loc["natural_accuracy", ["cells", "within"]].tolist() == [8, 7]
    assert own.loc["adversarial_accuracy", ["cells", "within"]].tolist() == [8, 7]
    assert own.loc["all", ["cells", "within"]].tolist() == [31, 28]
    lines = "\n".join(fid.summary_lines(PUB, comp))
    assert ("Cells compared: 31; within tolerance (max(2 points, one test row)) of the published value: "
            "28 (90.3%)") in lines
    shares = fid.shares_by_method(comp, PUB.methods)
    assert shares.at["natural_accuracy", "HDL"] == (0, 1) and shares.at["natural_accuracy", "DL"] == (1, 1)
    assert shares.at["natural_accuracy", "all"] == (7, 8) and shares.at["stability", "all"] == (7, 7)
    assert pd.isna(shares.at["stability", "HDL"])                  # its cell is missing
    sizes = fid.summarize_by_test_size(comp)
    assert list(sizes.index) == ["<= 50"]                           # my-digits is not comparable
    assert sizes.loc["<= 50", ["datasets", "cells", "within"]].tolist() == [1, 31, 28]


def test_a_large_test_set_keeps_the_two_point_tolerance():
    assert fid.test_rows(PUB, 150) == 30 and fid.cell_tolerance(PUB, 30) == pytest.approx(100 / 30)
    assert fid.test_rows(PUB, 5000) == 1000 and fid.cell_tolerance(PUB, 1000) == 2.0
    assert fid.test_rows(PUB, None) is None and fid.cell_tolerance(PUB, None) == 2.0


# --------------------------------------------------------------------------- documents

def test_markdown_of_two_runs_and_tidy_csv(reference, names):
    runs = {"minmax": iris_selection(reference), "paper": iris_selection(reference, {("sparsity", "DL")})}
    assessed = fid.assess_runs(PUB, runs, {"minmax": INFO, "paper": INFO}, reference, names)
    md = fid.fidelity_markdown(PUB, assessed, names=names, notes=["a note"])
    assert "## Run `minmax`" in md and "## Run `paper`" in md
    assert md.index("## Run `minmax`") < md.index("## Run `paper`")
    assert "- a note" in md and "How to read." in md
    assert "my-iris (iris) | 100.00 / 100.00 / +0.00 | " in md
    assert "99.33 / 89.33 / **-10.00**" in md
    assert "my-digits (optical-recog-digits) †" in md
    assert "1 of 3 data sets compared (my-iris)" in md
    assert "no published counterpart (1): other (no paper name)" in md
    assert md == fid.fidelity_markdown(PUB, assessed, names=names, notes=["a note"])   # deterministic
    csv = fid.fidelity_csv(assessed)
    lines = csv.splitlines()
    assert lines[0] == ("run,dataset,metric,method,published,reproduced,difference,tolerance,n_test,"
                        "paper_name,comparable")
    assert len(lines) == 1 + (32 + 32) + (31 + 32)
    assert "minmax,my-iris,natural_accuracy,HDL,99.33,89.33,-10.00,3.33,30,iris,true" in lines
    # the per-metric-and-method shares and the summary by test-set size
    assert "| Natural accuracy (Table A1) | 1/1 (100.0%) |" in md
    assert "| <= 50 | 1 | 28/31 |" in md
    assert "-0.00" not in csv


def test_malformed_selection_names_the_file(tmp_path, reference):
    sel = iris_selection(reference)
    good = tmp_path / "selected.csv"
    good.write_text(selected_csv(sel))
    assert len(load_selected(good, PUB.methods)) == len(sel)
    bad = sel.astype({"test": object})
    bad.loc[3, "test"] = "oops"
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(DataError, match=f"{path}: row 4, field 'test'"):
        load_selected(path, PUB.methods)
    sel.drop(columns="test").to_csv(path, index=False)
    with pytest.raises(DataError, match=f"{path}: column.*test"):
        load_selected(path, PUB.methods)
    pd.concat([sel, sel.iloc[[0]]]).to_csv(path, index=False)
    with pytest.raises(DataError, match=f"{path}: .*given twice"):
        load_selected(path, PUB.methods)
    with pytest.raises(DataError, match="missing.csv: file not found"):
        load_selected(tmp_path / "missing.csv")


def test_notes_carry_the_computed_departures():
    from holistic.config import load_params

    params = load_params([ROOT / "params.yaml"])
    notes = hdl.notes(params, ["sklearn-iris", "sklearn-wine"])
    assert notes == [("Departs from the paper (Sec. 4): training rows own stratified draws, 64 % (paper the "
                      "published draws, 64 %); test rows own stratified draw, 20 % (paper the published draw, "
                      "20 %); epochs a round 20 (paper 150); lr grid {0.01} (paper {0.01, 0.001}); attack "
                      "ensemble (apgd-ce, apgd-dlr, pgd-restarts) (paper PGD-40); splits 3 (paper 10); inputs "
                      "min-max to [0, 1] (paper standardised, then / 255); sparse training rounds 4 (paper 5); "
                      "rho grid {0.1, 0.01} (paper {0.1, 0.01, 0.001, 0.0001, 1e-05}); lambda grid {1e-06} "
                      "(paper {1e-06, 1e-08, 1e-10}); beta_bar grid {200} (paper {1000, 200}); a grid {0.8} "
                      "(paper {1, 0.9, 0.8, 0.7}).")]


# --------------------------------------------------------------------------- stage

def test_stage_writes_markdown_and_csv(tmp_path, reference):
    cells = {}
    for d, paper in (("sklearn-iris", "iris"), ("sklearn-wine", "wine")):
        for (metric, method), v in published(reference, paper).items():
            cells[(d, metric, method)] = v
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "selected.csv").write_text(selected_csv(selection(cells)))
    out, csv = tmp_path / "out" / "fidelity.md", tmp_path / "out" / "fidelity.csv"
    cmd = [sys.executable, str(ROOT / "stages" / "fidelity.py"), "--params", str(ROOT / "params.yaml"),
           "--run", f"minmax={tables}", "--run", f"paper={tables}", "--out", str(out), "--csv", str(csv)]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    md = out.read_text()
    assert "## Run `minmax`" in md and "## Run `paper`" in md
    assert "within tolerance (max(2 points, one test row)) of the published value: 64 (100.0%)" in md
    # the quick profile's split is the project's own: the header names it among the departures
    assert "Departs from the paper (Sec. 4): training rows own stratified draws, 64 %" in md
    assert len(csv.read_text().splitlines()) == 1 + 2 * 64
    # the claims: judged on the first run, written beside fidelity.md and closing it; two data sets
    # of Tables A1-A4 and no eval files: each claim per data set, not testable (no per-split values)
    from holistic.fidelity import engine, outputs

    claims = outputs.read_claims(out.parent / "claims.csv")
    assert list(claims.columns) == engine.COLUMNS and len(claims) == 2 * len(hdl.CLAIMS)
    assert set(claims["dataset"]) == {"sklearn-iris", "sklearn-wine"}
    assert set(claims["verdict"]) == {engine.NOT_TESTABLE}
    assert claims["departures"].str.contains("splits 3 (paper 10)", regex=False).all()
    assert "## Claims of the paper" in md and "0 holds, 0 fails, 0 inconclusive, 14 not testable here" in md
    # with a second seed (here the same tables): the ceiling beside the paper agreement
    res = subprocess.run(cmd[:-4] + ["--seed-run", f"minmax={tables}"] + cmd[-4:], capture_output=True,
                         text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert "- Seed-to-seed ceiling (DL, Robust," in out.read_text()
    # three data sets of Tables A1-A4: each claim judged once over them; the Markdown table keeps
    # its ten columns (the parts' statistics are joined by an escaped pipe)
    for (metric, method), v in published(reference, "brst-cancer-ws-diag").items():
        cells[("sklearn-breast-cancer", metric, method)] = v
    (tables / "selected.csv").write_text(selected_csv(selection(cells)))
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    claims = outputs.read_claims(out.parent / "claims.csv")
    assert len(claims) == len(hdl.CLAIMS) and set(claims["dataset"]) == {""}
    ranked = claims["key"].isin(["framework_rank", "hdl_rank"])   # this selection has no rank
    assert (claims.loc[~ranked, "n"] == "3").all() and (claims.loc[ranked, "verdict"] == engine.NOT_TESTABLE).all()
    # the published values themselves: Robust above DL on all three (Table A2)
    row = claims.set_index("key").loc["robust_family_adv"]
    assert "Robust - DL > 0 on 3/3 data sets" in row["here"] and row["paper"].startswith("Tables A1-A4 on the same 3")
    rows = [r for r in out.read_text().splitlines() if r.startswith("| robust_family_adv |")]
    # the parts' statistics ("; "-joined) stay in their cell: 10 cells, 9 separators
    assert len(rows) == 1 and rows[0].count(" | ") == 9 and row["statistic"].count("; ") == len(hdl.ROBUST_METHODS) - 1

    (tables / "selected.csv").write_text("dataset,method\nx,DL\n")
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 2 and "selected.csv" in res.stderr and "missing" in res.stderr
    res = subprocess.run(cmd[:4] + ["--run", "no-label", "--out", str(out), "--csv", str(csv)],
                         capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 2 and "LABEL=TABLES_DIR" in res.stderr
    res = subprocess.run(cmd + ["--seed-run", f"other={tables}"], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 2 and "--seed-run of unknown run label(s) other" in res.stderr


def test_the_verified_note_says_whether_the_robust_loss_certifies():
    import pandas as pd

    from holistic.studies.hdl.claims import verified_note

    tab = pd.DataFrame({"dataset": ["a", "b"], "n": [1, 1], "p": [1, 1], "k": [2, 2],
                        "DL": [0.0, 2.0], "Robust": [30.0, 40.0], "HDL": [50.0, 60.0], "Sparse": [5.0, 5.0]})
    note = verified_note(tab)
    assert "DL 1.0" in note and "HDL 55.0" in note and "certify 35.0-55.0 %" in note
    assert note.endswith("the first-order robust loss does give certifiable robustness.")
    assert "does not certify more" in verified_note(tab.assign(Robust=[0.0, 1.0]))
    assert verified_note(tab.assign(DL=float("nan"), Robust=float("nan"), HDL=float("nan"), Sparse=float("nan"))) is None
