"""Shared test settings: CPU only, quiet TensorFlow, no writes into the repository."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    """Datasets, runs and reports of a test go to a temporary folder, never the checkout."""
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("COLORIZATION_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("COLORIZATION_RUNS_DIR", str(base / "runs"))
    monkeypatch.setenv("COLORIZATION_HOME", str(base / "home"))
    monkeypatch.setenv("COLORIZATION_DATA", "synthetic")
