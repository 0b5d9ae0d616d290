"""Code dependencies from the import graph, and the layering rule that makes them precise."""

from pathlib import Path

import pytest

from holistic.workflow import codedeps
from holistic.workflow import spec as S

ROOT = Path(__file__).resolve().parents[2]
#: Entry points may look studies up; everything else in the library must not.
ENTRY_POINTS = ("holistic.workflow.spec", "holistic.workflow.dvc", "holistic.workflow.__main__")


def test_no_core_module_imports_a_study():
    offenders = {}
    for name in codedeps.holistic_modules():
        if name.startswith("holistic.studies") or name in ENTRY_POINTS:
            continue
        bad = [m for m in codedeps.direct_imports(name) if m == "holistic.studies" or m.startswith("holistic.studies.")]
        if bad:
            offenders[name] = bad
    assert not offenders, f"core modules import studies: {offenders}"


def test_relative_imports_and_package_inits_are_followed(tmp_path):
    pkg = tmp_path / "src" / "holistic"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text("from . import b\nfrom ..c import f\n")
    (pkg / "sub" / "b.py").write_text("def g():\n    from .d import x\n")
    (pkg / "sub" / "d.py").write_text("import os\n")
    (pkg / "c.py").write_text("f = 1\n")
    (pkg / "unused.py").write_text("")
    (tmp_path / "stages").mkdir()
    (tmp_path / "stages" / "x.py").write_text("from holistic.sub.a import thing\n")
    codedeps._imports.cache_clear()
    deps = codedeps.code_deps("stages/x.py", root=tmp_path)
    assert deps == ["src/holistic/__init__.py", "src/holistic/c.py", "src/holistic/sub/__init__.py",
                    "src/holistic/sub/a.py", "src/holistic/sub/b.py", "src/holistic/sub/d.py", "stages/x.py"]


def test_registries_are_cut_and_replaced_by_what_the_job_uses():
    hdl = S.load([ROOT / "params.yaml"]).study("hdl").study
    dl = S.job_code(S.TRAIN, "hdl", hdl.methods["DL"])
    robust = S.job_code(S.TRAIN, "hdl", hdl.methods["Robust"])
    for deps in (dl, robust):
        assert "src/holistic/studies/__init__.py" not in deps      # the STUDIES registry
        assert "src/holistic/objectives/__init__.py" not in deps   # the LOSSES registry
        assert "src/holistic/studies/hdl/methods.py" in deps
        assert "src/holistic/studies/hdl/stages.py" not in deps    # workflow spec, runs in no job
        assert not any(d.startswith("src/holistic/workflow/") for d in deps)
    assert "src/holistic/objectives/robust.py" in robust


def test_analysis_code_is_not_a_dependency_of_train():
    hdl = S.load([ROOT / "params.yaml"]).study("hdl").study
    deps = S.job_code(S.TRAIN, "hdl", hdl.methods["HDL"])
    assert "src/holistic/studies/hdl/figures.py" not in deps
    assert not any("policy" in d for d in deps)


def test_the_evaluation_is_a_dependency_of_the_train_job():
    """A train job measures its models: the attack suite, the bounds and the sparsity counter
    are its code, and an edit of them reruns it."""
    hdl = S.load([ROOT / "params.yaml"]).study("hdl").study
    deps = S.job_code(S.TRAIN, "hdl", hdl.methods["DL"])
    for module in ("evaluation/metrics.py", "evaluation/run.py", "attacks/apgd.py", "verify/crown.py"):
        assert f"src/holistic/{module}" in deps


def test_a_studys_report_module_is_code_of_its_report_stage_not_of_its_train_jobs():
    """The report stage runs ``stages/report.py``, which finds the study's report entry through the
    registry (``Study.report``): the entry's import graph is the stage's code (``Stage.modules``),
    and none of it is a train job's."""
    s = S.load([ROOT / "params.yaml"]).study("lth")
    [stage] = [st for st in S.study_stages(s) if st.script == "stages/report.py"]
    report = S.job_code(stage, "lth")
    train = S.job_code(S.TRAIN, "lth", s.method(s.methods[0]))
    for module in ("report.py", "tables.py", "claims.py", "figures.py", "fidelity.py", "published.py"):
        assert f"src/holistic/studies/lth/{module}" in report and f"src/holistic/studies/lth/{module}" not in train
    assert "stages/report.py" in report and "src/holistic/studies/lth/reference" in report
    assert "src/holistic/studies/__init__.py" not in report  # the registry itself is not code of the stage
