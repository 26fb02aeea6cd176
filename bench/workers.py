"""One framework per process: benchmark workers that time training steps on command.

TensorFlow and PyTorch never share a process here (TensorFlow 2.21 and a CUDA build of
PyTorch crash when both train in one process, and two thread pools in one process disturb
each other's timings anyway). Each side of a comparison is a worker subprocess that builds
its network, warms up, then waits; the parent tells one worker at a time to run a trial of
``steps`` training steps, so the workers take turns and a busy machine slows both sides
alike. The parent takes the median of each side's trials.

Protocol (text, one line each way): the worker prints JSON lines tagged :data:`TAG` on
stdout (any other output is ignored): ``{"event": "ready", ...}`` after its warm-up, then
``{"event": "trial", "seconds": ..., "images": ...}`` for each ``run N`` line it reads on
stdin; ``quit`` or end of input ends it. A failure is ``{"event": "error", "message": ...}``.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading

TAG = "@bench "


def emit(**fields) -> None:
    """Send one tagged JSON line to the parent."""
    sys.stdout.write(TAG + json.dumps(fields, default=str) + "\n")
    sys.stdout.flush()


def commands():
    """Yield the number of steps of each ``run N`` line on stdin until ``quit`` / EOF."""
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            return
        if words[0] == "run":
            yield int(words[1])


def cpu_name() -> str:
    """The processor's model name (Linux), or what ``platform`` knows."""
    import platform
    from pathlib import Path

    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def synthetic_images(count: int, size: int, seed: int = 0):
    """The benchmark's uint8 RGB images (random content: speed does not depend on it),
    identical in every worker."""
    import numpy as np

    return np.random.default_rng(seed).integers(0, 256, (count, size, size, 3), dtype=np.uint8)


class RefuseTensorFlow(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import tensorflow`` raises ImportError in this process (a PyTorch worker).

    ``find_spec`` answers with a spec without origin (``importlib.util.find_spec``, which
    torch._dynamo calls at import, still works) whose loading fails."""

    def find_spec(self, name, path, target=None):
        if name == "tensorflow" or name.startswith(("tensorflow.", "tf_keras")):
            return importlib.machinery.ModuleSpec(name, self)
        return None

    def create_module(self, spec):
        raise ImportError(f"this benchmark process runs without TensorFlow (refused: {spec.name})")

    def exec_module(self, module):  # never reached
        raise ImportError("TensorFlow refused")


class WorkerError(RuntimeError):
    pass


def _describe_exit(code: int) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


class Worker:
    """A benchmark worker subprocess (see the module docstring)."""

    def __init__(self, label: str, argv: list[str], env: dict | None = None):
        self.label = label
        self.argv = argv
        self._stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            text=True, bufsize=1, env={**os.environ, **(env or {})},
        )
        self._lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.ready: dict = {}
        self.trials: list[dict] = []

    def _pump(self):
        for line in self.proc.stdout:
            if line.startswith(TAG):
                self._lines.put(json.loads(line[len(TAG):]))
        self._lines.put(None)

    def _stderr_tail(self, lines: int = 15) -> str:
        self._stderr.flush()
        self._stderr.seek(0)
        return "\n".join(self._stderr.read().splitlines()[-lines:])

    def _next(self, timeout: float) -> dict:
        try:
            message = self._lines.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            raise WorkerError(f"{self.label}: no answer in {timeout:.0f} s; stopped it") from None
        if message is None:
            code = self.proc.wait()
            raise WorkerError(f"{self.label}: the worker ended ({_describe_exit(code)}):\n"
                              f"{self._stderr_tail()}")
        if message.get("event") == "error":
            self.close()
            raise WorkerError(f"{self.label}: {message.get('message')}")
        return message

    def wait_ready(self, timeout: float = 1800) -> dict:
        self.ready = self._next(timeout)
        return self.ready

    def trial(self, steps: int, timeout: float = 1800) -> dict:
        self.proc.stdin.write(f"run {steps}\n")
        self.proc.stdin.flush()
        result = self._next(timeout)
        self.trials.append(result)
        return result

    def rates(self) -> list[float]:
        return [t["images"] / t["seconds"] for t in self.trials]

    def median_rate(self) -> float:
        rates = self.rates()
        return statistics.median(rates) if rates else float("nan")

    def close(self, timeout: float = 60) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

