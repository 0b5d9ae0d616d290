"""Issue 30, items 4 and 6: NaN / inf, radii outside the data's box [0, 1], duplicate radii and
grid values, YAML syntax errors and missing files are refused before any job, in one line naming
the file and the field (or line)."""

import subprocess
import sys
from pathlib import Path

import pytest

from holistic.config import load_params
from holistic.errors import ParamsError

ROOT = Path(__file__).resolve().parents[1]
PARAMS = str(ROOT / "params.yaml")


def profile(tmp_path, text, name="bad.yaml"):
    f = tmp_path / name
    f.write_text(text)
    return f


@pytest.mark.parametrize("text, field", [
    ("train:\n  grid:\n    lr: [.nan]\n", "train.grid.lr.0"),
    ("train:\n  grid:\n    rho: [0.1, .inf]\n", "train.grid.rho.1"),
    ("attack:\n  eps: [0.01, -.inf]\n", "attack.eps.1"),
    ("train:\n  memory_budget_mb: .nan\n", "train.memory_budget_mb"),
    ("train:\n  certified: {eps: .NaN}\n", "train.certified.eps"),
    ("analysis:\n  policy:\n    weights: {stability: .Inf}\n", "analysis.policy.weights.stability"),
])
def test_non_finite_refused_with_file_and_field(tmp_path, text, field):
    f = profile(tmp_path, text)
    with pytest.raises(ParamsError) as err:
        load_params([PARAMS, f])
    msg = str(err.value)
    assert msg == msg.strip() and "\n" not in msg
    assert msg.startswith(f"{f}: field '{field}': ") and "not a finite number" in msg


@pytest.mark.parametrize("text, field", [
    ("train:\n  grid:\n    rho: [1.5]\n", "train.grid.rho.0"),
    ("attack:\n  eps: [0.1, 2.0]\n", "attack.eps.1"),
    ("train:\n  adversarial: {eps: 1.2}\n", "train.adversarial.eps"),
    ("train:\n  certified: {eps: 3}\n", "train.certified.eps"),
    ("aggregate:\n  adversarial_eps: 1.5\n", "aggregate.adversarial_eps"),
    ("attack:\n  eps: [0.0, 0.1]\n", "attack.eps.0"),
])
def test_radii_outside_the_box_refused(tmp_path, text, field):
    f = profile(tmp_path, text)
    with pytest.raises(ParamsError, match=rf"{f.name}: field '{field}'"):
        load_params([PARAMS, f])


def test_radius_one_is_allowed(tmp_path):
    f = profile(tmp_path, "attack:\n  eps: [0.1, 1]\ntrain:\n  grid:\n    rho: [1.0]\n")
    p = load_params([PARAMS, f])
    assert p["attack"]["eps"] == [0.1, 1] and p["train"]["grid"]["rho"] == [1.0]


@pytest.mark.parametrize("text, field", [
    ("attack:\n  eps: [0.01, 0.1, 0.01]\n", "attack.eps"),
    ("train:\n  grid:\n    rho: [0.1, 0.1]\n", "train.grid.rho"),
    ("train:\n  grid:\n    lr: [0.01, 1.0e-2]\n", "train.grid.lr"),
    ("train:\n  grid:\n    beta_bar: [200, 200.0]\n", "train.grid.beta_bar"),
])
def test_duplicates_refused(tmp_path, text, field):
    f = profile(tmp_path, text)
    with pytest.raises(ParamsError, match=rf"{f.name}: field '{field}': .*non-unique"):
        load_params([PARAMS, f])


def test_error_names_the_file_that_set_the_field(tmp_path):
    """A field a profile does not touch is blamed on params.yaml, not on the profile."""
    base = profile(tmp_path, (ROOT / "params.yaml").read_text().replace("eps: [0.001, 0.01, 0.1]",
                                                                       "eps: [0.001, .nan]"), "base.yaml")
    f = profile(tmp_path, "seed: 1\n")
    with pytest.raises(ParamsError, match=rf"^{base}: field 'attack\.eps\.1'"):
        load_params([base, f])


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    f = profile(tmp_path, "seed: 0\ntrain:\n  epochs: [1, 2\n  batch_size: 3\nattack: {\n")
    with pytest.raises(ParamsError) as err:
        load_params([PARAMS, f])
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"{f}, line ") and "not valid YAML" in msg
    f2 = profile(tmp_path, "seed: 0\ntrain:\n\tepochs: 1\n", "tab.yaml")
    with pytest.raises(ParamsError, match=rf"^{f2}, line 3, column 1: not valid YAML: .*cannot start any token"):
        load_params([PARAMS, f2])


def test_missing_file_is_one_line(tmp_path):
    with pytest.raises(ParamsError) as err:
        load_params([PARAMS, tmp_path / "missing.yaml"])
    assert str(err.value) == f"{tmp_path / 'missing.yaml'}: parameter file not found"


@pytest.mark.parametrize("text, expected", [
    (None, "missing.yaml: parameter file not found"),
    ("train:\n  epochs: [1\n", "bad.yaml, line 3, column 1: not valid YAML"),
    ("train:\n  grid: {lr: [.nan]}\n", "bad.yaml: field 'train.grid.lr.0': nan is not a finite number"),
])
def test_stage_script_gives_the_same_one_line(tmp_path, text, expected):
    """holistic.cli (every stage's --params): exit 2, one line `error: <the message>`, no traceback."""
    name = "missing.yaml" if text is None else "bad.yaml"
    if text is not None:
        profile(tmp_path, text)
    res = subprocess.run([sys.executable, str(ROOT / "stages" / "fetch.py"), "--params", PARAMS,
                          "--params", name, "--dataset", "sklearn-iris", "--out", "x.npz"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert res.stderr.strip().startswith(f"error: {expected}") and "Traceback" not in res.stderr
