"""The two front doors: Snakemake and DVC run the same stages and agree bitwise."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from holistic.config import deep_merge, load_params
from holistic.train.methods import METHODS, param_keys

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "profiles" / "tiny.yaml"
PROJECT_FILES = ["Snakefile", "dvc.yaml", "params.yaml", "pyproject.toml", "src", "stages", "workflow"]
BIN = Path(sys.executable).parent
TABLES = ["natural_accuracy", "adversarial_accuracy", "stability", "sparsity", "rank"]
P_OBJECTIVES = {"natural_accuracy", "adversarial_accuracy", "stability", "sparsity", "mean", "weighted"}


def copy_project(dst: Path) -> Path:
    dst.mkdir()
    for name in PROJECT_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, dst / name)
    return dst


def env():
    e = dict(os.environ, DVC_NO_ANALYTICS="1", PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    e["PYTHONPATH"] = ""  # the stage scripts import the installed package
    return e


def run(cmd, cwd):
    res = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, f"{cmd} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


def outputs(d: Path) -> dict:
    files = [d / "results" / "metrics.json"] + [d / "results" / "tables" / f"{t}.csv" for t in TABLES]
    return {f.relative_to(d).as_posix(): f.read_bytes() for f in files}


@pytest.fixture(scope="module")
def snakemake_run(tmp_path_factory):
    d = copy_project(tmp_path_factory.mktemp("smk") / "project")
    shutil.copy2(TINY, d / "tiny.yaml")
    run([str(BIN / "snakemake"), "--cores", "2", "--configfile", "tiny.yaml"], d)
    return d


@pytest.mark.e2e
def test_snakemake_runs_the_dag_and_writes_tables(snakemake_run):
    d = snakemake_run
    metrics = json.loads((d / "results" / "metrics.json").read_text())
    assert set(metrics["natural_accuracy"]) == set(METHODS)
    assert metrics["n_datasets"] == 3
    # 3 data sets x 8 methods x grid size 1 x 2 splits
    assert metrics["n_models"] == 48
    header = (d / "results" / "tables" / "natural_accuracy.csv").read_text().splitlines()[0]
    assert header == "dataset,n,p,k," + ",".join(METHODS)
    assert (d / "models" / "sklearn-iris" / "HDL.safetensors").is_file()


@pytest.mark.e2e
def test_snakemake_rerun_is_bitwise_identical(snakemake_run, tmp_path):
    d = snakemake_run
    before = outputs(d)
    run([str(BIN / "snakemake"), "--cores", "2", "--configfile", "tiny.yaml", "--forceall"], d)
    assert outputs(d) == before


@pytest.mark.e2e
def test_dvc_repro_gives_the_same_metrics_as_snakemake(snakemake_run, tmp_path):
    d = copy_project(tmp_path / "project")
    merged = deep_merge(yaml.safe_load((ROOT / "params.yaml").read_text()), yaml.safe_load(TINY.read_text()))
    (d / "params.yaml").write_text(yaml.safe_dump(merged, sort_keys=False))
    run(["git", "init", "-q"], d)
    run([str(BIN / "dvc"), "init", "-q"], d)
    run([str(BIN / "dvc"), "repro"], d)
    assert outputs(d) == outputs(snakemake_run)


def test_dvc_train_stages_list_exactly_the_params_each_method_uses():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    for method in METHODS:
        stage = stages[f"train_{method.lower().replace('+', '_')}"]
        assert stage["do"]["params"] == param_keys(method)
        assert f"--method '{method}'" in stage["do"]["cmd"]


def test_default_params_validate():
    params = load_params([ROOT / "params.yaml"])
    assert params["split"]["preprocessing"] == "minmax"


def test_snakemake_rejects_bad_params_before_running_anything(tmp_path):
    d = copy_project(tmp_path / "project")
    (d / "bad.yaml").write_text("train:\n  epochs: 0\n")
    res = subprocess.run([str(BIN / "snakemake"), "--cores", "1", "--configfile", "bad.yaml", "-n"], cwd=d,
                         env=env(), capture_output=True, text=True, timeout=300)
    assert res.returncode != 0
    assert "train.epochs" in res.stdout + res.stderr
    assert not (d / "data").exists()


# --------------------------------------------------------------------------- report in a browser

def chromium_driver():
    """Headless Debian chromium through selenium and chromedriver; skipped where absent
    (CI sets HOLISTIC_REQUIRE_BROWSER=1 and installs both, so there it must run)."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        webdriver = None
    if not (chromium and driver and webdriver):
        if os.environ.get("HOLISTIC_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium, chromedriver and selenium are required (HOLISTIC_REQUIRE_BROWSER=1)")
        pytest.skip("chromium / chromedriver / selenium not installed")
    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        opts.add_argument(arg)
    opts.binary_location = chromium
    return webdriver.Chrome(service=Service(driver), options=opts)


def report_results(report: Path) -> dict:
    """Open the report, visit every result of every category; {(category, label): what was shown}.

    What was shown is ("png", natural width) for an image that the browser decoded, or
    ("html", page text) for an HTML result shown in a frame."""
    import time

    from selenium.webdriver.common.by import By

    d = chromium_driver()
    shown = {}
    try:
        d.get(report.as_uri())

        def click_text(text):
            els = [e for e in d.find_elements(By.XPATH, f"//*[normalize-space(text())='{text}']")
                   if e.is_displayed()]
            assert els, f"{text!r} not found in the report"
            els[0].click()
            time.sleep(0.3)

        click_text("Results")
        categories = [e.text for e in d.find_elements(By.XPATH, "//a") if e.text[:2] in
                      {f"{i}." for i in range(1, 10)}]
        for cat in categories:
            click_text(cat)
            labels = [r.text for r in d.find_elements(By.XPATH, "//tr[td]") if r.text.strip()]
            for label in labels:
                row = [r for r in d.find_elements(By.XPATH, "//tr[td]") if r.text == label][0]
                row.find_elements(By.TAG_NAME, "a")[0].click()  # the "view" button
                time.sleep(0.3)
                imgs = [i for i in d.find_elements(By.TAG_NAME, "img")
                        if (i.get_attribute("src") or "").startswith("data:image/png")]
                frames = d.find_elements(By.TAG_NAME, "iframe")
                if imgs:  # the data URI carries the file name: "data:image/png;...;filename=X;base64"
                    src = imgs[0].get_attribute("src")
                    name = src.split("filename=", 1)[1].split(";", 1)[0]
                    width = d.execute_script("return arguments[0].naturalWidth", imgs[0])
                    shown[cat, label] = ("png", name, width)
                elif frames:
                    d.switch_to.frame(frames[0])
                    shown[cat, label] = ("html", d.find_element(By.TAG_NAME, "body").text)
                    d.switch_to.default_content()
                else:
                    shown[cat, label] = ("other", d.find_element(By.TAG_NAME, "body").text[:200])
            click_text("Results")
    finally:
        d.quit()
    return shown


@pytest.mark.e2e
def test_report_shows_figures_and_fidelity_in_chromium(snakemake_run):
    d = snakemake_run
    run([str(BIN / "snakemake"), "--configfile", "tiny.yaml", "--report", "results/report.html"], d)
    shown = report_results(d / "results" / "report.html")
    figures = {"Figure 1": "figure1.png", "Figure 2": "figure2.png", "Figure 3": "shap.png",
               "means over data sets": "metrics.png",
               **{f"tree: {o}": f"tree_{o}.png" for o in P_OBJECTIVES}}
    for label, filename in figures.items():
        [(kind, *what)] = [v for (cat, lab), v in shown.items() if lab == label]
        assert (kind, what[0]) == ("png", filename) and what[1] > 100, (label, kind, what)
    pages = {"fidelity": "within 2 points", "Table 5": "slowdown", "Table 6": "Prescribed",
             "trees as text": "greedy econml tree", "natural accuracy": "sklearn-wine",
             "per data set (Tables 2-4 layout)": "Stability"}
    for label, text in pages.items():
        [(kind, body)] = [v for (cat, lab), v in shown.items() if lab == label]
        assert kind == "html" and text in body, (label, body[:300])
