"""Issue 30 item 5: every path or value that reaches a rule's shell command is shell-quoted. A
profile whose params file name holds a space and ``$(...)`` runs (the shell really runs: fetch,
split, train and a study stage of iris) with nothing executed from the name and every job
succeeding; the DVC commands quote the same way."""

import shlex
import subprocess
from pathlib import Path

import yaml

from holistic.workflow import dvc
from holistic.workflow import spec as S
from holistic.workflow.stage import quoted_args, shell_quote

from pipeline import BIN, copy_project, env, tiny_params

NAME = "my $(touch INJECTED).yaml"


def test_shell_quote_keeps_plain_names():
    assert shell_quote("params.yaml") == "params.yaml"
    assert shell_quote("data/raw/${item}.npz") == "data/raw/${item}.npz"  # DVC's foreach token
    assert shell_quote("models/hdl/x/DL@seed+1.pt") == "models/hdl/x/DL@seed+1.pt"
    assert shlex.split(shell_quote(NAME)) == [NAME]
    assert shlex.split(shell_quote("a'b c")) == ["a'b c"]
    assert quoted_args("--x {input.data} --y {wildcards.dataset} {{literal}}") == \
        "--x {input.data:q} --y {wildcards.dataset:q} {{literal}}"


def test_dvc_command_quotes_params_files_and_paths():
    cmd = dvc.command(S.FETCH, ("params.yaml", NAME), {"dataset": "${item}"})
    assert cmd == f"python stages/fetch.py --params params.yaml --params {shlex.quote(NAME)} " \
                  "--dataset ${item} --out data/raw/${item}.npz"
    assert shlex.split(cmd)[2:6] == ["--params", "params.yaml", "--params", NAME]
    cmd = dvc.command(S.FETCH, ("params.yaml",), {"dataset": "a b;$(touch X)"})
    assert shlex.split(cmd)[-3] == "a b;$(touch X)"


def test_params_file_name_with_space_and_command_substitution(tmp_path):
    d = copy_project(tmp_path / "project $(touch INJECTED_DIR)")
    tiny = tiny_params()
    tiny["studies"] = {"hdl": {"datasets": ["sklearn-iris"], "methods": ["DL"], "replicates": None}}
    tiny["train"]["epochs"] = 1
    tiny["attack"].update(eps=[0.1], suite={"pgd": ["val", "test"], "ensemble": [], "fgsm": [],
                                                  "rfgsm": [], "deepfool": []}, adversarial="pgd", verify=[])
    tiny["aggregate"] = {"adversarial_eps": 0.1}
    (d / NAME).write_text(yaml.safe_dump(tiny))
    curves = "results/hdl/plots/curves.png"
    model = S.TRAIN.outputs["model"].path.format(study="hdl", dataset="sklearn-iris", method="DL")
    res = subprocess.run([str(BIN / "snakemake"), "--cores", "2", model, curves, "--configfile", NAME],
                         cwd=d, env=env(d), capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, f"{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    assert "4 of 4 steps (100%) done" in res.stderr, res.stderr[-3000:]
    assert (d / model).is_file() and (d / curves).is_file()
    injected = [p for p in tmp_path.rglob("INJECTED*")] + [p for p in Path.cwd().glob("INJECTED*")]
    assert injected == [], injected
