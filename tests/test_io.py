"""Atomic writes: a finished file or none, and nothing left behind by a killed writer."""

import os
import signal
import subprocess
import sys

import pytest

from holistic.io import atomic_path, write_text


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.json"
    write_text(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_the_rerun_of_a_killed_writer_removes_its_temporary_file(tmp_path):
    """SIGKILL leaves the temporary file (no cleanup can run); the next write of the same target
    removes it, and never touches another target's temporary file."""
    target = tmp_path / "model.safetensors"
    code = ("import os, sys, time; from holistic.io import atomic_path\n"
            "with atomic_path(sys.argv[1]) as tmp:\n"
            "    tmp.write_bytes(b'half'); print(tmp, flush=True); time.sleep(60)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True, env=env)
    left = proc.stdout.readline().strip()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    other = tmp_path / ".model.safetensors.resume.abcdefgh.tmp"  # another file's temporary
    other.write_bytes(b"x")
    assert os.path.exists(left) and not target.exists()
    write_text(target, "done")
    assert target.read_text() == "done"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, other.name])
