"""Shared test settings: CPU only, quiet TensorFlow, no writes into the repository."""

import os

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import importlib.util  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402

from colorization.core import runtime  # noqa: E402
from colorization.data import datasets  # noqa: E402

runtime.prepare_tensorflow()


@pytest.fixture
def run_on_backend():
    """``run(script, backend, *args) -> dict``: run a Python script in a fresh interpreter
    with ``KERAS_BACKEND=backend`` (skipping when that backend is not installed), assert it
    succeeded, and return the JSON object it printed last."""

    def run(script: str, backend: str, *args) -> dict:
        if importlib.util.find_spec(backend) is None:
            pytest.skip(f"{backend} is not installed")
        env = dict(os.environ, KERAS_BACKEND=backend)
        out = subprocess.run([sys.executable, "-c", script, *map(str, args)],
                             capture_output=True, text=True, env=env, timeout=600, check=False)
        assert out.returncode == 0, out.stderr[-3000:]
        return json.loads(out.stdout.strip().splitlines()[-1])

    return run


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    """Datasets, runs and reports of a test go to a temporary folder, never the checkout."""
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("COLORIZATION_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("COLORIZATION_RUNS_DIR", str(base / "runs"))
    monkeypatch.setenv("COLORIZATION_HOME", str(base / "home"))
    monkeypatch.setenv("COLORIZATION_DATA", "embedded")  # for subprocesses
    monkeypatch.setattr(datasets, "_source", "embedded")  # in this process (set_source)
    # a Kaggle Notebook's attached datasets are never found by a test that does not ask
    monkeypatch.setenv("COLORIZATION_KAGGLE_INPUT", str(base / "no-kaggle-input"))


KAGGLE_ENV = ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN", "KAGGLE_CONFIG_DIR",
              "XDG_CONFIG_HOME")


def isolate_kaggle(monkeypatch, home, *extra_vars):
    """HOME at ``home`` (created) and no Kaggle credential in the environment."""
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    for var in KAGGLE_ENV + extra_vars:
        monkeypatch.delenv(var, raising=False)
