"""strategy="multiworker" for real: two worker processes on 127.0.0.1, one TF_CONFIG each."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from colorization import accelerate

_WORKER = """
import json, sys
import numpy as np
from colorization.train import RunConfig, train
cfg = RunConfig(model="autoencoder_small", epochs=2, image_size=16, max_images=32,
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


def test_two_workers_train_the_same_weights_and_only_the_chief_writes(tmp_path):
    cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports(2)]}
    run_dir = tmp_path / "run"
    procs = []
    for i in range(2):
        tmp = tmp_path / f"tmp{i}"
        tmp.mkdir()
        env = dict(os.environ, KERAS_BACKEND="tensorflow", TMPDIR=str(tmp),
                   TF_CONFIG=json.dumps({"cluster": cluster,
                                         "task": {"type": "worker", "index": i}}))
        procs.append(subprocess.Popen([sys.executable, "-c", _WORKER, str(run_dir)], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True))
    results = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=400)
            assert p.returncode == 0, err[-3000:]
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    chief, worker = results
    assert chief["state"] == worker["state"] == "finished"
    assert chief["replicas"] == worker["replicas"] == 2
    assert chief["dir"] == str(run_dir)
    assert worker["dir"].startswith(str(tmp_path / "tmp1")), worker["dir"]
    assert (run_dir / "model.keras").exists() and (run_dir / "status.json").exists()
    assert not list((tmp_path / "tmp0").iterdir())  # the chief writes no temporary copy
    for a, b in zip(chief["weights"], worker["weights"], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert chief["losses"] == worker["losses"] and len(chief["losses"]) == 2


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
