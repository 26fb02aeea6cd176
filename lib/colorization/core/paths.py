"""Every folder of the project, derived from one root.

Environment variables move them: ``COLORIZATION_HOME`` (the root; default: the repository
holding ``lib/``, else the current directory), ``COLORIZATION_DATA_DIR`` (datasets),
``COLORIZATION_RUNS_DIR`` (training runs), ``COLORIZATION_KAGGLE_INPUT`` (the datasets
attached to a Kaggle Notebook).
"""

from __future__ import annotations

import os
from pathlib import Path


def _from_env(var: str, default) -> Path:
    """``$var`` as an absolute path, else ``default()``."""
    env = os.environ.get(var)
    return Path(env).expanduser().resolve() if env else default()


def checkout_root() -> Path | None:
    """The repository this package was loaded from (the folder holding ``pyproject.toml`` and
    ``lib/colorization``), or ``None`` when it is installed elsewhere."""
    package = Path(__file__).resolve().parents[1]  # lib/colorization
    root = package.parents[1]
    if (root / "pyproject.toml").exists() and (root / "lib" / "colorization") == package:
        return root
    return None


def project_root() -> Path:
    return _from_env("COLORIZATION_HOME", lambda: checkout_root() or Path.cwd().resolve())


def data_dir() -> Path:
    """Root of downloaded (``raw/``) and prepared (``prepared/``) datasets; git-ignored."""
    return _from_env("COLORIZATION_DATA_DIR", lambda: project_root() / "data")


def raw_dir() -> Path:
    return data_dir() / "raw"


def prepared_dir() -> Path:
    return data_dir() / "prepared"


def runs_dir() -> Path:
    """Run directories of training experiments (one per experiment)."""
    return _from_env("COLORIZATION_RUNS_DIR", lambda: project_root() / "runs")


def kaggle_input() -> Path:
    """Where a Kaggle Notebook mounts its attached datasets (read-only): ``/kaggle/input``."""
    return _from_env("COLORIZATION_KAGGLE_INPUT", lambda: Path("/kaggle/input"))


def reports_dir() -> Path:
    return project_root() / "reports"


def figures_dir() -> Path:
    return reports_dir() / "figures"
