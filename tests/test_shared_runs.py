"""Notebooks share runs: ``experiments.run`` waits for another process training the same run
(then uses it) instead of failing, unless ``wait=False``."""

from __future__ import annotations

import threading
import time

import pytest

from colorization.runs.rundir import RunBusyError, lock_run_dir
from colorization.study import experiments


def test_run_waits_for_the_process_holding_the_run_then_uses_it(monkeypatch, capsys):
    name = "cnn-fruits-mse"
    folder = experiments.run_dir(name, "smoke")
    folder.mkdir(parents=True)
    held, release = threading.Event(), threading.Event()

    def other_process():  # flock: another open file description conflicts, as a process does
        with lock_run_dir(folder):
            held.set()
            release.wait(10)

    calls = []

    def fake_train(config, run_dir, **kwargs):
        calls.append(time.monotonic())
        with lock_run_dir(run_dir):
            return "the finished run"

    monkeypatch.setattr(experiments, "train", fake_train)
    holder = threading.Thread(target=other_process)
    holder.start()
    held.wait(10)
    with pytest.raises(RunBusyError, match="in use"):
        experiments.run(name, "smoke", wait=False)
    threading.Timer(0.5, release.set).start()
    assert experiments.run(name, "smoke") == "the finished run"
    holder.join()
    out = capsys.readouterr().out
    assert out.count("waiting:") == 1 and "is in use" in out
    assert len(calls) >= 3  # refused while held (wait=False, then polls), then it ran
