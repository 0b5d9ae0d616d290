"""A run killed midway (SIGKILL to Snakemake and every job it started) resumes with the README's
commands to results byte-identical to an uninterrupted run, with nothing half-written left. The run
killed retrains one data set of the finished tiny run (its jobs and everything downstream), so the
test costs a third of a whole run."""

import json
import shutil
import subprocess
import time

import pytest

from pipeline import BIN, HDL, env, kill_tree, outputs, tree_bytes


#: The run to kill: every train job of one data set and everything after them, in a copy of the
#: finished tiny run (the uninterrupted run it must equal byte for byte).
DATASET = "sklearn-wine"


def _eval_files(d):
    return list((d / "results" / "hdl" / "eval" / DATASET).glob("*.json"))


@pytest.mark.e2e
def test_a_killed_run_resumes_to_the_same_results(snakemake_run, tmp_path):
    d = tmp_path / "killed"
    shutil.copytree(snakemake_run, d, symlinks=True)
    for f in _eval_files(d) + list((d / "models" / "hdl" / DATASET).iterdir()):
        f.unlink()
    (d / "results" / "hdl" / "metrics.json").unlink()
    total = len(HDL)
    cmd = [str(BIN / "snakemake"), "--cores", "2", "--configfile", "tiny.yaml"]
    proc = subprocess.Popen(cmd, cwd=d, env=env(d), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while len(_eval_files(d)) < total // 3:  # midway: some train jobs done, others running
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "no progress in 10 minutes"
            time.sleep(0.1)
    finally:
        kill_tree(proc.pid)
        proc.wait()
    done = len(_eval_files(d))
    assert 0 < done < total and not (d / "results" / "hdl" / "metrics.json").exists()

    # the default profile is in force (rerun-incomplete): a plain rerun never stops on the killed
    # jobs' incomplete files; it may stop on the killed run's lock, and then names the way out
    res = subprocess.run([*cmd, "-n"], cwd=d, env=env(d), capture_output=True, text=True, timeout=300)
    said = res.stdout + res.stderr
    assert "Using workflow specific profile profiles/default" in said, said[-3000:]
    assert "IncompleteFilesException" not in said, said[-3000:]
    assert res.returncode == 0 or "--unlock" in said, said[-3000:]
    # the documented resume: unlock, then the same command (the default profile reruns the
    # killed jobs' incomplete outputs); finished jobs are not run again: every job without its eval
    # file reruns, and at most the 2 that were running when killed (``--cores 2``; a job may have
    # written its eval file but not yet been marked finished) beside them
    subprocess.run([*cmd, "--unlock"], cwd=d, env=env(d), check=True, capture_output=True, timeout=300)
    res = subprocess.run(cmd, cwd=d, env=env(d), capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    ran = res.stderr.count("\nrule train:") + res.stderr.count("\nlocalrule train:")
    assert total - done <= ran <= total - done + 2, (ran, total, done)

    assert outputs(d) == outputs(snakemake_run)
    assert tree_bytes(d, "models") == tree_bytes(snakemake_run, "models")
    evals = {p: json.loads(b) for p, b in tree_bytes(d, "results", "hdl", "eval").items()}
    assert evals == {p: json.loads(b) for p, b in tree_bytes(snakemake_run, "results", "hdl", "eval").items()}
    left = [p for p in d.rglob("*.tmp")]
    assert not left, f"half-written files left behind: {left}"
