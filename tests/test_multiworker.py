"""strategy="multiworker" for real: two worker processes on 127.0.0.1, one TF_CONFIG each."""

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from colorization.runs import accelerate
from colorization.runs.rundir import read_backup

# Both cluster tests share the uninterrupted reference run: one pytest-xdist worker runs them.
pytestmark = pytest.mark.xdist_group("multiworker")

_WORKER = """
import json, os, sys
sys.path.insert(0, os.environ["TESTS_DIR"])  # kill_points
import kill_points
kill_points.install(os.environ.get("KILL_AT"))
from colorization.runs.config import RunConfig
from colorization.runs.train import train
cfg = RunConfig(model="autoencoder_small", epochs=3, image_size=16, max_images=32,
                max_test_images=4, batch_size=8, snapshot_images=1, snapshot_epochs=[1],
                strategy="multiworker", precision="float32")
run = train(cfg, sys.argv[1], verbose=0)
print(json.dumps({"dir": str(run.dir), "state": run.status["state"],
                  "replicas": run.status["replicas"],
                  "weights": [w.ravel()[:50].tolist() for w in run.model().get_weights()],
                  "losses": [h["loss"] for h in run.history()]}))
"""


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _cluster(base, kill_worker_1_at=None):
    """Two workers training ``base/run`` (worker i's temporary folder: ``base/tmp{i}``), as
    two machines would with the README's commands; ``[(returncode, stdout, stderr)] * 2``."""
    cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports(2)]}
    procs = []
    for i in range(2):
        tmp = base / f"tmp{i}"
        tmp.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, KERAS_BACKEND="tensorflow", TMPDIR=str(tmp),
                   TF_CONFIG=json.dumps({"cluster": cluster,
                                         "task": {"type": "worker", "index": i}}))
        env["TESTS_DIR"] = str(Path(__file__).parent)
        env.pop("KILL_AT", None)
        if i == 1 and kill_worker_1_at:
            env["KILL_AT"] = kill_worker_1_at
        procs.append(subprocess.Popen([sys.executable, "-c", _WORKER, str(base / "run")],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True))
    results = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=400)
            results.append((p.returncode, out, err))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    return results


def _finished(result) -> dict:
    returncode, out, err = result
    assert returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    base = tmp_path_factory.mktemp("uninterrupted")
    return base, [_finished(r) for r in _cluster(base)]


def test_two_workers_train_the_same_weights_and_only_the_chief_writes(uninterrupted):
    base, (chief, worker) = uninterrupted
    run_dir = base / "run"
    assert chief["state"] == worker["state"] == "finished"
    assert chief["replicas"] == worker["replicas"] == 2
    assert chief["dir"] == str(run_dir)
    assert worker["dir"].startswith(str(base / "tmp1")), worker["dir"]
    assert (run_dir / "model.keras").exists() and (run_dir / "status.json").exists()
    # the chief writes no temporary copy of the run (other files of the interpreter's own,
    # such as a __pycache__ of generated code, may appear there)
    assert not list((base / "tmp0").glob("colorization-*"))
    assert list((base / "tmp1").glob("colorization-worker1-*"))
    for a, b in zip(chief["weights"], worker["weights"], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert chief["losses"] == worker["losses"] and len(chief["losses"]) == 3


def test_a_lost_worker_stops_the_cluster_clearly_and_both_resume_the_same_epoch(
        tmp_path, uninterrupted):
    """Worker 1 is killed in epoch 2 after the chief committed it but before it did: the
    chief stops with a message saying what to do (not a hang, not a bare TensorFlow error);
    restarted, both workers resume from epoch 1, the last one they both completed, and end
    with the uninterrupted run's losses and weights."""
    chief_result, worker_result = _cluster(tmp_path, kill_worker_1_at="weights_start:2")
    assert worker_result[0] == -signal.SIGKILL
    returncode, _, err = chief_result
    assert returncode != 0
    assert "WorkerLostError: another worker of the cluster stopped during training" in err
    assert "the last completed epoch (2) is kept in" in err
    assert "Start every worker again with the same command" in err
    run_dir = tmp_path / "run"
    (worker_dir,) = (tmp_path / "tmp1").glob("colorization-worker1-*")  # its copy of the run
    assert read_backup(run_dir)[0].epoch == 2 and read_backup(worker_dir)[0].epoch == 1

    chief_result, worker_result = _cluster(tmp_path)
    chief, worker = _finished(chief_result), _finished(worker_result)
    assert "resumes from epoch 1 too, not 2" in chief_result[2]
    _, (reference, _) = uninterrupted
    assert chief["losses"] == worker["losses"] == reference["losses"]
    for a, b, c in zip(chief["weights"], worker["weights"], reference["weights"], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6)
    assert not (run_dir / "backup").exists() and not (worker_dir / "backup").exists()


def test_chief_and_bad_tf_config(monkeypatch):
    cluster = {"worker": ["a:1", "b:2"]}
    assert accelerate.is_chief({"cluster": cluster, "task": {"type": "worker", "index": 0}})
    assert not accelerate.is_chief({"cluster": cluster, "task": {"type": "worker", "index": 1}})
    with_chief = {"cluster": {**cluster, "chief": ["c:3"]}, "task": {"type": "worker",
                                                                     "index": 0}}
    assert not accelerate.is_chief(with_chief)
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="TF_CONFIG is not valid JSON"):
        accelerate.tf_config()
