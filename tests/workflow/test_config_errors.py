"""Issue 30 items 4 and 6 through the workflow's front doors: a YAML error or a missing file in
params.yaml is one line naming the file (and the line) from the workflow's own loading, before
Snakemake's own parse; a bad --configfile value (NaN) is refused before any job; ``python -m
holistic.workflow check`` gives the one-line messages for any params file (Snakemake's command
line parses --configfile files itself before the Snakefile runs)."""

import subprocess

from pipeline import BIN, copy_project, env


def smk_dry(d, *args):
    return subprocess.run([str(BIN / "snakemake"), "-n", "--cores", "1", *args], cwd=d, env=env(d),
                          capture_output=True, text=True, timeout=300)


def first_error_line(res):
    """Snakemake's first two lines of its error (its log goes to stdout or stderr)."""
    lines = [l for l in (res.stdout + "\n" + res.stderr).splitlines() if l.strip()]
    lines = [l for l in lines if not l.startswith(("Using workflow specific profile", "Config file "))]
    return lines[:2]


def test_params_yaml_errors_named_by_the_workflow(tmp_path):
    d = copy_project(tmp_path / "p")
    good = (d / "params.yaml").read_text()
    (d / "params.yaml").write_text(good + "seed: [0\n")
    res = smk_dry(d)
    assert res.returncode != 0
    head = first_error_line(res)
    assert head[0].startswith("ParamsError"), res.stdout + res.stderr
    n = len(good.splitlines()) + 1
    assert head[1].startswith(f"params.yaml, line {n + 1}, column 1: not valid YAML: while parsing a flow "
                              f"sequence at line {n}, column 7,"), res.stdout + res.stderr
    (d / "params.yaml").unlink()
    res = smk_dry(d)
    assert res.returncode != 0 and first_error_line(res)[1] == "params.yaml: parameter file not found", res.stdout + res.stderr
    (d / "params.yaml").write_text(good)
    (d / "nan.yaml").write_text("attack:\n  eps: [0.1, .nan]\n")
    res = smk_dry(d, "--configfile", "nan.yaml")
    assert res.returncode != 0 and "Job stats" not in res.stdout + res.stderr
    assert first_error_line(res)[1] == f"{d / 'nan.yaml'}: field 'attack.eps.1': nan is not a finite number", res.stdout + res.stderr


def test_check_command_one_line(tmp_path):
    d = copy_project(tmp_path / "p")
    (d / "broken.yaml").write_text("train:\n  epochs: [1\n")
    run = lambda *f: subprocess.run([str(BIN / "python"), "-m", "holistic.workflow", "check",
                                     *[a for x in f for a in ("--params", x)]],
                                    cwd=d, env=env(d), capture_output=True, text=True, timeout=120)
    res = run("params.yaml", "broken.yaml")
    assert res.returncode == 2 and res.stderr.splitlines() == [
        "error: broken.yaml, line 3, column 1: not valid YAML: while parsing a flow sequence at line 2, "
        "column 11, expected ',' or ']', but got '<stream end>'"]
    res = run("params.yaml", "missing.yaml")
    assert res.returncode == 2 and res.stderr.splitlines() == ["error: missing.yaml: parameter file not found"]
    res = run("params.yaml")
    assert res.returncode == 0 and res.stdout == "ok: params.yaml\n"
