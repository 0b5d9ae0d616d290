"""Snakemake end to end on the tiny profile: the DAG writes the tables; an edit reruns exactly the
jobs whose code imports it; a new study runs without touching the HDL jobs; the report opens in a
browser (the DVC front door: test_dvc.py)."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from holistic.studies import STUDIES

from pipeline import (BIN, HDL, METRICS, P_OBJECTIVES, copy_project, env, run, smk, spec_jobs, tiny_params,
                      tree_bytes)


@pytest.mark.e2e
def test_snakemake_runs_the_dag_and_writes_tables(snakemake_run):
    d = snakemake_run
    metrics = json.loads((d / "results" / "hdl" / "metrics.json").read_text())
    assert set(metrics["natural_accuracy"]) == set(HDL)
    assert metrics["n_datasets"] == 3
    assert metrics["n_models"] == 3 * len(HDL) * 2   # data sets x methods x grid size 1 x 2 splits
    header = (d / "results" / "hdl" / "tables" / "natural_accuracy.csv").read_text().splitlines()[0]
    assert header == "dataset,n,p,k," + ",".join(HDL)
    assert (d / "models" / "hdl" / "sklearn-iris" / "HDL.safetensors").is_file()


@pytest.mark.e2e
def test_every_model_natural_above_robust_above_verified(snakemake_run):
    """For every model of the run, per radius on the test points: natural accuracy >= the
    ensemble's (the reported adversarial accuracy) >= every bound's verified accuracy, and the
    ensemble is never weaker than PGD-40 or any of its own members; the robustness tables exist."""
    d = snakemake_run
    paths = sorted((d / "results" / "hdl" / "eval").rglob("*.json"))
    assert len(paths) == 3 * len(HDL)
    checked = 0
    for path in paths:
        ev = json.loads(path.read_text())
        assert ev["adversarial"] == "ensemble" and ev["bounds"] == ["ibp", "crown"]
        for model in ev["models"]:
            t = {(r["metric"], r["attack"], r["eps"]): r["value"] for r in model["rows"] if r["part"] == "test"}
            for eps in ev["eps"]:
                ens = t[("accuracy", "ensemble", eps)]
                members = [v for (m, a, e), v in t.items() if a.startswith("ensemble:") and e == eps]
                assert members and all(ens <= v for v in members)
                assert t[("accuracy", "none", None)] >= ens
                assert all(ens <= t[("accuracy", a, eps)] for a in ("pgd", "fgsm", "rfgsm"))
                assert all(ens >= t[("verified_accuracy", b, eps)] for b in ev["bounds"])
                checked += 1
            assert t[("failures", "deepfool", None)] >= 0 and 0 <= t[("activation_sparsity", "none", None)] <= 100
    assert checked == 3 * len(HDL) * 2 * 3
    tables = d / "results" / "hdl" / "tables"
    rob = (tables / "robustness.csv").read_text().splitlines()
    assert rob[0].startswith("dataset,method,eps,natural,pgd,ensemble") and "verified:crown" in rob[0]
    assert "verified accuracy (%) under CROWN" in (tables / "verified_accuracy.md").read_text()
    for path in paths:
        for model in json.loads(path.read_text())["models"]:
            unsound = [r["value"] for r in model["rows"] if r["metric"] == "unsound"]
            assert len(unsound) == 2 * 3 and all(v == 0 for v in unsound)   # 2 bounds x 3 radii


@pytest.mark.e2e
def test_the_run_ends_with_every_claim_and_the_invariants(snakemake_run):
    """results/claims.md counts the verdicts of every study of the run and the invariants checked on
    every model, apart; results/invariants.csv has every check; each study's claims.csv is the engine's."""
    from holistic.fidelity.engine import COLUMNS, VERDICTS
    from holistic.fidelity.outputs import read_claims

    d = snakemake_run
    claims = read_claims(d / "results" / "hdl" / "claims.csv")
    assert list(claims.columns) == COLUMNS and len(claims) and set(claims["verdict"]) <= set(VERDICTS)
    inv = (d / "results" / "invariants.csv").read_text().splitlines()
    assert inv[0].startswith("study,dataset,method,config_id,split")
    checks = len(inv) - 1
    assert checks >= 3 * len(HDL) * 2 * 5 and all(line.endswith(",True") for line in inv[1:])
    md = (d / "results" / "claims.md").read_text()
    assert md.startswith("# Claims at a glance")
    assert f"| hdl | {len(claims)} |" in md and f"{checks} checked, 0 violated" in md


def dry_run_jobs(d) -> dict[tuple[str, str], str]:
    """``{(rule, wildcards): reason}`` of every job ``snakemake -n`` would run in ``d``."""
    text = smk(d, "-n").stdout
    jobs = {}
    for block in re.split(r"\n(?:local)?rule ", text)[1:]:
        rule = block.split(":", 1)[0].strip()
        fields = dict(re.findall(r"^    (\w+): (.*)$", block, flags=re.M))
        jobs[rule, fields.get("wildcards", "")] = fields.get("reason", "")
    return jobs


def smk_job(job_name: str) -> tuple[str, str]:
    """The spec's job name as Snakemake names the job: ``train_hdl_dl@sklearn-iris`` ->
    ``("train", "study=hdl, dataset=sklearn-iris, method=DL")``; ``aggregate_hdl`` -> itself."""
    rule, _, dataset = job_name.partition("@")
    if rule.startswith("train_"):
        kind, study, _ = rule.split("_", 2)
        method = next(m for m in STUDIES[study].methods if S_slug(m) == rule.split("_", 2)[2])
        return kind, f"study={study}, dataset={dataset}, method={method}"
    if rule in ("fetch", "split"):
        return rule, f"dataset={dataset}"
    return rule, ""


def S_slug(name):
    from holistic.workflow.spec import slug

    return slug(name)


@pytest.mark.e2e
def test_editing_a_library_module_reruns_exactly_the_jobs_that_import_it(snakemake_run, tmp_path):
    d = tmp_path / "edit"
    shutil.copytree(snakemake_run, d, symlinks=True)
    jobs = spec_jobs(d)
    # the sparsity counter: every job whose code imports it reruns (the train jobs, which measure
    # their models, and the selection), with the edited file as its reason unless an upstream job
    # reruns first; nothing upstream of them (fetch, split)
    expected = {smk_job(n) for n, c in jobs if METRICS in c}
    assert expected and any(r == "train" for r, _ in expected)
    (d / METRICS).write_text((d / METRICS).read_text() + "\n# edited\n")
    rerun = dry_run_jobs(d)
    assert expected <= set(rerun)
    assert not any(r in ("fetch", "split") for r, _ in rerun)
    named = {job for job, reason in rerun.items() if METRICS in reason}
    assert named and named <= expected, named - expected
    # a module only the SHAP analysis imports: exactly that job (and the `all` target)
    shutil.copy2(snakemake_run / METRICS, d / METRICS)
    shap = "src/holistic/studies/hdl/shap_values.py"
    assert {smk_job(n) for n, c in jobs if shap in c} == {("shap_hdl", "")}
    (d / shap).write_text((d / shap).read_text() + "\n# edited\n")
    rerun = dry_run_jobs(d)
    assert set(rerun) == {("shap_hdl", ""), ("all", "")}, sorted(rerun)
    assert shap in rerun["shap_hdl", ""]


TOY_OBJECTIVE = '''"""A throwaway objective: cross-entropy scaled by an axis `temperature`."""

import torch


class Scaled:
    axes = ("temperature",)
    param_keys = ()

    def per_sample(self, model, params, x, y, hp, out, reference=False):
        z = out[0] / hp["temperature"].view(-1, 1, 1)
        return torch.logsumexp(z, dim=-1) - torch.gather(z, 2, y.unsqueeze(-1)).squeeze(-1)
'''

TOY_STUDY = '''"""A throwaway study: the HDL baseline and one new method."""

from ...methods import Method
from ..base import Study

STUDY = Study(name="toy", title="toy", baseline="DL",
              methods={"DL": Method(), "Scaled": Method(loss="scaled")})
'''


@pytest.mark.e2e
def test_a_new_study_runs_and_leaves_the_hdl_jobs_alone(snakemake_run, tmp_path):
    d = tmp_path / "toy"
    shutil.copytree(snakemake_run, d, symlinks=True)
    hdl_before = {**tree_bytes(d, "results", "hdl"), **tree_bytes(d, "models", "hdl")}
    src = d / "src" / "holistic"
    (src / "objectives" / "scaled.py").write_text(TOY_OBJECTIVE)
    reg = src / "objectives" / "__init__.py"
    text = reg.read_text()
    text = text.replace("LOSSES = {", "from .scaled import Scaled\n\nLOSSES = {\n    \"scaled\": Scaled(),", 1)
    reg.write_text(text)
    (src / "studies" / "toy").mkdir()
    (src / "studies" / "toy" / "__init__.py").write_text(TOY_STUDY)
    studies = src / "studies" / "__init__.py"
    studies.write_text(studies.read_text().replace("STUDIES = {", "from . import toy\n\nSTUDIES = {\n    \"toy\": toy.STUDY,", 1))
    tiny = yaml.safe_load((d / "tiny.yaml").read_text())
    tiny["studies"]["toy"] = {"datasets": ["sklearn-iris", "sklearn-wine"]}
    tiny["run_studies"].append("toy")
    tiny["train"]["grid"]["temperature"] = [1.0, 2.0]
    (d / "tiny.yaml").write_text(yaml.safe_dump(tiny, sort_keys=False))
    res = smk(d)
    ran = res.stderr + res.stdout
    assert "toy" in ran
    for rule in ("fetch", "split"):
        assert f"rule {rule}:" not in ran
    assert "wildcards: study=hdl" not in ran
    hdl_after = {**tree_bytes(d, "results", "hdl"), **tree_bytes(d, "models", "hdl")}
    assert hdl_after == hdl_before
    metrics = json.loads((d / "results" / "toy" / "metrics.json").read_text())
    assert set(metrics["natural_accuracy"]) == {"DL", "Scaled"}


@pytest.mark.e2e
def test_snakemake_rejects_bad_params_before_running_anything(tmp_path):
    d = copy_project(tmp_path / "project")
    (d / "bad.yaml").write_text("train:\n  epochs: 0\n")
    res = subprocess.run([str(BIN / "snakemake"), "--cores", "1", "--configfile", "bad.yaml", "-n"], cwd=d,
                         env=env(d), capture_output=True, text=True, timeout=300)
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
            """Click the first visible element showing ``text``; while the page is still being laid
            out another element may cover it (a loaded machine): retry, then click it by script."""
            from selenium.common.exceptions import ElementClickInterceptedException

            for attempt in range(10):
                els = [e for e in d.find_elements(By.XPATH, f"//*[normalize-space(text())='{text}']")
                       if e.is_displayed()]
                assert els, f"{text!r} not found in the report"
                try:
                    els[0].click()
                    break
                except ElementClickInterceptedException:
                    time.sleep(0.5)
            else:
                d.execute_script("arguments[0].click()", els[0])
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
               "means over data sets": "metrics.png", "validation curves": "curves.png",
               **{f"tree: {o}": f"tree_{o}.png" for o in P_OBJECTIVES}}
    for label, filename in figures.items():
        [(kind, *what)] = [v for (cat, lab), v in shown.items() if lab == label]
        assert (kind, what[0]) == ("png", filename) and what[1] > 100, (label, kind, what)
    pages = {"fidelity": "within tolerance (max(2 points, one test row))", "Table 5": "slowdown", "Table 6": "Prescribed",
             "trees as text": "greedy econml tree", "natural accuracy": "sklearn-wine",
             "per data set (Tables 2-4 layout)": "Stability"}
    for label, text in pages.items():
        [(kind, body)] = [v for (cat, lab), v in shown.items() if lab == label]
        assert kind == "html" and text in body, (label, body[:300])
