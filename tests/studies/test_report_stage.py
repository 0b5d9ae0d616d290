"""The platform's report stage: every study but hdl names its report entry (``Study.report``,
one signature for all), declares its report with ``holistic.workflow.stage.report_stage``, and
``stages/report.py`` calls the entry with the stage's files."""

import importlib.util
import inspect
from pathlib import Path

import pytest

from holistic.studies import STUDIES
from holistic.studies.base import REPORT_SIGNATURE, Study
from holistic.workflow import spec as S
from holistic.workflow.stage import REPORT_SCRIPT

ROOT = Path(__file__).resolve().parents[2]
REPORTING = sorted(n for n in STUDIES if n != "hdl")


def report_script():
    spec = importlib.util.spec_from_file_location("report_stage", ROOT / REPORT_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", REPORTING)
def test_every_study_but_hdl_names_its_report_entry_with_the_one_signature(name):
    study = STUDIES[name]
    entry = study.report_entry()
    assert tuple(inspect.signature(entry).parameters) == REPORT_SIGNATURE
    assert study.report_module == entry.__module__ == f"holistic.studies.{name}.report"


def test_hdl_has_analyses_of_its_own_and_no_report_entry():
    assert STUDIES["hdl"].report is None
    with pytest.raises(SystemExit):  # not a choice of the report stage
        report_script().main(["--params", str(ROOT / "params.yaml"), "--study", "hdl", "--evals", "e", "--logs",
                              "l", "--out", "o", "--claims", "c", "--fidelity", "f"])


@pytest.mark.parametrize("name", REPORTING)
def test_the_studys_report_stage_is_the_platform_script_on_the_studys_files(name):
    s = S.load([ROOT / "params.yaml"]).study(name)
    [stage] = [st for st in S.study_stages(s) if st.script == REPORT_SCRIPT]
    assert stage.inputs == {"evals": s.evals, "logs": s.train_logs}
    assert stage.outputs["claims"].path == s.claims and stage.outputs["fidelity"].path == s.fidelity
    assert stage.args.startswith(f"--study {name} --evals {{input.evals}} --logs {{input.logs}} --out {s.root}/")
    assert stage.modules == (STUDIES[name].report_module,)  # a code dependency of this stage only
    assert stage.data == (f"src/holistic/studies/{name}/reference",)
    pages = {o.path for st in S.study_stages(s) for o in st.outputs.values() if o.caption}
    assert s.fidelity.replace(".md", ".html") in pages


@pytest.mark.parametrize("name", REPORTING)
def test_the_script_calls_the_studys_entry_with_the_stages_arguments(name, monkeypatch):
    calls = []
    monkeypatch.setattr(Study, "report_entry", lambda self: lambda *args: calls.append((self.name, args)))
    script = report_script()
    monkeypatch.setattr(script, "check_records", lambda *args: None)  # no files here: the arguments only
    script.main(["--params", str(ROOT / "params.yaml"), "--study", name, "--evals", "e1", "e2",
                          "--logs", "l1", "l2", "--out", "dir", "--claims", "c.csv", "--fidelity", "f.md"])
    [(study, args)] = calls
    assert study == name and len(args) == len(REPORT_SIGNATURE)
    assert args[0]["attack"]["eps"]  # the params, loaded
    assert args[1:] == (list(STUDIES[name].methods), ["e1", "e2"], ["l1", "l2"], "dir", "c.csv", "f.md", None)
    calls.clear()  # a run with a step sweep: its records, the entry's last argument
    script.main(["--params", str(ROOT / "params.yaml"), "--study", name, "--evals", "e1", "--logs", "l1",
                 "--out", "dir", "--claims", "c.csv", "--fidelity", "f.md", "--sweep", "results/x/sweep/models.csv"])
    assert calls[0][1][-1] == "results/x/sweep/models.csv"
