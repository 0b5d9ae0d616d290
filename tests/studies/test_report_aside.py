"""The report stage (``stages/report.py``) checks every eval file and train log against the run
before the study's report entry runs, and writes the report aside: a failing report leaves the
previous outputs as they were (issue 30, item 3)."""

import importlib.util
import json
from pathlib import Path

import pytest

from conftest import write_evals
from holistic.errors import DataError, RecordError
from holistic.io import write_text
from holistic.studies.base import Study

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("natural-init", "FGSM-init")


def report_script():
    spec = importlib.util.spec_from_file_location("report_stage", ROOT / "stages" / "report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def evaluation(method):
    """The lth profile's run with two splits: lr 0.0012, three rounds, pgd at 0.3."""
    def rows(v):
        return [{"metric": "accuracy", "attack": "none", "norm": None, "eps": None, "part": p, "value": v}
                for p in ("val", "test")] + \
               [{"metric": "accuracy", "attack": "pgd", "norm": "inf", "eps": 0.3, "part": p, "value": v - 40}
                for p in ("val", "test")] + \
               [{"metric": "sparsity", "attack": "none", "norm": None, "eps": None, "part": "model", "value": 20.0}]

    models = [{"config_id": 0, "config": {"lr": 0.0012}, "split": s, "round": r, "rows": rows(90.0 + s + r)}
              for r in range(3) for s in range(2)]
    return {"study": "lth", "dataset": "mnist", "method": method, "adversarial": "pgd", "eps": [0.3],
            "info": {"n": 70000, "p": 784, "k": 10, "paper_name": "MNIST"}, "models": models}


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Eval files, train logs and params of the run; the study's entry replaced by one that writes
    ``out/levels.md``, the claims and the fidelity page (``FAIL`` set: it fails after the first)."""
    evals = write_evals(tmp_path, [evaluation(m) for m in METHODS])
    logs = []
    for m in METHODS:
        logs.append(tmp_path / "train" / f"{m}.json")
        logs[-1].parent.mkdir(parents=True, exist_ok=True)
        logs[-1].write_text(json.dumps({"dataset": "mnist", "method": m, "models": 2, "steps": 10, "seconds": 1.0,
                                        "seconds_per_batch": 0.1, "best_epoch": [1, 2],
                                        "best_val_accuracy": [0.9, 0.8]}))
    (tmp_path / "run.yaml").write_text("split: {per_dataset: {mnist: {n_splits: 2}}}\n")
    state = {"text": "first", "fail": False}

    def entry(params, methods, evals, logs, out, claims, fidelity, sweep=None):
        write_text(Path(out) / "levels.md", state["text"])
        if state["fail"]:
            raise DataError("the report failed half-way")
        write_text(claims, state["text"])
        write_text(fidelity, state["text"])

    monkeypatch.setattr(Study, "report_entry", lambda self: entry)
    out = tmp_path / "out"

    def main():
        report_script().main([
            "--params", str(ROOT / "params.yaml"), "--params", str(ROOT / "workflow/profiles/lth/params.yaml"),
            "--params", str(tmp_path / "run.yaml"), "--study", "lth", "--evals", *map(str, evals),
            "--logs", *map(str, logs), "--out", str(out / "levels"), "--claims", str(out / "claims.csv"),
            "--fidelity", str(out / "fidelity.md")])

    main()
    return evals, out, state, main


def files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_report_is_written_whole(run):
    _, out, _, _ = run
    assert files(out) == {"claims.csv": b"first", "fidelity.md": b"first", "levels/levels.md": b"first"}


def test_a_bad_eval_file_stops_the_report_before_it_starts(run):
    evals, out, state, main = run
    before = files(out)
    ev = json.loads(evals[1].read_text())
    ev["models"][3]["rows"][1]["value"] = 150.0
    evals[1].write_text(json.dumps(ev))
    state["text"] = "second"
    with pytest.raises(RecordError) as err:
        main()
    assert str(err.value) == (f"{evals[1]}: model FGSM-init config 0 split 1 round 1: field "
                              f"'models[3].rows[1].value': accuracy 150.0 is not in [0, 100] (a percentage)")
    assert files(out) == before


def test_a_report_failing_half_way_leaves_the_previous_outputs(run):
    _, out, state, main = run
    before = files(out)
    state.update(text="second", fail=True)
    with pytest.raises(DataError, match="half-way"):
        main()
    assert files(out) == before
    state["fail"] = False
    main()
    assert files(out) == {"claims.csv": b"second", "fidelity.md": b"second", "levels/levels.md": b"second"}
