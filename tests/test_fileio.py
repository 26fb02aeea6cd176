"""The one atomic writer: an interrupted write leaves the previous file intact."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from colorization.core import fileio


def test_exception_inside_atomic_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "results.json"
    fileio.write_json(target, {"epoch": 1})
    with pytest.raises(RuntimeError, match="half-way"):
        with fileio.atomic_write(target, "w") as f:
            f.write('{"epoch": 2, "half')
            raise RuntimeError("stopped half-way")
    assert json.loads(target.read_text()) == {"epoch": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temporary left


def test_exception_inside_atomic_path_keeps_the_previous_file(tmp_path):
    target = tmp_path / "model.keras"
    fileio.write_bytes(target, b"old model")
    with pytest.raises(OSError):
        with fileio.atomic_path(target) as tmp:
            tmp.write_bytes(b"new mod")
            raise OSError("disk full")
    assert target.read_bytes() == b"old model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_a_finished_write_replaces_the_file(tmp_path):
    target = tmp_path / "a.txt"
    fileio.write_text(target, "one")
    fileio.write_text(target, "two")
    assert target.read_text() == "two"


_WRITER = """
import sys, time
from colorization.core import fileio
with fileio.atomic_write(sys.argv[1], "wb") as f:
    f.write(b"partial new content ")
    f.flush()
    print("writing", flush=True)
    time.sleep(60)  # killed here, half-way through the write
    f.write(b"never written")
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_process_killed_mid_write_leaves_the_previous_file(tmp_path):
    target = tmp_path / "status.json"
    fileio.write_json(target, {"state": "finished"})
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(target)],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "writing"
        time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert json.loads(target.read_text()) == {"state": "finished"}
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "status.json"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".status.json.")  # a hidden temp
