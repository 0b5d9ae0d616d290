"""The workflow on a Slurm cluster: train jobs of the tiny profile rerun (with everything
downstream) through `snakemake --executor slurm` and the project's profile
(workflow/profiles/slurm) on the one-node Slurm of .ci/slurm-up give the local run's metrics and
tables byte for byte; every non-local job went through sbatch with the CPUs, memory and time
limit its rule and the profile ask for, and the localrules stayed local."""

import os
import re
import shutil
import subprocess

import pytest
import yaml

from holistic.workflow import spec as S

from pipeline import BIN, ROOT, outputs, run

PROFILE = "workflow/profiles/slurm"
# Test only (a real cluster keeps the profile's pace): a finished job is seen within seconds,
# and its Slurm log is kept as the record that it ran under Slurm.
FAST = ["--latency-wait", "5", "--slurm-init-seconds-before-status-checks", "1",
        "--slurm-keep-successful-logs"]
# The train jobs that rerun through Slurm (an image set and a table, at once on two CPUs), with
# the jobs downstream of them: the analyses (SHAP, policy) through Slurm too, the rest locally.
RERUN = [("mnist", "HDL"), ("sklearn-iris", "DL")]


@pytest.fixture(scope="session")
def slurm():
    """A running Slurm (started by .ci/slurm-up); skipped where Slurm or the executor plugin is
    not installed (CI sets HOLISTIC_REQUIRE_SLURM=1 and installs both, so there it must run).
    Session-scoped, so that a skip comes before the local run of ``snakemake_run``."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    missing = [c for c in ("sbatch", "squeue", "scontrol", "slurmctld", "slurmd", "munged")
               if shutil.which(c, path=path) is None]
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        missing.append("snakemake-executor-plugin-slurm (the `slurm` extra)")
    if missing:
        if os.environ.get("HOLISTIC_REQUIRE_SLURM") == "1":
            pytest.fail(f"Slurm is required (HOLISTIC_REQUIRE_SLURM=1), missing: {', '.join(missing)}")
        pytest.skip(f"Slurm not installed, missing: {', '.join(missing)}")
    res = subprocess.run([str(ROOT / ".ci" / "slurm-up")], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, f".ci/slurm-up failed:\n{res.stdout}{res.stderr}"


def slurm_job(jobid: str) -> dict:
    """What Slurm recorded of a job (`scontrol show job`; kept MinJobAge after it ended)."""
    out = subprocess.run(["scontrol", "show", "job", "-o", jobid], capture_output=True, text=True,
                         check=True).stdout
    return dict(re.findall(r"(\S+?)=(\S*)", out))


def megabytes(mem: str) -> int:
    """Slurm's ``1536M`` / ``2G`` in MB."""
    return int(float(mem[:-1]) * {"M": 1, "G": 1024, "T": 1024**2}[mem[-1]])


def minutes(limit: str) -> int:
    """Slurm's time limit ``[days-]hh:mm:ss`` in minutes."""
    days, _, hms = limit.rpartition("-")
    h, m, s = (int(x) for x in hms.split(":"))
    return int(days or 0) * 1440 + h * 60 + m + (s > 0)


@pytest.mark.e2e
def test_tiny_profile_through_slurm_matches_the_local_run(slurm, snakemake_run, tmp_path):
    d = tmp_path / "project"
    shutil.copytree(snakemake_run, d, symlinks=True)
    evals = [S.TRAIN.outputs["eval"].path.format(study="hdl", dataset=ds, method=m) for ds, m in RERUN]
    res = run([str(BIN / "snakemake"), "--profile", PROFILE, "--configfile", "tiny.yaml", *FAST,
               "--forcerun", *evals], d)
    assert outputs(d) == outputs(snakemake_run)   # metrics.json, the tables, the images analysis

    spec = S.load([d / "params.yaml", d / "tiny.yaml"])
    hdl = spec.study("hdl")
    remote = {"train"} | {S.rule_name(st, "hdl") for st in S.study_stages(hdl) if not st.local}
    profile = yaml.safe_load((d / PROFILE / "config.yaml").read_text())
    # every job Slurm ran: .snakemake/slurm_logs/rule_<rule>/[<wildcards>/]<Slurm job id>.log
    logs = d / ".snakemake" / "slurm_logs"
    jobs = {}
    for log in logs.rglob("*.log"):
        rule, *wildcards = log.parent.relative_to(logs).parts
        jobs[(rule.removeprefix("rule_"), *wildcards)] = log.stem
    # the localrules (fetch, split, aggregate, the report pages) stayed in Snakemake's process
    assert {key[0] for key in jobs} == remote
    train = {(ds, m): jobs.pop(("train", f"hdl_{ds}_{m}")) for ds, m in RERUN}
    assert {key[0] for key in jobs} == remote - {"train"}   # the analyses: one job each, no wildcards
    for jobid in train.values():
        assert f"has been submitted with SLURM jobid {jobid} " in res.stderr

    def asked(rule, threads, mem_mb):
        return {"CPUs/Task": threads, "mem_mb": mem_mb,
                "runtime": profile["set-resources"].get(rule, {}).get("runtime",
                                                                      profile["default-resources"]["runtime"])}

    def granted(jobid):
        job = slurm_job(jobid)
        assert job["JobState"] == "COMPLETED", job
        return {"CPUs/Task": int(job["CPUs/Task"]), "mem_mb": megabytes(job["MinMemoryNode"]),
                "runtime": minutes(job["TimeLimit"])}

    for (ds, _), jobid in train.items():
        assert granted(jobid) == asked("train", spec.params["threads"], S.train_mem_mb(spec.params, ds))
    for (rule,), jobid in jobs.items():
        assert granted(jobid) == asked(rule, 1, profile["default-resources"]["mem_mb"])
