"""A failing aggregate leaves the previous outputs as they were (issue 30, item 3): the stage checks
every eval file against the run before it writes anything, writes its outputs aside and swaps them
in only when everything succeeded; its error is one line naming the file, the model and the field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write_evals
from holistic.selection import tables
from test_aggregate import LAYOUT, RHO, RUN_PARAMS, declared_evals, table_evals

ROOT = Path(__file__).resolve().parents[2]


def outputs(out: Path) -> dict[str, bytes]:
    """Every file under ``out`` (temporary files included) -> its bytes."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def stage(tmp_path, evals):
    (tmp_path / "run.yaml").write_text(RUN_PARAMS)
    out = tmp_path / "out"
    cmd = [sys.executable, str(ROOT / "stages" / "aggregate.py"), "--params", str(ROOT / "params.yaml"),
           "--params", str(tmp_path / "run.yaml"), "--study", "hdl", "--evals", *map(str, evals),
           "--tables", str(out / "tables"), "--metrics", str(out / "metrics.json"), "--plots", str(out / "plots")]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)


def good_run(tmp_path) -> tuple[list[Path], dict[str, bytes]]:
    evals = declared_evals(table_evals())
    paths = write_evals(tmp_path, evals)
    res = stage(tmp_path, paths)
    assert res.returncode == 0, res.stderr
    before = outputs(tmp_path / "out")
    assert "metrics.json" in before and "tables/natural_accuracy.csv" in before
    return paths, before


def test_a_bad_eval_file_fails_the_stage_and_leaves_every_output_byte_identical(tmp_path):
    paths, before = good_run(tmp_path)
    ev = json.loads(paths[4].read_text())  # data set "high", method DL
    ev["models"][2]["rows"][1]["value"] = 150.0  # its natural test accuracy
    paths[4].write_text(json.dumps(ev))
    res = stage(tmp_path, paths)
    assert res.returncode == 2
    assert res.stderr.splitlines() == [f"error: {paths[4]}: model DL config 1 split 0: field 'models[2].rows[1].value': "
                                       f"accuracy 150.0 is not in [0, 100] (a percentage)"]
    assert outputs(tmp_path / "out") == before


def test_a_missing_splits_model_fails_the_stage_and_leaves_every_output_byte_identical(tmp_path):
    paths, before = good_run(tmp_path)
    ev = json.loads(paths[4].read_text())
    ev["models"] = [m for m in ev["models"] if (m["config_id"], m["split"]) != (0, 1)]
    paths[4].write_text(json.dumps(ev))
    res = stage(tmp_path, paths)
    assert res.returncode == 2
    assert res.stderr.splitlines() == [f"error: {paths[4]}: model DL config 0 split 1: field 'models': missing; "
                                       f"the job's grid: configs 0-1 x splits 0-1, each once"]
    assert outputs(tmp_path / "out") == before


def test_a_failure_after_some_outputs_are_written_leaves_the_previous_ones(tmp_path, monkeypatch):
    """The write-aside itself: an error half-way through the writing (here the verified-accuracy
    table, after the tables, metrics.json and the plot) swaps nothing in and leaves no temporary."""
    paths = write_evals(tmp_path, table_evals())
    out = tmp_path / "out"
    args = (paths, RHO, out / "tables", out / "metrics.json", out / "plots", LAYOUT)
    tables.aggregate(*args)
    before = outputs(out)
    changed = write_evals(tmp_path, [dict(ev, models=[dict(m, rows=[dict(r, value=r["value"] / 2)
                                                                      for r in m["rows"]]) for m in ev["models"]])
                                     for ev in table_evals()])

    def broken(*a, **k):
        assert any(p.name.startswith(".metrics.json.") for p in out.iterdir())  # written aside, not yet in place
        raise RuntimeError("disk full")

    monkeypatch.setattr(tables, "write_verified", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        tables.aggregate(changed, *args[1:])
    assert outputs(out) == before
    monkeypatch.undo()
    tables.aggregate(changed, *args[1:])  # the same run without the error: every output new
    after = outputs(out)
    assert after.keys() == before.keys() and after["metrics.json"] != before["metrics.json"]
